package codedeploy_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/codedeploy"
	"github.com/deploytrail/deploytrail/internal/store"
)

var scope = codedeploy.Scope{Account: "111122223333", Region: "us-east-1"}

// clock is a test clock that moves a millisecond per reading and jumps on
// demand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time      { c.t = c.t.Add(time.Millisecond); return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }

// engineFixture is a fixture with an engine and a controllable clock.
type engineFixture struct {
	*fixture
	clock  *clock
	engine *codedeploy.Engine
	hosts  []string
	seen   map[string]bool // command ids handed out
	calls  []string        // operations recorded on the customer's behalf
}

func newEngineFixture(t *testing.T, hosts ...string) *engineFixture {
	t.Helper()
	f := &engineFixture{fixture: newFixture(t, hosts...), clock: &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
		hosts: hosts, seen: map[string]bool{}}
	f.svc.Now = f.clock.now
	f.svc.OnBehalf = func(_ context.Context, _ codedeploy.Scope, op string, _, _ any) error {
		f.calls = append(f.calls, op)
		return nil
	}
	f.engine = newEngine(f.svc, "engine-a")
	return f
}

func newEngine(svc *codedeploy.Service, owner string) *codedeploy.Engine {
	e := codedeploy.NewEngine(svc)
	e.Owner, e.Logger = owner, slog.New(slog.NewTextHandler(io.Discard, nil))
	return e
}

func hostARN(name string) string { return "arn:aws:iam::111122223333:user/" + name }

// answer says how a simulated agent handles a command: "" leaves it
// unanswered, "ack" acknowledges it only, else the completion status.
type answer func(c *codedeploy.HostCommand) string

func succeedAll(*codedeploy.HostCommand) string { return codedeploy.CommandSucceeded }

// failOn fails one lifecycle event on some hosts.
func failOn(event string, hosts ...string) answer {
	return func(c *codedeploy.HostCommand) string {
		if c.CommandName == event && slices.Contains(hosts, c.TargetID) {
			return codedeploy.CommandFailed
		}
		return codedeploy.CommandSucceeded
	}
}

// result is what a simulated run saw.
type result struct {
	order       []string // targets in the order they got their first command
	maxInFlight int      // most targets holding a command at once
	commands    []*codedeploy.HostCommand
}

// drive runs the engine and simulated agents on every host until
// deployment id ends, and returns what it saw. No command is ever handed
// out twice.
func (f *engineFixture) drive(t *testing.T, e *codedeploy.Engine, id string, ans answer) result {
	t.Helper()
	var r result
	for range 500 {
		f.must(t, e.Pass(f.ctx))
		if st := f.deployment(t, id).Info.Status; st != codedeploy.StatusInProgress && st != codedeploy.StatusCreated {
			return r
		}
		r.maxInFlight = max(r.maxInFlight, f.answerAll(t, &r, ans))
	}
	t.Fatalf("deployment %s did not end", id)
	return r
}

// answerAll polls once for every host and answers what it gets; it
// returns how many commands it got.
func (f *engineFixture) answerAll(t *testing.T, r *result, ans answer) int {
	t.Helper()
	n := 0
	for _, h := range f.hosts {
		c, err := f.svc.PollHostCommand(f.ctx, scope, hostARN(h))
		f.must(t, err)
		if c == nil {
			continue
		}
		if f.seen[c.ID] {
			t.Fatalf("command %s (%s of %s) handed out twice", c.ID, c.CommandName, c.TargetID)
		}
		f.seen[c.ID], n = true, n+1
		r.commands = append(r.commands, c)
		if !slices.Contains(r.order, c.TargetID) {
			r.order = append(r.order, c.TargetID)
		}
		f.answer(t, c, ans(c))
	}
	return n
}

func (f *engineFixture) answer(t *testing.T, c *codedeploy.HostCommand, status string) {
	t.Helper()
	if status == "" {
		return
	}
	got, err := f.svc.AcknowledgeHostCommand(f.ctx, c.ID, false)
	f.must(t, err)
	if got != codedeploy.CommandInProgress {
		t.Fatalf("ack of %s=%s, want InProgress", c.CommandName, got)
	}
	if status == "ack" {
		return
	}
	diag := &codedeploy.Diagnostics{ErrorCode: "Success", Message: "Succeeded"}
	if status == codedeploy.CommandFailed {
		diag = &codedeploy.Diagnostics{ErrorCode: "ScriptFailed", ScriptName: "scripts/check.sh", Message: "Script at specified location: scripts/check.sh run as user root failed with exit code 1", LogTail: "[stderr]not healthy"}
	}
	f.must(t, f.svc.CompleteHostCommand(f.ctx, c.ID, status, diag))
}

func (f *engineFixture) wantStatus(t *testing.T, id, status, code string) *codedeploy.Deployment {
	t.Helper()
	d := f.deployment(t, id)
	gotCode := ""
	if d.Info.ErrorInformation != nil {
		gotCode = d.Info.ErrorInformation.Code
	}
	if d.Info.Status != status || gotCode != code {
		t.Fatalf("Status, errorInformation=%s, %+v, want %s, %q", d.Info.Status, d.Info.ErrorInformation, status, code)
	}
	return d
}

func TestEngine_RunsEveryInstance(t *testing.T) {
	f := newEngineFixture(t, "web-1", "web-2", "web-3")
	id := f.create(t, &codedeploy.CreateDeploymentInput{FileExistsBehavior: "OVERWRITE"})
	r := f.drive(t, f.engine, id, succeedAll)
	d := f.wantStatus(t, id, codedeploy.StatusSucceeded, "")
	wantOverview(t, d, codedeploy.DeploymentOverview{Succeeded: 3})
	if d.Info.StartTime.IsZero() || d.Info.CompleteTime.IsZero() {
		t.Fatalf("startTime, completeTime=%v, %v, want both", d.Info.StartTime, d.Info.CompleteTime)
	}
	if !slices.Equal(r.order, []string{"web-1", "web-2", "web-3"}) || r.maxInFlight != 1 {
		t.Fatalf("order=%v maxInFlight=%d, want web-1..3 one at a time", r.order, r.maxInFlight)
	}
	var names []string
	for _, c := range r.commands {
		if c.TargetID == "web-2" {
			names = append(names, c.CommandName)
		}
		if c.HostIdentifier != hostARN(c.TargetID) || c.Spec.AgentActionOverrides.AgentOverrides.FileExistsBehavior != "OVERWRITE" ||
			c.Spec.Revision.S3Revision == nil || c.Spec.Revision.S3Revision.Key != "v1.zip" || c.ExecutionID == "" {
			t.Fatalf("command=%+v spec=%+v, want the host's IAM ARN, OVERWRITE and v1.zip", c, c.Spec)
		}
	}
	if !slices.Equal(names, inPlace) {
		t.Fatalf("web-2's commands=%v, want %v", names, inPlace)
	}
	for _, e := range f.target(t, id, "web-3").LifecycleEvents {
		if e.Status != codedeploy.StatusSucceeded || e.StartTime.IsZero() || e.EndTime.IsZero() {
			t.Fatalf("event=%+v, want Succeeded with times", e)
		}
	}
	if rev := f.groupInfo(t).TargetRevision; rev == nil || rev.S3Location.Key != "v1.zip" {
		t.Fatalf("group TargetRevision=%+v, want v1.zip", rev)
	}
}

func TestEngine_Batches(t *testing.T) {
	hosts := []string{"h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8", "h9"}
	tests := []struct {
		config      string
		hosts       *codedeploy.MinimumHealthyHosts
		fail        []string
		want        string
		maxInFlight int
	}{
		{"CodeDeployDefault.AllAtOnce", nil, nil, codedeploy.StatusSucceeded, 9},
		{"CodeDeployDefault.HalfAtATime", nil, nil, codedeploy.StatusSucceeded, 4},
		{"Three", &codedeploy.MinimumHealthyHosts{Type: "HOST_COUNT", Value: 6}, nil, codedeploy.StatusSucceeded, 3},
		{"Three", &codedeploy.MinimumHealthyHosts{Type: "HOST_COUNT", Value: 6}, []string{"h1", "h2", "h3"}, codedeploy.StatusFailed, 3},
		{"CodeDeployDefault.AllAtOnce", nil, hosts[:8], codedeploy.StatusSucceeded, 9},
		{"CodeDeployDefault.OneAtATime", nil, []string{"h9"}, codedeploy.StatusSucceeded, 1},
		{"CodeDeployDefault.OneAtATime", nil, []string{"h5"}, codedeploy.StatusFailed, 1},
	}
	for i, tt := range tests {
		// Subtest names stay free of '#': store.Open cuts a path there.
		t.Run(fmt.Sprintf("%d-%s", i, tt.config), func(t *testing.T) {
			f := newEngineFixture(t, hosts...)
			if tt.hosts != nil {
				_, err := f.svc.CreateDeploymentConfig(f.ctx, &codedeploy.CreateDeploymentConfigInput{DeploymentConfigName: tt.config, MinimumHealthyHosts: tt.hosts})
				f.must(t, err)
			}
			id := f.create(t, &codedeploy.CreateDeploymentInput{DeploymentConfigName: tt.config})
			r := f.drive(t, f.engine, id, failOn("AfterInstall", tt.fail...))
			code := ""
			if tt.want == codedeploy.StatusFailed {
				code = "HEALTH_CONSTRAINTS"
			}
			f.wantStatus(t, id, tt.want, code)
			if r.maxInFlight != tt.maxInFlight {
				t.Fatalf("maxInFlight=%d, want %d", r.maxInFlight, tt.maxInFlight)
			}
		})
	}
}

// TestEngine_PassStepsSideBySide: one pass ends every zero-instance
// deployment of many groups, each once, and its steps share group
// commits: an engine that waited for one fsync per step fell behind 32
// clients creating deployments and hit the cap of 1,000 active ones.
func TestEngine_PassStepsSideBySide(t *testing.T) {
	f := newEngineFixture(t)
	const groups = 100
	ids := make([]string, groups)
	for i := range ids {
		name := fmt.Sprintf("dg-%d", i)
		f.must(t, f.st.InsertDeploymentGroup(f.ctx, &codedeploy.DeploymentGroup{Scope: scope, AppID: "app-id", Info: codedeploy.DeploymentGroupInfo{
			ApplicationName: "app", DeploymentGroupID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), DeploymentGroupName: name,
			DeploymentConfigName: codedeploy.DefaultConfigName, ComputePlatform: codedeploy.PlatformServer}}))
		out, err := f.svc.CreateDeployment(f.ctx, &codedeploy.CreateDeploymentInput{ApplicationName: "app", DeploymentGroupName: name, Revision: revision("v1.zip")})
		f.must(t, err)
		ids[i] = out.DeploymentID
	}
	var mu sync.Mutex
	var commits, units int
	f.st.ObserveCommits(func(r store.CommitReport) {
		mu.Lock()
		defer mu.Unlock()
		commits, units = commits+1, units+r.Units
	})
	f.must(t, f.engine.Pass(f.ctx))
	f.st.ObserveCommits(func(store.CommitReport) {})
	for _, id := range ids {
		f.wantStatus(t, id, codedeploy.StatusFailed, "NO_INSTANCES")
	}
	mu.Lock()
	defer mu.Unlock()
	if units != groups || commits >= units {
		t.Fatalf("the pass committed %d steps in %d commits, want %d steps sharing commits", units, commits, groups)
	}
}

func TestEngine_FailsAtOnce(t *testing.T) {
	t.Run("NO_INSTANCES", func(t *testing.T) {
		f := newEngineFixture(t)
		id := f.create(t, nil)
		f.must(t, f.engine.Pass(f.ctx))
		f.wantStatus(t, id, codedeploy.StatusFailed, "NO_INSTANCES")
	})
	t.Run("OVER_MAX_INSTANCES", func(t *testing.T) {
		hosts := make([]string, codedeploy.MaxInstancesPerDeployment+1)
		for i := range hosts {
			hosts[i] = fmt.Sprintf("web-%d", i)
		}
		f := newEngineFixture(t, hosts...)
		id := f.create(t, nil)
		f.must(t, f.engine.Pass(f.ctx))
		d := f.wantStatus(t, id, codedeploy.StatusFailed, "OVER_MAX_INSTANCES")
		wantOverview(t, d, codedeploy.DeploymentOverview{Skipped: len(hosts)})
		if c, _ := f.svc.PollHostCommand(f.ctx, scope, hostARN("web-1")); c != nil {
			t.Fatalf("a command was queued: %+v", c)
		}
	})
	t.Run("HEALTH_CONSTRAINTS_INVALID", func(t *testing.T) {
		f := newEngineFixture(t, "web-1")
		id := f.create(t, &codedeploy.CreateDeploymentInput{DeploymentConfigName: "CodeDeployDefault.HalfAtATime"})
		f.must(t, f.engine.Pass(f.ctx))
		d := f.wantStatus(t, id, codedeploy.StatusFailed, "HEALTH_CONSTRAINTS_INVALID")
		wantOverview(t, d, codedeploy.DeploymentOverview{Skipped: 1})
		if c, _ := f.svc.PollHostCommand(f.ctx, scope, hostARN("web-1")); c != nil {
			t.Fatalf("poll=%+v, want no command: no instance is touched", c)
		}
	})
}

// TestEngine_InstanceOrder checks that instances whose last deployment
// failed go first.
func TestEngine_InstanceOrder(t *testing.T) {
	f := newEngineFixture(t, "a", "b", "c")
	first := f.create(t, &codedeploy.CreateDeploymentInput{DeploymentConfigName: "CodeDeployDefault.AllAtOnce"})
	f.drive(t, f.engine, first, failOn("Install", "c"))
	f.wantStatus(t, first, codedeploy.StatusSucceeded, "")
	second := f.create(t, &codedeploy.CreateDeploymentInput{Revision: revision("v2.zip")})
	r := f.drive(t, f.engine, second, succeedAll)
	if !slices.Equal(r.order, []string{"c", "a", "b"}) {
		t.Fatalf("order=%v, want the unhealthy c first", r.order)
	}
}

func TestEngine_UpdateOutdatedInstancesOnly(t *testing.T) {
	f := newEngineFixture(t, "a", "b")
	first := f.create(t, nil)
	f.drive(t, f.engine, first, succeedAll)
	f.must(t, f.st.PutInstance(f.ctx, &codedeploy.Instance{Scope: scope, Info: codedeploy.InstanceInfo{InstanceName: "c",
		InstanceARN: scope.InstanceARN("c", "AbCdEfGhIj"), IAMUserARN: hostARN("c"), RegisterTime: f.clock.now(),
		Tags: []codedeploy.Tag{{Key: "env", Value: "prod"}}}}))
	f.hosts = append(f.hosts, "c")
	again := f.create(t, &codedeploy.CreateDeploymentInput{UpdateOutdatedInstancesOnly: true})
	r := f.drive(t, f.engine, again, succeedAll)
	d := f.wantStatus(t, again, codedeploy.StatusSucceeded, "")
	wantOverview(t, d, codedeploy.DeploymentOverview{Succeeded: 1, Skipped: 2})
	if !slices.Equal(r.order, []string{"c"}) {
		t.Fatalf("order=%v, want only the outdated c", r.order)
	}
}

func TestEngine_TrafficControl(t *testing.T) {
	f := newEngineFixture(t, "web-1")
	g, err := f.st.DeploymentGroupByID(f.ctx, f.group)
	f.must(t, err)
	g.Info.DeploymentStyle = &codedeploy.DeploymentStyle{DeploymentType: "IN_PLACE", DeploymentOption: "WITH_TRAFFIC_CONTROL"}
	f.must(t, f.st.UpdateDeploymentGroup(f.ctx, g))
	id := f.create(t, nil)
	r := f.drive(t, f.engine, id, succeedAll)
	f.wantStatus(t, id, codedeploy.StatusSucceeded, "")
	var sent []string
	for _, c := range r.commands {
		sent = append(sent, c.CommandName)
	}
	want := slices.Concat([]string{"BeforeBlockTraffic", "AfterBlockTraffic"}, inPlace, []string{"BeforeAllowTraffic", "AfterAllowTraffic"})
	if !slices.Equal(sent, want) {
		t.Fatalf("commands=%v, want %v (BlockTraffic and AllowTraffic are the service's)", sent, want)
	}
	events := f.target(t, id, "web-1").LifecycleEvents
	if len(events) != 13 || events[1].LifecycleEventName != "BlockTraffic" || events[1].Status != codedeploy.StatusSucceeded {
		t.Fatalf("events=%+v, want 13 with BlockTraffic Succeeded", events)
	}
}

func TestEngine_IgnoreApplicationStopFailures(t *testing.T) {
	for _, ignore := range []bool{true, false} {
		f := newEngineFixture(t, "web-1")
		id := f.create(t, &codedeploy.CreateDeploymentInput{IgnoreApplicationStopFailures: ignore})
		f.drive(t, f.engine, id, failOn("ApplicationStop", "web-1"))
		events := f.target(t, id, "web-1").LifecycleEvents
		if ignore {
			f.wantStatus(t, id, codedeploy.StatusSucceeded, "")
			if events[0].Status != codedeploy.StatusFailed || events[1].Status != codedeploy.StatusSucceeded {
				t.Fatalf("events=%+v, want ApplicationStop Failed and the rest run", events)
			}
			continue
		}
		f.wantStatus(t, id, codedeploy.StatusFailed, "HEALTH_CONSTRAINTS")
		if events[1].Status != codedeploy.StatusSkipped {
			t.Fatalf("DownloadBundle=%s, want Skipped", events[1].Status)
		}
	}
	// Other events' failures are never forgiven.
	f := newEngineFixture(t, "web-1")
	id := f.create(t, &codedeploy.CreateDeploymentInput{IgnoreApplicationStopFailures: true})
	f.drive(t, f.engine, id, failOn("BeforeInstall", "web-1"))
	f.wantStatus(t, id, codedeploy.StatusFailed, "HEALTH_CONSTRAINTS")
}

func TestEngine_PickupTimeout(t *testing.T) {
	f := newEngineFixture(t, "web-1")
	id := f.create(t, nil)
	f.must(t, f.engine.Pass(f.ctx)) // queues ApplicationStop; no agent polls
	f.clock.add(codedeploy.PickupTimeout - time.Second)
	f.must(t, f.engine.Pass(f.ctx))
	f.wantStatus(t, id, codedeploy.StatusInProgress, "")
	f.clock.add(2 * time.Second)
	f.must(t, f.engine.Pass(f.ctx))
	f.wantStatus(t, id, codedeploy.StatusFailed, "HEALTH_CONSTRAINTS")
	e := f.target(t, id, "web-1").LifecycleEvents[0]
	if e.Status != codedeploy.StatusFailed || e.Diagnostics == nil || e.Diagnostics.ErrorCode != "UnknownError" {
		t.Fatalf("ApplicationStop=%+v, want Failed with UnknownError", e)
	}
	// The agent comes back: the command is gone, and completing it
	// changes nothing.
	if c, _ := f.svc.PollHostCommand(f.ctx, scope, hostARN("web-1")); c != nil {
		t.Fatalf("poll=%+v, want nothing", c)
	}
}

func TestEngine_EventTimeout(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		f := newEngineFixture(t, "web-1")
		id := f.create(t, nil)
		f.must(t, f.engine.Pass(f.ctx))
		c := f.pollAck(t, "web-1")
		f.clock.add(codedeploy.DefaultEventTimeout - time.Second)
		f.must(t, f.engine.Pass(f.ctx))
		f.wantStatus(t, id, codedeploy.StatusInProgress, "")
		f.clock.add(2 * time.Second)
		f.must(t, f.engine.Pass(f.ctx))
		f.wantStatus(t, id, codedeploy.StatusFailed, "HEALTH_CONSTRAINTS")
		if e := f.target(t, id, "web-1").LifecycleEvents[0]; e.Diagnostics == nil || e.Diagnostics.ErrorCode != "ScriptTimedOut" {
			t.Fatalf("ApplicationStop=%+v, want ScriptTimedOut", e)
		}
		// AWS's agent reports a command it was running after a restart:
		// the first outcome (the timeout) stays.
		err := f.svc.CompleteHostCommand(f.ctx, c.ID, codedeploy.CommandFailed, &codedeploy.Diagnostics{ErrorCode: "UnknownError"})
		if !errors.Is(err, codedeploy.ErrCommandEnded) {
			t.Fatalf("late completion err=%v, want ErrCommandEnded", err)
		}
	})
	t.Run("AppSpec hook timeout", func(t *testing.T) {
		f := newEngineFixture(t, "web-1")
		id := f.create(t, nil)
		// A revision whose AppSpec the service can read: ApplicationStop
		// has two scripts of 60 s and 30 s.
		d := f.deployment(t, id)
		d.Info.Revision = &codedeploy.RevisionLocation{RevisionType: "AppSpecContent", AppSpecContent: &codedeploy.RawString{
			Content: "version: 0.0\nos: linux\nhooks:\n  ApplicationStop:\n    - location: a.sh\n      timeout: 60\n    - location: b.sh\n      timeout: 30\n"}}
		f.must(t, f.st.UpdateDeployment(f.ctx, d))
		f.must(t, f.engine.Pass(f.ctx))
		f.pollAck(t, "web-1")
		f.clock.add(89 * time.Second)
		f.must(t, f.engine.Pass(f.ctx))
		f.wantStatus(t, id, codedeploy.StatusInProgress, "")
		f.clock.add(2 * time.Second)
		f.must(t, f.engine.Pass(f.ctx))
		f.wantStatus(t, id, codedeploy.StatusFailed, "HEALTH_CONSTRAINTS")
	})
}

func TestEngine_DeploymentTimeout(t *testing.T) {
	f := newEngineFixture(t, "web-1")
	id := f.create(t, nil)
	// ApplicationStop may take 10 hours by the AppSpec; the deployment
	// may not take more than 8.
	d := f.deployment(t, id)
	d.Info.Revision = &codedeploy.RevisionLocation{RevisionType: "AppSpecContent", AppSpecContent: &codedeploy.RawString{
		Content: "version: 0.0\nos: linux\nhooks:\n  ApplicationStop:\n    - location: a.sh\n      timeout: 36000\n"}}
	f.must(t, f.st.UpdateDeployment(f.ctx, d))
	f.must(t, f.engine.Pass(f.ctx))
	c := f.pollAck(t, "web-1")
	f.clock.add(codedeploy.MaxDeploymentDuration - time.Minute)
	f.must(t, f.engine.Pass(f.ctx))
	f.wantStatus(t, id, codedeploy.StatusInProgress, "")
	f.clock.add(time.Minute)
	f.must(t, f.engine.Pass(f.ctx))
	f.wantStatus(t, id, codedeploy.StatusFailed, "TIMEOUT")
	if e := f.target(t, id, "web-1").LifecycleEvents[0]; e.Status != codedeploy.StatusFailed {
		t.Fatalf("ApplicationStop=%s, want Failed", e.Status)
	}
	if got, _ := f.svc.HostCommand(f.ctx, c.ID); got.State != codedeploy.CommandTimedOut {
		t.Fatalf("command=%s, want TimedOut", got.State)
	}
}

// TestEngine_InternalError checks that a deployment the engine cannot
// move on fails instead of staying InProgress forever.
func TestEngine_InternalError(t *testing.T) {
	f := newEngineFixture(t, "web-1")
	id := f.create(t, nil)
	f.must(t, f.svc.StartDeployment(f.ctx, id)) // started without the engine: no plan
	if err := f.engine.Pass(f.ctx); !errors.Is(err, codedeploy.ErrIllegalTransition) {
		t.Fatalf("pass err=%v, want the illegal transition reported", err)
	}
	f.wantStatus(t, id, codedeploy.StatusFailed, "INTERNAL_ERROR")
}

func (f *engineFixture) pollAck(t *testing.T, host string) *codedeploy.HostCommand {
	t.Helper()
	c, err := f.svc.PollHostCommand(f.ctx, scope, hostARN(host))
	f.must(t, err)
	if c == nil {
		t.Fatalf("no command for %s", host)
	}
	f.answer(t, c, "ack")
	return c
}

func TestEngine_Stop(t *testing.T) {
	f := newEngineFixture(t, "a", "b")
	id := f.create(t, &codedeploy.CreateDeploymentInput{DeploymentConfigName: "CodeDeployDefault.AllAtOnce"})
	f.must(t, f.engine.Pass(f.ctx))
	running := f.pollAck(t, "a") // a runs ApplicationStop
	waiting, err := f.svc.PollHostCommand(f.ctx, scope, hostARN("b"))
	f.must(t, err) // b's agent has it but has not acknowledged it
	out, err := f.svc.StopDeployment(f.ctx, &codedeploy.StopDeploymentInput{DeploymentID: id})
	f.must(t, err)
	if out.Status != "Pending" {
		t.Fatalf("StopDeployment=%+v, want Pending: a is running", out)
	}
	// b's command is cancelled: its agent is told Failed and skips it.
	if c, err := f.svc.HostCommand(f.ctx, waiting.ID); err != nil || c.State != codedeploy.CommandCancelled {
		t.Fatalf("b's command=%+v, %v, want Cancelled", c, err)
	}
	if st, err := f.svc.AcknowledgeHostCommand(f.ctx, waiting.ID, false); err != nil || st != codedeploy.CommandFailed {
		t.Fatalf("ack of a stopped command=%s, %v, want Failed", st, err)
	}
	f.must(t, f.engine.Pass(f.ctx))
	if c, _ := f.svc.PollHostCommand(f.ctx, scope, hostARN("a")); c != nil {
		t.Fatalf("poll=%+v, want no new command while stopping", c)
	}
	f.must(t, f.svc.CompleteHostCommand(f.ctx, running.ID, codedeploy.CommandSucceeded, nil))
	d := f.wantStatus(t, id, codedeploy.StatusStopped, "MANUAL_STOP")
	wantOverview(t, d, codedeploy.DeploymentOverview{Failed: 1, Skipped: 1})
	f.must(t, f.engine.Pass(f.ctx))
	if _, err := f.svc.StopDeployment(f.ctx, &codedeploy.StopDeploymentInput{DeploymentID: id}); err == nil {
		t.Fatalf("second StopDeployment err=nil, want DeploymentAlreadyCompleted")
	}
}

func TestEngine_Rollback(t *testing.T) {
	f := newEngineFixture(t, "a", "b")
	first := f.create(t, nil)
	f.drive(t, f.engine, first, succeedAll)
	onFailure := &codedeploy.AutoRollbackConfiguration{Enabled: true, Events: []string{"DEPLOYMENT_FAILURE"}}
	second := f.create(t, &codedeploy.CreateDeploymentInput{Revision: revision("v2.zip"), AutoRollbackConfiguration: onFailure})
	f.drive(t, f.engine, second, failOn("ValidateService", "a", "b"))
	d := f.wantStatus(t, second, codedeploy.StatusFailed, "HEALTH_CONSTRAINTS")
	rb := d.Info.RollbackInfo
	if rb == nil || rb.RollbackDeploymentID == "" {
		t.Fatalf("RollbackInfo=%+v, want a rollback deployment", rb)
	}
	if !slices.Equal(f.calls, []string{"CreateDeployment"}) {
		t.Fatalf("calls on the customer's behalf=%v, want the rollback's CreateDeployment", f.calls)
	}
	r := f.drive(t, f.engine, rb.RollbackDeploymentID, succeedAll)
	rd := f.wantStatus(t, rb.RollbackDeploymentID, codedeploy.StatusSucceeded, "")
	if rd.Info.Creator != codedeploy.CreatorRollback || rd.Info.Revision.S3Location.Key != "v1.zip" ||
		rd.Info.RollbackInfo.RollbackTriggeringDeploymentID != second {
		t.Fatalf("rollback=%+v, want codeDeployRollback of v1.zip triggered by %s", rd.Info, second)
	}
	if r.commands[0].Spec.DeploymentCreator != codedeploy.CreatorRollback || r.commands[0].Spec.Revision.S3Revision.Key != "v1.zip" {
		t.Fatalf("rollback spec=%+v, want codeDeployRollback of v1.zip", r.commands[0].Spec)
	}
}

func TestEngine_StopRollsBack(t *testing.T) {
	f := newEngineFixture(t, "a")
	first := f.create(t, nil)
	f.drive(t, f.engine, first, succeedAll)
	second := f.create(t, &codedeploy.CreateDeploymentInput{Revision: revision("v2.zip")})
	f.must(t, f.engine.Pass(f.ctx))
	out, err := f.svc.StopDeployment(f.ctx, &codedeploy.StopDeploymentInput{DeploymentID: second, AutoRollbackEnabled: new(true)})
	f.must(t, err)
	if out.Status != "Succeeded" {
		t.Fatalf("StopDeployment=%+v, want Succeeded: nothing was acknowledged", out)
	}
	d := f.wantStatus(t, second, codedeploy.StatusStopped, "MANUAL_STOP")
	f.drive(t, f.engine, d.Info.RollbackInfo.RollbackDeploymentID, succeedAll)
	f.wantStatus(t, d.Info.RollbackInfo.RollbackDeploymentID, codedeploy.StatusSucceeded, "")
}

// TestEngine_Restart stops one engine in the middle of a deployment
// without letting go of its lease (a crash); a second engine with its own
// connection to the same database takes over once the lease expires, and
// no command is handed out twice.
func TestEngine_Restart(t *testing.T) {
	dir := t.TempDir()
	f := newEngineFixtureAt(t, filepath.Join(dir, "db"), "a", "b", "c")
	id := f.create(t, nil)
	var r result
	for range 5 { // a is through some of its events
		f.must(t, f.engine.Pass(f.ctx))
		f.answerAll(t, &r, succeedAll)
	}
	f.must(t, f.engine.Pass(f.ctx)) // and has its next command queued
	db2, err := store.Open(context.Background(), filepath.Join(dir, "db"))
	f.must(t, err)
	t.Cleanup(func() { db2.Close() })
	svc2 := codedeploy.New(store.CodeDeploy{DB: db2}, []byte("k"))
	svc2.Now = f.clock.now
	second := newEngine(svc2, "engine-b")
	before := f.target(t, id, "a").LifecycleEvents
	f.must(t, second.Pass(f.ctx)) // the lease is engine-a's
	f.clock.add(codedeploy.DefaultLeaseTTL + time.Second)
	f.svc = svc2 // the agents now talk to the second server
	r2 := f.drive(t, second, id, succeedAll)
	f.wantStatus(t, id, codedeploy.StatusSucceeded, "")
	if len(before) != len(inPlace) || before[4].Status != codedeploy.StatusSucceeded {
		t.Fatalf("a's events before the restart=%+v, want the first five done", before)
	}
	if got := len(r.commands) + len(r2.commands); got != 3*len(inPlace) {
		t.Fatalf("commands handed out=%d, want %d: each once", got, 3*len(inPlace))
	}
}

func newEngineFixtureAt(t *testing.T, path string, hosts ...string) *engineFixture {
	t.Helper()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	f := &engineFixture{fixture: newFixtureOn(t, db, hosts...), clock: &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
		hosts: hosts, seen: map[string]bool{}}
	f.svc.Now = f.clock.now
	f.engine = newEngine(f.svc, "engine-a")
	return f
}

func TestEngine_DeploymentSpecification(t *testing.T) {
	f := newEngineFixture(t, "web-1")
	id := f.create(t, nil)
	f.must(t, f.engine.Pass(f.ctx))
	c, err := f.svc.PollHostCommand(f.ctx, scope, hostARN("web-1"))
	f.must(t, err)
	spec, err := f.svc.DeploymentSpecification(f.ctx, scope, c.ExecutionID, hostARN("web-1"))
	f.must(t, err)
	if spec.DeploymentID != id || spec.ApplicationName != "app" || spec.DeploymentGroupName != "dg" || spec.DeploymentCreator != "user" {
		t.Fatalf("spec=%+v, want deployment %s of app/dg by user", spec, id)
	}
	payload, err := json.Marshal(spec)
	f.must(t, err)
	want := `{"DeploymentId":"` + id + `","DeploymentGroupId":"` + f.group + `","DeploymentGroupName":"dg","ApplicationName":"app",` +
		`"DeploymentCreator":"user","DeploymentType":"IN_PLACE","AppSpecFilename":"appspec.yml",` +
		`"Revision":{"RevisionType":"S3","S3Revision":{"Bucket":"b","Key":"v1.zip","BundleType":"zip"}},` +
		`"AgentActionOverrides":{"AgentOverrides":{"FileExistsBehavior":"DISALLOW"}}}`
	if string(payload) != want {
		t.Fatalf("payload=%s\nwant     %s", payload, want)
	}
	// A host that is not a target of the deployment learns nothing.
	if _, err := f.svc.DeploymentSpecification(f.ctx, scope, c.ExecutionID, hostARN("dev-box")); !errors.Is(err, codedeploy.ErrNotFound) {
		t.Fatalf("another host's spec err=%v, want ErrNotFound", err)
	}
}

func TestEngine_DiagnosticsBounded(t *testing.T) {
	f := newEngineFixture(t, "web-1")
	id := f.create(t, nil)
	f.must(t, f.engine.Pass(f.ctx))
	c := f.pollAck(t, "web-1")
	log := strings.Repeat("x", 10000) + "the end"
	f.must(t, f.svc.CompleteHostCommand(f.ctx, c.ID, codedeploy.CommandFailed, &codedeploy.Diagnostics{ErrorCode: "ScriptFailed", LogTail: log}))
	d := f.target(t, id, "web-1").LifecycleEvents[0].Diagnostics
	if len(d.LogTail) != 4096 || !strings.HasSuffix(d.LogTail, "the end") {
		t.Fatalf("logTail of %d bytes, want the last 4096", len(d.LogTail))
	}
	// The first completion wins.
	err := f.svc.CompleteHostCommand(f.ctx, c.ID, codedeploy.CommandSucceeded, nil)
	if !errors.Is(err, codedeploy.ErrCommandEnded) {
		t.Fatalf("second completion err=%v, want ErrCommandEnded", err)
	}
	if st := f.target(t, id, "web-1").LifecycleEvents[0].Status; st != codedeploy.StatusFailed {
		t.Fatalf("ApplicationStop=%s after a second completion, want Failed", st)
	}
}

// TestEngine_TwoEnginesOneDatabase runs two engines, each with its own
// connection to one database as two server processes would, and agents
// that poll either: the deployment succeeds and no command is handed out
// twice.
func TestEngine_TwoEnginesOneDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	hosts := []string{"h1", "h2", "h3", "h4", "h5", "h6"}
	f := newEngineFixtureAt(t, path, hosts...)
	f.svc.Now = time.Now
	db2, err := store.Open(context.Background(), path)
	f.must(t, err)
	t.Cleanup(func() { db2.Close() })
	services := []*codedeploy.Service{f.svc, codedeploy.New(store.CodeDeploy{DB: db2}, []byte("k"))}
	ctx, cancel := context.WithCancel(f.ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	for i, svc := range services {
		e := newEngine(svc, fmt.Sprintf("engine-%d", i))
		e.Interval = 20 * time.Millisecond
		wg.Go(func() { e.Run(ctx) })
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	for i, h := range hosts {
		for j := range 2 { // two pollers per host, on different servers
			svc := services[(i+j)%2]
			wg.Go(func() {
				for ctx.Err() == nil {
					c, err := svc.PollHostCommand(ctx, scope, hostARN(h))
					if err != nil || c == nil {
						time.Sleep(5 * time.Millisecond)
						continue
					}
					mu.Lock()
					dup := seen[c.ID]
					seen[c.ID] = true
					mu.Unlock()
					if dup {
						t.Errorf("command %s handed out twice", c.ID)
					}
					if _, err := svc.AcknowledgeHostCommand(ctx, c.ID, false); err == nil {
						svc.CompleteHostCommand(ctx, c.ID, codedeploy.CommandSucceeded, nil)
					}
				}
			})
		}
	}
	id := f.create(t, &codedeploy.CreateDeploymentInput{DeploymentConfigName: "CodeDeployDefault.AllAtOnce"})
	deadline := time.Now().Add(30 * time.Second)
	for f.deployment(t, id).Info.Status != codedeploy.StatusSucceeded {
		if time.Now().After(deadline) {
			t.Fatalf("deployment=%+v, want Succeeded", f.deployment(t, id).Info)
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != len(hosts)*len(inPlace) {
		t.Fatalf("commands handed out=%d, want %d", len(seen), len(hosts)*len(inPlace))
	}
}
