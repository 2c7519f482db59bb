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
	ctx := t.Context()
	cd := c.c.pick()
	apps := map[string]bool{}
	pages := codedeploy.NewListApplicationsPaginator(cd, &codedeploy.ListApplicationsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListApplications: %v", err)
		}
		for _, n := range page.Applications {
			apps[n] = true
		}
	}
	tags := map[string][]string{} // application → tag keys acknowledged
	var created, groups int
	for _, a := range acks {
		if a.code != "" {
			continue
		}
		kind, name, _ := strings.Cut(a.resource, ":")
		switch kind {
		case "app":
			if a.operation == "CreateApplication" {
				created++
				if !apps[name] {
					t.Errorf("application %s, created by %s, is gone", name, a.requestID)
				}
			}
		case "group":
			groups++
			if _, err := cd.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: &name,
				DeploymentGroupName: aws.String("g")}); err != nil {
				t.Errorf("deployment group %s/g, created by %s: %v", name, a.requestID, err)
			}
		case "tag":
			app, n, _ := strings.Cut(name, "=")
			tags[app] = append(tags[app], "n"+n)
		}
	}
	for app, keys := range tags {
		arn := fmt.Sprintf("arn:aws:codedeploy:us-east-1:%s:application:%s", c.account, app)
		out, err := cd.ListTagsForResource(ctx, &codedeploy.ListTagsForResourceInput{ResourceArn: &arn})
		if err != nil {
			t.Fatalf("ListTagsForResource %s: %v", app, err)
		}
		have := map[string]bool{}
		for _, tag := range out.Tags {
			have[aws.ToString(tag.Key)] = true
		}
		for _, k := range keys {
			if !have[k] {
				t.Errorf("application %s lacks acknowledged tag %s", app, k)
			}
		}
	}
	t.Logf("effects present: %d applications, %d deployment groups, tags on %d applications", created, groups, len(tags))
}
