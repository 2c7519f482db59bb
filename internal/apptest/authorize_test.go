package apptest_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/deploytrail/deploytrail/internal/apptest"
	cd "github.com/deploytrail/deploytrail/internal/codedeploy"
)

// flakyStore is the real CodeDeploy store, except that the next lookup of
// one deployment fails once, as a transient database error would.
type flakyStore struct {
	cd.Store
	failNext atomic.Pointer[string]
}

var errInjected = errors.New("injected: database is locked")

func (s *flakyStore) Deployment(ctx context.Context, id string) (*cd.Deployment, error) {
	if p := s.failNext.Load(); p != nil && *p == id && s.failNext.CompareAndSwap(p, nil) {
		return nil, errInjected
	}
	return s.Store.Deployment(ctx, id)
}

// A failed lookup of the resource an operation is authorized on fails the
// call: it must not be authorized on "*", which would skip the caller's
// explicit Deny on the deployment group's ARN.
func TestAuthorization_LookupErrorFailsClosed(t *testing.T) {
	flaky := &flakyStore{}
	srv := apptest.Start(t, apptest.WithoutEngine(), apptest.WithCodeDeployStore(func(s cd.Store) cd.Store {
		flaky.Store = s
		return flaky
	}))
	root := srv.CodeDeploy(srv.Root)
	newApp(t, root, "app", "")
	newProdGroup(t, root, "dg")
	registerTagged(t, root, testTags("env", "prod"), "web-1")
	id := createDep(t, root, depInput())

	groupARN := "arn:aws:codedeploy:" + apptest.Region + ":" + srv.Account() + ":deploymentgroup:app/dg"
	ops := srv.CodeDeploy(newUser(t, srv, "ops", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"codedeploy:*","Resource":"*"},
		{"Effect":"Deny","Action":"codedeploy:StopDeployment","Resource":"`+groupARN+`"}]}`))
	stop := func() error {
		_, err := ops.StopDeployment(ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id)})
		return err
	}

	wantCode(t, stop(), "AccessDeniedException") // the Deny holds while the store works
	flaky.failNext.Store(&id)
	if msg := wantCode(t, stop(), "InternalFailure"); strings.Contains(msg, "injected") {
		t.Errorf("message %q shows the internal error", msg)
	}
	if flaky.failNext.Load() != nil {
		t.Fatal("the injected failure was not reached")
	}
	if d := getDep(t, root, id); d.Status != types.DeploymentStatusCreated {
		t.Fatalf("Status=%s after the failed StopDeployment, want Created (unchanged)", d.Status)
	}
	wantLoggedFailure(t, srv)
}

// wantLoggedFailure checks that the failed call is in the event history
// like any other failure, as ops's StopDeployment with InternalFailure.
func wantLoggedFailure(t *testing.T, srv *apptest.Server) {
	t.Helper()
	evs := lookup(t, srv.CloudTrail(srv.Root), &cloudtrail.LookupEventsInput{LookupAttributes: attrs("EventName", "StopDeployment")})
	var codes []string
	for _, e := range evs {
		rec := record(t, e)
		code, _ := rec["errorCode"].(string)
		codes = append(codes, code)
		if strings.Contains(aws.ToString(e.CloudTrailEvent), "injected") {
			t.Errorf("event %s shows the internal error", aws.ToString(e.CloudTrailEvent))
		}
	}
	if len(codes) != 2 || codes[0] != "InternalFailure" || codes[1] != "AccessDeniedException" {
		t.Fatalf("StopDeployment events' errorCode=%q (newest first), want [InternalFailure AccessDeniedException]", codes)
	}
}
