package codedeploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// The deployment state machine (spec §6.1–§6.3, §6.9). The API creates
// deployments in Created with their targets and lifecycle events Pending;
// the deployment engine drives them on with StartDeployment, TargetEvent
// and CompleteDeployment; StopDeployment ends them early. Each step is one
// store transaction that keeps the targets, the deploymentOverview and the
// group's last attempted/successful deployment consistent. The methods take
// a ctx without a call: the engine acts on its own.

// Statuses of deployments (DeploymentStatus), targets (TargetStatus) and
// lifecycle events (LifecycleEventStatus); the three enums share strings.
const (
	StatusCreated    = "Created"
	StatusQueued     = "Queued"
	StatusInProgress = "InProgress"
	StatusBaking     = "Baking"
	StatusReady      = "Ready"
	StatusSucceeded  = "Succeeded"
	StatusFailed     = "Failed"
	StatusStopped    = "Stopped"
	StatusPending    = "Pending"
	StatusSkipped    = "Skipped"
	StatusUnknown    = "Unknown"
)

var (
	deploymentStatuses = []string{StatusCreated, StatusQueued, StatusInProgress, StatusBaking,
		StatusSucceeded, StatusFailed, StatusStopped, StatusReady}
	// activeStatuses are the non-terminal ones: a group has at most one
	// deployment in them.
	activeStatuses = []string{StatusCreated, StatusQueued, StatusInProgress, StatusBaking, StatusReady}
	targetStatuses = []string{StatusPending, StatusInProgress, StatusSucceeded, StatusFailed,
		StatusSkipped, StatusUnknown, StatusReady}
)

// Lifecycle events of one instance in the order they run (spec §6.3).
var (
	inPlaceEvents = []string{"ApplicationStop", "DownloadBundle", "BeforeInstall", "Install",
		"AfterInstall", "ApplicationStart", "ValidateService"}
	blockTrafficEvents = []string{"BeforeBlockTraffic", "BlockTraffic", "AfterBlockTraffic"}
	allowTrafficEvents = []string{"BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"}
	// stopEvents run the previous revision's scripts; their failure is
	// forgiven with ignoreApplicationStopFailures (spec §6.4).
	stopEvents = []string{"ApplicationStop", "BeforeBlockTraffic", "AfterBlockTraffic"}
)

// ErrIllegalTransition is returned (wrapped) by the state machine for a
// step its current state does not allow. It is the engine's mistake, not
// a client's, so it is no API error.
var ErrIllegalTransition = errors.New("codedeploy: illegal state transition")

func illegal(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrIllegalTransition, fmt.Sprintf(format, args...))
}

// StopRequest is a StopDeployment that waits for lifecycle events in
// flight; the deployment ends Stopped when the last of them completes.
type StopRequest struct {
	Rollback bool // whether the stopped deployment then rolls back
}

// StartDeployment moves a deployment from Created or Queued to InProgress
// and sets its startTime. Any other status is an illegal transition.
func (s *Service) StartDeployment(ctx context.Context, id string) error {
	return s.store.Tx(ctx, func(ctx context.Context) error {
		d, err := s.loadDeployment(ctx, id)
		if err != nil {
			return err
		}
		if st := d.Info.Status; st != StatusCreated && st != StatusQueued {
			return illegal("deployment %s is %s, not Created or Queued", id, st)
		}
		d.Info.Status, d.Info.StartTime = StatusInProgress, s.now()
		if err := s.store.UpdateDeployment(ctx, d); err != nil {
			return err
		}
		g, err := s.groupOf(ctx, d)
		if err != nil {
			return err
		}
		if g != nil && g.Info.ServiceRoleARN != "" && s.UseServiceRole != nil {
			if err := s.UseServiceRole(ctx, d.Scope, g.Info.ServiceRoleARN, id); err != nil {
				return err
			}
		}
		return s.noteInGroup(ctx, g, d)
	})
}

// TargetEvent records the progress of one lifecycle event of one target of
// an InProgress deployment. status is InProgress (the event starts),
// Succeeded or Failed (it ends; a Pending event may also end directly,
// e.g. when the agent never picked it up). Events run in order: an event
// starts only once every earlier one has ended. The target follows: it is
// InProgress while events run, Succeeded after the last one, Failed after
// a failure — then every later event is Skipped, with an endTime and no
// startTime — except for the stop events when the deployment ignores
// their failure (spec §6.4). diagnostics are kept on ended events; a
// success without them gets AWS's {Success, "Succeeded"}.
//
// While a stop is pending no event may start, and a target whose running
// event ends is done: its later events are Skipped and, unless that was
// its last event, it ends Failed — the instance is left partly deployed
// ([unverified] what AWS shows). When the last target in flight is done,
// the deployment ends Stopped (see StopDeployment).
func (s *Service) TargetEvent(ctx context.Context, deploymentID, targetID, eventName, status string, diagnostics *Diagnostics) error {
	if status != StatusInProgress && status != StatusSucceeded && status != StatusFailed {
		return illegal("lifecycle event status %q is not InProgress, Succeeded or Failed", status)
	}
	return s.store.Tx(ctx, func(ctx context.Context) error {
		d, err := s.loadDeployment(ctx, deploymentID)
		if err != nil {
			return err
		}
		if d.Info.Status != StatusInProgress {
			return illegal("deployment %s is %s, not InProgress", deploymentID, d.Info.Status)
		}
		// One target read and written, the overview counted by the
		// database: decoding every target on every event made a
		// deployment's cost grow with the square of its instances.
		t, err := s.store.Target(ctx, deploymentID, targetID)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("target %s of deployment %s: %w", targetID, deploymentID, ErrNotFound)
		} else if err != nil {
			return err
		}
		if err := s.moveEvent(d, t, eventName, status, diagnostics); err != nil {
			return err
		}
		if err := s.store.PutTargets(ctx, deploymentID, []*InstanceTarget{t}); err != nil {
			return err
		}
		if d.Stop != nil {
			targets, err := s.store.Targets(ctx, deploymentID)
			if err != nil {
				return err
			}
			if !anyInFlight(targets) {
				return s.finish(ctx, d, targets, StatusStopped, manualStop(), d.Stop.Rollback)
			}
		}
		counts, err := s.store.TargetStatusCounts(ctx, deploymentID)
		if err != nil {
			return err
		}
		d.Info.DeploymentOverview = overviewOf(counts)
		return s.store.UpdateDeployment(ctx, d)
	})
}

// moveEvent applies one lifecycle event transition to a target of d (see
// TargetEvent).
func (s *Service) moveEvent(d *Deployment, t *InstanceTarget, name, status string, diag *Diagnostics) error {
	i := slices.IndexFunc(t.LifecycleEvents, func(e LifecycleEvent) bool { return e.LifecycleEventName == name })
	if i < 0 {
		return illegal("target %s has no lifecycle event %s", t.TargetID, name)
	}
	e := &t.LifecycleEvents[i]
	switch {
	case t.Status != StatusPending && t.Status != StatusInProgress:
		return illegal("target %s is %s", t.TargetID, t.Status)
	case e.Status == StatusPending && d.Stop != nil:
		return illegal("deployment %s is stopping: lifecycle event %s of target %s cannot start", d.Info.DeploymentID, name, t.TargetID)
	case e.Status == StatusPending && !eventsEnded(t.LifecycleEvents[:i]):
		return illegal("lifecycle event %s of target %s cannot start before the earlier ones end", name, t.TargetID)
	case e.Status != StatusPending && (e.Status != StatusInProgress || status == StatusInProgress):
		return illegal("lifecycle event %s of target %s cannot go from %s to %s", name, t.TargetID, e.Status, status)
	}
	now := s.now()
	if e.StartTime.IsZero() {
		e.StartTime = now
	}
	e.Status, t.LastUpdatedAt, t.Status = status, now, StatusInProgress
	if status == StatusInProgress {
		return nil
	}
	e.EndTime, e.Diagnostics = now, diag
	if diag == nil && status == StatusSucceeded {
		e.Diagnostics = &Diagnostics{ErrorCode: "Success", Message: "Succeeded"}
	}
	switch {
	case status == StatusFailed && !(d.Info.IgnoreApplicationStopFailures && slices.Contains(stopEvents, name)):
		skipEvents(t.LifecycleEvents[i+1:], now)
		t.Status = StatusFailed
	case i == len(t.LifecycleEvents)-1:
		t.Status = StatusSucceeded
	case d.Stop != nil:
		stopTarget(t, now)
	}
	return nil
}

// eventsEnded reports whether every event has run (a Failed one among
// them can only be a forgiven stop event).
func eventsEnded(events []LifecycleEvent) bool {
	for _, e := range events {
		if e.Status != StatusSucceeded && e.Status != StatusFailed {
			return false
		}
	}
	return true
}

// skipEvents marks events that have not started Skipped: an endTime and no
// startTime, as AWS shows them.
func skipEvents(events []LifecycleEvent, now time.Time) {
	for i := range events {
		if events[i].Status == StatusPending {
			events[i].Status, events[i].EndTime = StatusSkipped, now
		}
	}
}

// CompleteDeployment ends a deployment: Succeeded (from InProgress, Baking
// or Ready, with no target still in progress), Failed or Stopped (from any
// non-terminal status, with errorInfo saying why). It sets completeTime,
// marks targets that never started Skipped and targets still running
// Unknown, and updates the group's lastAttemptedDeployment and, on
// success, its lastSuccessfulDeployment and targetRevision. A Failed or
// Stopped deployment whose rollback configuration covers the event rolls
// back automatically (spec §6.9) if its group still exists. Ending a terminal deployment is an
// illegal transition.
func (s *Service) CompleteDeployment(ctx context.Context, id, status string, errorInfo *ErrorInformation) error {
	if status != StatusSucceeded && status != StatusFailed && status != StatusStopped {
		return illegal("deployment status %q is not Succeeded, Failed or Stopped", status)
	}
	return s.store.Tx(ctx, func(ctx context.Context) error {
		d, err := s.loadDeployment(ctx, id)
		if err != nil {
			return err
		}
		targets, err := s.store.Targets(ctx, id)
		if err != nil {
			return err
		}
		if err := checkCompletion(d, targets, status); err != nil {
			return err
		}
		rollback := rollsBack(&d.Info, status, errorInfo)
		if d.Stop != nil {
			rollback = d.Stop.Rollback
		}
		if status == StatusSucceeded {
			errorInfo = nil
		}
		return s.finish(ctx, d, targets, status, errorInfo, rollback)
	})
}

func checkCompletion(d *Deployment, targets []*InstanceTarget, status string) error {
	st := d.Info.Status
	switch {
	case !slices.Contains(activeStatuses, st):
		return illegal("deployment %s has already ended %s", d.Info.DeploymentID, st)
	case status == StatusSucceeded && (st == StatusCreated || st == StatusQueued):
		return illegal("deployment %s cannot succeed before it starts", d.Info.DeploymentID)
	case status == StatusSucceeded && anyInFlight(targets):
		return illegal("deployment %s cannot succeed while targets are in progress", d.Info.DeploymentID)
	}
	return nil
}

// rollsBack reports whether ending a deployment with status (and error
// code) rolls it back: its effective rollback configuration must be
// enabled and list the matching event. Rollbacks never roll back.
func rollsBack(d *DeploymentInfo, status string, info *ErrorInformation) bool {
	c := d.AutoRollbackConfiguration
	if d.Creator == CreatorRollback || c == nil || !c.Enabled || status == StatusSucceeded {
		return false
	}
	event := rollbackOnFailed
	if status == StatusStopped {
		event = rollbackOnStop
		if info != nil && info.Code == "ALARM_ACTIVE" {
			event = rollbackOnAlarm
		}
	}
	return slices.Contains(c.Events, event)
}

// groupMissing says why a deployment of a deleted group that had not
// started yet ends Failed.
func groupMissing(group string) *ErrorInformation {
	return &ErrorInformation{Code: "DEPLOYMENT_GROUP_MISSING",
		Message: "The deployment group " + group + " was deleted before the deployment started."}
}

func manualStop() *ErrorInformation {
	// [unverified] that AWS fills errorInformation for a manual stop, and
	// its wording.
	return &ErrorInformation{Code: "MANUAL_STOP", Message: "The deployment was stopped by a user request."}
}

// stop ends a deployment at a user's request and reports whether it has to
// wait: targets that have not started are Skipped at once, and so are the
// remaining events of targets between two events; with no event running
// (always so before the deployment starts) the deployment is Stopped now
// with MANUAL_STOP, otherwise the request is kept and TargetEvent ends the
// deployment when the last running event reports.
func (s *Service) stop(ctx context.Context, d *Deployment, rollback bool) (waiting bool, err error) {
	if d.Stop != nil {
		return true, nil
	}
	targets, err := s.store.Targets(ctx, d.Info.DeploymentID)
	if err != nil {
		return false, err
	}
	now := s.now()
	var ended []*InstanceTarget
	for _, t := range targets {
		if skipTarget(t, now) || stopTarget(t, now) {
			ended = append(ended, t)
		}
	}
	if err := s.putTargets(ctx, d, ended); err != nil {
		return false, err
	}
	if err := s.cancelCommands(ctx, d.Info.DeploymentID, false); err != nil {
		return false, err
	}
	if !anyInFlight(targets) {
		return false, s.finish(ctx, d, targets, StatusStopped, manualStop(), rollback)
	}
	d.Stop = &StopRequest{Rollback: rollback}
	d.Info.DeploymentOverview = targetOverview(targets)
	return true, s.store.UpdateDeployment(ctx, d)
}

// finish ends d with status and stores it, its targets and its group, then
// rolls it back if asked and its group still exists: a rollback is a
// deployment of the group (a deployment whose group was deleted, such as
// one failed with DEPLOYMENT_GROUP_MISSING, gets no rollback and no
// rollbackMessage).
func (s *Service) finish(ctx context.Context, d *Deployment, targets []*InstanceTarget, status string, info *ErrorInformation, rollback bool) error {
	now := s.now()
	var ended []*InstanceTarget
	for _, t := range targets {
		if skipTarget(t, now) || abandonTarget(t, now) {
			ended = append(ended, t)
		}
	}
	if err := s.putTargets(ctx, d, ended); err != nil {
		return err
	}
	if err := s.cancelCommands(ctx, d.Info.DeploymentID, true); err != nil {
		return err
	}
	d.Info.Status, d.Info.CompleteTime, d.Info.ErrorInformation = status, now, info
	d.Info.DeploymentOverview, d.Stop = targetOverview(targets), nil
	g, err := s.groupOf(ctx, d)
	if err != nil {
		return err
	}
	if err := s.noteInGroup(ctx, g, d); err != nil {
		return err
	}
	// d is stored ended before its rollback is: the database keeps a
	// group to one active deployment, even inside a transaction.
	if err := s.store.UpdateDeployment(ctx, d); err != nil || !rollback || g == nil {
		return err
	}
	if err := s.rollback(ctx, d, g); err != nil {
		return err
	}
	return s.store.UpdateDeployment(ctx, d) // with its RollbackInfo
}

// skipTarget marks a target that has not started Skipped, with its events.
func skipTarget(t *InstanceTarget, now time.Time) bool {
	if t.Status != StatusPending {
		return false
	}
	t.Status, t.LastUpdatedAt = StatusSkipped, now
	skipEvents(t.LifecycleEvents, now)
	return true
}

// stopTarget ends a target of a stopping deployment that has no event
// running: its later events are Skipped and, having been partly deployed,
// it is Failed.
func stopTarget(t *InstanceTarget, now time.Time) bool {
	running := slices.ContainsFunc(t.LifecycleEvents, func(e LifecycleEvent) bool { return e.Status == StatusInProgress })
	if t.Status != StatusInProgress || running {
		return false
	}
	t.Status, t.LastUpdatedAt = StatusFailed, now
	skipEvents(t.LifecycleEvents, now)
	return true
}

// abandonTarget marks a target still running when its deployment ends
// Unknown — the service lost track of it (spec §6.2) — with its running
// event Unknown and the later ones Skipped.
func abandonTarget(t *InstanceTarget, now time.Time) bool {
	if t.Status != StatusInProgress {
		return false
	}
	t.Status, t.LastUpdatedAt = StatusUnknown, now
	for i := range t.LifecycleEvents {
		if e := &t.LifecycleEvents[i]; e.Status == StatusInProgress {
			e.Status, e.EndTime = StatusUnknown, now
		}
	}
	skipEvents(t.LifecycleEvents, now)
	return true
}

func anyInFlight(targets []*InstanceTarget) bool {
	return slices.ContainsFunc(targets, func(t *InstanceTarget) bool { return t.Status == StatusInProgress })
}

// targetOverview counts targets by status: the deploymentOverview, always
// derived from the targets so that the two cannot disagree. Unknown
// targets have no counter.
func targetOverview(targets []*InstanceTarget) *DeploymentOverview {
	counts := map[string]int{}
	for _, t := range targets {
		counts[t.Status]++
	}
	return overviewOf(counts)
}

// overviewOf is the overview of targets counted by status.
func overviewOf(counts map[string]int) *DeploymentOverview {
	return &DeploymentOverview{Pending: counts[StatusPending], InProgress: counts[StatusInProgress], Succeeded: counts[StatusSucceeded],
		Failed: counts[StatusFailed], Skipped: counts[StatusSkipped], Ready: counts[StatusReady]}
}

func (s *Service) putTargets(ctx context.Context, d *Deployment, targets []*InstanceTarget) error {
	if len(targets) == 0 {
		return nil
	}
	return s.store.PutTargets(ctx, d.Info.DeploymentID, targets)
}

// loadDeployment reads a deployment by id for the engine: no scope check,
// and a missing one is an internal error.
func (s *Service) loadDeployment(ctx context.Context, id string) (*Deployment, error) {
	d, err := s.store.Deployment(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load deployment %s: %w", id, err)
	}
	return d, nil
}

// groupOf returns a deployment's group, or nil once it has been deleted
// (deployments outlive their group).
func (s *Service) groupOf(ctx context.Context, d *Deployment) (*DeploymentGroup, error) {
	g, err := s.store.DeploymentGroupByID(ctx, d.GroupID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return g, err
}

// noteInGroup keeps the group's summary of d current: its
// lastAttemptedDeployment while d is the latest, and on success its
// lastSuccessfulDeployment and targetRevision.
func (s *Service) noteInGroup(ctx context.Context, g *DeploymentGroup, d *Deployment) error {
	if g == nil {
		return nil
	}
	if last := g.Info.LastAttemptedDeployment; last == nil || last.DeploymentID == d.Info.DeploymentID {
		g.Info.LastAttemptedDeployment = lastDeployment(&d.Info)
	}
	if d.Info.Status == StatusSucceeded {
		g.Info.LastSuccessfulDeployment = lastDeployment(&d.Info)
		g.Info.TargetRevision = d.Info.Revision
	}
	return s.store.UpdateDeploymentGroup(ctx, g)
}

func lastDeployment(d *DeploymentInfo) *LastDeploymentInfo {
	return &LastDeploymentInfo{DeploymentID: d.DeploymentID, Status: d.Status, EndTime: d.CompleteTime, CreateTime: d.CreateTime}
}

// insertDeployment stores a new deployment with its targets, records the
// use of its revision, and makes it the group's last attempted deployment.
func (s *Service) insertDeployment(ctx context.Context, app *Application, g *DeploymentGroup, d *Deployment) error {
	targets, err := s.newTargets(ctx, g, &d.Info)
	if err != nil {
		return err
	}
	d.Info.DeploymentOverview = targetOverview(targets)
	if err := s.store.InsertDeployment(ctx, d); err != nil {
		return s.groupBusy(ctx, g, err)
	}
	if err := s.putTargets(ctx, d, targets); err != nil {
		return err
	}
	if err := s.useRevision(ctx, app, d.Info.Revision, d.Info.DeploymentID); err != nil {
		return err
	}
	g.Info.LastAttemptedDeployment = lastDeployment(&d.Info)
	return s.store.UpdateDeploymentGroup(ctx, g)
}

// newTargets chooses a Server deployment's targets when it is created —
// the registered on-premises instances the group's tags select (spec §8
// resolves them at start; we choose them at creation, so that the engine
// starts from a fixed list) — each with all its lifecycle events Pending.
// Blue/green deployments have no replacement fleet without EC2: the
// selected instances are the original (Blue) environment, which only runs
// the block-traffic events ([unverified]; AWS has no on-premises
// blue/green).
func (s *Service) newTargets(ctx context.Context, g *DeploymentGroup, d *DeploymentInfo) ([]*InstanceTarget, error) {
	if d.ComputePlatform != PlatformServer {
		return nil, nil
	}
	instances, err := s.selectTargets(ctx, g)
	if err != nil {
		return nil, err
	}
	names, label := eventNames(d.DeploymentStyle), ""
	if isBlueGreen(d.DeploymentStyle) {
		label = "Blue"
	}
	targets := make([]*InstanceTarget, len(instances))
	for i, in := range instances {
		targets[i] = &InstanceTarget{DeploymentID: d.DeploymentID, TargetID: in.Info.InstanceName, TargetARN: in.Info.InstanceARN,
			Status: StatusPending, LastUpdatedAt: d.CreateTime, LifecycleEvents: pendingEvents(names), InstanceLabel: label}
	}
	return targets, nil
}

// eventNames lists an instance's lifecycle events for a deployment style.
func eventNames(style *DeploymentStyle) []string {
	switch {
	case isBlueGreen(style):
		return blockTrafficEvents
	case style != nil && style.DeploymentOption == styleWithTraffic:
		return slices.Concat(blockTrafficEvents, inPlaceEvents, allowTrafficEvents)
	}
	return inPlaceEvents
}

func pendingEvents(names []string) []LifecycleEvent {
	events := make([]LifecycleEvent, len(names))
	for i, n := range names {
		events[i] = LifecycleEvent{LifecycleEventName: n, Status: StatusPending}
	}
	return events
}

// rollback starts the automatic rollback of a deployment that ended
// Failed or Stopped (spec §6.9): a new deployment, by codeDeployRollback,
// of the group's last successful revision with the same group and config.
// Without such a revision only rollbackMessage says why nothing happened.
func (s *Service) rollback(ctx context.Context, d *Deployment, g *DeploymentGroup) error {
	if g.Info.TargetRevision == nil {
		// [unverified] wording.
		d.Info.RollbackInfo = &RollbackInfo{RollbackMessage: "Automatic rollback was not performed because the deployment group has no previous successful revision to roll back to."}
		return nil
	}
	app, err := s.store.ApplicationByID(ctx, d.AppID)
	if err != nil {
		return fmt.Errorf("load application of deployment %s: %w", d.Info.DeploymentID, err)
	}
	r := rollbackDeployment(d, g, s.now())
	d.Info.RollbackInfo = &RollbackInfo{RollbackDeploymentID: r.Info.DeploymentID,
		RollbackMessage: "Rolled back by deployment " + r.Info.DeploymentID + ", which redeploys the last successful revision."}
	if err := s.insertDeployment(ctx, app, g, r); err != nil {
		return err
	}
	s.store.AfterCommit(ctx, s.Wake) // the engine finds the rollback only once it is committed
	return s.recordRollback(ctx, r)
}

// recordRollback records the rollback's CreateDeployment, a call the
// service makes on the customer's behalf (cloudtrail.md §5.1), in the
// transaction that creates it.
func (s *Service) recordRollback(ctx context.Context, r *Deployment) error {
	if s.OnBehalf == nil {
		return nil
	}
	i := &r.Info
	in := &CreateDeploymentInput{ApplicationName: i.ApplicationName, DeploymentGroupName: i.DeploymentGroupName,
		Revision: withoutContent(i.Revision), DeploymentConfigName: i.DeploymentConfigName,
		IgnoreApplicationStopFailures: i.IgnoreApplicationStopFailures, UpdateOutdatedInstancesOnly: i.UpdateOutdatedInstancesOnly,
		FileExistsBehavior: i.FileExistsBehavior}
	return s.OnBehalf(ctx, r.Scope, "CreateDeployment", in, &CreateDeploymentOutput{DeploymentID: i.DeploymentID})
}

// rollbackDeployment is the rollback of d: d's settings, the group's last
// successful revision, a fresh status.
func rollbackDeployment(d *Deployment, g *DeploymentGroup, now time.Time) *Deployment {
	info := d.Info
	rev := *g.Info.TargetRevision
	info.DeploymentID, info.DeploymentGroupName = newDeploymentID(), g.Info.DeploymentGroupName
	info.Revision, info.PreviousRevision = &rev, g.Info.TargetRevision
	info.Status, info.Creator, info.CreateTime, info.Description = StatusCreated, CreatorRollback, now, ""
	info.StartTime, info.CompleteTime = time.Time{}, time.Time{}
	info.ErrorInformation, info.DeploymentOverview, info.DeploymentStatusMessages = nil, nil, nil
	info.RollbackInfo = &RollbackInfo{RollbackTriggeringDeploymentID: d.Info.DeploymentID}
	return &Deployment{Scope: d.Scope, AppID: d.AppID, GroupID: d.GroupID, Info: info}
}
