package store_test

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/codedeploy"
	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/store/storetest"
)

func insertTestDeployment(t *testing.T, s store.CodeDeploy, id, status string, created time.Time) {
	t.Helper()
	d := &codedeploy.Deployment{Scope: codedeploy.Scope{Account: "111122223333", Region: "us-east-1"}, AppID: "app", GroupID: "group",
		Info: codedeploy.DeploymentInfo{DeploymentID: id, Status: status, CreateTime: created}}
	if err := s.InsertDeployment(context.Background(), d); err != nil {
		t.Fatalf("insert: %v", err)
	}
}

// TestCodeDeploy_Leases checks the engine's lease contract: one holder at
// a time, renewed by its holder, free once expired or released.
func TestCodeDeploy_Leases(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.CodeDeploy{DB: db}
		t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		insertTestDeployment(t, s, "d-AAAAAAAAA", codedeploy.StatusInProgress, t0)
		ttl := 30 * time.Second
		claim := func(owner string, at time.Time) bool {
			t.Helper()
			ok, err := s.ClaimDeployment(ctx, "d-AAAAAAAAA", owner, at, at.Add(ttl))
			if err != nil {
				t.Fatalf("claim: %v", err)
			}
			return ok
		}
		steps := []struct {
			owner string
			at    time.Duration
			want  bool
		}{
			{"a", 0, true},                // free
			{"b", time.Second, false},     // a holds it
			{"a", 20 * time.Second, true}, // a renews (past half its time): until 50 s
			{"b", 40 * time.Second, false},
			{"b", 51 * time.Second, true}, // expired: b takes over
			{"a", 52 * time.Second, false},
		}
		for _, st := range steps {
			if got := claim(st.owner, t0.Add(st.at)); got != st.want {
				t.Fatalf("claim by %s at %v=%v, want %v", st.owner, st.at, got, st.want)
			}
		}
		if err := s.ReleaseDeployments(ctx, "b"); err != nil {
			t.Fatal(err)
		}
		if !claim("a", t0.Add(53*time.Second)) {
			t.Fatal("claim after release=false, want true")
		}
		if _, err := s.ClaimDeployment(ctx, "d-BBBBBBBBB", "a", t0, t0.Add(ttl)); !errors.Is(err, codedeploy.ErrNotFound) {
			t.Fatalf("claim of a missing deployment err=%v, want ErrNotFound", err)
		}
	})
}

func TestCodeDeploy_HostCommands(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.CodeDeploy{DB: db}
		t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		insertTestDeployment(t, s, "d-AAAAAAAAA", codedeploy.StatusInProgress, t0)
		insertTestDeployment(t, s, "d-BBBBBBBBB", codedeploy.StatusSucceeded, t0.Add(time.Second))
		if ids, err := s.ActiveDeployments(ctx, 10); err != nil || len(ids) != 1 || ids[0] != "d-AAAAAAAAA" {
			t.Fatalf("ActiveDeployments=%v, %v, want d-AAAAAAAAA", ids, err)
		}
		sc := codedeploy.Scope{Account: "111122223333", Region: "us-east-1"}
		cmd := func(id, host, name string, at time.Duration) *codedeploy.HostCommand {
			return &codedeploy.HostCommand{ID: id, Scope: sc, HostIdentifier: host, DeploymentID: "d-AAAAAAAAA", TargetID: host,
				CommandName: name, State: codedeploy.CommandPending, Created: t0.Add(at)}
		}
		for _, c := range []*codedeploy.HostCommand{cmd("c2", "h1", "DownloadBundle", 2), cmd("c1", "h1", "ApplicationStop", 1), cmd("c3", "h2", "ApplicationStop", 0)} {
			if err := s.InsertHostCommand(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.InsertHostCommand(ctx, cmd("c4", "h1", "ApplicationStop", 3)); !errors.Is(err, codedeploy.ErrExists) {
			t.Fatalf("a second command for one event err=%v, want ErrExists", err)
		}
		next, err := s.NextHostCommand(ctx, sc, "h1")
		if err != nil || next.ID != "c1" {
			t.Fatalf("next for h1=%+v, %v, want the oldest, c1", next, err)
		}
		next.State = codedeploy.CommandDispatched
		if err := s.UpdateHostCommand(ctx, next); err != nil {
			t.Fatal(err)
		}
		if next, err = s.NextHostCommand(ctx, sc, "h1"); err != nil || next.ID != "c2" {
			t.Fatalf("next for h1 after dispatch=%+v, %v, want c2", next, err)
		}
		if _, err := s.NextHostCommand(ctx, sc, "h3"); !errors.Is(err, codedeploy.ErrNotFound) {
			t.Fatalf("next for h3 err=%v, want ErrNotFound", err)
		}
		all, err := s.HostCommands(ctx, "d-AAAAAAAAA")
		if err != nil || len(all) != 3 || all[0].ID != "c3" {
			t.Fatalf("HostCommands=%d, %v, want 3 oldest first", len(all), err)
		}
		// The engine's narrower reads: an ended command is no longer open,
		// but its target has still had a command.
		ended := all[0]
		ended.State = codedeploy.CommandSucceeded
		if err := s.UpdateHostCommand(ctx, ended); err != nil {
			t.Fatal(err)
		}
		open, err := s.OpenHostCommands(ctx, "d-AAAAAAAAA")
		if err != nil || len(open) != 2 || open[0].ID != "c1" || open[1].ID != "c2" {
			t.Fatalf("OpenHostCommands=%d, %v, want c1 and c2 (c3 ended)", len(open), err)
		}
		targets, err := s.CommandedTargets(ctx, "d-AAAAAAAAA")
		slices.Sort(targets)
		if err != nil || !slices.Equal(targets, []string{"h1", "h2"}) {
			t.Fatalf("CommandedTargets=%v, %v, want h1 and h2", targets, err)
		}
		mine, err := s.HostCommandsOfHost(ctx, "d-AAAAAAAAA", "h1")
		if err != nil || len(mine) != 2 || mine[0].ID != "c1" || mine[1].ID != "c2" {
			t.Fatalf("HostCommandsOfHost(h1)=%d, %v, want c1, c2", len(mine), err)
		}
		if none, err := s.HostCommandsOfHost(ctx, "d-BBBBBBBBB", "h1"); err != nil || len(none) != 0 {
			t.Fatalf("HostCommandsOfHost of another deployment=%d, %v, want none", len(none), err)
		}
	})
}

// TestCodeDeploy_Target reads one target of a deployment, as the command
// service does on every poll, and ErrNotFound for another's; and counts
// a deployment's targets by status, as each lifecycle event does.
func TestCodeDeploy_Target(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.CodeDeploy{DB: db}
		insertTestDeployment(t, s, "d-AAAAAAAAA", codedeploy.StatusInProgress, time.Now())
		targets := []*codedeploy.InstanceTarget{{TargetID: "h1", Status: codedeploy.StatusPending}, {TargetID: "h2", Status: codedeploy.StatusInProgress}}
		if err := s.PutTargets(ctx, "d-AAAAAAAAA", targets); err != nil {
			t.Fatal(err)
		}
		got, err := s.Target(ctx, "d-AAAAAAAAA", "h2")
		if err != nil || got.TargetID != "h2" || got.Status != codedeploy.StatusInProgress {
			t.Fatalf("Target(h2)=%+v, %v, want h2 InProgress", got, err)
		}
		if _, err := s.Target(ctx, "d-BBBBBBBBB", "h2"); !errors.Is(err, codedeploy.ErrNotFound) {
			t.Fatalf("Target of another deployment err=%v, want ErrNotFound", err)
		}
		targets[0].Status = codedeploy.StatusSucceeded
		targets = append(targets, &codedeploy.InstanceTarget{TargetID: "h3", Status: codedeploy.StatusInProgress})
		if err := s.PutTargets(ctx, "d-AAAAAAAAA", targets); err != nil {
			t.Fatal(err)
		}
		counts, err := s.TargetStatusCounts(ctx, "d-AAAAAAAAA")
		if want := map[string]int{codedeploy.StatusSucceeded: 1, codedeploy.StatusInProgress: 2}; err != nil || !maps.Equal(counts, want) {
			t.Fatalf("TargetStatusCounts=%v, %v, want %v", counts, err, want)
		}
	})
}

// TestCodeDeploy_Plan stores the engine's plan apart from its deployment,
// which reads and writes as before.
func TestCodeDeploy_Plan(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.CodeDeploy{DB: db}
		insertTestDeployment(t, s, "d-AAAAAAAAA", codedeploy.StatusInProgress, time.Now())
		if _, err := s.DeploymentPlan(ctx, "d-AAAAAAAAA"); !errors.Is(err, codedeploy.ErrNotFound) {
			t.Fatalf("plan before the deployment starts err=%v, want ErrNotFound", err)
		}
		want := &codedeploy.Plan{MinHealthy: 1, BatchSize: 2, Order: []string{"h2", "h1", "h3"}}
		if err := s.PutDeploymentPlan(ctx, "d-AAAAAAAAA", want); err != nil {
			t.Fatal(err)
		}
		d, err := s.Deployment(ctx, "d-AAAAAAAAA")
		if err != nil {
			t.Fatal(err)
		}
		d.Info.Status = codedeploy.StatusSucceeded
		if err := s.UpdateDeployment(ctx, d); err != nil {
			t.Fatal(err)
		}
		if got, err := s.DeploymentPlan(ctx, "d-AAAAAAAAA"); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("DeploymentPlan after an update of its deployment=%+v, %v, want %+v", got, err, want)
		}
		if err := s.PutDeploymentPlan(ctx, "d-BBBBBBBBB", want); !errors.Is(err, codedeploy.ErrNotFound) {
			t.Fatalf("plan of a missing deployment err=%v, want ErrNotFound", err)
		}
	})
}

// TestCodeDeploy_ActiveChecks checks what CreateDeployment's two checks
// read through the partial indexes: a group's one active deployment,
// and a scope's active count, which ended deployments and other scopes
// leave alone.
func TestCodeDeploy_ActiveChecks(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.CodeDeploy{DB: db}
		t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		sc := codedeploy.Scope{Account: "111122223333", Region: "us-east-1"}
		insert := func(id, group, region, status string) *codedeploy.Deployment {
			t.Helper()
			d := &codedeploy.Deployment{Scope: codedeploy.Scope{Account: sc.Account, Region: region}, AppID: "app", GroupID: group,
				Info: codedeploy.DeploymentInfo{DeploymentID: id, Status: status, CreateTime: t0}}
			if err := s.InsertDeployment(ctx, d); err != nil {
				t.Fatalf("insert %s: %v", id, err)
			}
			return d
		}
		insert("d-AAAAAAAAA", "g1", sc.Region, codedeploy.StatusSucceeded)
		insert("d-BBBBBBBBB", "g1", sc.Region, codedeploy.StatusFailed)
		if _, err := s.ActiveDeploymentOfGroup(ctx, "g1"); !errors.Is(err, codedeploy.ErrNotFound) {
			t.Fatalf("active deployment of a group whose deployments ended err=%v, want ErrNotFound", err)
		}
		running := insert("d-CCCCCCCCC", "g1", sc.Region, codedeploy.StatusInProgress)
		insert("d-DDDDDDDDD", "g2", sc.Region, codedeploy.StatusCreated)
		insert("d-EEEEEEEEE", "g3", "eu-west-1", codedeploy.StatusReady)
		if d, err := s.ActiveDeploymentOfGroup(ctx, "g1"); err != nil || d.Info.DeploymentID != "d-CCCCCCCCC" {
			t.Fatalf("active deployment of g1=%+v, %v, want d-CCCCCCCCC", d, err)
		}
		count := func() int {
			t.Helper()
			n, err := s.CountActiveDeployments(ctx, sc)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(); n != 2 {
			t.Fatalf("active deployments in %s=%d, want 2 (InProgress, Created)", sc.Region, n)
		}
		running.Info.Status = codedeploy.StatusSucceeded
		if err := s.UpdateDeployment(ctx, running); err != nil {
			t.Fatal(err)
		}
		if n := count(); n != 1 {
			t.Fatalf("active deployments after one ended=%d, want 1", n)
		}
		if _, err := s.ActiveDeploymentOfGroup(ctx, "g1"); !errors.Is(err, codedeploy.ErrNotFound) {
			t.Fatalf("active deployment of g1 after it ended err=%v, want ErrNotFound", err)
		}
	})
}
