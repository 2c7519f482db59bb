package cluster_test

import (
	"crypto/rand"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/deploytrail/deploytrail/internal/iam"
)

// trailBucket is the bucket, on the cluster's MinIO, that trail "main"
// delivers to.
const trailBucket = "cluster-logs"

// cluster is N nodes sharing one store (the env they are given), one
// MinIO for the trail's bucket, and one management account with a root
// key the test chose, so that every node serves the same account.
type cluster struct {
	nodes                []*node
	account, key, secret string
	logs                 *minioServer
	rec                  *recorder
	c                    *clients
	role, trailARN       string
	began                time.Time
}

// startCluster starts n nodes under root with storeEnv (the database
// they share; none: each its own SQLite, so only n = 1 makes sense),
// delivery every second and digests every 3 s, and creates the
// deployments' service role and the logging trail with validation.
func startCluster(t *testing.T, n int, storeEnv []string) *cluster {
	t.Helper()
	c := &cluster{key: iam.NewAccessKeyID(), secret: iam.NewSecretAccessKey(), rec: newRecorder(t), began: time.Now()}
	c.account = randomAccount()
	c.logs = startMinio(t, c.key, c.secret)
	c.logs.createBucket(t, trailBucket)
	env := append([]string{"DEPLOYTRAIL_ACCOUNT_ID=" + c.account, "DEPLOYTRAIL_ROOT_ACCESS_KEY_ID=" + c.key,
		"DEPLOYTRAIL_ROOT_SECRET_ACCESS_KEY=" + c.secret, "DEPLOYTRAIL_DELIVERY_INTERVAL=1s",
		"DEPLOYTRAIL_DIGEST_INTERVAL=3s", "DEPLOYTRAIL_LOG_FORMAT=json"}, c.logs.env()...)
	env = append(env, storeEnv...)
	root := t.TempDir()
	c.c = &clients{}
	for i := range n {
		nd := newNode(t, root, fmt.Sprintf("node%d", i), env)
		nd.start(t) // one at a time: the first migrates and bootstraps
		c.nodes = append(c.nodes, nd)
		c.c.cd = append(c.c.cd, codedeploy.NewFromConfig(c.config(nd)))
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, nd := range c.nodes {
				t.Logf("--- %s's warnings and errors (the last 40):\n%s", nd.name, strings.ReplaceAll(nd.log.problems(40), c.secret, "<secret>"))
			}
		}
	})
	c.role = c.createRole(t)
	c.trailARN = c.startTrail(t)
	c.rec.reset()
	return c
}

func (c *cluster) config(nd *node) aws.Config { return c.rec.config(nd.endpoint(), c.key, c.secret) }

// randomAccount is a 12-digit account id.
func randomAccount() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(9e11))
	return fmt.Sprintf("%012d", n.Int64()+1e11)
}

// createRole makes the role CodeDeploy assumes for the groups.
func (c *cluster) createRole(t *testing.T) string {
	t.Helper()
	out, err := awsiam.NewFromConfig(c.config(c.nodes[0])).CreateRole(t.Context(), &awsiam.CreateRoleInput{
		RoleName: aws.String("deployer"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[` +
			`{"Effect":"Allow","Principal":{"Service":"codedeploy.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	return aws.ToString(out.Role.Arn)
}

// startTrail creates trail "main" with log file validation and starts it.
func (c *cluster) startTrail(t *testing.T) string {
	t.Helper()
	ct := cloudtrail.NewFromConfig(c.config(c.nodes[0]))
	out, err := ct.CreateTrail(t.Context(), &cloudtrail.CreateTrailInput{Name: aws.String("main"),
		S3BucketName: aws.String(trailBucket), EnableLogFileValidation: aws.Bool(true)})
	if err != nil {
		t.Fatalf("CreateTrail: %v", err)
	}
	if _, err := ct.StartLogging(t.Context(), &cloudtrail.StartLoggingInput{Name: aws.String("main")}); err != nil {
		t.Fatalf("StartLogging: %v", err)
	}
	return aws.ToString(out.TrailARN)
}

// startHosts registers n hosts whose agents reach the nodes through a
// round-robin proxy, and creates web/prod deploying to them.
func (c *cluster) startHosts(t *testing.T, n int) []*host {
	t.Helper()
	px := startProxy(t, c.nodes)
	root := t.TempDir()
	var hosts []*host
	for i := range n {
		hosts = append(hosts, setUpHost(t, c.config(c.nodes[i%len(c.nodes)]), c.account, root, fmt.Sprintf("host%d", i), px.endpoint()))
	}
	createProdGroup(t, c.c.pick(), c.role)
	return hosts
}

// restart kills nd with SIGKILL and starts it again on its port.
func (c *cluster) restart(t *testing.T, nd *node) {
	t.Helper()
	nd.kill(t)
	time.Sleep(time.Duration(200+mrand.IntN(600)) * time.Millisecond)
	nd.start(t)
}

// holder is the node that holds the named singleton lease, as the
// nodes' health documents say ("leases"); after a kill it may take a
// lease's TTL to move.
func (c *cluster) holder(t *testing.T, lease string) *node {
	t.Helper()
	if len(c.nodes) == 1 {
		return c.nodes[0]
	}
	var found *node
	waitFor(t, 30*time.Second, "holder of lease "+lease, func() bool {
		for _, nd := range c.nodes {
			if slices.Contains(nd.leases(), lease) {
				found = nd
				return true
			}
		}
		return false
	})
	return found
}

// logFileCount is how many log files the trail's bucket holds.
func (c *cluster) logFileCount(t *testing.T) int {
	t.Helper()
	files, err := readTrailFiles(t.Context(), c.logs.client(), trailBucket)
	if err != nil {
		t.Fatalf("read the trail's bucket: %v", err)
	}
	return len(files.logs)
}

// faults kills a node 10 times while the load runs, restarting it each
// time: the third kill takes the delivery lease's holder just after a
// delivery, the sixth the engine's while a deployment runs, the rest a
// random node. It returns the deployments running at an engine kill.
func (c *cluster) faults(t *testing.T, d *deployer) (interrupted []string) {
	t.Helper()
	for k := range 10 {
		time.Sleep(time.Duration(1500+mrand.IntN(1500)) * time.Millisecond)
		victim, why := c.nodes[mrand.IntN(len(c.nodes))], "at random"
		switch k {
		case 2:
			before := c.logFileCount(t)
			waitFor(t, 20*time.Second, "a delivery under load", func() bool { return c.logFileCount(t) > before })
			time.Sleep(300 * time.Millisecond)
			victim, why = c.holder(t, "delivery"), "the delivery lease's holder, just after a delivery"
		case 5:
			id := d.inProgress(60 * time.Second)
			if id == "" {
				t.Fatalf("no deployment in progress within 60s")
			}
			victim, why = c.holder(t, "deployment-engine"), "the engine lease's holder, while "+id+" runs"
			interrupted = append(interrupted, id)
		}
		t.Logf("kill %d: %s, %s", k+1, victim.name, why)
		c.restart(t, victim)
	}
	return interrupted
}

// waitFor polls cond every 100ms until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v", what, timeout)
		}
	}
}
