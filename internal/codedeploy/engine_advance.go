package codedeploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// serviceEvents are the lifecycle events the service performs itself:
// with no load balancer they succeed at once (spec §6.3).
var serviceEvents = []string{"BlockTraffic", "AllowTraffic"}

// Diagnostics of the events the engine fails (spec §6.4).
var (
	pickupTimedOut = &Diagnostics{ErrorCode: "UnknownError",
		Message: "CodeDeploy agent was not able to receive the lifecycle event. Check the CodeDeploy agent logs on your host and make sure the agent is running and can connect to the CodeDeploy server."}
	deploymentTimedOut = &Diagnostics{ErrorCode: "UnknownError",
		Message: "The deployment timed out while this lifecycle event was running."}
	notRegistered = &Diagnostics{ErrorCode: "UnknownError",
		Message: "The instance is no longer registered with CodeDeploy, so the lifecycle event could not be sent to it."}
)

func eventTimedOut(after time.Duration) *Diagnostics {
	return &Diagnostics{ErrorCode: "ScriptTimedOut",
		Message: fmt.Sprintf("The lifecycle event did not complete within %d seconds.", int(after.Seconds()))}
}

// advance moves an InProgress deployment on (Appendix C loop): commands
// past their time fail their events, instances in flight get their next
// event, new instances are dispatched by the plan, and the deployment
// ends when the plan says so. Each phase reads the state the last one
// left.
func (s *Service) advance(ctx context.Context, id string) error {
	if err := s.expireCommands(ctx, id); err != nil {
		return err
	}
	d, err := s.loadDeployment(ctx, id)
	if err != nil || d.Info.Status != StatusInProgress {
		return err
	}
	if s.now().Sub(d.Info.StartTime) >= MaxDeploymentDuration {
		return s.timeOutDeployment(ctx, d)
	}
	if d.Stop != nil {
		return nil // a stopping deployment waits for its running events
	}
	r, err := s.loadRun(ctx, d)
	if err != nil {
		return err
	}
	for _, t := range r.targets {
		if r.inFlight(t) && !r.busy[t.TargetID] {
			if err := s.nextEvent(ctx, r, t); err != nil {
				return err
			}
		}
	}
	return s.dispatch(ctx, id)
}

// MaxDeploymentDuration bounds an in-place deployment (spec §6.4).
const MaxDeploymentDuration = 8 * time.Hour

// timeOutDeployment ends a deployment that has run too long: its running
// events fail, then the deployment fails with TIMEOUT (unless failing
// them ended a stopping deployment).
func (s *Service) timeOutDeployment(ctx context.Context, d *Deployment) error {
	commands, err := s.store.HostCommands(ctx, d.Info.DeploymentID)
	if err != nil {
		return err
	}
	for _, c := range commands {
		if c.State == CommandInProgress {
			if err := s.timeOut(ctx, c, deploymentTimedOut); err != nil {
				return err
			}
		}
	}
	if d, err = s.loadDeployment(ctx, d.Info.DeploymentID); err != nil || d.Info.Status != StatusInProgress {
		return err
	}
	return s.CompleteDeployment(ctx, d.Info.DeploymentID, StatusFailed, &ErrorInformation{Code: "TIMEOUT",
		Message: "The deployment did not complete within the maximum time allowed (8 hours)."})
}

// run is a deployment's state as one engine step sees it.
type run struct {
	d        *Deployment
	targets  []*InstanceTarget
	byID     map[string]*InstanceTarget // targets by id: dispatch looks up each of the plan's
	busy     map[string]bool            // targets with an open command
	started  map[string]bool            // targets with any command
	timeouts map[string]time.Duration
}

func (s *Service) loadRun(ctx context.Context, d *Deployment) (*run, error) {
	targets, err := s.store.Targets(ctx, d.Info.DeploymentID)
	if err != nil {
		return nil, err
	}
	// Only what the engine needs of the commands: which targets ever had
	// one, which have one open. Reading every command each pass made a
	// deployment's cost grow with the square of its instances.
	started, err := s.store.CommandedTargets(ctx, d.Info.DeploymentID)
	if err != nil {
		return nil, err
	}
	open, err := s.store.OpenHostCommands(ctx, d.Info.DeploymentID)
	if err != nil {
		return nil, err
	}
	r := &run{d: d, targets: targets, byID: make(map[string]*InstanceTarget, len(targets)), busy: map[string]bool{},
		started: map[string]bool{}, timeouts: eventTimeouts(d.Info.Revision)}
	for _, t := range targets {
		r.byID[t.TargetID] = t
	}
	for _, id := range started {
		r.started[id] = true
	}
	for _, c := range open {
		r.busy[c.TargetID] = true
	}
	return r, nil
}

// inFlight reports whether a target is being deployed: running, or
// dispatched and waiting for its agent.
func (r *run) inFlight(t *InstanceTarget) bool {
	return t.Status == StatusInProgress || (t.Status == StatusPending && r.started[t.TargetID])
}

// progress counts the targets for the §5.3 rule; Skipped ones are out of
// the deployment.
func (r *run) progress() progress {
	var p progress
	for _, t := range r.targets {
		switch {
		case r.inFlight(t):
			p.inFlight++
		case t.Status == StatusPending:
			p.pending++
		case t.Status == StatusSucceeded:
			p.succeeded++
		case t.Status == StatusFailed || t.Status == StatusUnknown:
			p.failed++
		}
	}
	return p
}

// dispatch starts as many new instances as the plan allows, in its order,
// or ends the deployment once the plan has an outcome.
func (s *Service) dispatch(ctx context.Context, id string) error {
	d, err := s.loadDeployment(ctx, id)
	if err != nil || d.Info.Status != StatusInProgress {
		return err
	}
	plan, err := s.store.DeploymentPlan(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return illegal("deployment %s is InProgress without a plan", id)
	} else if err != nil {
		return err
	}
	r, err := s.loadRun(ctx, d)
	if err != nil {
		return err
	}
	n, outcome := plan.step(r.progress())
	switch outcome {
	case StatusSucceeded:
		return s.CompleteDeployment(ctx, id, StatusSucceeded, nil)
	case StatusFailed:
		return s.CompleteDeployment(ctx, id, StatusFailed, healthConstraints())
	}
	for _, tid := range plan.Order {
		if n == 0 {
			break
		}
		t := r.byID[tid]
		if t == nil || t.Status != StatusPending || r.started[tid] {
			continue
		}
		if err := s.nextEvent(ctx, r, t); err != nil {
			return err
		}
		n--
	}
	return nil
}

// nextEvent starts a target's next lifecycle event: the service's own
// events run at once, the others are queued for the instance's agent.
// It stops at the first queued event or when the target ends. t is as
// the step loaded it; it is read again only after the service's events.
func (s *Service) nextEvent(ctx context.Context, r *run, t *InstanceTarget) error {
	id := r.d.Info.DeploymentID
	for t.Status == StatusPending || t.Status == StatusInProgress {
		i := slices.IndexFunc(t.LifecycleEvents, func(e LifecycleEvent) bool { return e.Status == StatusPending })
		if i < 0 {
			return nil
		}
		name := t.LifecycleEvents[i].LifecycleEventName
		if !slices.Contains(serviceEvents, name) {
			r.started[t.TargetID] = true
			return s.enqueue(ctx, r, t, name)
		}
		if err := s.TargetEvent(ctx, id, t.TargetID, name, StatusInProgress, nil); err != nil {
			return err
		}
		if err := s.TargetEvent(ctx, id, t.TargetID, name, StatusSucceeded, nil); err != nil {
			return err
		}
		targets, err := s.store.Targets(ctx, id)
		if err != nil {
			return err
		}
		t = findTarget(targets, t.TargetID)
	}
	return nil
}

// enqueue queues the host command of one lifecycle event for the agent of
// the target's instance; an instance that has been deregistered fails the
// event instead.
func (s *Service) enqueue(ctx context.Context, r *run, t *InstanceTarget, event string) error {
	d := r.d
	in, err := s.store.Instance(ctx, d.Scope, t.TargetID)
	if errors.Is(err, ErrNotFound) || (err == nil && !in.Registered()) {
		return s.TargetEvent(ctx, d.Info.DeploymentID, t.TargetID, event, StatusFailed, notRegistered)
	} else if err != nil {
		return err
	}
	c := &HostCommand{ID: newCommandID(), Scope: d.Scope, HostIdentifier: in.IAMARN(), DeploymentID: d.Info.DeploymentID,
		TargetID: t.TargetID, CommandName: event, ExecutionID: executionID(d), State: CommandPending, Created: s.now(),
		Timeout: eventTimeout(r.timeouts, event), Spec: deploymentSpec(d)}
	if err := s.store.InsertHostCommand(ctx, c); err != nil {
		return err
	}
	s.store.AfterCommit(ctx, s.bell.ring) // waiting polls find the command once it is committed
	return nil
}

// expireCommands ends a deployment's open commands that are past their
// time (spec §6.4) — not acknowledged within PickupTimeout, or not
// completed within their event's timeout — failing their events, and
// cancels those whose event can no longer start. The deployment and its
// targets are read once: an expiry changes only its own target, and a
// deployment that ends on the way leaves later commands to the next pass.
func (s *Service) expireCommands(ctx context.Context, id string) error {
	commands, err := s.store.OpenHostCommands(ctx, id) // only open ones can expire
	if err != nil {
		return err
	}
	d, err := s.loadDeployment(ctx, id)
	if err != nil {
		return err
	}
	targets, err := s.store.Targets(ctx, id)
	if err != nil {
		return err
	}
	now := s.now()
	for _, c := range commands {
		if err := s.expire(ctx, d, targets, c, now); err != nil {
			return err
		}
		if d.Info.Status != StatusInProgress {
			return nil
		}
	}
	return nil
}

func (s *Service) expire(ctx context.Context, d *Deployment, targets []*InstanceTarget, c *HostCommand, now time.Time) error {
	var err error
	switch {
	case c.State != CommandPending && c.State != CommandDispatched && c.State != CommandInProgress:
		return nil
	case c.State != CommandInProgress && !eventCanStart(d, targets, c):
		return s.endCommand(ctx, c, CommandCancelled, nil)
	case c.State != CommandInProgress && now.Sub(c.Created) >= PickupTimeout:
		err = s.timeOut(ctx, c, pickupTimedOut)
	case c.State == CommandInProgress && now.Sub(c.Acknowledged) >= c.Timeout:
		err = s.timeOut(ctx, c, eventTimedOut(c.Timeout))
	default:
		return nil
	}
	if err != nil {
		return err
	}
	// The timeout may have ended the deployment (or its stop).
	fresh, err := s.loadDeployment(ctx, d.Info.DeploymentID)
	if err != nil {
		return err
	}
	*d = *fresh
	return nil
}

// timeOut fails a command's event and ends the command TimedOut.
func (s *Service) timeOut(ctx context.Context, c *HostCommand, diag *Diagnostics) error {
	if err := s.TargetEvent(ctx, c.DeploymentID, c.TargetID, c.CommandName, StatusFailed, diag); err != nil {
		return err
	}
	return s.endCommand(ctx, c, CommandTimedOut, diag)
}
