package codedeploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// The agent command service (spec §9): the API CodeDeploy agents poll for
// host commands, served on two stacks — the legacy one
// (CodeDeployCommandService_v20141006, signing name codedeploy-commands)
// and the secure one (CodeDeployCommandService, codedeploy-commands-secure)
// — over the host command queue (commands.go).
//
// A caller is a host: the registered on-premises instance whose IAM user
// or session ARN it authenticates as. It may name only itself as
// HostIdentifier and act only on its own commands; everything else is a
// ClientException that changes nothing. The secure stack also authorizes
// each call by IAM (codedeploy-commands-secure:<Op>), as AWS's
// enable_auth_policy does; the legacy one is authorized by the host's
// registration alone, as on AWS.

// CodeClientException is the command service's error for every client
// fault; the agent logs its message and backs off.
const CodeClientException = "ClientException"

// Default long-poll timing.
const (
	// DefaultPollHold is how long PollHostCommand waits for a command.
	// The agents' read timeout is 80 s.
	DefaultPollHold = 20 * time.Second
	// DefaultRepoll is how often a waiting poll re-queries without a
	// notification, so that commands queued by another node sharing the
	// database are found.
	DefaultRepoll = time.Second
)

// SpecSigner wraps a deployment specification in its PKCS7/JSON envelope
// (package pkcs7 in production).
type SpecSigner interface {
	Sign(content []byte) ([]byte, error)
}

// SpecFormat is the envelope format of signed specifications.
const SpecFormat = "PKCS7/JSON"

// PollTiming times the long poll.
type PollTiming struct {
	// Hold is how long a poll waits for a command (DefaultPollHold when
	// zero); Repoll how often it re-queries meanwhile (DefaultRepoll).
	Hold, Repoll time.Duration
}

// CommandService serves the agent command API.
type CommandService struct {
	svc    *Service
	signer SpecSigner
	timing PollTiming
	// ending is closed when the server shuts down: waiting polls answer
	// at once instead of holding the shutdown up.
	ending  chan struct{}
	endOnce sync.Once
	// Legacy and Secure are the two stacks the server routes to.
	Legacy, Secure *awsproto.Service
}

// NewCommandService returns the command service over svc's queue; signer
// signs deployment specifications.
func NewCommandService(svc *Service, signer SpecSigner, timing PollTiming) *CommandService {
	c := &CommandService{svc: svc, signer: signer, timing: timing, ending: make(chan struct{})}
	c.Legacy = c.stack("codedeploy-commands", false)
	c.Secure = c.stack("codedeploy-commands-secure", true)
	return c
}

// stack builds one stack's awsproto.Service. Its calls are not CloudTrail
// events unless app turns recording on (Service.Unaudited).
func (c *CommandService) stack(name string, iamAuthorized bool) *awsproto.Service {
	api := &awsproto.Service{Name: name, EventSource: name + ".amazonaws.com", Protocol: awsproto.JSON,
		Model: awsproto.MustLoadModel(name), ValidationCode: CodeClientException, Unaudited: true}
	awsproto.Handle(api, "PollHostCommand", c.poll)
	awsproto.Handle(api, "GetDeploymentSpecification", c.specification)
	awsproto.Handle(api, "PutHostCommandAcknowledgement", c.acknowledge)
	awsproto.Handle(api, "PutHostCommandComplete", c.complete)
	awsproto.Handle(api, "PostHostCommandUpdate", c.update)
	// A poll commits its own dispatch and may wait; it must not hold the
	// audit transaction open while it does.
	api.Op("PollHostCommand").Mutates = false
	api.Op("PollHostCommand").Hold = c.hold() + 10*time.Second
	if !iamAuthorized {
		api.SelfAuthorized(api.OpNames()...)
	}
	return api
}

func (c *CommandService) hold() time.Duration {
	if c.timing.Hold > 0 {
		return c.timing.Hold
	}
	return DefaultPollHold
}

func (c *CommandService) repoll() time.Duration {
	if c.timing.Repoll > 0 {
		return c.timing.Repoll
	}
	return DefaultRepoll
}

func clientError(format string, args ...any) error {
	return awserr.New(CodeClientException, fmt.Sprintf(format, args...)).WithStatus(http.StatusBadRequest)
}

// caller is the host the call authenticates as: the registered instance
// its principal's ARN belongs to. The ARN is returned too: it is the
// HostIdentifier of the host's commands.
func (c *CommandService) caller(ctx context.Context) (string, error) {
	call := awsproto.CallFromContext(ctx)
	if call == nil || call.Principal == nil || call.Principal.ARN == "" {
		return "", clientError("The caller is not a registered host.")
	}
	arn := call.Principal.ARN
	_, err := c.svc.store.RegisteredInstanceByIAMARN(ctx, scope(ctx), arn)
	if errors.Is(err, ErrNotFound) {
		return "", clientError("Host %s is not a registered on-premises instance.", arn)
	}
	return arn, err
}

// claimedHost checks that the HostIdentifier a call names is its caller.
func (c *CommandService) claimedHost(ctx context.Context, claimed string) (string, error) {
	host, err := c.caller(ctx)
	if err != nil {
		return "", err
	}
	if claimed != host {
		return "", clientError("The caller %s may not act as host %s.", host, claimed)
	}
	return host, nil
}

// ownCommand returns the caller's command id; another host's command, or
// one of another account or region, is answered as missing.
func (c *CommandService) ownCommand(ctx context.Context, id string) (*HostCommand, error) {
	host, err := c.caller(ctx)
	if err != nil {
		return nil, err
	}
	cmd, err := c.svc.HostCommand(ctx, id)
	if errors.Is(err, ErrNotFound) || (err == nil && (cmd.HostIdentifier != host || cmd.Scope != scope(ctx))) {
		return nil, clientError("Host command %s was not found for host %s.", id, host)
	}
	return cmd, err
}

type pollInput struct {
	HostIdentifier string
}

type hostCommandInstance struct {
	HostCommandIdentifier, HostIdentifier string
	DeploymentExecutionID                 string `json:"DeploymentExecutionId"`
	CommandName                           string
	Nonce                                 int64
}

type pollOutput struct {
	HostCommand *hostCommandInstance `json:",omitempty"`
}

// poll hands out the host's next command, waiting up to the hold for one:
// it wakes when the engine queues commands in this process, and re-queries
// every Repoll for those queued elsewhere.
func (c *CommandService) poll(ctx context.Context, in *pollInput) (*pollOutput, error) {
	host, err := c.claimedHost(ctx, in.HostIdentifier)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.hold())
	defer cancel()
	for {
		queued := c.svc.bell.wait() // before the query, so no ring is missed
		cmd, err := c.svc.PollHostCommand(ctx, scope(ctx), host)
		if err != nil && ctx.Err() != nil {
			return &pollOutput{}, nil // the hold ended during the query
		} else if err != nil {
			return nil, err
		}
		if cmd != nil {
			return &pollOutput{HostCommand: &hostCommandInstance{HostCommandIdentifier: cmd.ID, HostIdentifier: cmd.HostIdentifier,
				DeploymentExecutionID: cmd.ExecutionID, CommandName: cmd.CommandName, Nonce: cmd.Dispatched.UnixNano()}}, nil
		}
		select {
		case <-ctx.Done():
			return &pollOutput{}, nil
		case <-c.ending:
			return &pollOutput{}, nil
		case <-queued:
		case <-time.After(c.repoll()):
		}
	}
}

// EndPolls answers every waiting poll with no command and makes later
// ones answer at once: the server is shutting down.
func (c *CommandService) EndPolls() { c.endOnce.Do(func() { close(c.ending) }) }

type specInput struct {
	DeploymentExecutionID string `json:"DeploymentExecutionId"`
	HostIdentifier        string
}

type envelope struct {
	Format, Payload string
}

type specOutput struct {
	DeploymentSystem        string
	DeploymentSpecification struct{ GenericEnvelope envelope }
}

// specification returns the signed deployment specification of an
// execution the host has a command in.
func (c *CommandService) specification(ctx context.Context, in *specInput) (*specOutput, error) {
	host, err := c.claimedHost(ctx, in.HostIdentifier)
	if err != nil {
		return nil, err
	}
	spec, err := c.svc.DeploymentSpecification(ctx, scope(ctx), in.DeploymentExecutionID, host)
	if errors.Is(err, ErrNotFound) {
		return nil, clientError("Deployment execution %s was not found for host %s.", in.DeploymentExecutionID, host)
	} else if err != nil {
		return nil, err
	}
	content, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	signed, err := c.signer.Sign(content)
	if err != nil {
		return nil, fmt.Errorf("sign deployment specification: %w", err)
	}
	out := &specOutput{DeploymentSystem: "CodeDeploy"} // the agents accept nothing else
	out.DeploymentSpecification.GenericEnvelope = envelope{Format: SpecFormat, Payload: string(signed)}
	return out, nil
}

type ackInput struct {
	HostCommandIdentifier string
	Diagnostics           *envelope
}

type statusOutput struct {
	CommandStatus string `json:",omitempty"`
}

// acknowledge starts a command (spec §9.5). The diagnostics carry only
// IsCommandNoop.
func (c *CommandService) acknowledge(ctx context.Context, in *ackInput) (*statusOutput, error) {
	var noop struct{ IsCommandNoop bool }
	if in.Diagnostics != nil {
		if err := parseDiagnostics(in.Diagnostics, &noop); err != nil {
			return nil, err
		}
	}
	cmd, err := c.ownCommand(ctx, in.HostCommandIdentifier)
	if err != nil {
		return nil, err
	}
	status, err := c.svc.AcknowledgeHostCommand(ctx, cmd.ID, noop.IsCommandNoop)
	if err != nil {
		return nil, err
	}
	return &statusOutput{CommandStatus: status}, nil
}

type completeInput struct {
	HostCommandIdentifier string
	CommandStatus         string
	Diagnostics           *envelope
}

// agentDiagnostics is the payload of a completion (spec §9.6).
type agentDiagnostics struct {
	ErrorCode  *int   `json:"error_code"`
	ScriptName string `json:"script_name"`
	Message    string `json:"message"`
	Log        string `json:"log"`
}

// lifecycleErrorCodes maps the agent's error_code to the event's
// diagnostics errorCode (spec §9.6).
var lifecycleErrorCodes = map[int]string{0: "Success", 1: "ScriptMissing", 2: "ScriptNotExecutable", 3: "ScriptTimedOut",
	4: "ScriptFailed", 5: "UnknownError", 6: "ScriptFailed", 7: "UnknownError"}

// noopMessage is how an agent completes a command it was told had
// failed but that had nothing to run (spec §9.5).
const noopMessage = "CompletedNoopCommand"

// complete records a command's outcome. The first completion wins; a
// later one — a replay, a completion after the command timed out or its
// deployment stopped — is a ClientException and changes nothing, except
// the agent's no-op completion of a command it was told had failed, which
// is accepted as AWS does.
func (c *CommandService) complete(ctx context.Context, in *completeInput) (*done, error) {
	if in.CommandStatus != CommandSucceeded && in.CommandStatus != CommandFailed {
		return nil, clientError("CommandStatus must be Succeeded or Failed, not %q.", in.CommandStatus)
	}
	diag, err := completionDiagnostics(in.Diagnostics)
	if err != nil {
		return nil, err
	}
	cmd, err := c.ownCommand(ctx, in.HostCommandIdentifier)
	if err != nil {
		return nil, err
	}
	err = c.svc.CompleteHostCommand(ctx, cmd.ID, in.CommandStatus, diag)
	if errors.Is(err, ErrCommandEnded) {
		if cmd, err = c.svc.HostCommand(ctx, cmd.ID); err != nil {
			return nil, err
		}
		if in.CommandStatus == CommandSucceeded && diag != nil && diag.Message == noopMessage && cmd.AckStatus() == CommandFailed {
			return ok, nil
		}
		return nil, clientError("Host command %s has already ended (%s); its completion was not recorded.", cmd.ID, cmd.State)
	}
	if err != nil {
		return nil, err
	}
	return ok, nil
}

// completionDiagnostics parses a completion's diagnostics envelope;
// anything but the agents' JSON payload is refused.
func completionDiagnostics(env *envelope) (*Diagnostics, error) {
	if env == nil {
		return nil, nil
	}
	var a agentDiagnostics
	if err := parseDiagnostics(env, &a); err != nil {
		return nil, err
	}
	if a.ErrorCode == nil {
		return nil, clientError("The diagnostics payload has no error_code.")
	}
	code, known := lifecycleErrorCodes[*a.ErrorCode]
	if !known {
		return nil, clientError("The diagnostics error_code %d is not one the agent sends.", *a.ErrorCode)
	}
	return &Diagnostics{ErrorCode: code, ScriptName: a.ScriptName, Message: a.Message, LogTail: a.Log}, nil
}

// parseDiagnostics decodes a JSON diagnostics envelope into v.
func parseDiagnostics(env *envelope, v any) error {
	if env.Format != "JSON" {
		return clientError("The diagnostics format must be JSON, not %q.", env.Format)
	}
	if err := json.Unmarshal([]byte(env.Payload), v); err != nil {
		return clientError("The diagnostics payload is not valid JSON.")
	}
	return nil
}

type updateInput struct {
	HostCommandIdentifier string
}

// update answers the status of the caller's command; current agents never
// call it, and it changes nothing.
func (c *CommandService) update(ctx context.Context, in *updateInput) (*statusOutput, error) {
	cmd, err := c.ownCommand(ctx, in.HostCommandIdentifier)
	if err != nil {
		return nil, err
	}
	return &statusOutput{CommandStatus: cmd.AckStatus()}, nil
}

// commandBell tells waiting polls that commands may have been queued: each
// ring closes the channel the waiters hold.
type commandBell struct {
	mu sync.Mutex
	ch chan struct{}
}

func (b *commandBell) wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch == nil {
		b.ch = make(chan struct{})
	}
	return b.ch
}

func (b *commandBell) ring() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch != nil {
		close(b.ch)
		b.ch = nil
	}
}
