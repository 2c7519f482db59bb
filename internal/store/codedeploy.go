package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/deploytrail/deploytrail/internal/codedeploy"
)

// CodeDeploy is the codedeploy.Store of a DB. Each record is stored whole
// as JSON in a data column; the other columns serve lookups.
type CodeDeploy struct{ *DB }

var _ codedeploy.Store = CodeDeploy{}

// cdErr maps SQL outcomes to codedeploy's errors.
func cdErr(err error) error {
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return codedeploy.ErrNotFound
	case isUnique(err):
		return codedeploy.ErrExists
	}
	return err
}

// cdAffect turns "no row changed" into ErrNotFound.
func cdAffect(res sql.Result, err error) error {
	if err != nil {
		return cdErr(err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return errors.Join(err, codedeploy.ErrNotFound)
	}
	return nil
}

// write runs an INSERT or UPDATE whose arguments include the JSON document
// of record at the place of docArg (a sentinel in args).
func (s CodeDeploy) write(ctx context.Context, query string, record any, args ...any) (sql.Result, error) {
	data, err := doc(record)
	if err != nil {
		return nil, err
	}
	for i, a := range args {
		if a == docArg {
			args[i] = data
		}
	}
	return s.exec1Try(ctx, query, args...)
}

// docArg marks where write puts the record's document.
var docArg = &struct{ name string }{"document"}

// cdOne is one with codedeploy's errors.
func cdOne[T any](ctx context.Context, q querier, query string, args ...any) (*T, error) {
	v, err := one[T](ctx, q, query, args...)
	return v, cdErr(err)
}

func (s CodeDeploy) Application(ctx context.Context, sc codedeploy.Scope, name string) (*codedeploy.Application, error) {
	return cdOne[codedeploy.Application](ctx, s.q(ctx), `SELECT data FROM cd_applications WHERE account = ? AND region = ? AND name = ?`, sc.Account, sc.Region, name)
}

func (s CodeDeploy) ApplicationByID(ctx context.Context, id string) (*codedeploy.Application, error) {
	return cdOne[codedeploy.Application](ctx, s.q(ctx), `SELECT data FROM cd_applications WHERE id = ?`, id)
}

func (s CodeDeploy) InsertApplication(ctx context.Context, a *codedeploy.Application) error {
	_, err := s.write(ctx, `INSERT INTO cd_applications (id, account, region, name, data) VALUES (?, ?, ?, ?, ?)`, a,
		a.Info.ApplicationID, a.Account, a.Region, a.Info.ApplicationName, docArg)
	return cdErr(err)
}

func (s CodeDeploy) UpdateApplication(ctx context.Context, a *codedeploy.Application) error {
	return cdAffect(s.write(ctx, `UPDATE cd_applications SET name = ?, data = ? WHERE id = ?`, a, a.Info.ApplicationName, docArg, a.Info.ApplicationID))
}

func (s CodeDeploy) DeleteApplication(ctx context.Context, id string) error {
	_, err := s.exec1(ctx, `DELETE FROM cd_applications WHERE id = ?`, id)
	return err
}

func (s CodeDeploy) Applications(ctx context.Context, sc codedeploy.Scope) ([]*codedeploy.Application, error) {
	return all[codedeploy.Application](ctx, s.q(ctx), `SELECT data FROM cd_applications WHERE account = ? AND region = ? ORDER BY name`, sc.Account, sc.Region)
}

func (s CodeDeploy) CountApplications(ctx context.Context, sc codedeploy.Scope) (int, error) {
	var n int
	err := s.q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM cd_applications WHERE account = ? AND region = ?`, sc.Account, sc.Region).Scan(&n)
	return n, err
}

func (s CodeDeploy) CountDeploymentGroups(ctx context.Context, appID string) (int, error) {
	var n int
	err := s.q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM cd_deployment_groups WHERE app_id = ?`, appID).Scan(&n)
	return n, err
}

func (s CodeDeploy) DeploymentGroup(ctx context.Context, appID, name string) (*codedeploy.DeploymentGroup, error) {
	return cdOne[codedeploy.DeploymentGroup](ctx, s.q(ctx), `SELECT data FROM cd_deployment_groups WHERE app_id = ? AND name = ?`, appID, name)
}

func (s CodeDeploy) DeploymentGroupByID(ctx context.Context, id string) (*codedeploy.DeploymentGroup, error) {
	return cdOne[codedeploy.DeploymentGroup](ctx, s.q(ctx), `SELECT data FROM cd_deployment_groups WHERE id = ?`, id)
}

func (s CodeDeploy) InsertDeploymentGroup(ctx context.Context, g *codedeploy.DeploymentGroup) error {
	_, err := s.write(ctx, `INSERT INTO cd_deployment_groups (id, app_id, name, config_name, data) VALUES (?, ?, ?, ?, ?)`, g,
		g.Info.DeploymentGroupID, g.AppID, g.Info.DeploymentGroupName, g.Info.DeploymentConfigName, docArg)
	return cdErr(err)
}

func (s CodeDeploy) UpdateDeploymentGroup(ctx context.Context, g *codedeploy.DeploymentGroup) error {
	return cdAffect(s.write(ctx, `UPDATE cd_deployment_groups SET name = ?, config_name = ?, data = ? WHERE id = ?`, g,
		g.Info.DeploymentGroupName, g.Info.DeploymentConfigName, docArg, g.Info.DeploymentGroupID))
}

func (s CodeDeploy) DeleteDeploymentGroup(ctx context.Context, id string) error {
	_, err := s.exec1(ctx, `DELETE FROM cd_deployment_groups WHERE id = ?`, id)
	return err
}

func (s CodeDeploy) DeploymentGroups(ctx context.Context, appID string) ([]*codedeploy.DeploymentGroup, error) {
	return all[codedeploy.DeploymentGroup](ctx, s.q(ctx), `SELECT data FROM cd_deployment_groups WHERE app_id = ? ORDER BY name`, appID)
}

func (s CodeDeploy) GroupsUsingConfig(ctx context.Context, sc codedeploy.Scope, name string) (int, error) {
	var n int
	err := s.q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM cd_deployment_groups g JOIN cd_applications a ON a.id = g.app_id
		WHERE a.account = ? AND a.region = ? AND g.config_name = ?`, sc.Account, sc.Region, name).Scan(&n)
	return n, err
}

func (s CodeDeploy) DeploymentConfig(ctx context.Context, sc codedeploy.Scope, name string) (*codedeploy.DeploymentConfig, error) {
	return cdOne[codedeploy.DeploymentConfig](ctx, s.q(ctx), `SELECT data FROM cd_deployment_configs WHERE account = ? AND region = ? AND name = ?`, sc.Account, sc.Region, name)
}

func (s CodeDeploy) InsertDeploymentConfig(ctx context.Context, c *codedeploy.DeploymentConfig) error {
	_, err := s.write(ctx, `INSERT INTO cd_deployment_configs (account, region, name, data) VALUES (?, ?, ?, ?)`, c,
		c.Account, c.Region, c.Info.DeploymentConfigName, docArg)
	return cdErr(err)
}

func (s CodeDeploy) UpdateDeploymentConfig(ctx context.Context, c *codedeploy.DeploymentConfig) error {
	return cdAffect(s.write(ctx, `UPDATE cd_deployment_configs SET data = ? WHERE account = ? AND region = ? AND name = ?`, c,
		docArg, c.Account, c.Region, c.Info.DeploymentConfigName))
}

func (s CodeDeploy) DeleteDeploymentConfig(ctx context.Context, sc codedeploy.Scope, name string) error {
	return cdAffect(s.exec1(ctx, `DELETE FROM cd_deployment_configs WHERE account = ? AND region = ? AND name = ?`, sc.Account, sc.Region, name))
}

func (s CodeDeploy) DeploymentConfigs(ctx context.Context, sc codedeploy.Scope) ([]*codedeploy.DeploymentConfig, error) {
	return all[codedeploy.DeploymentConfig](ctx, s.q(ctx), `SELECT data FROM cd_deployment_configs WHERE account = ? AND region = ? ORDER BY name`, sc.Account, sc.Region)
}

func (s CodeDeploy) Revision(ctx context.Context, appID, key string) (*codedeploy.Revision, error) {
	return cdOne[codedeploy.Revision](ctx, s.q(ctx), `SELECT data FROM cd_revisions WHERE app_id = ? AND key = ?`, appID, s.dialect.keyText(key))
}

func (s CodeDeploy) PutRevision(ctx context.Context, r *codedeploy.Revision) error {
	_, err := s.write(ctx, `INSERT INTO cd_revisions (app_id, key, data) VALUES (?, ?, ?)
		ON CONFLICT (app_id, key) DO UPDATE SET data = excluded.data`, r, r.AppID, s.dialect.keyText(r.Key), docArg)
	return cdErr(err)
}

func (s CodeDeploy) Revisions(ctx context.Context, appID string) ([]*codedeploy.Revision, error) {
	return all[codedeploy.Revision](ctx, s.q(ctx), `SELECT data FROM cd_revisions WHERE app_id = ? ORDER BY key`, appID)
}

func (s CodeDeploy) Deployment(ctx context.Context, id string) (*codedeploy.Deployment, error) {
	return cdOne[codedeploy.Deployment](ctx, s.q(ctx), `SELECT data FROM cd_deployments WHERE id = ?`, id)
}

// InsertDeployment stores d. A conflict (its id taken, or its group's
// active deployment in cd_deployments_one_active) inserts nothing rather
// than failing the statement, which on PostgreSQL would abort the whole
// transaction, so that the caller can still read who holds the group.
func (s CodeDeploy) InsertDeployment(ctx context.Context, d *codedeploy.Deployment) error {
	return s.Tx(ctx, func(ctx context.Context) error {
		res, err := s.write(ctx, `INSERT INTO cd_deployments (id, account, region, app_id, group_id, status, created, external_id, data)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, d, d.Info.DeploymentID, d.Account, d.Region, d.AppID, d.GroupID,
			d.Info.Status, nanos(d.Info.CreateTime), d.Info.ExternalID, docArg)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		if _, err := s.Deployment(ctx, d.Info.DeploymentID); err == nil {
			return codedeploy.ErrExists
		}
		return codedeploy.ErrGroupActive
	})
}

func (s CodeDeploy) UpdateDeployment(ctx context.Context, d *codedeploy.Deployment) error {
	return cdAffect(s.write(ctx, `UPDATE cd_deployments SET status = ?, data = ? WHERE id = ?`, d, d.Info.Status, docArg, d.Info.DeploymentID))
}

// PutDeploymentPlan keeps the plan in its own column: the deployment's
// document, read and written on every lifecycle event, stays the same
// size whatever the number of targets the plan orders.
func (s CodeDeploy) PutDeploymentPlan(ctx context.Context, deploymentID string, p *codedeploy.Plan) error {
	return cdAffect(s.write(ctx, `UPDATE cd_deployments SET plan = ? WHERE id = ?`, p, docArg, deploymentID))
}

func (s CodeDeploy) DeploymentPlan(ctx context.Context, deploymentID string) (*codedeploy.Plan, error) {
	return cdOne[codedeploy.Plan](ctx, s.q(ctx), `SELECT plan FROM cd_deployments WHERE id = ? AND plan <> ''`, deploymentID)
}

// The checks CreateDeployment makes in its transaction, on the serial
// writer: each reads only active deployments through a partial index, so
// their cost does not grow with every deployment ever made in the region
// (TestCodeDeploySQL_UsesIndexes). The status lists must stay the partial
// indexes' own, word for word, for SQLite to use them.
const (
	// activeDeploymentOfGroupSQL probes cd_deployments_group once per
	// active status: at most one row matches (cd_deployments_one_active).
	activeDeploymentOfGroupSQL = `SELECT data FROM cd_deployments
		WHERE group_id = ? AND status IN ('Created', 'Queued', 'InProgress', 'Baking', 'Ready') LIMIT 1`
	// countActiveDeploymentsSQL counts cd_deployments_active_scope's
	// entries of the scope alone.
	countActiveDeploymentsSQL = `SELECT COUNT(*) FROM cd_deployments
		WHERE account = ? AND region = ? AND status IN ('Created', 'Queued', 'InProgress', 'Baking', 'Ready')`
)

func (s CodeDeploy) ActiveDeploymentOfGroup(ctx context.Context, groupID string) (*codedeploy.Deployment, error) {
	return cdOne[codedeploy.Deployment](ctx, s.q(ctx), activeDeploymentOfGroupSQL, groupID)
}

func (s CodeDeploy) CountActiveDeployments(ctx context.Context, sc codedeploy.Scope) (int, error) {
	var n int
	err := s.q(ctx).QueryRowContext(ctx, countActiveDeploymentsSQL, sc.Account, sc.Region).Scan(&n)
	return n, err
}

func (s CodeDeploy) Deployments(ctx context.Context, f codedeploy.DeploymentFilter) ([]*codedeploy.Deployment, error) {
	query, args := deploymentsQuery(s.dialect, f)
	return all[codedeploy.Deployment](ctx, s.q(ctx), query, args...)
}

// deploymentsQuery selects f's deployments, newest first. A group's are
// read through cd_deployments_group: SQLite otherwise walks
// cd_deployments_scope for its order and reads every deployment the
// region ever had, which the engine did at every deployment's start
// (instanceHealth).
func deploymentsQuery(d *dialect, f codedeploy.DeploymentFilter) (string, []any) {
	where := []string{"account = ?", "region = ?"}
	args := []any{f.Account, f.Region}
	from := "cd_deployments"
	if f.GroupID != "" {
		where, args = append(where, "group_id = ?"), append(args, f.GroupID)
		from += d.groupIndex
	}
	if len(f.Statuses) > 0 {
		where = append(where, "status IN (?"+strings.Repeat(", ?", len(f.Statuses)-1)+")")
		for _, st := range f.Statuses {
			args = append(args, st)
		}
	}
	if !f.From.IsZero() {
		where, args = append(where, "created >= ?"), append(args, nanos(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, "created <= ?"), append(args, nanos(f.To))
	}
	if f.ExternalID != "" {
		where, args = append(where, "external_id = ?"), append(args, f.ExternalID)
	}
	return `SELECT data FROM ` + from + ` WHERE ` + strings.Join(where, " AND ") + ` ORDER BY created DESC, id DESC`, args
}

func (s CodeDeploy) PutTargets(ctx context.Context, deploymentID string, targets []*codedeploy.InstanceTarget) error {
	return s.Tx(ctx, func(ctx context.Context) error {
		for _, t := range targets {
			_, err := s.write(ctx, `INSERT INTO cd_targets (deployment_id, target_id, status, data) VALUES (?, ?, ?, ?)
				ON CONFLICT (deployment_id, target_id) DO UPDATE SET status = excluded.status, data = excluded.data`,
				t, deploymentID, t.TargetID, t.Status, docArg)
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func (s CodeDeploy) Targets(ctx context.Context, deploymentID string) ([]*codedeploy.InstanceTarget, error) {
	return all[codedeploy.InstanceTarget](ctx, s.q(ctx), `SELECT data FROM cd_targets WHERE deployment_id = ? ORDER BY target_id`, deploymentID)
}

func (s CodeDeploy) Target(ctx context.Context, deploymentID, targetID string) (*codedeploy.InstanceTarget, error) {
	return cdOne[codedeploy.InstanceTarget](ctx, s.q(ctx), `SELECT data FROM cd_targets WHERE deployment_id = ? AND target_id = ?`,
		deploymentID, targetID)
}

func (s CodeDeploy) TargetStatusCounts(ctx context.Context, deploymentID string) (map[string]int, error) {
	rows, err := s.q(ctx).QueryContext(ctx, targetStatusCountsSQL, deploymentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return nil, err
		}
		counts[status] = n
	}
	return counts, rows.Err()
}

func (s CodeDeploy) Instance(ctx context.Context, sc codedeploy.Scope, name string) (*codedeploy.Instance, error) {
	return cdOne[codedeploy.Instance](ctx, s.q(ctx), `SELECT data FROM cd_instances WHERE account = ? AND region = ? AND name = ?`, sc.Account, sc.Region, name)
}

func (s CodeDeploy) PutInstance(ctx context.Context, i *codedeploy.Instance) error {
	_, err := s.write(ctx, `INSERT INTO cd_instances (account, region, name, iam_arn, registered, data) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (account, region, name) DO UPDATE SET iam_arn = excluded.iam_arn, registered = excluded.registered, data = excluded.data`, i,
		i.Account, i.Region, i.Info.InstanceName, i.IAMARN(), i.Registered(), docArg)
	return cdErr(err)
}

func (s CodeDeploy) Instances(ctx context.Context, sc codedeploy.Scope) ([]*codedeploy.Instance, error) {
	return all[codedeploy.Instance](ctx, s.q(ctx), `SELECT data FROM cd_instances WHERE account = ? AND region = ? ORDER BY name`, sc.Account, sc.Region)
}

func (s CodeDeploy) RegisteredInstanceByIAMARN(ctx context.Context, sc codedeploy.Scope, arn string) (*codedeploy.Instance, error) {
	return cdOne[codedeploy.Instance](ctx, s.q(ctx), `SELECT data FROM cd_instances WHERE account = ? AND region = ? AND iam_arn = ? AND registered = 1`, sc.Account, sc.Region, arn)
}

func (s CodeDeploy) GitHubTokenNames(ctx context.Context, sc codedeploy.Scope) ([]string, error) {
	return collect(ctx, s.q(ctx), scanString, `SELECT name FROM cd_github_tokens WHERE account = ? AND region = ? ORDER BY name`, sc.Account, sc.Region)
}

func (s CodeDeploy) PutGitHubToken(ctx context.Context, sc codedeploy.Scope, name, token string) error {
	_, err := s.exec1(ctx, `INSERT INTO cd_github_tokens (account, region, name, token) VALUES (?, ?, ?, ?)
		ON CONFLICT (account, region, name) DO UPDATE SET token = excluded.token`, sc.Account, sc.Region, name, token)
	return err
}

func (s CodeDeploy) DeleteGitHubToken(ctx context.Context, sc codedeploy.Scope, name string) error {
	return cdAffect(s.exec1(ctx, `DELETE FROM cd_github_tokens WHERE account = ? AND region = ? AND name = ?`, sc.Account, sc.Region, name))
}
