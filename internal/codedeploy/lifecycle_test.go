package codedeploy_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/codedeploy"
	"github.com/deploytrail/deploytrail/internal/store"
)

// inPlace is the lifecycle of an in-place target without traffic control.
var inPlace = []string{"ApplicationStop", "DownloadBundle", "BeforeInstall", "Install", "AfterInstall", "ApplicationStart", "ValidateService"}

// fixture is a service on a real SQLite store with an application "app",
// a group "dg" selecting instances tagged env=prod, and a clock that
// ticks a second per reading.
type fixture struct {
	svc   *codedeploy.Service
	st    store.CodeDeploy
	ctx   context.Context
	group string // id of dg
}

func newFixture(t *testing.T, prod ...string) *fixture {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return newFixtureOn(t, db, prod...)
}

// newFixtureOn is newFixture on a given database.
func newFixtureOn(t *testing.T, db *store.DB, prod ...string) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{st: store.CodeDeploy{DB: db}, group: "00000000-0000-4000-8000-00000000000g"}
	f.svc = codedeploy.New(f.st, []byte("k"))
	clock := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	f.svc.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
	f.ctx = awsproto.NewContext(ctx, &awsproto.Call{Region: "us-east-1", Principal: &awsproto.Principal{AccountID: "111122223333", Type: "Root"}})
	sc := codedeploy.Scope{Account: "111122223333", Region: "us-east-1"}
	f.must(t, f.st.InsertApplication(ctx, &codedeploy.Application{Scope: sc, Info: codedeploy.ApplicationInfo{
		ApplicationID: "app-id", ApplicationName: "app", ComputePlatform: codedeploy.PlatformServer, CreateTime: clock}}))
	f.must(t, f.st.InsertDeploymentGroup(ctx, &codedeploy.DeploymentGroup{Scope: sc, AppID: "app-id", Info: codedeploy.DeploymentGroupInfo{
		ApplicationName: "app", DeploymentGroupID: f.group, DeploymentGroupName: "dg", DeploymentConfigName: codedeploy.DefaultConfigName,
		OnPremisesInstanceTagFilters: []codedeploy.TagFilter{{Key: "env", Value: "prod", Type: codedeploy.FilterKeyAndValue}},
		ComputePlatform:              codedeploy.PlatformServer}}))
	for _, name := range append(prod, "dev-box") {
		env := "prod"
		if name == "dev-box" {
			env = "dev"
		}
		f.must(t, f.st.PutInstance(ctx, &codedeploy.Instance{Scope: sc, Info: codedeploy.InstanceInfo{InstanceName: name,
			InstanceARN: sc.InstanceARN(name, "AbCdEfGhIj"), IAMUserARN: "arn:aws:iam::111122223333:user/" + name,
			RegisterTime: clock, Tags: []codedeploy.Tag{{Key: "env", Value: env}}}}))
	}
	return f
}

func (f *fixture) must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("err=%v", err)
	}
}

func revision(key string) *codedeploy.RevisionLocation {
	return &codedeploy.RevisionLocation{RevisionType: "S3", S3Location: &codedeploy.S3Location{Bucket: "b", Key: key, BundleType: "zip"}}
}

// create makes a deployment of app/dg; in may be nil.
func (f *fixture) create(t *testing.T, in *codedeploy.CreateDeploymentInput) string {
	t.Helper()
	if in == nil {
		in = &codedeploy.CreateDeploymentInput{}
	}
	in.ApplicationName, in.DeploymentGroupName = "app", "dg"
	if in.Revision == nil {
		in.Revision = revision("v1.zip")
	}
	out, err := f.svc.CreateDeployment(f.ctx, in)
	f.must(t, err)
	return out.DeploymentID
}

func (f *fixture) deployment(t *testing.T, id string) *codedeploy.Deployment {
	t.Helper()
	d, err := f.st.Deployment(f.ctx, id)
	f.must(t, err)
	return d
}

func (f *fixture) groupInfo(t *testing.T) codedeploy.DeploymentGroupInfo {
	t.Helper()
	g, err := f.st.DeploymentGroupByID(f.ctx, f.group)
	f.must(t, err)
	return g.Info
}

func (f *fixture) target(t *testing.T, id, name string) *codedeploy.InstanceTarget {
	t.Helper()
	targets, err := f.st.Targets(f.ctx, id)
	f.must(t, err)
	for _, tg := range targets {
		if tg.TargetID == name {
			return tg
		}
	}
	t.Fatalf("deployment %s has no target %s", id, name)
	return nil
}

// run drives a target's remaining events in order, failing at failAt
// (or none).
func (f *fixture) run(t *testing.T, id, target, failAt string) {
	t.Helper()
	for i, ev := range inPlace {
		if f.target(t, id, target).LifecycleEvents[i].Status == codedeploy.StatusPending {
			f.must(t, f.svc.TargetEvent(f.ctx, id, target, ev, codedeploy.StatusInProgress, nil))
		}
		status := codedeploy.StatusSucceeded
		if ev == failAt {
			status = codedeploy.StatusFailed
		}
		f.must(t, f.svc.TargetEvent(f.ctx, id, target, ev, status, &codedeploy.Diagnostics{ErrorCode: "ScriptFailed"}))
		if st := f.target(t, id, target).Status; st != codedeploy.StatusInProgress {
			return
		}
	}
}

func wantOverview(t *testing.T, d *codedeploy.Deployment, want codedeploy.DeploymentOverview) {
	t.Helper()
	if got := d.Info.DeploymentOverview; got == nil || *got != want {
		t.Fatalf("DeploymentOverview=%+v, want %+v", got, want)
	}
}

func TestLifecycle_Create(t *testing.T) {
	f := newFixture(t, "web-1", "web-2")
	id := f.create(t, nil)
	d := f.deployment(t, id)
	if d.Info.Status != codedeploy.StatusCreated || d.Info.Creator != codedeploy.CreatorUser || d.Info.FileExistsBehavior != "DISALLOW" {
		t.Fatalf("Status, Creator, FileExistsBehavior=%s, %s, %s, want Created, user, DISALLOW", d.Info.Status, d.Info.Creator, d.Info.FileExistsBehavior)
	}
	wantOverview(t, d, codedeploy.DeploymentOverview{Pending: 2})
	tg := f.target(t, id, "web-2")
	if tg.Status != codedeploy.StatusPending || len(tg.LifecycleEvents) != len(inPlace) || tg.TargetARN == "" {
		t.Fatalf("target=%+v, want Pending with %d events and an ARN", tg, len(inPlace))
	}
	for i, e := range tg.LifecycleEvents {
		if e.LifecycleEventName != inPlace[i] || e.Status != codedeploy.StatusPending {
			t.Fatalf("event %d=%s %s, want %s Pending", i, e.LifecycleEventName, e.Status, inPlace[i])
		}
	}
	if last := f.groupInfo(t).LastAttemptedDeployment; last == nil || last.DeploymentID != id || last.Status != codedeploy.StatusCreated {
		t.Fatalf("LastAttemptedDeployment=%+v, want %s Created", last, id)
	}
}

func TestLifecycle_Succeeds(t *testing.T) {
	f := newFixture(t, "web-1", "web-2")
	id := f.create(t, nil)
	f.must(t, f.svc.StartDeployment(f.ctx, id))
	if d := f.deployment(t, id); d.Info.Status != codedeploy.StatusInProgress || d.Info.StartTime.IsZero() {
		t.Fatalf("Status=%s StartTime=%v, want InProgress with a start time", d.Info.Status, d.Info.StartTime)
	}
	f.run(t, id, "web-1", "")
	wantOverview(t, f.deployment(t, id), codedeploy.DeploymentOverview{Succeeded: 1, Pending: 1})
	f.must(t, f.svc.TargetEvent(f.ctx, id, "web-2", "ApplicationStop", codedeploy.StatusInProgress, nil))
	wantOverview(t, f.deployment(t, id), codedeploy.DeploymentOverview{Succeeded: 1, InProgress: 1})
	f.run(t, id, "web-2", "")
	f.must(t, f.svc.CompleteDeployment(f.ctx, id, codedeploy.StatusSucceeded, nil))

	d := f.deployment(t, id)
	if d.Info.Status != codedeploy.StatusSucceeded || d.Info.CompleteTime.IsZero() || d.Info.ErrorInformation != nil {
		t.Fatalf("Status=%s CompleteTime=%v ErrorInformation=%v, want Succeeded", d.Info.Status, d.Info.CompleteTime, d.Info.ErrorInformation)
	}
	wantOverview(t, d, codedeploy.DeploymentOverview{Succeeded: 2})
	ev := f.target(t, id, "web-1").LifecycleEvents[6]
	if ev.Status != codedeploy.StatusSucceeded || ev.Diagnostics == nil || ev.StartTime.IsZero() || !ev.EndTime.After(ev.StartTime) {
		t.Fatalf("ValidateService=%+v, want Succeeded with times", ev)
	}
	g := f.groupInfo(t)
	if g.LastSuccessfulDeployment == nil || g.LastSuccessfulDeployment.DeploymentID != id || g.LastAttemptedDeployment.Status != codedeploy.StatusSucceeded {
		t.Fatalf("LastSuccessfulDeployment=%+v LastAttemptedDeployment=%+v, want %s Succeeded", g.LastSuccessfulDeployment, g.LastAttemptedDeployment, id)
	}
	if g.TargetRevision == nil || g.TargetRevision.S3Location.Key != "v1.zip" {
		t.Fatalf("TargetRevision=%+v, want v1.zip", g.TargetRevision)
	}
}

func TestLifecycle_EventFailure(t *testing.T) {
	tests := []struct {
		name        string
		ignoreStop  bool
		failAt      string
		wantTarget  string
		wantSkipped int // events Skipped after the failure
	}{
		{"BeforeInstall fails", false, "BeforeInstall", codedeploy.StatusFailed, 4},
		{"ApplicationStop fails", false, "ApplicationStop", codedeploy.StatusFailed, 6},
		{"ApplicationStop failure ignored", true, "ApplicationStop", codedeploy.StatusSucceeded, 0},
		{"Install failure not ignorable", true, "Install", codedeploy.StatusFailed, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, "web-1")
			id := f.create(t, &codedeploy.CreateDeploymentInput{IgnoreApplicationStopFailures: tt.ignoreStop})
			f.must(t, f.svc.StartDeployment(f.ctx, id))
			f.run(t, id, "web-1", tt.failAt)
			tg := f.target(t, id, "web-1")
			if tg.Status != tt.wantTarget {
				t.Fatalf("target Status=%s, want %s", tg.Status, tt.wantTarget)
			}
			skipped := 0
			for _, e := range tg.LifecycleEvents {
				if e.Status == codedeploy.StatusSkipped {
					skipped++
					if !e.StartTime.IsZero() || e.EndTime.IsZero() {
						t.Fatalf("skipped %s StartTime=%v EndTime=%v, want only an end time", e.LifecycleEventName, e.StartTime, e.EndTime)
					}
				}
			}
			if skipped != tt.wantSkipped {
				t.Fatalf("Skipped events=%d, want %d", skipped, tt.wantSkipped)
			}
		})
	}
}

func TestLifecycle_IllegalTransitions(t *testing.T) {
	type step func(f *fixture, id string) error
	event := func(target, name, status string) step {
		return func(f *fixture, id string) error {
			return f.svc.TargetEvent(f.ctx, id, target, name, status, nil)
		}
	}
	start := func(f *fixture, id string) error { return f.svc.StartDeployment(f.ctx, id) }
	complete := func(status string) step {
		return func(f *fixture, id string) error { return f.svc.CompleteDeployment(f.ctx, id, status, nil) }
	}
	tests := []struct {
		name  string
		setup []step
		bad   step
	}{
		{"start twice", []step{start}, start},
		{"event before start", nil, event("web-1", "ApplicationStop", codedeploy.StatusInProgress)},
		{"event out of order", []step{start}, event("web-1", "DownloadBundle", codedeploy.StatusInProgress)},
		{"event started twice", []step{start, event("web-1", "ApplicationStop", codedeploy.StatusInProgress)}, event("web-1", "ApplicationStop", codedeploy.StatusInProgress)},
		{"event ended twice", []step{start, event("web-1", "ApplicationStop", codedeploy.StatusSucceeded)}, event("web-1", "ApplicationStop", codedeploy.StatusFailed)},
		{"unknown event", []step{start}, event("web-1", "AllowTraffic", codedeploy.StatusInProgress)},
		{"event status Skipped", []step{start}, event("web-1", "ApplicationStop", codedeploy.StatusSkipped)},
		{"event on a failed target", []step{start, event("web-1", "ApplicationStop", codedeploy.StatusFailed)}, event("web-1", "DownloadBundle", codedeploy.StatusInProgress)},
		{"succeed before start", nil, complete(codedeploy.StatusSucceeded)},
		{"succeed with a target in progress", []step{start, event("web-1", "ApplicationStop", codedeploy.StatusInProgress)}, complete(codedeploy.StatusSucceeded)},
		{"complete twice", []step{complete(codedeploy.StatusFailed)}, complete(codedeploy.StatusStopped)},
		{"complete as InProgress", []step{start}, complete(codedeploy.StatusInProgress)},
		{"start after completion", []step{complete(codedeploy.StatusFailed)}, start},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, "web-1")
			id := f.create(t, nil)
			for _, s := range tt.setup {
				f.must(t, s(f, id))
			}
			if err := tt.bad(f, id); !errors.Is(err, codedeploy.ErrIllegalTransition) {
				t.Fatalf("err=%v, want ErrIllegalTransition", err)
			}
		})
	}
}

func TestLifecycle_CompleteEndsTargets(t *testing.T) {
	f := newFixture(t, "web-1", "web-2")
	id := f.create(t, nil)
	f.must(t, f.svc.StartDeployment(f.ctx, id))
	f.must(t, f.svc.TargetEvent(f.ctx, id, "web-1", "ApplicationStop", codedeploy.StatusInProgress, nil))
	info := &codedeploy.ErrorInformation{Code: "TIMEOUT", Message: "The deployment timed out."}
	f.must(t, f.svc.CompleteDeployment(f.ctx, id, codedeploy.StatusFailed, info))

	d := f.deployment(t, id)
	if d.Info.Status != codedeploy.StatusFailed || d.Info.ErrorInformation == nil || *d.Info.ErrorInformation != *info {
		t.Fatalf("Status=%s ErrorInformation=%+v, want Failed %+v", d.Info.Status, d.Info.ErrorInformation, info)
	}
	wantOverview(t, d, codedeploy.DeploymentOverview{Skipped: 1})
	if tg := f.target(t, id, "web-1"); tg.Status != codedeploy.StatusUnknown || tg.LifecycleEvents[0].Status != codedeploy.StatusUnknown {
		t.Fatalf("running target=%s/%s, want Unknown/Unknown", tg.Status, tg.LifecycleEvents[0].Status)
	}
	if tg := f.target(t, id, "web-2"); tg.Status != codedeploy.StatusSkipped || tg.LifecycleEvents[6].Status != codedeploy.StatusSkipped {
		t.Fatalf("pending target=%s/%s, want Skipped/Skipped", tg.Status, tg.LifecycleEvents[6].Status)
	}
	if g := f.groupInfo(t); g.LastAttemptedDeployment.Status != codedeploy.StatusFailed || g.LastAttemptedDeployment.EndTime.IsZero() || g.TargetRevision != nil {
		t.Fatalf("group=%+v, want last attempt Failed with an end time and no target revision", g.LastAttemptedDeployment)
	}
}

// succeed runs a deployment of key to success.
func (f *fixture) succeed(t *testing.T, key string) string {
	t.Helper()
	id := f.create(t, &codedeploy.CreateDeploymentInput{Revision: revision(key)})
	f.must(t, f.svc.StartDeployment(f.ctx, id))
	f.run(t, id, "web-1", "")
	f.must(t, f.svc.CompleteDeployment(f.ctx, id, codedeploy.StatusSucceeded, nil))
	return id
}

func TestLifecycle_AutomaticRollback(t *testing.T) {
	onFailure := &codedeploy.AutoRollbackConfiguration{Enabled: true, Events: []string{"DEPLOYMENT_FAILURE"}}
	onStop := &codedeploy.AutoRollbackConfiguration{Enabled: true, Events: []string{"DEPLOYMENT_STOP_ON_REQUEST"}}
	tests := []struct {
		name         string
		previous     bool // a successful deployment came first
		config       *codedeploy.AutoRollbackConfiguration
		status       string
		wantRollback bool
		wantMessage  bool
	}{
		{"failure rolls back", true, onFailure, codedeploy.StatusFailed, true, true},
		{"nothing to roll back to", false, onFailure, codedeploy.StatusFailed, false, true},
		{"event not configured", true, onStop, codedeploy.StatusFailed, false, false},
		{"stop rolls back", true, onStop, codedeploy.StatusStopped, true, true},
		{"disabled", true, &codedeploy.AutoRollbackConfiguration{Events: []string{"DEPLOYMENT_FAILURE"}}, codedeploy.StatusFailed, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, "web-1")
			if tt.previous {
				f.succeed(t, "v1.zip")
			}
			id := f.create(t, &codedeploy.CreateDeploymentInput{Revision: revision("v2.zip"), AutoRollbackConfiguration: tt.config})
			f.must(t, f.svc.StartDeployment(f.ctx, id))
			f.must(t, f.svc.CompleteDeployment(f.ctx, id, tt.status, &codedeploy.ErrorInformation{Code: "HEALTH_CONSTRAINTS"}))
			ri := f.deployment(t, id).Info.RollbackInfo
			if got := ri != nil && ri.RollbackMessage != ""; got != tt.wantMessage {
				t.Fatalf("RollbackInfo=%+v, want a message: %v", ri, tt.wantMessage)
			}
			if got := ri != nil && ri.RollbackDeploymentID != ""; got != tt.wantRollback {
				t.Fatalf("RollbackInfo=%+v, want a rollback: %v", ri, tt.wantRollback)
			}
			if tt.wantRollback {
				checkRollback(t, f, id, ri.RollbackDeploymentID)
			}
		})
	}
}

// checkRollback checks the rollback r of deployment id: v1.zip again, by
// codeDeployRollback, the group's latest attempt, and never rolled back.
func checkRollback(t *testing.T, f *fixture, id, r string) {
	t.Helper()
	d := f.deployment(t, r)
	if d.Info.Creator != codedeploy.CreatorRollback || d.Info.Status != codedeploy.StatusCreated || d.Info.Revision.S3Location.Key != "v1.zip" {
		t.Fatalf("rollback Creator, Status, revision=%s, %s, %s, want codeDeployRollback, Created, v1.zip",
			d.Info.Creator, d.Info.Status, d.Info.Revision.S3Location.Key)
	}
	if d.Info.RollbackInfo == nil || d.Info.RollbackInfo.RollbackTriggeringDeploymentID != id {
		t.Fatalf("rollback RollbackInfo=%+v, want triggered by %s", d.Info.RollbackInfo, id)
	}
	wantOverview(t, d, codedeploy.DeploymentOverview{Pending: 1})
	if last := f.groupInfo(t).LastAttemptedDeployment; last.DeploymentID != r {
		t.Fatalf("LastAttemptedDeployment=%s, want the rollback %s", last.DeploymentID, r)
	}
	f.must(t, f.svc.CompleteDeployment(f.ctx, r, codedeploy.StatusFailed, nil))
	if ri := f.deployment(t, r).Info.RollbackInfo; ri.RollbackDeploymentID != "" || ri.RollbackMessage != "" {
		t.Fatalf("failed rollback RollbackInfo=%+v, want no rollback of a rollback", ri)
	}
}

// TestLifecycle_GroupDeleted checks a deployment that never started when
// its group is deleted: Failed with DEPLOYMENT_GROUP_MISSING, its target
// Skipped and counted so, and no automatic rollback — not even the
// message saying there was nothing to roll back to — since a rollback
// needs the group.
func TestLifecycle_GroupDeleted(t *testing.T) {
	onFailure := &codedeploy.AutoRollbackConfiguration{Enabled: true, Events: []string{"DEPLOYMENT_FAILURE"}}
	for _, previous := range []bool{true, false} {
		t.Run(fmt.Sprintf("previous=%v", previous), func(t *testing.T) {
			f := newFixture(t, "web-1")
			if previous {
				f.succeed(t, "v1.zip")
			}
			id := f.create(t, &codedeploy.CreateDeploymentInput{Revision: revision("v2.zip"), AutoRollbackConfiguration: onFailure})
			_, err := f.svc.DeleteDeploymentGroup(f.ctx, &codedeploy.DeleteDeploymentGroupInput{ApplicationName: "app", DeploymentGroupName: "dg"})
			f.must(t, err)

			d := f.deployment(t, id)
			if d.Info.Status != codedeploy.StatusFailed || d.Info.ErrorInformation == nil || d.Info.ErrorInformation.Code != "DEPLOYMENT_GROUP_MISSING" {
				t.Fatalf("Status=%s ErrorInformation=%+v, want Failed DEPLOYMENT_GROUP_MISSING", d.Info.Status, d.Info.ErrorInformation)
			}
			if d.Info.RollbackInfo != nil {
				t.Fatalf("RollbackInfo=%+v, want none: the group is gone", d.Info.RollbackInfo)
			}
			wantOverview(t, d, codedeploy.DeploymentOverview{Skipped: 1})
			if tg := f.target(t, id, "web-1"); tg.Status != codedeploy.StatusSkipped || tg.LifecycleEvents[0].Status != codedeploy.StatusSkipped {
				t.Fatalf("target=%s, first event=%s, want both Skipped", tg.Status, tg.LifecycleEvents[0].Status)
			}
			all, err := f.st.Deployments(f.ctx, codedeploy.DeploymentFilter{Scope: d.Scope})
			f.must(t, err)
			if want := map[bool]int{true: 2, false: 1}[previous]; len(all) != want {
				t.Fatalf("%d deployments, want %d: no rollback deployment", len(all), want)
			}
		})
	}
}

func TestLifecycle_StopWaitsForRunningEvents(t *testing.T) {
	f := newFixture(t, "web-1", "web-2", "web-3")
	id := f.create(t, nil)
	f.must(t, f.svc.StartDeployment(f.ctx, id))
	f.run(t, id, "web-1", "")
	f.must(t, f.svc.TargetEvent(f.ctx, id, "web-2", "ApplicationStop", codedeploy.StatusInProgress, nil))

	out, err := f.svc.StopDeployment(f.ctx, &codedeploy.StopDeploymentInput{DeploymentID: id})
	f.must(t, err)
	if out.Status != "Pending" {
		t.Fatalf("Status=%s, want Pending", out.Status)
	}
	d := f.deployment(t, id)
	if d.Info.Status != codedeploy.StatusInProgress {
		t.Fatalf("Status=%s, want InProgress while an event runs", d.Info.Status)
	}
	wantOverview(t, d, codedeploy.DeploymentOverview{Succeeded: 1, InProgress: 1, Skipped: 1})
	if err := f.svc.TargetEvent(f.ctx, id, "web-3", "ApplicationStop", codedeploy.StatusInProgress, nil); !errors.Is(err, codedeploy.ErrIllegalTransition) {
		t.Fatalf("starting a skipped target: err=%v, want ErrIllegalTransition", err)
	}
	if out, err := f.svc.StopDeployment(f.ctx, &codedeploy.StopDeploymentInput{DeploymentID: id}); err != nil || out.Status != "Pending" {
		t.Fatalf("second stop=%+v, %v, want Pending", out, err)
	}

	f.must(t, f.svc.TargetEvent(f.ctx, id, "web-2", "ApplicationStop", codedeploy.StatusSucceeded, nil))
	d = f.deployment(t, id)
	if d.Info.Status != codedeploy.StatusStopped || d.Info.ErrorInformation == nil || d.Info.ErrorInformation.Code != "MANUAL_STOP" || d.Stop != nil {
		t.Fatalf("Status=%s ErrorInformation=%+v, want Stopped MANUAL_STOP", d.Info.Status, d.Info.ErrorInformation)
	}
	wantOverview(t, d, codedeploy.DeploymentOverview{Succeeded: 1, Failed: 1, Skipped: 1})
	if tg := f.target(t, id, "web-2"); tg.LifecycleEvents[1].Status != codedeploy.StatusSkipped {
		t.Fatalf("DownloadBundle of the stopped target=%s, want Skipped", tg.LifecycleEvents[1].Status)
	}
}

func TestLifecycle_StopBetweenEvents(t *testing.T) {
	f := newFixture(t, "web-1")
	id := f.create(t, nil)
	f.must(t, f.svc.StartDeployment(f.ctx, id))
	f.must(t, f.svc.TargetEvent(f.ctx, id, "web-1", "ApplicationStop", codedeploy.StatusSucceeded, nil))

	out, err := f.svc.StopDeployment(f.ctx, &codedeploy.StopDeploymentInput{DeploymentID: id})
	f.must(t, err)
	if out.Status != "Succeeded" {
		t.Fatalf("Status=%s, want Succeeded: no event was running", out.Status)
	}
	wantOverview(t, f.deployment(t, id), codedeploy.DeploymentOverview{Failed: 1})
	if tg := f.target(t, id, "web-1"); tg.LifecycleEvents[0].Status != codedeploy.StatusSucceeded || tg.LifecycleEvents[1].Status != codedeploy.StatusSkipped {
		t.Fatalf("events=%s, %s, want Succeeded, Skipped", tg.LifecycleEvents[0].Status, tg.LifecycleEvents[1].Status)
	}
}
