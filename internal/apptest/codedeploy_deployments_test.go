package apptest_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

func stopDep(t *testing.T, c *codedeploy.Client, id string) {
	t.Helper()
	noErr(t)(c.StopDeployment(ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id)}))
}

func TestCreateDeployment(t *testing.T) {
	srv, c := deployEnv(t, "web-1", "web-2")
	in := depInput()
	in.Description = aws.String("first")
	id := createDep(t, c, in)
	if !strings.HasPrefix(id, "d-") || len(id) != 11 {
		t.Fatalf("deploymentId=%s, want d- and 9 characters", id)
	}
	d := getDep(t, c, id)
	if d.Status != types.DeploymentStatusCreated || d.Creator != types.DeploymentCreatorUser || aws.ToString(d.Description) != "first" {
		t.Fatalf("Status, Creator, Description=%s, %s, %s, want Created, user, first", d.Status, d.Creator, aws.ToString(d.Description))
	}
	if o := d.DeploymentOverview; o == nil || o.Pending != 2 || o.Succeeded+o.InProgress+o.Failed+o.Skipped != 0 {
		t.Fatalf("DeploymentOverview=%+v, want 2 Pending", o)
	}
	if aws.ToString(d.DeploymentConfigName) != "CodeDeployDefault.OneAtATime" || d.FileExistsBehavior != types.FileExistsBehaviorDisallow ||
		d.ComputePlatform != types.ComputePlatformServer || d.DeploymentStyle.DeploymentType != types.DeploymentTypeInPlace ||
		d.DeploymentStyle.DeploymentOption != types.DeploymentOptionWithoutTrafficControl || d.IgnoreApplicationStopFailures {
		t.Fatalf("effective settings=%s %s %s %+v %v, want the defaults", aws.ToString(d.DeploymentConfigName), d.FileExistsBehavior,
			d.ComputePlatform, d.DeploymentStyle, d.IgnoreApplicationStopFailures)
	}
	if d.CreateTime == nil || time.Since(*d.CreateTime) > time.Minute || d.StartTime != nil || d.PreviousRevision != nil {
		t.Fatalf("CreateTime=%v StartTime=%v PreviousRevision=%v, want now, none, none", d.CreateTime, d.StartTime, d.PreviousRevision)
	}
	if aws.ToString(d.Revision.S3Location.Key) != "v1.zip" {
		t.Fatalf("Revision=%+v, want v1.zip", d.Revision.S3Location)
	}
	g, err := c.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("dg")})
	fatalIf(t, err)
	if last := g.DeploymentGroupInfo.LastAttemptedDeployment; last == nil || aws.ToString(last.DeploymentId) != id || last.Status != types.DeploymentStatusCreated {
		t.Fatalf("LastAttemptedDeployment=%+v, want %s Created", last, id)
	}
	rev, err := c.GetApplicationRevision(ctx, &codedeploy.GetApplicationRevisionInput{ApplicationName: aws.String("app"), Revision: s3Revision("bucket", "v1.zip")})
	fatalIf(t, err)
	if got := aws.ToString(rev.RevisionInfo.Description); got != "Application revision registered by Deployment ID: "+id {
		t.Fatalf("implicit registration Description=%q", got)
	}

	t.Run("PreviousRevision", func(t *testing.T) {
		succeedDep(t, srv, id, "web-1", "web-2")
		in := depInput()
		in.Revision = nil // the group's target revision, v1.zip
		d := getDep(t, c, createDep(t, c, in))
		if aws.ToString(d.Revision.S3Location.Key) != "v1.zip" || d.PreviousRevision == nil || aws.ToString(d.PreviousRevision.S3Location.Key) != "v1.zip" {
			t.Fatalf("Revision=%+v PreviousRevision=%+v, want v1.zip both", d.Revision, d.PreviousRevision)
		}
	})
}

func TestCreateDeploymentErrors(t *testing.T) {
	_, c := deployEnv(t)
	newApp(t, c, "fn", types.ComputePlatformLambda)
	newGroup(t, c, "fn", "fg")
	alarms := make([]types.Alarm, 11)
	for i := range alarms {
		alarms[i] = types.Alarm{Name: aws.String(fmt.Sprint("alarm-", i))}
	}
	tests := []struct {
		name   string
		change func(in *codedeploy.CreateDeploymentInput)
		code   string
	}{
		{"unknown application", func(in *codedeploy.CreateDeploymentInput) { in.ApplicationName = aws.String("nope") }, "ApplicationDoesNotExistException"},
		{"invalid application name", func(in *codedeploy.CreateDeploymentInput) { in.ApplicationName = aws.String("a b") }, "InvalidApplicationNameException"},
		{"no group", func(in *codedeploy.CreateDeploymentInput) { in.DeploymentGroupName = nil }, "DeploymentGroupNameRequiredException"},
		{"unknown group", func(in *codedeploy.CreateDeploymentInput) { in.DeploymentGroupName = aws.String("nope") }, "DeploymentGroupDoesNotExistException"},
		{"no revision", func(in *codedeploy.CreateDeploymentInput) { in.Revision = nil }, "RevisionRequiredException"},
		{"String revision on Server", func(in *codedeploy.CreateDeploymentInput) {
			in.Revision = &types.RevisionLocation{RevisionType: types.RevisionLocationTypeString, String_: &types.RawString{Content: aws.String("x")}}
		}, "InvalidRevisionException"},
		{"unknown config", func(in *codedeploy.CreateDeploymentInput) { in.DeploymentConfigName = aws.String("Nope") }, "DeploymentConfigDoesNotExistException"},
		{"Lambda config on Server", func(in *codedeploy.CreateDeploymentInput) {
			in.DeploymentConfigName = aws.String("CodeDeployDefault.LambdaAllAtOnce")
		}, "InvalidDeploymentConfigNameException"},
		{"description too long", func(in *codedeploy.CreateDeploymentInput) { in.Description = aws.String(strings.Repeat("x", 257)) }, "DescriptionTooLongException"},
		{"fileExistsBehavior", func(in *codedeploy.CreateDeploymentInput) { in.FileExistsBehavior = "CLOBBER" }, "InvalidFileExistsBehaviorException"},
		{"targetInstances in place", func(in *codedeploy.CreateDeploymentInput) {
			in.TargetInstances = &types.TargetInstances{AutoScalingGroups: []string{"asg"}}
		}, "InvalidTargetInstancesException"},
		{"alarms enabled without alarms", func(in *codedeploy.CreateDeploymentInput) {
			in.OverrideAlarmConfiguration = &types.AlarmConfiguration{Enabled: true}
		}, "InvalidAlarmConfigException"},
		{"too many alarms", func(in *codedeploy.CreateDeploymentInput) {
			in.OverrideAlarmConfiguration = &types.AlarmConfiguration{Enabled: true, Alarms: alarms}
		}, "AlarmsLimitExceededException"},
		{"rollback without events", func(in *codedeploy.CreateDeploymentInput) {
			in.AutoRollbackConfiguration = &types.AutoRollbackConfiguration{Enabled: true}
		}, "InvalidAutoRollbackConfigException"},
		{"unknown rollback event", func(in *codedeploy.CreateDeploymentInput) {
			in.AutoRollbackConfiguration = &types.AutoRollbackConfiguration{Events: []types.AutoRollbackEvent{"DEPLOYMENT_SUNNY"}}
		}, "InvalidAutoRollbackConfigException"},
		{"Lambda ignoreApplicationStopFailures", func(in *codedeploy.CreateDeploymentInput) {
			in.ApplicationName, in.DeploymentGroupName, in.IgnoreApplicationStopFailures = aws.String("fn"), aws.String("fg"), true
			in.Revision = &types.RevisionLocation{RevisionType: types.RevisionLocationTypeAppSpecContent, AppSpecContent: &types.AppSpecContent{Content: aws.String("{}")}}
		}, "InvalidIgnoreApplicationStopFailuresValueException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := depInput()
			tt.change(in)
			_, err := c.CreateDeployment(ctx, in)
			wantCode(t, err, tt.code)
		})
	}
	list, err := c.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{})
	fatalIf(t, err)
	if len(list.Deployments) != 0 {
		t.Fatalf("Deployments=%v after refused requests, want none", list.Deployments)
	}
}

func TestDeploymentLimitExceeded(t *testing.T) {
	_, c := deployEnv(t, "web-1")
	first := createDep(t, c, depInput())
	_, err := c.CreateDeployment(ctx, depInput())
	msg := wantCode(t, err, "DeploymentLimitExceededException")
	if !strings.Contains(msg, first) {
		t.Fatalf("message=%q, want it to name the active deployment %s", msg, first)
	}
	newProdGroup(t, c, "other")
	in := depInput()
	in.DeploymentGroupName = aws.String("other")
	createDep(t, c, in) // the limit is per group

	stopDep(t, c, first)
	createDep(t, c, depInput())
}

// TestDeploymentLimitExceeded_Concurrent: CreateDeployment calls for one
// group racing through the SDK create exactly one deployment; every other
// call gets DeploymentLimitExceededException naming it.
func TestDeploymentLimitExceeded_Concurrent(t *testing.T) {
	_, c := deployEnv(t, "web-1")
	const calls = 16
	ids, errs := make([]string, calls), make([]error, calls)
	var wg sync.WaitGroup
	for i := range calls {
		wg.Go(func() {
			out, err := c.CreateDeployment(ctx, depInput())
			if errs[i] = err; err == nil {
				ids[i] = aws.ToString(out.DeploymentId)
			}
		})
	}
	wg.Wait()
	var winner string
	for i, id := range ids {
		if errs[i] == nil && winner != "" {
			t.Fatalf("both %s and %s were created for one group", winner, id)
		}
		if errs[i] == nil {
			winner = id
		}
	}
	if winner == "" {
		t.Fatalf("no call created a deployment: %v", errs)
	}
	for _, err := range errs {
		if err == nil {
			continue
		}
		if msg := wantCode(t, err, "DeploymentLimitExceededException"); !strings.Contains(msg, winner) {
			t.Errorf("message=%q, want it to name the active deployment %s", msg, winner)
		}
	}
	list, err := c.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("dg")})
	fatalIf(t, err)
	if len(list.Deployments) != 1 || list.Deployments[0] != winner {
		t.Fatalf("ListDeployments=%v, want only %s", list.Deployments, winner)
	}
}

func TestGetDeployments(t *testing.T) {
	_, c := deployEnv(t)
	id := createDep(t, c, depInput())
	tests := []struct {
		name string
		id   *string
		code string
	}{
		{"missing", aws.String(""), "DeploymentIdRequiredException"},
		{"malformed", aws.String("d-lower"), "InvalidDeploymentIdException"},
		{"unknown", aws.String("d-AAAAAAAAA"), "DeploymentDoesNotExistException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: tt.id})
			wantCode(t, err, tt.code)
		})
	}
	t.Run("MalformedMessage", func(t *testing.T) {
		_, err := c.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String("bogus-deployment")})
		if msg := wantCode(t, err, "InvalidDeploymentIdException"); msg != "Specified DeploymentId is not in the valid format: bogus-deployment" {
			t.Errorf("message=%q, want AWS's", msg)
		}
	})
	t.Run("Batch", func(t *testing.T) {
		out, err := c.BatchGetDeployments(ctx, &codedeploy.BatchGetDeploymentsInput{DeploymentIds: []string{"d-AAAAAAAAA", id}})
		fatalIf(t, err)
		if len(out.DeploymentsInfo) != 1 || aws.ToString(out.DeploymentsInfo[0].DeploymentId) != id {
			t.Fatalf("DeploymentsInfo=%v, want only %s", out.DeploymentsInfo, id)
		}
		_, err = c.BatchGetDeployments(ctx, &codedeploy.BatchGetDeploymentsInput{DeploymentIds: []string{}})
		wantCode(t, err, "DeploymentIdRequiredException")
		_, err = c.BatchGetDeployments(ctx, &codedeploy.BatchGetDeploymentsInput{DeploymentIds: []string{id, "bad"}})
		wantCode(t, err, "InvalidDeploymentIdException")
		_, err = c.BatchGetDeployments(ctx, &codedeploy.BatchGetDeploymentsInput{DeploymentIds: slices.Repeat([]string{id}, 101)})
		wantCode(t, err, "BatchLimitExceededException")
	})
}

func TestListDeployments(t *testing.T) {
	_, c := deployEnv(t)
	var ids []string
	for range 101 {
		id := createDep(t, c, depInput())
		stopDep(t, c, id)
		ids = append(ids, id)
	}
	newProdGroup(t, c, "other")
	in := depInput()
	in.DeploymentGroupName = aws.String("other")
	active := createDep(t, c, in)

	t.Run("Paged", func(t *testing.T) {
		got, pages := listDeps(t, c, &codedeploy.ListDeploymentsInput{})
		if len(got) != 102 || pages != 2 {
			t.Fatalf("listed %d in %d pages, want 102 in 2", len(got), pages)
		}
		if got[0] != active {
			t.Fatalf("first=%s, want the newest %s", got[0], active)
		}
		checkNewestFirst(t, c, got)
	})
	t.Run("Filters", func(t *testing.T) {
		tests := []struct {
			name string
			in   *codedeploy.ListDeploymentsInput
			want int
		}{
			{"group", &codedeploy.ListDeploymentsInput{ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("other")}, 1},
			{"stopped", &codedeploy.ListDeploymentsInput{IncludeOnlyStatuses: []types.DeploymentStatus{types.DeploymentStatusStopped}}, 101},
			{"created in dg", &codedeploy.ListDeploymentsInput{ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("dg"),
				IncludeOnlyStatuses: []types.DeploymentStatus{types.DeploymentStatusCreated}}, 0},
			{"future", &codedeploy.ListDeploymentsInput{CreateTimeRange: &types.TimeRange{Start: aws.Time(time.Now().Add(time.Hour))}}, 0},
			{"past", &codedeploy.ListDeploymentsInput{CreateTimeRange: &types.TimeRange{End: aws.Time(time.Now().Add(time.Hour))}}, 102},
			{"externalId", &codedeploy.ListDeploymentsInput{ExternalId: aws.String("stack")}, 0},
		}
		for _, tt := range tests {
			if got, _ := listDeps(t, c, tt.in); len(got) != tt.want {
				t.Fatalf("%s: listed %d, want %d", tt.name, len(got), tt.want)
			}
		}
	})
	t.Run("Errors", func(t *testing.T) {
		now := time.Now()
		tests := []struct {
			name string
			in   *codedeploy.ListDeploymentsInput
			code string
		}{
			{"app without group", &codedeploy.ListDeploymentsInput{ApplicationName: aws.String("app")}, "DeploymentGroupNameRequiredException"},
			{"group without app", &codedeploy.ListDeploymentsInput{DeploymentGroupName: aws.String("dg")}, "ApplicationNameRequiredException"},
			{"unknown group", &codedeploy.ListDeploymentsInput{ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("x")}, "DeploymentGroupDoesNotExistException"},
			{"status", &codedeploy.ListDeploymentsInput{IncludeOnlyStatuses: []types.DeploymentStatus{"Sleeping"}}, "InvalidDeploymentStatusException"},
			{"time range", &codedeploy.ListDeploymentsInput{CreateTimeRange: &types.TimeRange{Start: aws.Time(now), End: aws.Time(now.Add(-time.Hour))}}, "InvalidTimeRangeException"},
			{"token", &codedeploy.ListDeploymentsInput{NextToken: aws.String("forged.token")}, "InvalidNextTokenException"},
		}
		for _, tt := range tests {
			_, err := c.ListDeployments(ctx, tt.in)
			wantCode(t, err, tt.code)
		}
	})
}

// listDeps lists every page of deployments.
func listDeps(t *testing.T, c *codedeploy.Client, in *codedeploy.ListDeploymentsInput) (ids []string, pages int) {
	t.Helper()
	return allPages(t, codedeploy.NewListDeploymentsPaginator(c, in),
		func(out *codedeploy.ListDeploymentsOutput) []string { return out.Deployments })
}

// checkNewestFirst checks that ids are ordered by createTime, newest first.
func checkNewestFirst(t *testing.T, c *codedeploy.Client, ids []string) {
	t.Helper()
	var last time.Time
	for chunk := range slices.Chunk(ids, 100) {
		out, err := c.BatchGetDeployments(ctx, &codedeploy.BatchGetDeploymentsInput{DeploymentIds: chunk})
		fatalIf(t, err)
		for _, d := range out.DeploymentsInfo {
			if !last.IsZero() && d.CreateTime.After(last) {
				t.Fatalf("%s created %v after its predecessor %v", aws.ToString(d.DeploymentId), *d.CreateTime, last)
			}
			last = *d.CreateTime
		}
	}
}

func TestStopDeployment(t *testing.T) {
	srv, c := deployEnv(t, "web-1", "web-2")
	stop := func(id string, rollback *bool) *codedeploy.StopDeploymentOutput {
		t.Helper()
		out, err := c.StopDeployment(ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id), AutoRollbackEnabled: rollback})
		fatalIf(t, err)
		return out
	}

	t.Run("NotStarted", func(t *testing.T) {
		id := createDep(t, c, depInput())
		out := stop(id, nil)
		if out.Status != types.StopStatusSucceeded || aws.ToString(out.StatusMessage) != "No more commands will be scheduled for execution in the deployment instances" {
			t.Fatalf("stop=%s %q, want Succeeded", out.Status, aws.ToString(out.StatusMessage))
		}
		d := getDep(t, c, id)
		if d.Status != types.DeploymentStatusStopped || d.CompleteTime == nil || d.ErrorInformation == nil || d.ErrorInformation.Code != types.ErrorCodeManualStop {
			t.Fatalf("Status=%s CompleteTime=%v ErrorInformation=%+v, want Stopped MANUAL_STOP", d.Status, d.CompleteTime, d.ErrorInformation)
		}
		if d.DeploymentOverview.Skipped != 2 || d.DeploymentOverview.Pending != 0 || d.RollbackInfo != nil {
			t.Fatalf("DeploymentOverview=%+v RollbackInfo=%+v, want 2 Skipped, no rollback", d.DeploymentOverview, d.RollbackInfo)
		}
		_, err := c.StopDeployment(ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id)})
		wantCode(t, err, "DeploymentAlreadyCompletedException")
	})
	t.Run("NoPreviousRevision", func(t *testing.T) {
		id := createDep(t, c, depInput())
		stop(id, aws.Bool(true))
		if ri := getDep(t, c, id).RollbackInfo; ri == nil || aws.ToString(ri.RollbackMessage) == "" || ri.RollbackDeploymentId != nil {
			t.Fatalf("RollbackInfo=%+v, want only a message", ri)
		}
	})
	t.Run("Rollback", func(t *testing.T) {
		succeedDep(t, srv, createDep(t, c, depInput()), "web-1", "web-2")
		in := depInput()
		in.Revision = s3Revision("bucket", "v2.zip")
		in.AutoRollbackConfiguration = &types.AutoRollbackConfiguration{Enabled: true,
			Events: []types.AutoRollbackEvent{types.AutoRollbackEventDeploymentStopOnRequest}}
		id := createDep(t, c, in)
		fatalIf(t, srv.App.CodeDeploy.StartDeployment(ctx, id))
		stop(id, nil)
		ri := getDep(t, c, id).RollbackInfo
		if ri == nil || ri.RollbackDeploymentId == nil {
			t.Fatalf("RollbackInfo=%+v, want a rollback deployment", ri)
		}
		r := getDep(t, c, aws.ToString(ri.RollbackDeploymentId))
		if r.Creator != types.DeploymentCreatorCodeDeployRollback || aws.ToString(r.Revision.S3Location.Key) != "v1.zip" ||
			aws.ToString(r.RollbackInfo.RollbackTriggeringDeploymentId) != id || r.Status != types.DeploymentStatusCreated {
			t.Fatalf("rollback=%s %s %+v %s, want codeDeployRollback of v1.zip triggered by %s", r.Creator,
				aws.ToString(r.Revision.S3Location.Key), r.RollbackInfo, r.Status, id)
		}
		stop(aws.ToString(r.DeploymentId), aws.Bool(false))
	})
	t.Run("RollbackRefused", func(t *testing.T) {
		in := depInput()
		in.AutoRollbackConfiguration = &types.AutoRollbackConfiguration{Enabled: true,
			Events: []types.AutoRollbackEvent{types.AutoRollbackEventDeploymentStopOnRequest}}
		id := createDep(t, c, in)
		stop(id, aws.Bool(false))
		if ri := getDep(t, c, id).RollbackInfo; ri != nil {
			t.Fatalf("RollbackInfo=%+v, want none when refused", ri)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		_, err := c.StopDeployment(ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String("d-AAAAAAAAA")})
		wantCode(t, err, "DeploymentDoesNotExistException")
		_, err = c.StopDeployment(ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String("nope")})
		wantCode(t, err, "InvalidDeploymentIdException")
	})
}

func TestDeploymentTypeActions(t *testing.T) {
	srv, c := deployEnv(t, "web-1")
	created := createDep(t, c, depInput())
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"continue in place", func() error {
			_, err := c.ContinueDeployment(ctx, &codedeploy.ContinueDeploymentInput{DeploymentId: aws.String(created)})
			return err
		}, "UnsupportedActionForDeploymentTypeException"},
		{"continue wait type", func() error {
			_, err := c.ContinueDeployment(ctx, &codedeploy.ContinueDeploymentInput{DeploymentId: aws.String(created), DeploymentWaitType: "NAP_WAIT"})
			return err
		}, "InvalidDeploymentWaitTypeException"},
		{"skip wait not started", func() error {
			_, err := c.SkipWaitTimeForInstanceTermination(ctx, &codedeploy.SkipWaitTimeForInstanceTerminationInput{DeploymentId: aws.String(created)})
			return err
		}, "DeploymentNotStartedException"},
		{"hook on Server", func() error {
			_, err := c.PutLifecycleEventHookExecutionStatus(ctx, &codedeploy.PutLifecycleEventHookExecutionStatusInput{
				DeploymentId: aws.String(created), LifecycleEventHookExecutionId: aws.String("h"), Status: types.LifecycleEventStatusSucceeded})
			return err
		}, "UnsupportedActionForDeploymentTypeException"},
		{"skip wait in place", func() error {
			fatalIf(t, srv.App.CodeDeploy.StartDeployment(ctx, created))
			_, err := c.SkipWaitTimeForInstanceTermination(ctx, &codedeploy.SkipWaitTimeForInstanceTerminationInput{DeploymentId: aws.String(created)})
			return err
		}, "UnsupportedActionForDeploymentTypeException"},
		{"continue completed", func() error {
			stopDep(t, c, created)
			_, err := c.ContinueDeployment(ctx, &codedeploy.ContinueDeploymentInput{DeploymentId: aws.String(created)})
			return err
		}, "DeploymentAlreadyCompletedException"},
	}
	for _, tt := range tests { // in order: the later cases move the deployment on
		wantCode(t, tt.call(), tt.code)
	}
}

// TestDeploymentWaiter checks the contract of `aws deploy wait
// deployment-successful`: the SDK waiter ends on the statuses we report.
func TestDeploymentWaiter(t *testing.T) {
	srv, c := deployEnv(t, "web-1")
	w := codedeploy.NewDeploymentSuccessfulWaiter(c, func(o *codedeploy.DeploymentSuccessfulWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
	})
	id := createDep(t, c, depInput())
	succeedDep(t, srv, id, "web-1")
	fatalIf(t, w.Wait(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)}, 5*time.Second))

	stopped := createDep(t, c, depInput())
	stopDep(t, c, stopped)
	if err := w.Wait(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(stopped)}, 5*time.Second); err == nil || !strings.Contains(err.Error(), "Failure") {
		t.Fatalf("waiting on a Stopped deployment: err=%v, want the waiter's failure state", err)
	}
}

func TestDeploymentAuthorization(t *testing.T) {
	srv, c := deployEnv(t)
	newProdGroup(t, c, "other")
	in := depInput()
	in.DeploymentGroupName = aws.String("other")
	other := createDep(t, c, in)
	arn := "arn:aws:codedeploy:us-east-1:" + srv.Account() + ":deploymentgroup:app/dg"
	scoped := srv.CodeDeploy(newUser(t, srv, "deployer", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Action":["codedeploy:CreateDeployment","codedeploy:GetDeployment","codedeploy:StopDeployment"],"Resource":"`+arn+`"}]}`))
	id := createDep(t, scoped, depInput())
	getDep(t, scoped, id)
	stopDep(t, scoped, id)

	_, err := scoped.CreateDeployment(ctx, in)
	wantCode(t, err, "AccessDeniedException")
	_, err = scoped.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(other)})
	wantCode(t, err, "AccessDeniedException")
	_, err = scoped.StopDeployment(ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(other)})
	wantCode(t, err, "AccessDeniedException")
	_, err = scoped.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{})
	wantCode(t, err, "AccessDeniedException")
	_, err = srv.CodeDeploy(newUser(t, srv, "nobody", "")).GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	wantCode(t, err, "AccessDeniedException")
	if d := getDep(t, c, other); d.Status != types.DeploymentStatusCreated {
		t.Fatalf("Status=%s after a refused stop, want Created", d.Status)
	}
}

func TestLambdaDeployment(t *testing.T) {
	_, c := deployEnv(t)
	newApp(t, c, "fn", types.ComputePlatformLambda)
	newGroup(t, c, "fn", "fg")
	id := createDep(t, c, &codedeploy.CreateDeploymentInput{ApplicationName: aws.String("fn"), DeploymentGroupName: aws.String("fg"),
		Revision: &types.RevisionLocation{RevisionType: types.RevisionLocationTypeAppSpecContent, AppSpecContent: &types.AppSpecContent{Content: aws.String("version: 0.0")}}})

	d := getDep(t, c, id)
	if ac := d.Revision.AppSpecContent; ac == nil || ac.Content != nil || len(aws.ToString(ac.Sha256)) != 64 {
		t.Fatalf("AppSpecContent=%+v, want only the sha256", ac)
	}
	if d.ComputePlatform != types.ComputePlatformLambda || d.DeploymentStyle.DeploymentType != types.DeploymentTypeBlueGreen ||
		!strings.HasPrefix(aws.ToString(d.DeploymentConfigName), "CodeDeployDefault.Lambda") {
		t.Fatalf("platform, style, config=%s %+v %s, want Lambda blue/green with a Lambda config", d.ComputePlatform, d.DeploymentStyle, aws.ToString(d.DeploymentConfigName))
	}
	put := func(status types.LifecycleEventStatus) error {
		_, err := c.PutLifecycleEventHookExecutionStatus(ctx, &codedeploy.PutLifecycleEventHookExecutionStatusInput{
			DeploymentId: aws.String(id), LifecycleEventHookExecutionId: aws.String("hook-1"), Status: status})
		return err
	}
	wantCode(t, put(types.LifecycleEventStatusInProgress), "InvalidLifecycleEventHookExecutionStatusException")
	wantCode(t, put(types.LifecycleEventStatusSucceeded), "InvalidLifecycleEventHookExecutionIdException")
}
