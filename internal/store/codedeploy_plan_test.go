package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deploytrail/deploytrail/internal/codedeploy"
)

// TestCodeDeploySQL_UsesIndexes checks with EXPLAIN QUERY PLAN that the
// reads made on every lifecycle event, engine pass or agent call walk an
// index of their deployment (and host), and CreateDeployment's checks one
// of the active deployments: at 1,000 hosts a scan of the
// deployment's commands or a decoding of its targets made each call cost
// as much as the whole fleet.
//
// SQLite only: it reads SQLite's EXPLAIN QUERY PLAN (PostgreSQL plans by
// its statistics).
func TestCodeDeploySQL_UsesIndexes(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tt := range []struct {
		name, query string
		args        []any
		step        string // the plan's one step
		sorts       bool   // whether the plan may sort what the index found
	}{
		{"HostCommandsOfHost", hostCommandsOfHostSQL, []any{"d-1", "arn:host"},
			"SEARCH cd_host_commands USING INDEX cd_host_commands_host (deployment_id=? AND host=?)", false},
		{"OpenHostCommands", openHostCommandsSQL, []any{"d-1"},
			"SEARCH cd_host_commands USING INDEX cd_host_commands_deployment (deployment_id=? AND state=?)", true},
		{"CommandedTargets", commandedTargetsSQL, []any{"d-1"},
			"SEARCH cd_host_commands USING COVERING INDEX sqlite_autoindex_cd_host_commands_2 (deployment_id=?)", false},
		{"TargetStatusCounts", targetStatusCountsSQL, []any{"d-1"},
			"SEARCH cd_targets USING COVERING INDEX cd_targets_status (deployment_id=?)", false},
		// CreateDeployment's checks, on the serial writer: through
		// cd_deployments_scope each read every deployment of the region.
		{"ActiveDeploymentOfGroup", activeDeploymentOfGroupSQL, []any{"g-1"},
			"SEARCH cd_deployments USING INDEX cd_deployments_group (group_id=? AND status=?)", false},
		{"GroupDeployments", groupDeploymentsSQL, groupDeploymentsArgs,
			"SEARCH cd_deployments USING INDEX cd_deployments_group (group_id=? AND status=?)", true},
		{"CountActiveDeployments", countActiveDeploymentsSQL, []any{"111122223333", "us-east-1"},
			"SEARCH cd_deployments USING COVERING INDEX cd_deployments_active_scope (account=? AND region=? AND status=?)", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			plan := explain(t, db, tt.query, tt.args...)
			lines := strings.Split(plan, "\n")
			if lines[0] != tt.step {
				t.Fatalf("plan does not start with %q:\n%s", tt.step, plan)
			}
			for _, line := range lines[1:] {
				if !tt.sorts || !strings.HasPrefix(line, "USE TEMP B-TREE FOR ORDER BY") {
					t.Fatalf("plan has a step besides %q:\n%s", tt.step, plan)
				}
			}
		})
	}
}

// The engine's read of a group's past deployments at every start
// (instanceHealth), as Deployments makes it.
var groupDeploymentsSQL, groupDeploymentsArgs = deploymentsQuery(sqliteDialect, codedeploy.DeploymentFilter{
	Scope: codedeploy.Scope{Account: "111122223333", Region: "us-east-1"}, GroupID: "g-1",
	Statuses: []string{codedeploy.StatusSucceeded, codedeploy.StatusFailed, codedeploy.StatusStopped}})
