package store

import (
	"context"
	"maps"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/codedeploy"
)

// TestMigration_EngineReads upgrades a database written before migration
// 0014 with a deployment in flight: its targets' statuses are filled from
// their documents, so that the overview of its next lifecycle event counts
// them all, and its plan moves out of its document, so that the engine
// goes on with it.
//
// SQLite only: the databases written before 0014 are SQLite files.
func TestMigration_EngineReads(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.sqlite")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	d := &codedeploy.Deployment{Scope: codedeploy.Scope{Account: "111122223333", Region: "us-east-1"}, AppID: "app", GroupID: "group",
		Info: codedeploy.DeploymentInfo{DeploymentID: "d-AAAAAAAAA", Status: codedeploy.StatusInProgress, CreateTime: time.Now()}}
	if err := (CodeDeploy{db}).InsertDeployment(ctx, d); err != nil {
		t.Fatal(err)
	}
	// The schema and data as the previous release left them.
	for _, stmt := range []string{
		`DROP INDEX cd_targets_status`,
		`DROP INDEX cd_host_commands_host`,
		`ALTER TABLE cd_targets DROP COLUMN status`,
		`ALTER TABLE cd_deployments DROP COLUMN plan`,
		`DELETE FROM schema_migrations WHERE version = 14`,
		`UPDATE cd_deployments SET data = json_set(data, '$.Plan', json('{"MinHealthy":2,"BatchSize":1,"Order":["h3","h1","h2"]}'))`,
		`INSERT INTO cd_targets (deployment_id, target_id, data) VALUES
			('d-AAAAAAAAA', 'h1', '{"targetId":"h1","status":"Succeeded"}'),
			('d-AAAAAAAAA', 'h2', '{"targetId":"h2","status":"InProgress"}'),
			('d-AAAAAAAAA', 'h3', '{"targetId":"h3","status":"InProgress"}')`,
	} {
		if _, err := db.write.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = Open(ctx, path); err != nil {
		t.Fatalf("open after the upgrade: %v", err)
	}
	defer db.Close()
	counts, err := CodeDeploy{db}.TargetStatusCounts(ctx, "d-AAAAAAAAA")
	if want := map[string]int{codedeploy.StatusSucceeded: 1, codedeploy.StatusInProgress: 2}; err != nil || !maps.Equal(counts, want) {
		t.Fatalf("TargetStatusCounts after the upgrade=%v, %v, want %v", counts, err, want)
	}
	plan, err := CodeDeploy{db}.DeploymentPlan(ctx, "d-AAAAAAAAA")
	if want := (codedeploy.Plan{MinHealthy: 2, BatchSize: 1, Order: []string{"h3", "h1", "h2"}}); err != nil || !reflect.DeepEqual(*plan, want) {
		t.Fatalf("DeploymentPlan after the upgrade=%+v, %v, want %+v", plan, err, want)
	}
	var data string
	if err := db.read.QueryRowContext(ctx, `SELECT data FROM cd_deployments WHERE id = 'd-AAAAAAAAA'`).Scan(&data); err != nil || strings.Contains(data, "Plan") {
		t.Fatalf("deployment document after the upgrade=%s, %v, want it without its plan", data, err)
	}
}
