package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Agent polls for its host's commands and runs them.
type Agent struct {
	cfg     *Config
	client  *client
	log     *slog.Logger
	trustMu sync.Mutex
	running sync.WaitGroup
	slots   chan struct{} // bounds commands run at once
}

// maxConcurrentCommands is AWS's agent's pool size: an instance may work
// on commands of different deployments at once.
const maxConcurrentCommands = 16

// New returns an agent for cfg, logging to log.
func New(cfg *Config, log *slog.Logger) *Agent {
	return &Agent{cfg: cfg, client: newClient(cfg), log: log, slots: make(chan struct{}, maxConcurrentCommands)}
}

// hostCommand is a command handed out by PollHostCommand.
type hostCommand struct {
	HostCommandIdentifier string
	HostIdentifier        string
	DeploymentExecutionID string `json:"DeploymentExecutionId"`
	CommandName           string
}

// Run polls until ctx ends, then waits for the commands it started.
func (a *Agent) Run(ctx context.Context) error {
	if err := a.prepare(); err != nil {
		return err
	}
	a.log.Info("agent started", "host", a.cfg.HostIdentifier, "endpoint", a.cfg.Endpoint, "secure", a.cfg.EnableAuthPolicy, "root", a.cfg.RootDir)
	defer a.running.Wait()
	failures := 0
	recovered := false
	for ctx.Err() == nil {
		var wait time.Duration
		var err error
		if !recovered {
			// Only files left by an earlier run: this run's own commands
			// write theirs too.
			err = a.failInterrupted(ctx)
			recovered = err == nil
		}
		if err == nil {
			wait, err = a.step(ctx)
		}
		if err != nil && ctx.Err() == nil {
			a.log.Warn("command service call failed", "err", err)
			wait = backoff(failures)
			failures++
		} else if err == nil {
			failures = 0
		}
		sleep(ctx, wait)
	}
	return nil
}

// prepare creates root_dir's layout (spec §11.4).
func (a *Agent) prepare() error {
	for _, dir := range []string{a.cfg.RootDir, a.ongoingDir(), a.instructionsDir(), filepath.Join(a.cfg.RootDir, "deployment-logs")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	return nil
}

// step polls once and starts the command it got; it returns how long to
// wait before the next poll.
func (a *Agent) step(ctx context.Context) (time.Duration, error) {
	var out struct{ HostCommand *hostCommand }
	if err := a.client.call(ctx, "PollHostCommand", map[string]string{"HostIdentifier": a.cfg.HostIdentifier}, &out); err != nil {
		return 0, err
	}
	cmd := out.HostCommand
	if cmd == nil || cmd.HostCommandIdentifier == "" {
		return a.cfg.WaitBetweenRuns, nil
	}
	if cmd.CommandName == "" || cmd.HostIdentifier != a.cfg.HostIdentifier {
		return 0, fmt.Errorf("command %q is not for this host or has no name", cmd.CommandName)
	}
	select {
	case a.slots <- struct{}{}:
	case <-ctx.Done():
		return 0, nil // not acknowledged: the service hands it out again
	}
	a.running.Go(func() {
		defer func() { <-a.slots }()
		// A started command finishes even when the agent is stopping.
		a.handle(context.WithoutCancel(ctx), cmd)
	})
	return 0, nil
}

// backoff is AWS's agent's wait after the nth failure in a row (§9.8):
// about 8 s at first, 90 s at most.
func backoff(n int) time.Duration {
	n = min(n, 10)
	return time.Duration(math.Pow(1.2675, float64(n)) * 90 / math.Pow(1.2675, 10) * float64(time.Second))
}

func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// handle runs one command: specification, acknowledgement, the event,
// completion. A tracking file marks it in flight until it is completed.
func (a *Agent) handle(ctx context.Context, cmd *hostCommand) {
	log := a.log.With("command", cmd.CommandName, "execution", cmd.DeploymentExecutionID)
	var specOut struct {
		DeploymentSystem        string
		DeploymentSpecification struct{ GenericEnvelope envelope }
	}
	err := a.client.callRetrying(ctx, "GetDeploymentSpecification", map[string]string{
		"DeploymentExecutionId": cmd.DeploymentExecutionID, "HostIdentifier": a.cfg.HostIdentifier}, &specOut)
	var se *serviceError
	if err != nil && !errors.As(err, &se) {
		log.Warn("no deployment specification; the service hands the command out again", "err", err)
		return
	}
	if err == nil && specOut.DeploymentSystem != "CodeDeploy" {
		err = fmt.Errorf("deployment system %q is not CodeDeploy", specOut.DeploymentSystem)
	}
	var spec *Spec
	if err == nil {
		spec, err = a.openSpec(specOut.DeploymentSpecification.GenericEnvelope)
	}
	if err != nil {
		log.Error("deployment specification refused", "err", err)
		a.complete(ctx, log, cmd, Result{Code: codeUnknownError, Message: err.Error()})
		return
	}
	log = log.With("deployment", spec.DeploymentID)
	ev := a.event(spec, cmd.CommandName)
	if !a.track(log, spec.DeploymentID, cmd.HostCommandIdentifier) {
		return
	}
	defer a.untrack(spec.DeploymentID)
	noop := ev.isNoop()
	var ack struct{ CommandStatus string }
	payload, _ := json.Marshal(map[string]bool{"IsCommandNoop": noop})
	if err := a.client.callRetrying(ctx, "PutHostCommandAcknowledgement", map[string]any{"HostCommandIdentifier": cmd.HostCommandIdentifier,
		"Diagnostics": envelope{Format: "JSON", Payload: string(payload)}}, &ack); err != nil {
		log.Warn("acknowledgement failed; the service hands the command out again", "err", err)
		return
	}
	switch ack.CommandStatus {
	case "Succeeded":
		return
	case "Failed": // cancelled by the service; a no-op is completed as AWS's agent does
		if noop {
			a.complete(ctx, log, cmd, Result{Message: "CompletedNoopCommand"})
		}
		return
	}
	start := time.Now()
	res := ev.run(ctx)
	log.Info("lifecycle event ran", "code", res.Code, "script", res.ScriptName, "took", time.Since(start).Round(time.Millisecond))
	a.complete(ctx, log, cmd, res)
}

// complete sends the event's outcome with bounded diagnostics.
func (a *Agent) complete(ctx context.Context, log *slog.Logger, cmd *hostCommand, res Result) {
	status := "Succeeded"
	if res.Code != codeSucceeded {
		status = "Failed"
	}
	err := a.client.callRetrying(ctx, "PutHostCommandComplete", map[string]any{"HostCommandIdentifier": cmd.HostCommandIdentifier,
		"CommandStatus": status, "Diagnostics": envelope{Format: "JSON", Payload: diagnostics(res)}}, nil)
	if err != nil {
		log.Error("completion failed", "err", err)
	}
}

// maxDiagnostics is the command service's limit on a diagnostics payload.
const maxDiagnostics = 8192

// diagnostics encodes a result within the service's limit, cutting the
// message and then the log tail's oldest part.
func diagnostics(res Result) string {
	res.Message = truncate(res.Message, 1024)
	res.ScriptName = truncate(res.ScriptName, 512)
	for {
		b, _ := json.Marshal(res)
		if len(b) <= maxDiagnostics || res.Log == "" {
			return string(b)
		}
		res.Log = res.Log[len(res.Log)/2:]
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// tracking is an in-flight command's file in ongoing-deployment/.
type tracking struct {
	HostCommandIdentifier string
	Started               time.Time
}

func (a *Agent) ongoingDir() string { return filepath.Join(a.cfg.RootDir, "ongoing-deployment") }
func (a *Agent) instructionsDir() string {
	return filepath.Join(a.cfg.RootDir, "deployment-instructions")
}

func (a *Agent) track(log *slog.Logger, deploymentID, commandID string) bool {
	b, _ := json.Marshal(tracking{HostCommandIdentifier: commandID, Started: time.Now().UTC()})
	if err := writeAtomic(filepath.Join(a.ongoingDir(), deploymentID), b); err != nil {
		log.Error("cannot write the in-flight tracking file; command left for redelivery", "err", err)
		return false
	}
	return true
}

func (a *Agent) untrack(deploymentID string) { os.Remove(filepath.Join(a.ongoingDir(), deploymentID)) }

// restartWindow is how old an in-flight file may be and still be reported.
const restartWindow = 24 * time.Hour

// failInterrupted completes as failed (error code 7) each command that
// was in flight when the agent stopped (spec §9.8). Only a transport
// error keeps a file for the next try; an answer from the service, even
// a refusal, settles it.
func (a *Agent) failInterrupted(ctx context.Context) error {
	entries, err := os.ReadDir(a.ongoingDir())
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := a.failOne(ctx, e.Name()); err != nil {
			return err
		}
	}
	return nil
}

func (a *Agent) failOne(ctx context.Context, name string) error {
	path := filepath.Join(a.ongoingDir(), name)
	var t tracking
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &t) != nil || time.Since(t.Started) > restartWindow || t.HostCommandIdentifier == "" {
		return os.Remove(path)
	}
	res := Result{Code: codeFailedAfterRestart, Message: "Failed: Failing in-progress lifecycle event after an agent restart."}
	err = a.client.callRetrying(ctx, "PutHostCommandComplete", map[string]any{"HostCommandIdentifier": t.HostCommandIdentifier,
		"CommandStatus": "Failed", "Diagnostics": envelope{Format: "JSON", Payload: diagnostics(res)}}, nil)
	var se *serviceError
	if err != nil && !errors.As(err, &se) {
		return err
	}
	a.log.Warn("reported a command interrupted by an agent restart", "deployment", name, "answer", err)
	return os.Remove(path)
}
