package codedeploy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The host command queue: how lifecycle events reach agents (spec §9.4–9.5).
// The engine enqueues one HostCommand per (deployment, instance, lifecycle
// event) when the event is due; the agent command service serves it to
// the instance's agent through PollHostCommand, AcknowledgeHostCommand and
// CompleteHostCommand, each one store transaction in which the lifecycle
// event moves with the command.

// Host command states. Pending: queued; Dispatched: handed to the agent
// by a poll (never handed out again); InProgress: acknowledged; then
// Succeeded or Failed by the agent's completion, TimedOut by the engine,
// or Cancelled when its event can no longer run (the deployment stopped or
// ended).
const (
	CommandPending    = "Pending"
	CommandDispatched = "Dispatched"
	CommandInProgress = "InProgress"
	CommandSucceeded  = "Succeeded"
	CommandFailed     = "Failed"
	CommandTimedOut   = "TimedOut"
	CommandCancelled  = "Cancelled"
)

// Time limits on host commands (spec §6.4, §10).
const (
	// PickupTimeout is how long a command may wait for its agent to
	// acknowledge it before its event fails.
	PickupTimeout = 5 * time.Minute
	// DefaultEventTimeout bounds an acknowledged event when the AppSpec
	// does not say otherwise.
	DefaultEventTimeout = time.Hour
)

// ErrCommandEnded is returned (wrapped) by CompleteHostCommand for a
// command that has already ended: completed (the first completion wins),
// timed out or cancelled. Nothing changes.
var ErrCommandEnded = errors.New("codedeploy: host command has already ended")

// HostCommand is one lifecycle event of one instance, as the agent
// command service hands it out.
type HostCommand struct {
	ID string // HostCommandIdentifier: random and unguessable, it authorizes ack and complete
	Scope
	// HostIdentifier is the IAM user or session ARN the instance was
	// registered with: what its agent sends (spec §9.3).
	HostIdentifier string
	DeploymentID   string
	TargetID       string // the instance name
	CommandName    string // the lifecycle event
	// ExecutionID is the DeploymentExecutionId for
	// GetDeploymentSpecification.
	ExecutionID  string
	State        string
	Created      time.Time
	Dispatched   time.Time `json:",omitzero"`
	Acknowledged time.Time `json:",omitzero"`
	Completed    time.Time `json:",omitzero"`
	// Timeout bounds the event once acknowledged.
	Timeout     time.Duration
	Noop        bool         `json:",omitempty"` // the agent found no scripts for it
	Diagnostics *Diagnostics `json:",omitempty"`
	// Spec is the deployment specification the agent fetches.
	Spec *DeploymentSpec
}

// open reports whether the command has not ended.
func (c *HostCommand) open() bool {
	return c.State == CommandPending || c.State == CommandDispatched || c.State == CommandInProgress
}

// AckStatus is the CommandStatus an acknowledgement answers (spec §9.5):
// InProgress to go on, Succeeded or Failed for a command already ended.
func (c *HostCommand) AckStatus() string {
	switch c.State {
	case CommandSucceeded:
		return CommandSucceeded
	case CommandFailed, CommandTimedOut, CommandCancelled:
		return CommandFailed
	}
	return CommandInProgress
}

func newCommandID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// maxStalePerPoll bounds how many stale commands one poll cancels before
// it gives up for this call.
const maxStalePerPoll = 100

// PollHostCommand hands the host's oldest pending command to its agent,
// marking it Dispatched so that no poll hands it out again; nil when none
// is ready. Commands whose event can no longer run are cancelled on the
// way.
func (s *Service) PollHostCommand(ctx context.Context, sc Scope, host string) (*HostCommand, error) {
	var got *HostCommand
	err := s.store.Tx(ctx, func(ctx context.Context) error {
		for range maxStalePerPoll {
			c, err := s.store.NextHostCommand(ctx, sc, host)
			if errors.Is(err, ErrNotFound) {
				return nil
			} else if err != nil {
				return err
			}
			live, err := s.commandLive(ctx, c)
			if err != nil {
				return err
			}
			if !live {
				if err := s.endCommand(ctx, c, CommandCancelled, nil); err != nil {
					return err
				}
				continue
			}
			c.State, c.Dispatched = CommandDispatched, s.now()
			got = c
			return s.store.UpdateHostCommand(ctx, c)
		}
		return nil
	})
	return got, err
}

// HostCommand returns a command by id (ErrNotFound if none), so that the
// command service can check that the caller is its host.
func (s *Service) HostCommand(ctx context.Context, id string) (*HostCommand, error) {
	return s.store.HostCommand(ctx, id)
}

// AcknowledgeHostCommand records that the agent starts a command and
// returns the CommandStatus to answer (see HostCommand.AckStatus): the
// event becomes InProgress, or — when it can no longer run — the command
// is cancelled and the agent told Failed. Acknowledging an acknowledged
// or ended command changes nothing.
func (s *Service) AcknowledgeHostCommand(ctx context.Context, id string, noop bool) (string, error) {
	var status string
	err := s.store.Tx(ctx, func(ctx context.Context) error {
		c, err := s.store.HostCommand(ctx, id)
		if err != nil {
			return err
		}
		if c.State != CommandPending && c.State != CommandDispatched {
			status = c.AckStatus()
			return nil
		}
		if err := s.startCommand(ctx, c, noop); err != nil {
			return err
		}
		status = c.AckStatus()
		return nil
	})
	return status, err
}

// startCommand moves an unacknowledged command and its event to
// InProgress, or cancels it when the event can no longer run.
func (s *Service) startCommand(ctx context.Context, c *HostCommand, noop bool) error {
	live, err := s.commandLive(ctx, c)
	if err != nil {
		return err
	}
	if !live {
		return s.endCommand(ctx, c, CommandCancelled, nil)
	}
	if err := s.TargetEvent(ctx, c.DeploymentID, c.TargetID, c.CommandName, StatusInProgress, nil); err != nil {
		return err
	}
	if c.Dispatched.IsZero() {
		c.Dispatched = s.now()
	}
	c.State, c.Acknowledged, c.Noop = CommandInProgress, s.now(), noop
	return s.store.UpdateHostCommand(ctx, c)
}

// Bounds on what an agent reports (spec §6.3, §9.2).
const (
	maxLogTail        = 4 << 10
	maxDiagnosticText = 8 << 10
)

// boundedDiagnostics keeps what an agent reports within bounds: the end of
// its log, the start of its texts, each cut on a rune boundary.
func boundedDiagnostics(d *Diagnostics) *Diagnostics {
	if d == nil {
		return nil
	}
	b := *d
	b.ErrorCode, b.ScriptName, b.Message = cutEnd(b.ErrorCode, 64), cutEnd(b.ScriptName, maxDiagnosticText), cutEnd(b.Message, maxDiagnosticText)
	if len(b.LogTail) > maxLogTail {
		tail := b.LogTail[len(b.LogTail)-maxLogTail:]
		for len(tail) > 0 && !utf8.RuneStart(tail[0]) {
			tail = tail[1:]
		}
		b.LogTail = tail
	}
	return &b
}

// cutEnd cuts s to at most n bytes on a rune boundary.
func cutEnd(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// DeploymentSpecification returns the deployment specification of an
// execution (GetDeploymentSpecification) for a host that has a command in
// it; ErrNotFound otherwise, so that hosts learn nothing of deployments
// that are not theirs.
func (s *Service) DeploymentSpecification(ctx context.Context, sc Scope, executionID, host string) (*DeploymentSpec, error) {
	i := strings.LastIndexByte(executionID, '/')
	if i < 0 {
		return nil, ErrNotFound
	}
	commands, err := s.store.HostCommandsOfHost(ctx, executionID[i+1:], host)
	if err != nil {
		return nil, err
	}
	for _, c := range slices.Backward(commands) {
		if c.Scope == sc && c.HostIdentifier == host && c.ExecutionID == executionID {
			return c.Spec, nil
		}
	}
	return nil, ErrNotFound
}

// CompleteHostCommand records the agent's outcome of a command (status
// Succeeded or Failed) with its diagnostics, and moves its event on in the
// same transaction. A command completed before it was acknowledged is
// started first. The first completion wins: a command that has already
// ended returns ErrCommandEnded and changes nothing.
func (s *Service) CompleteHostCommand(ctx context.Context, id, status string, diag *Diagnostics) error {
	if status != CommandSucceeded && status != CommandFailed {
		return fmt.Errorf("complete host command %s: status %q is not Succeeded or Failed", id, status)
	}
	diag = boundedDiagnostics(diag)
	err := s.store.Tx(ctx, func(ctx context.Context) error {
		c, err := s.store.HostCommand(ctx, id)
		if err != nil {
			return err
		}
		if c.State == CommandPending || c.State == CommandDispatched {
			if err := s.startCommand(ctx, c, false); err != nil {
				return err
			}
		}
		if c.State != CommandInProgress {
			return fmt.Errorf("complete host command %s (%s): %w", id, c.State, ErrCommandEnded)
		}
		if err := s.TargetEvent(ctx, c.DeploymentID, c.TargetID, c.CommandName, status, diag); err != nil {
			return err
		}
		return s.endCommand(ctx, c, status, diag)
	})
	if err == nil {
		s.Wake()
	}
	return err
}

// cancelCommands cancels a deployment's commands that no agent has
// acknowledged — and, when the deployment ends, the acknowledged ones
// too, whose events it abandoned — so that agents are told Failed and
// their completions change nothing.
func (s *Service) cancelCommands(ctx context.Context, deploymentID string, acknowledged bool) error {
	commands, err := s.store.HostCommands(ctx, deploymentID)
	if err != nil {
		return err
	}
	for _, c := range commands {
		if c.State == CommandPending || c.State == CommandDispatched || (acknowledged && c.State == CommandInProgress) {
			if err := s.endCommand(ctx, c, CommandCancelled, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// endCommand stores a command's end.
func (s *Service) endCommand(ctx context.Context, c *HostCommand, state string, diag *Diagnostics) error {
	c.State, c.Completed, c.Diagnostics = state, s.now(), diag
	return s.store.UpdateHostCommand(ctx, c)
}

// commandLive reports whether an unacknowledged command's event can still
// start (see eventCanStart).
func (s *Service) commandLive(ctx context.Context, c *HostCommand) (bool, error) {
	d, err := s.loadDeployment(ctx, c.DeploymentID)
	if err != nil {
		return false, err
	}
	// One target, not all: every poll and acknowledgement asks.
	t, err := s.store.Target(ctx, c.DeploymentID, c.TargetID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return eventCanStart(d, []*InstanceTarget{t}, c), nil
}

// eventCanStart reports whether a command's event can still start: its
// deployment runs with no stop pending and the event is still Pending.
func eventCanStart(d *Deployment, targets []*InstanceTarget, c *HostCommand) bool {
	if d.Info.Status != StatusInProgress || d.Stop != nil {
		return false
	}
	t := findTarget(targets, c.TargetID)
	if t == nil || (t.Status != StatusPending && t.Status != StatusInProgress) {
		return false
	}
	i := slices.IndexFunc(t.LifecycleEvents, func(e LifecycleEvent) bool { return e.LifecycleEventName == c.CommandName })
	return i >= 0 && t.LifecycleEvents[i].Status == StatusPending
}
