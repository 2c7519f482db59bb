package apptest_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/deploytrail/deploytrail/internal/apptest"
	cd "github.com/deploytrail/deploytrail/internal/codedeploy"
)

// simulatedHosts runs one agent per host in goroutines, through the host
// command queue's API as the agent command service will: poll, then
// acknowledge and complete each command, failing ValidateService for
// revisions named bad.zip. They stop when the test ends.
func simulatedHosts(t *testing.T, srv *apptest.Server, hosts ...string) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	sc := cd.Scope{Account: srv.Account(), Region: apptest.Region}
	for _, h := range hosts {
		wg.Go(func() { simulateHost(ctx, t, srv.App.CodeDeploy, sc, "arn:aws:iam::123456789012:user/"+h) })
	}
}

func simulateHost(ctx context.Context, t *testing.T, svc *cd.Service, sc cd.Scope, host string) {
	for ctx.Err() == nil {
		c, err := svc.PollHostCommand(ctx, sc, host)
		if err != nil || c == nil {
			if err != nil && ctx.Err() == nil {
				t.Errorf("poll: %v", err)
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if st, err := svc.AcknowledgeHostCommand(ctx, c.ID, false); err != nil || st != cd.CommandInProgress {
			t.Errorf("ack %s: %s, %v", c.CommandName, st, err)
			continue
		}
		status, diag := cd.CommandSucceeded, &cd.Diagnostics{ErrorCode: "Success", Message: "Succeeded"}
		if c.CommandName == "ValidateService" && c.Spec.Revision.S3Revision.Key == "bad.zip" {
			status, diag = cd.CommandFailed, &cd.Diagnostics{ErrorCode: "ScriptFailed", ScriptName: "scripts/validate.sh",
				Message: "Script at specified location: scripts/validate.sh run as user root failed with exit code 1", LogTail: "[stdout]health check failed"}
		}
		if err := svc.CompleteHostCommand(ctx, c.ID, status, diag); err != nil && ctx.Err() == nil {
			t.Errorf("complete %s: %v", c.CommandName, err)
		}
	}
}

// waitSucceeded waits for a deployment with the SDK's waiter, polling
// fast.
func waitSucceeded(c *codedeploy.Client, id string) error {
	w := codedeploy.NewDeploymentSuccessfulWaiter(c, func(o *codedeploy.DeploymentSuccessfulWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, 200*time.Millisecond
	})
	return w.Wait(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)}, 30*time.Second)
}

// TestEngine_DeploysAndRollsBack deploys to three simulated hosts, then
// deploys a revision whose ValidateService fails, which rolls back
// automatically to the first revision.
func TestEngine_DeploysAndRollsBack(t *testing.T) {
	srv, c := startCodeDeploy(t)
	newApp(t, c, "app", "")
	newProdGroup(t, c, "dg")
	hosts := []string{"web-1", "web-2", "web-3"}
	registerTagged(t, c, testTags("env", "prod"), hosts...)
	simulatedHosts(t, srv, hosts...)

	in := depInput()
	in.DeploymentConfigName = aws.String("CodeDeployDefault.HalfAtATime")
	good := createDep(t, c, in)
	fatalIf(t, waitSucceeded(c, good))
	d := getDep(t, c, good)
	if d.DeploymentOverview.Succeeded != 3 || d.StartTime.Sub(*d.CreateTime) > time.Second {
		t.Fatalf("overview=%+v, started %v after creation; want 3 Succeeded, started within a second", d.DeploymentOverview, d.StartTime.Sub(*d.CreateTime))
	}
	checkTargets(t, c, good, 3, types.TargetStatusSucceeded)

	bad := depInput()
	bad.Revision = s3Revision("bucket", "bad.zip")
	bad.AutoRollbackConfiguration = &types.AutoRollbackConfiguration{Enabled: true, Events: []types.AutoRollbackEvent{types.AutoRollbackEventDeploymentFailure}}
	failed := createDep(t, c, bad)
	if err := waitSucceeded(c, failed); err == nil {
		t.Fatalf("waiting on a failing deployment: err=nil, want the waiter's failure")
	}
	d = getDep(t, c, failed)
	if d.Status != types.DeploymentStatusFailed || d.ErrorInformation == nil || d.ErrorInformation.Code != types.ErrorCodeHealthConstraints ||
		d.RollbackInfo == nil || aws.ToString(d.RollbackInfo.RollbackDeploymentId) == "" {
		t.Fatalf("failed deployment=%s %+v %+v, want Failed, HEALTH_CONSTRAINTS and a rollback", d.Status, d.ErrorInformation, d.RollbackInfo)
	}
	checkFailedTarget(t, c, failed)
	rollback := aws.ToString(d.RollbackInfo.RollbackDeploymentId)
	fatalIf(t, waitSucceeded(c, rollback))
	r := getDep(t, c, rollback)
	if r.Creator != types.DeploymentCreatorCodeDeployRollback || aws.ToString(r.Revision.S3Location.Key) != "v1.zip" ||
		aws.ToString(r.RollbackInfo.RollbackTriggeringDeploymentId) != failed {
		t.Fatalf("rollback creator=%s revision=%s rollbackInfo=%+v, want codeDeployRollback of v1.zip for %s",
			r.Creator, aws.ToString(r.Revision.S3Location.Key), r.RollbackInfo, failed)
	}
	checkRollbackEvent(t, srv, rollback)
}

// checkTargets checks that every target ended with status, each of its
// lifecycle events Succeeded.
func checkTargets(t *testing.T, c *codedeploy.Client, id string, n int, status types.TargetStatus) {
	t.Helper()
	list, err := c.ListDeploymentTargets(ctx, &codedeploy.ListDeploymentTargetsInput{DeploymentId: aws.String(id)})
	fatalIf(t, err)
	if len(list.TargetIds) != n {
		t.Fatalf("targets=%v, want %d", list.TargetIds, n)
	}
	for _, tid := range list.TargetIds {
		out, err := c.GetDeploymentTarget(ctx, &codedeploy.GetDeploymentTargetInput{DeploymentId: aws.String(id), TargetId: aws.String(tid)})
		fatalIf(t, err)
		it := out.DeploymentTarget.InstanceTarget
		if it.Status != status || len(it.LifecycleEvents) != 7 {
			t.Fatalf("target %s=%s with %d events, want %s with 7", tid, it.Status, len(it.LifecycleEvents), status)
		}
		for _, e := range it.LifecycleEvents {
			if e.Status != types.LifecycleEventStatusSucceeded || e.StartTime == nil || e.EndTime == nil {
				t.Fatalf("target %s event %s=%s, want Succeeded with times", tid, aws.ToString(e.LifecycleEventName), e.Status)
			}
		}
	}
}

// checkFailedTarget checks that a failed target shows ValidateService's
// diagnostics.
func checkFailedTarget(t *testing.T, c *codedeploy.Client, id string) {
	t.Helper()
	failedTargets, err := c.ListDeploymentTargets(ctx, &codedeploy.ListDeploymentTargetsInput{DeploymentId: aws.String(id),
		TargetFilters: map[string][]string{"TargetStatus": {"Failed"}}})
	fatalIf(t, err)
	if len(failedTargets.TargetIds) == 0 {
		t.Fatalf("no Failed target")
	}
	out, err := c.GetDeploymentTarget(ctx, &codedeploy.GetDeploymentTargetInput{DeploymentId: aws.String(id), TargetId: aws.String(failedTargets.TargetIds[0])})
	fatalIf(t, err)
	e := out.DeploymentTarget.InstanceTarget.LifecycleEvents[6]
	if aws.ToString(e.LifecycleEventName) != "ValidateService" || e.Status != types.LifecycleEventStatusFailed || e.Diagnostics == nil ||
		e.Diagnostics.ErrorCode != types.LifecycleErrorCodeScriptFailed || aws.ToString(e.Diagnostics.LogTail) != "[stdout]health check failed" {
		t.Fatalf("ValidateService=%+v %+v, want Failed with the script's diagnostics", e, e.Diagnostics)
	}
}

// checkRollbackEvent checks that the trail records the rollback's
// CreateDeployment as made by CodeDeploy on the customer's behalf.
func checkRollbackEvent(t *testing.T, srv *apptest.Server, rollback string) {
	t.Helper()
	evs := lookup(t, srv.CloudTrail(srv.Root), &cloudtrail.LookupEventsInput{LookupAttributes: attrs("EventName", "CreateDeployment")})
	for _, e := range evs {
		rec := record(t, e)
		resp, _ := rec["responseElements"].(map[string]any)
		if resp == nil || resp["deploymentId"] != rollback {
			continue
		}
		id, _ := rec["userIdentity"].(map[string]any)
		req, _ := rec["requestParameters"].(map[string]any)
		if id["type"] != "AWSService" || id["invokedBy"] != "codedeploy.amazonaws.com" || rec["sourceIPAddress"] != "codedeploy.amazonaws.com" ||
			rec["tlsDetails"] != nil || req["deploymentGroupName"] != "dg" || rec["recipientAccountId"] != srv.Account() {
			t.Fatalf("rollback's CreateDeployment record=%v, want AWSService invoked by codedeploy.amazonaws.com", rec)
		}
		return
	}
	t.Fatalf("no CreateDeployment event for the rollback %s among %d", rollback, len(evs))
}

// TestEngine_ResumesAfterRestart stops the server in the middle of a
// deployment; the next server on the same data directory finishes it.
func TestEngine_ResumesAfterRestart(t *testing.T) {
	dir := t.TempDir()
	srv := apptest.StartIn(t, dir)
	root := srv.Root
	c := srv.CodeDeploy(root)
	newApp(t, c, "app", "")
	newProdGroup(t, c, "dg")
	registerTagged(t, c, testTags("env", "prod"), "web-1", "web-2")
	id := createDep(t, c, depInput())
	completeCommands(t, srv, "web-1", 3)
	srv.Stop()

	srv = apptest.StartIn(t, dir)
	srv.Root = root
	c = srv.CodeDeploy(root)
	if d := getDep(t, c, id); d.Status != types.DeploymentStatusInProgress {
		t.Fatalf("Status after the restart=%s, want InProgress", d.Status)
	}
	simulatedHosts(t, srv, "web-1", "web-2")
	fatalIf(t, waitSucceeded(c, id))
	checkTargets(t, c, id, 2, types.TargetStatusSucceeded)
}

// completeCommands runs n commands for a host, successfully.
func completeCommands(t *testing.T, srv *apptest.Server, host string, n int) {
	t.Helper()
	svc, sc := srv.App.CodeDeploy, cd.Scope{Account: srv.Account(), Region: apptest.Region}
	deadline := time.Now().Add(10 * time.Second)
	for n > 0 && time.Now().Before(deadline) {
		c, err := svc.PollHostCommand(ctx, sc, "arn:aws:iam::123456789012:user/"+host)
		fatalIf(t, err)
		if c == nil {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		_, err = svc.AcknowledgeHostCommand(ctx, c.ID, false)
		fatalIf(t, err)
		fatalIf(t, svc.CompleteHostCommand(ctx, c.ID, cd.CommandSucceeded, nil))
		n--
	}
	if n > 0 {
		t.Fatalf("%d commands for %s never came", n, host)
	}
}
