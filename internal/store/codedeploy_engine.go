package store

import (
	"context"
	"time"

	"github.com/deploytrail/deploytrail/internal/codedeploy"
)

// The deployment engine's leases and host command queue.

// The reads made for every engine pass or agent call, whose cost must not
// grow with the deployment's other hosts: each walks an index
// (TestCodeDeploySQL_UsesIndexes).
const (
	// openHostCommandsSQL walks (deployment_id, state): only the few open
	// commands are read, then sorted.
	openHostCommandsSQL = `SELECT data FROM cd_host_commands
		WHERE deployment_id = ? AND state IN ('Pending', 'Dispatched', 'InProgress') ORDER BY created, id`
	// hostCommandsOfHostSQL walks (deployment_id, host, created, id) in
	// order: one host's commands, unsorted.
	hostCommandsOfHostSQL = `SELECT data FROM cd_host_commands
		WHERE deployment_id = ? AND host = ? ORDER BY created, id`
	// commandedTargetsSQL reads the (deployment_id, target_id,
	// command_name) unique index alone.
	commandedTargetsSQL = `SELECT DISTINCT target_id FROM cd_host_commands WHERE deployment_id = ?`
	// targetStatusCountsSQL counts over the (deployment_id, status) index
	// alone: no target's document is read.
	targetStatusCountsSQL = `SELECT status, COUNT(*) FROM cd_targets WHERE deployment_id = ? GROUP BY status`
)

func (s CodeDeploy) ActiveDeployments(ctx context.Context, limit int) ([]string, error) {
	return collect(ctx, s.q(ctx), scanString, `SELECT id FROM cd_deployments WHERE status IN ('Created', 'Queued', 'InProgress')
		ORDER BY created, id LIMIT ?`, limit)
}

// ClaimDeployment writes only when the lease changes hands or is past
// half its time: a holder stepping often does not write every step.
func (s CodeDeploy) ClaimDeployment(ctx context.Context, id, owner string, now, until time.Time) (bool, error) {
	var holder string
	var expires int64
	err := s.q(ctx).QueryRowContext(ctx, `SELECT lease_owner, lease_expires FROM cd_deployments WHERE id = ?`, id).Scan(&holder, &expires)
	if err != nil {
		return false, cdErr(err)
	}
	renewAt := nanos(now) + (nanos(until)-nanos(now))/2
	if holder == owner && expires > renewAt {
		return true, nil
	}
	res, err := s.exec1(ctx, `UPDATE cd_deployments SET lease_owner = ?, lease_expires = ?
		WHERE id = ? AND (lease_owner = ? OR lease_owner = '' OR lease_expires < ?)`, owner, nanos(until), id, owner, nanos(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (s CodeDeploy) ReleaseDeployments(ctx context.Context, owner string) error {
	_, err := s.exec1(ctx, `UPDATE cd_deployments SET lease_owner = '', lease_expires = 0 WHERE lease_owner = ?`, owner)
	return err
}

func (s CodeDeploy) InsertHostCommand(ctx context.Context, c *codedeploy.HostCommand) error {
	_, err := s.write(ctx, `INSERT INTO cd_host_commands (id, account, region, host, deployment_id, target_id, command_name, state, created, data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, c, c.ID, c.Account, c.Region, c.HostIdentifier, c.DeploymentID, c.TargetID,
		c.CommandName, c.State, nanos(c.Created), docArg)
	return cdErr(err)
}

func (s CodeDeploy) UpdateHostCommand(ctx context.Context, c *codedeploy.HostCommand) error {
	return cdAffect(s.write(ctx, `UPDATE cd_host_commands SET state = ?, data = ? WHERE id = ?`, c, c.State, docArg, c.ID))
}

func (s CodeDeploy) HostCommand(ctx context.Context, id string) (*codedeploy.HostCommand, error) {
	return cdOne[codedeploy.HostCommand](ctx, s.q(ctx), `SELECT data FROM cd_host_commands WHERE id = ?`, id)
}

func (s CodeDeploy) HostCommands(ctx context.Context, deploymentID string) ([]*codedeploy.HostCommand, error) {
	return all[codedeploy.HostCommand](ctx, s.q(ctx), `SELECT data FROM cd_host_commands WHERE deployment_id = ? ORDER BY created, id`, deploymentID)
}

func (s CodeDeploy) OpenHostCommands(ctx context.Context, deploymentID string) ([]*codedeploy.HostCommand, error) {
	return all[codedeploy.HostCommand](ctx, s.q(ctx), openHostCommandsSQL, deploymentID)
}

func (s CodeDeploy) HostCommandsOfHost(ctx context.Context, deploymentID, host string) ([]*codedeploy.HostCommand, error) {
	return all[codedeploy.HostCommand](ctx, s.q(ctx), hostCommandsOfHostSQL, deploymentID, host)
}

func (s CodeDeploy) CommandedTargets(ctx context.Context, deploymentID string) ([]string, error) {
	return collect(ctx, s.q(ctx), scanString, commandedTargetsSQL, deploymentID)
}

func (s CodeDeploy) NextHostCommand(ctx context.Context, sc codedeploy.Scope, host string) (*codedeploy.HostCommand, error) {
	return cdOne[codedeploy.HostCommand](ctx, s.q(ctx), `SELECT data FROM cd_host_commands
		WHERE account = ? AND region = ? AND host = ? AND state = 'Pending' ORDER BY created, id LIMIT 1`, sc.Account, sc.Region, host)
}
