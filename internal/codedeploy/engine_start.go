package codedeploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// maxHealthHistory bounds how many earlier deployments of a group are read
// to learn its instances' health.
const maxHealthHistory = 50

// MaxInstancesPerDeployment is how many instances one deployment may
// target (spec §2.3).
const MaxInstancesPerDeployment = 1000

// overMaxInstances says why a deployment of more instances fails
// ([unverified] AWS's wording).
func overMaxInstances(n int) *ErrorInformation {
	return &ErrorInformation{Code: "OVER_MAX_INSTANCES", Message: fmt.Sprintf(
		"The deployment targets %d instances, more than the %d one deployment may have.", n, MaxInstancesPerDeployment)}
}

// startRun starts a Created deployment (Appendix C start): targets that
// are up to date are Skipped when the deployment updates outdated
// instances only; no instance left fails it with NO_INSTANCES, an
// impossible minimum with HEALTH_CONSTRAINTS_INVALID; otherwise it goes
// InProgress with its plan stored.
func (s *Service) startRun(ctx context.Context, d *Deployment) error {
	id := d.Info.DeploymentID
	g, err := s.groupOf(ctx, d)
	if err != nil {
		return err
	}
	if g == nil {
		return s.CompleteDeployment(ctx, id, StatusFailed, groupMissing(d.Info.DeploymentGroupName))
	}
	hosts, err := s.minimumHealthyHosts(ctx, d)
	if errors.Is(err, ErrNotFound) {
		return s.CompleteDeployment(ctx, id, StatusFailed, &ErrorInformation{Code: "INTERNAL_ERROR",
			Message: "The deployment configuration " + d.Info.DeploymentConfigName + " no longer exists."})
	} else if err != nil {
		return err
	}
	targets, err := s.store.Targets(ctx, id)
	if err != nil {
		return err
	}
	if len(targets) > MaxInstancesPerDeployment {
		return s.CompleteDeployment(ctx, id, StatusFailed, overMaxInstances(len(targets)))
	}
	health, err := s.instanceHealth(ctx, d)
	if err != nil {
		return err
	}
	ids, err := s.skipUpToDate(ctx, d, targets, health)
	if err != nil {
		return err
	}
	plan, fail := newPlan(hosts, len(ids))
	switch {
	case fail != nil && fail.Code == errNoInstances && len(targets) > 0:
		// Every instance already has the revision: nothing to do
		// ([unverified] that AWS succeeds here).
		if err := s.StartDeployment(ctx, id); err != nil {
			return err
		}
		return s.CompleteDeployment(ctx, id, StatusSucceeded, nil)
	case fail != nil:
		return s.CompleteDeployment(ctx, id, StatusFailed, fail)
	}
	current := ""
	if g.Info.TargetRevision != nil {
		current = revisionKey(g.Info.TargetRevision)
	}
	plan.Order = dispatchOrder(ids, health, current)
	if err := s.StartDeployment(ctx, id); err != nil {
		return err
	}
	return s.store.PutDeploymentPlan(ctx, id, &plan)
}

// minimumHealthyHosts is the rule of the deployment's config.
func (s *Service) minimumHealthyHosts(ctx context.Context, d *Deployment) (*MinimumHealthyHosts, error) {
	name := d.Info.DeploymentConfigName
	if c := predefinedConfig(name); c != nil {
		return c.MinimumHealthyHosts, nil
	}
	c, err := s.store.DeploymentConfig(ctx, d.Scope, name)
	if err != nil {
		// Configs in use by a group cannot be deleted, but one a
		// deployment named alone can.
		return nil, fmt.Errorf("deployment config %s of deployment %s: %w", name, d.Info.DeploymentID, err)
	}
	return c.Info.MinimumHealthyHosts, nil
}

// skipUpToDate marks Skipped the targets that already run the
// deployment's revision when it updates outdated instances only (spec
// §6.5), and returns the ids of the targets left to deploy.
func (s *Service) skipUpToDate(ctx context.Context, d *Deployment, targets []*InstanceTarget, health map[string]instanceHealth) ([]string, error) {
	want := revisionKey(d.Info.Revision)
	var ids []string
	var skipped []*InstanceTarget
	for _, t := range targets {
		if d.Info.UpdateOutdatedInstancesOnly && health[t.TargetID].revision == want && skipTarget(t, s.now()) {
			skipped = append(skipped, t)
			continue
		}
		ids = append(ids, t.TargetID)
	}
	if len(skipped) == 0 {
		return ids, nil
	}
	if err := s.putTargets(ctx, d, skipped); err != nil {
		return nil, err
	}
	d.Info.DeploymentOverview = targetOverview(targets)
	return ids, s.store.UpdateDeployment(ctx, d)
}

// instanceHealth learns, from the group's latest ended deployments, each
// instance's health (did its last deployment succeed) and the revision it
// last received successfully.
func (s *Service) instanceHealth(ctx context.Context, d *Deployment) (map[string]instanceHealth, error) {
	past, err := s.store.Deployments(ctx, DeploymentFilter{Scope: d.Scope, GroupID: d.GroupID,
		Statuses: []string{StatusSucceeded, StatusFailed, StatusStopped}})
	if err != nil {
		return nil, err
	}
	out := map[string]instanceHealth{}
	decided := map[string]bool{}
	for _, p := range past[:min(len(past), maxHealthHistory)] {
		targets, err := s.store.Targets(ctx, p.Info.DeploymentID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		for _, t := range targets {
			noteHealth(out, decided, t, p.Info.Revision)
		}
	}
	return out, nil
}

// noteHealth folds one past target, newest first, into health: its first
// outcome decides the instance's health, its first success its revision.
func noteHealth(health map[string]instanceHealth, decided map[string]bool, t *InstanceTarget, rev *RevisionLocation) {
	ended := []string{StatusSucceeded, StatusFailed, StatusUnknown}
	if !slices.Contains(ended, t.Status) {
		return
	}
	h := health[t.TargetID]
	if !decided[t.TargetID] {
		h.healthy, decided[t.TargetID] = t.Status == StatusSucceeded, true
	}
	if h.revision == "" && t.Status == StatusSucceeded && rev != nil {
		h.revision = revisionKey(rev)
	}
	health[t.TargetID] = h
}
