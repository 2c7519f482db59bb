package cluster_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
)

// TestOneNodeCrashes is the fault test on one node and its SQLite file:
// a mixed load (CodeDeploy writes and reads, tags, deployments on two
// `deploytrail agent` hosts, a logging trail with validation), and the
// node killed with SIGKILL and restarted 10 times under it. Afterwards
// every acknowledged call must have its effect and be delivered exactly
// once, AWS's validate-logs must accept the digests, and every
// deployment, the one running at a kill too, must have succeeded.
func TestOneNodeCrashes(t *testing.T) {
	c := startCluster(t, 1, nil)
	runFaults(t, c)
}

// runFaults runs the load, the kills and the checks on c.
func runFaults(t *testing.T, c *cluster) {
	hosts := c.startHosts(t, 2)
	stop := make(chan struct{})
	l := startLoad(t.Context(), c.c, c.account, c.role, 4, stop)
	d := startDeployer(t.Context(), c.c, stop)
	interrupted := c.faults(t, d)
	time.Sleep(2 * time.Second) // load on the restarted cluster
	close(stop)
	for _, err := range l.wait() {
		t.Errorf("load: %v", err)
	}
	d.wg.Wait()
	checkDeployments(t, c.c, hosts, interrupted)
	acks, unanswered := c.rec.acknowledged()
	assertEffects(t, c, acks)
	acks, _ = c.rec.acknowledged() // with the checks' own reads
	t.Logf("%d calls acknowledged, %d cut off by the kills, %d deployments started", len(acks), unanswered, d.started)
	files := waitDelivered(t, 60*time.Second, c.logs.client(), trailBucket, c.account, acks)
	assertExactlyOnce(t, files, c.account, acks)
	awsValidateLogs(t, c.trailARN, c.nodes[0].endpoint(), c.logs, c.began, len(files.logs))
	for _, nd := range c.nodes {
		nd.stop(t)
	}
}

// assertEffects checks that what every acknowledged successful write made
// is there: its application, its deployment group, its tag.
func assertEffects(t *testing.T, c *cluster, acks []ack) {
	t.Helper()
	cd := c.c.pick()
	apps := applications(t, cd)
	tags := map[string][]string{} // application → tag keys acknowledged
	var created, groups int
	for _, a := range acks {
		if a.code != "" {
			continue
		}
		kind, name, _ := strings.Cut(a.resource, ":")
		switch {
		case kind == "app" && a.operation == "CreateApplication":
			created++
			if !apps[name] {
				t.Errorf("application %s, created by %s, is gone", name, a.requestID)
			}
		case kind == "group":
			groups++
			if _, err := cd.GetDeploymentGroup(t.Context(), &codedeploy.GetDeploymentGroupInput{ApplicationName: &name,
				DeploymentGroupName: aws.String("g")}); err != nil {
				t.Errorf("deployment group %s/g, created by %s: %v", name, a.requestID, err)
			}
		case kind == "tag":
			app, n, _ := strings.Cut(name, "=")
			tags[app] = append(tags[app], "n"+n)
		}
	}
	for app, keys := range tags {
		assertTags(t, cd, fmt.Sprintf("arn:aws:codedeploy:us-east-1:%s:application:%s", c.account, app), keys)
	}
	t.Logf("effects present: %d applications, %d deployment groups, tags on %d applications", created, groups, len(tags))
}

// applications lists every application's name.
func applications(t *testing.T, cd *codedeploy.Client) map[string]bool {
	t.Helper()
	apps := map[string]bool{}
	pages := codedeploy.NewListApplicationsPaginator(cd, &codedeploy.ListApplicationsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(t.Context())
		if err != nil {
			t.Fatalf("ListApplications: %v", err)
		}
		for _, n := range page.Applications {
			apps[n] = true
		}
	}
	return apps
}

// assertTags checks that the resource has every tag key of keys.
func assertTags(t *testing.T, cd *codedeploy.Client, arn string, keys []string) {
	t.Helper()
	out, err := cd.ListTagsForResource(t.Context(), &codedeploy.ListTagsForResourceInput{ResourceArn: &arn})
	if err != nil {
		t.Fatalf("ListTagsForResource %s: %v", arn, err)
	}
	have := map[string]bool{}
	for _, tag := range out.Tags {
		have[aws.ToString(tag.Key)] = true
	}
	for _, k := range keys {
		if !have[k] {
			t.Errorf("%s lacks acknowledged tag %s", arn, k)
		}
	}
}

// clusterEnv is what every node of a PostgreSQL cluster is given: the
// database, and a short lease TTL so that a dead holder's work moves
// within seconds.
func clusterEnv(databaseURL string) []string {
	return []string{"DEPLOYTRAIL_DATABASE_URL=" + databaseURL, "DEPLOYTRAIL_LEASE_TTL=2s"}
}

// TestClusterFaults is issue 15's test 2: three nodes on one PostgreSQL
// database and one MinIO, the same mixed load through all three, and a
// node killed 10 times, among them the delivery lease's holder just after
// a delivery and the deployment engine's while a deployment runs.
func TestClusterFaults(t *testing.T) {
	c := startCluster(t, 3, clusterEnv(ownDatabase(t)))
	runFaults(t, c)
}

// TestPostgresRestart is issue 15's test 3: two nodes on a PostgreSQL of
// the test's own, which is stopped for a few seconds and started again
// under load. Calls fail while it is down, the nodes recover without a
// restart of their own, and no acknowledged call is lost or doubled.
func TestPostgresRestart(t *testing.T) {
	pg := startPostgres(t)
	c := startCluster(t, 2, clusterEnv(pg.url))
	stop := make(chan struct{})
	l := startLoad(t.Context(), c.c, c.account, c.role, 4, stop)
	time.Sleep(2 * time.Second)
	before := c.rec.failures()
	pg.script(t, "stop")
	down := time.Now()
	time.Sleep(3 * time.Second)
	pg.script(t, "restart")
	t.Logf("PostgreSQL down for %v", time.Since(down).Round(time.Millisecond))
	for _, nd := range c.nodes {
		waitFor(t, 30*time.Second, nd.name+" healthy again", nd.healthy)
	}
	recovered := time.Now()
	time.Sleep(3 * time.Second)
	close(stop)
	for _, err := range l.wait() {
		t.Errorf("load: %v", err)
	}
	failed := c.rec.failures() - before
	if failed == 0 {
		t.Errorf("no call failed while PostgreSQL was down")
	}
	acks, _ := c.rec.acknowledged()
	t.Logf("nodes healthy %v after PostgreSQL stopped; %d calls failed meanwhile (5xx or cut off), %d acknowledged in all",
		recovered.Sub(down).Round(time.Millisecond), failed, len(acks))
	assertRecovered(t, c)
	assertEffects(t, c, acks)
	acks, _ = c.rec.acknowledged()
	files := waitDelivered(t, 60*time.Second, c.logs.client(), trailBucket, c.account, acks)
	assertExactlyOnce(t, files, c.account, acks)
	awsValidateLogs(t, c.trailARN, c.nodes[0].endpoint(), c.logs, c.began, len(files.logs))
	for _, nd := range c.nodes {
		nd.stop(t)
	}
}

// assertRecovered checks that every node serves a write again.
func assertRecovered(t *testing.T, c *cluster) {
	t.Helper()
	for i, cd := range c.c.cd {
		name := fmt.Sprintf("recovered-%d", i)
		if _, err := cd.CreateApplication(withResource(t.Context(), "app:"+name), &codedeploy.CreateApplicationInput{ApplicationName: &name}); err != nil {
			t.Errorf("%s after PostgreSQL's restart: CreateApplication: %v", c.nodes[i].name, err)
		}
	}
}
