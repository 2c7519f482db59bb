package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/smithy-go"
)

// createProdGroup makes application "web" with group "prod" of the
// hosts tagged group=prod, deploying to all at once.
func createProdGroup(t *testing.T, cd *codedeploy.Client, role string) {
	t.Helper()
	if _, err := cd.CreateApplication(t.Context(), &codedeploy.CreateApplicationInput{ApplicationName: aws.String("web")}); err != nil {
		t.Fatalf("CreateApplication web: %v", err)
	}
	if _, err := cd.CreateDeploymentGroup(t.Context(), &codedeploy.CreateDeploymentGroupInput{
		ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("prod"), ServiceRoleArn: &role,
		DeploymentConfigName: aws.String("CodeDeployDefault.AllAtOnce"),
		OnPremisesInstanceTagFilters: []types.TagFilter{{Key: aws.String("group"), Value: aws.String("prod"),
			Type: types.TagFilterTypeKeyAndValue}},
	}); err != nil {
		t.Fatalf("CreateDeploymentGroup prod: %v", err)
	}
}

// deployer deploys the bundle to group "prod" again and again, one
// deployment at a time, through every node, until stop closes.
type deployer struct {
	c       *clients
	mu      sync.Mutex
	running string // the deployment last seen InProgress, "" between deployments
	started int
	wg      sync.WaitGroup
}

func startDeployer(ctx context.Context, c *clients, stop <-chan struct{}) *deployer {
	d := &deployer{c: c}
	d.wg.Go(func() { d.run(ctx, stop) })
	return d
}

func (d *deployer) run(ctx context.Context, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		out, err := d.c.pick().CreateDeployment(withResource(ctx, "deployment:web/prod"), &codedeploy.CreateDeploymentInput{
			ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("prod"),
			Revision: &types.RevisionLocation{RevisionType: types.RevisionLocationTypeS3, S3Location: &types.S3Location{
				Bucket: aws.String(bundleBucket), Key: aws.String(bundleKey), BundleType: types.BundleTypeZip}},
		})
		var apiErr smithy.APIError
		switch {
		case err == nil:
			d.mu.Lock()
			d.started++
			d.mu.Unlock()
			d.follow(ctx, aws.ToString(out.DeploymentId), stop)
		case errors.As(err, &apiErr):
			// An earlier create whose answer was cut off made a deployment
			// that is active still; the final check waits for it.
			time.Sleep(time.Second)
		default:
			time.Sleep(200 * time.Millisecond)
		}
	}
}

// follow polls the deployment until it ends or stop closes, noting when
// it runs.
func (d *deployer) follow(ctx context.Context, id string, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(300 * time.Millisecond):
		}
		out, err := d.c.pick().GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: &id})
		if err != nil {
			continue
		}
		status := out.DeploymentInfo.Status
		d.mu.Lock()
		d.running = ""
		if status == types.DeploymentStatusInProgress {
			d.running = id
		}
		d.mu.Unlock()
		if ended(status) {
			return
		}
	}
}

// inProgress waits up to timeout for a deployment in progress and
// returns its id ("" if none came).
func (d *deployer) inProgress(timeout time.Duration) string {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		d.mu.Lock()
		id := d.running
		d.mu.Unlock()
		if id != "" {
			return id
		}
	}
	return ""
}

func ended(s types.DeploymentStatus) bool {
	return s == types.DeploymentStatusSucceeded || s == types.DeploymentStatusFailed || s == types.DeploymentStatusStopped
}

// checkDeployments waits for every deployment of web/prod (also those
// created by a call that was cut off) to end, and checks that each
// succeeded on every host, the interrupted ones among them.
func checkDeployments(t *testing.T, c *clients, hosts []*host, interrupted []string) {
	t.Helper()
	ctx := t.Context()
	var ids []string
	pages := codedeploy.NewListDeploymentsPaginator(c.pick(), &codedeploy.ListDeploymentsInput{
		ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("prod")})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListDeployments: %v", err)
		}
		ids = append(ids, page.Deployments...)
	}
	for _, id := range interrupted {
		if !slices.Contains(ids, id) {
			t.Errorf("deployment %s, running when its engine's node was killed, is not listed", id)
		}
	}
	for _, id := range ids {
		var info *types.DeploymentInfo
		deadline := time.Now().Add(3 * time.Minute)
		for info == nil || !ended(info.Status) {
			if time.Now().After(deadline) {
				t.Fatalf("deployment %s still %s after 3 min\n%s", id, info.Status, hostLogs(hosts))
			}
			time.Sleep(250 * time.Millisecond)
			out, err := c.pick().GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: &id})
			if err == nil {
				info = out.DeploymentInfo
			}
		}
		if info.Status != types.DeploymentStatusSucceeded {
			t.Errorf("deployment %s: %s (%v)\n%s", id, info.Status, errorInfo(info), hostLogs(hosts))
		}
	}
	for _, h := range hosts {
		if !h.deployed() {
			t.Errorf("host %s lacks the revision's files", h.name)
		}
	}
	t.Logf("%d deployments, all Succeeded on %d hosts; %d interrupted by killing their engine's node", len(ids), len(hosts), len(interrupted))
}

func errorInfo(info *types.DeploymentInfo) string {
	if info.ErrorInformation == nil {
		return "no error information"
	}
	return fmt.Sprintf("%s: %s", info.ErrorInformation.Code, aws.ToString(info.ErrorInformation.Message))
}

func hostLogs(hosts []*host) string {
	var b []byte
	for _, h := range hosts {
		b = fmt.Appendf(b, "--- agent %s:\n%s\n", h.name, h.log.tail(3000))
	}
	return string(b)
}
