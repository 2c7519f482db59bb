package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/smithy-go"
)

// clients are one CodeDeploy client per node; each call goes to the next
// node, round-robin, as a load balancer would send it.
type clients struct {
	cd   []*codedeploy.Client
	next atomic.Uint64
}

func (c *clients) pick() *codedeploy.Client { return c.cd[c.next.Add(1)%uint64(len(c.cd))] }

// maxLoadApplications bounds the applications a load creates, under
// CodeDeploy's 1,000 per region; past it the workers only read and tag.
const maxLoadApplications = 600

// load is the mixed CodeDeploy load: workers create applications, tag
// half of them, give a quarter a deployment group, and read them back (one read in
// four of a missing application, an acknowledged client error), through
// every node, until stop closes. Calls cut off by a kill are retried
// with new names (never the same call again).
type load struct {
	c       *clients
	role    string // the deployment groups' service role
	account string
	budget  atomic.Int64
	wg      sync.WaitGroup
	mu      sync.Mutex
	errs    []error // answers no call should get
}

func startLoad(ctx context.Context, c *clients, account, role string, workers int, stop <-chan struct{}) *load {
	l := &load{c: c, role: role, account: account}
	l.budget.Store(maxLoadApplications)
	for w := range workers {
		l.wg.Go(func() { l.work(ctx, w, stop) })
	}
	return l
}

// wait ends the workers (stop must be closed) and returns the answers
// that were wrong.
func (l *load) wait() []error {
	l.wg.Wait()
	return l.errs
}

func (l *load) work(ctx context.Context, w int, stop <-chan struct{}) {
	last := ""
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		name := fmt.Sprintf("load-%d-%d", w, n)
		if l.budget.Add(-1) >= 0 && l.create(ctx, name) {
			last = name
			if n%2 == 0 { // one tag per application: at most 50 are allowed
				l.tag(ctx, name, n)
			}
			if n%4 == 1 {
				l.group(ctx, name)
			}
		}
		read, want := last, ""
		if n%4 == 0 || last == "" {
			read, want = name+"-missing", "ApplicationDoesNotExistException"
		}
		_, err := l.c.pick().GetApplication(withResource(ctx, "app:"+read), &codedeploy.GetApplicationInput{ApplicationName: &read})
		l.check("GetApplication", err, want)
		if n%8 == 3 {
			_, err := l.c.pick().ListApplications(ctx, &codedeploy.ListApplicationsInput{})
			l.check("ListApplications", err, "")
		}
	}
}

// create makes an application and reports whether it was acknowledged.
func (l *load) create(ctx context.Context, name string) bool {
	_, err := l.c.pick().CreateApplication(withResource(ctx, "app:"+name), &codedeploy.CreateApplicationInput{ApplicationName: &name})
	return l.check("CreateApplication", err, "") && err == nil
}

func (l *load) tag(ctx context.Context, app string, n int) {
	arn := fmt.Sprintf("arn:aws:codedeploy:us-east-1:%s:application:%s", l.account, app)
	_, err := l.c.pick().TagResource(withResource(ctx, fmt.Sprintf("tag:%s=%d", app, n)), &codedeploy.TagResourceInput{
		ResourceArn: &arn, Tags: []types.Tag{{Key: aws.String(fmt.Sprintf("n%d", n)), Value: aws.String(app)}}})
	l.check("TagResource", err, "")
}

func (l *load) group(ctx context.Context, app string) {
	_, err := l.c.pick().CreateDeploymentGroup(withResource(ctx, "group:"+app), &codedeploy.CreateDeploymentGroupInput{
		ApplicationName: &app, DeploymentGroupName: aws.String("g"), ServiceRoleArn: &l.role})
	// A group created by a call that was cut off is there already.
	l.check("CreateDeploymentGroup", err, "", "DeploymentGroupAlreadyExistsException")
}

// check keeps err if it is an answer other than a success or one of the
// codes expected; cut-off calls and the store's 5xx answers (a store
// that is restarting) are not wrong. It returns whether it was answered.
func (l *load) check(op string, err error, want string, alsoOK ...string) bool {
	if !answered(err) {
		time.Sleep(50 * time.Millisecond) // its node is down: no busy loop
		return false
	}
	code := ""
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	if serverFault(err) {
		time.Sleep(50 * time.Millisecond) // its store is down: no busy loop
		return true
	}
	if code == want || slices.Contains(alsoOK, code) {
		return true
	}
	l.mu.Lock()
	l.errs = append(l.errs, fmt.Errorf("%s: %v, want %q", op, err, want))
	l.mu.Unlock()
	return true
}

// serverFault reports an answer with a 5xx status: the node could not
// reach its store, or was stopping.
func serverFault(err error) bool {
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() >= 500
}
