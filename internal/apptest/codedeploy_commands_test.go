package apptest_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/deploytrail/deploytrail/internal/apptest"
	"github.com/deploytrail/deploytrail/internal/pkcs7"
)

// hostClient is an agent's side of the command service: raw JSON 1.1
// requests signed with the SDK's SigV4 signer, as AWS's agents send them.
type hostClient struct {
	t       *testing.T
	url     string
	creds   apptest.Creds
	arn     string // the HostIdentifier it claims
	signing string // codedeploy-commands or codedeploy-commands-secure
	prefix  string // the X-Amz-Target prefix
}

func legacyHost(t *testing.T, srv *apptest.Server, creds apptest.Creds, arn string) *hostClient {
	return &hostClient{t: t, url: srv.URL, creds: creds, arn: arn, signing: "codedeploy-commands", prefix: "CodeDeployCommandService_v20141006"}
}

func secureHost(t *testing.T, srv *apptest.Server, creds apptest.Creds, arn string) *hostClient {
	return &hostClient{t: t, url: srv.URL, creds: creds, arn: arn, signing: "codedeploy-commands-secure", prefix: "CodeDeployCommandService"}
}

// agentError is a command service error as the agent sees it.
type agentError struct {
	Status int
	Type   string `json:"__type"`
	Msg    string `json:"message"`
}

// call sends op with in and decodes the answer into out; a non-200
// answer is returned as an agentError.
func (h *hostClient) call(op string, in, out any) *agentError {
	h.t.Helper()
	body, _ := json.Marshal(in)
	req, _ := http.NewRequest(http.MethodPost, h.url+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", h.prefix+"."+op)
	req.Header.Set("X-Amz-Codedeploy-Agent-Version", "OFFICIAL_1.7.1-110_deb")
	sum := sha256.Sum256(body)
	err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: h.creds.AccessKeyID, SecretAccessKey: h.creds.SecretAccessKey,
		SessionToken: h.creds.SessionToken}, req, hex.EncodeToString(sum[:]), h.signing, apptest.Region, time.Now())
	fatalIf(h.t, err)
	resp, err := http.DefaultClient.Do(req)
	fatalIf(h.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		e := &agentError{Status: resp.StatusCode}
		json.Unmarshal(raw, e)
		e.Type = e.Type[strings.LastIndex(e.Type, "#")+1:]
		return e
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			h.t.Fatalf("%s: %v in %s", op, err, raw)
		}
	}
	return nil
}

// must is call that fails the test on an error.
func (h *hostClient) must(op string, in, out any) {
	h.t.Helper()
	if e := h.call(op, in, out); e != nil {
		h.t.Fatalf("%s: %d %s: %s", op, e.Status, e.Type, e.Msg)
	}
}

// wantError is call that must fail with code.
func (h *hostClient) wantError(code, op string, in any) string {
	h.t.Helper()
	e := h.call(op, in, nil)
	if e == nil || e.Type != code {
		h.t.Fatalf("%s: got %+v, want %s", op, e, code)
	}
	return e.Msg
}

type polled struct {
	HostCommand *struct {
		HostCommandIdentifier, HostIdentifier, DeploymentExecutionId, CommandName string
		Nonce                                                                     int64
	}
}

func (h *hostClient) poll() *polled {
	h.t.Helper()
	var out polled
	h.must("PollHostCommand", map[string]any{"HostIdentifier": h.arn}, &out)
	return &out
}

func (h *hostClient) ack(id string) string {
	h.t.Helper()
	var out struct{ CommandStatus string }
	h.must("PutHostCommandAcknowledgement", map[string]any{"HostCommandIdentifier": id,
		"Diagnostics": map[string]any{"Format": "JSON", "Payload": `{"IsCommandNoop":false}`}}, &out)
	return out.CommandStatus
}

// completion is a PutHostCommandComplete request as AWS's agent sends it.
func completion(id, status string, code int, script, msg, log string) map[string]any {
	payload, _ := json.Marshal(map[string]any{"error_code": code, "script_name": script, "message": msg, "log": log})
	return map[string]any{"HostCommandIdentifier": id, "CommandStatus": status,
		"Diagnostics": map[string]any{"Format": "JSON", "Payload": string(payload)}}
}

// spec fetches and verifies the signed deployment specification.
func (h *hostClient) spec(execID string) map[string]any {
	h.t.Helper()
	var out struct {
		DeploymentSystem        string
		DeploymentSpecification struct {
			GenericEnvelope struct{ Format, Payload string }
		}
	}
	h.must("GetDeploymentSpecification", map[string]any{"DeploymentExecutionId": execID, "HostIdentifier": h.arn}, &out)
	env := out.DeploymentSpecification.GenericEnvelope
	if out.DeploymentSystem != "CodeDeploy" || env.Format != "PKCS7/JSON" {
		h.t.Fatalf("specification: system %q format %q", out.DeploymentSystem, env.Format)
	}
	content, _, err := pkcs7.Verify([]byte(env.Payload))
	fatalIf(h.t, err)
	var spec map[string]any
	fatalIf(h.t, json.Unmarshal(content, &spec))
	return spec
}

// runEvents plays the agent for one deployment: each command is fetched,
// acknowledged and completed Succeeded, except failEvent (if any), which
// fails as a script would. It returns the events in the order served,
// once every lifecycle event has run or failEvent has failed.
func (h *hostClient) runEvents(deploymentID, failEvent string) []string {
	h.t.Helper()
	var events []string
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if len(events) == len(lifecycleOrder) {
			return events
		}
		p := h.poll()
		if p.HostCommand == nil {
			// The engine has not queued the next event yet (a loaded
			// machine can take longer than one short poll): poll again.
			continue
		}
		c := p.HostCommand
		if c.HostIdentifier != h.arn || !strings.HasSuffix(c.DeploymentExecutionId, deploymentID) || c.CommandName == "" {
			h.t.Fatalf("command %+v for host %s, deployment %s", c, h.arn, deploymentID)
		}
		if spec := h.spec(c.DeploymentExecutionId); spec["DeploymentId"] != deploymentID || spec["ApplicationName"] != "app" {
			h.t.Fatalf("specification %v", spec)
		}
		if st := h.ack(c.HostCommandIdentifier); st != "InProgress" {
			h.t.Fatalf("ack %s = %s", c.CommandName, st)
		}
		events = append(events, c.CommandName)
		if c.CommandName == failEvent {
			h.must("PutHostCommandComplete", completion(c.HostCommandIdentifier, "Failed", 4, "scripts/validate.sh",
				"Script at specified location: scripts/validate.sh run as user root failed with exit code 1", "[stdout]health check failed\n"), nil)
			// AWS's agent completes a failing command twice; the first wins.
			msg := h.wantError("ClientException", "PutHostCommandComplete", completion(c.HostCommandIdentifier, "Failed", 5, "", "again", ""))
			if !strings.Contains(msg, "already ended") {
				h.t.Fatalf("second completion: %s", msg)
			}
			return events
		}
		h.must("PutHostCommandComplete", completion(c.HostCommandIdentifier, "Succeeded", 0, "", "Succeeded", ""), nil)
	}
	h.t.Fatal("the deployment did not end in time")
	return nil
}

// hostUser creates an IAM user, registers an on-premises instance of the
// same name under its ARN and tags it env=prod.
func hostUser(t *testing.T, srv *apptest.Server, c *codedeploy.Client, name, policy string) (apptest.Creds, string) {
	t.Helper()
	creds := newUser(t, srv, name, policy)
	arn := "arn:aws:iam::" + srv.Account() + ":user/" + name
	noErr(t)(c.RegisterOnPremisesInstance(ctx, &codedeploy.RegisterOnPremisesInstanceInput{InstanceName: aws.String(name), IamUserArn: aws.String(arn)}))
	tagInstances(t, c, testTags("env", "prod"), name)
	return creds, arn
}

const secureAgentPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"codedeploy-commands-secure:*","Resource":"*"}]}`

var lifecycleOrder = []string{"ApplicationStop", "DownloadBundle", "BeforeInstall", "Install", "AfterInstall", "ApplicationStart", "ValidateService"}

// TestCommands_DeployEndToEnd runs deployments through the agent command
// service on both stacks: every lifecycle event is polled, its signed
// specification fetched, acknowledged and completed, and the deployment
// succeeds; a failed ValidateService fails it with the script's
// diagnostics in GetDeploymentTarget and GetDeploymentInstance.
func TestCommands_DeployEndToEnd(t *testing.T) {
	srv, c := startCodeDeploy(t, apptest.WithAgentPolling(3*time.Second, 0))
	newApp(t, c, "app", "")
	newProdGroup(t, c, "dg")
	legacyCreds, legacyARN := hostUser(t, srv, c, "web-1", "")
	secureCreds, secureARN := hostUser(t, srv, c, "web-2", secureAgentPolicy)
	legacy, secure := legacyHost(t, srv, legacyCreds, legacyARN), secureHost(t, srv, secureCreds, secureARN)

	id := createDep(t, c, depInput())
	var wg sync.WaitGroup
	var secureEvents []string
	wg.Go(func() { secureEvents = secure.runEvents(id, "") })
	legacyEvents := legacy.runEvents(id, "")
	wg.Wait()
	for _, got := range [][]string{legacyEvents, secureEvents} {
		if strings.Join(got, ",") != strings.Join(lifecycleOrder, ",") {
			t.Fatalf("events served = %v, want %v", got, lifecycleOrder)
		}
	}
	fatalIf(t, waitSucceeded(c, id))

	in := depInput()
	in.Revision = s3Revision("bucket", "bad.zip")
	in.DeploymentConfigName = aws.String("CodeDeployDefault.AllAtOnce") // both hosts run ValidateService
	bad := createDep(t, c, in)
	wg.Go(func() { secure.runEvents(bad, "ValidateService") })
	legacy.runEvents(bad, "ValidateService")
	wg.Wait()
	waitStatus(t, c, bad, types.DeploymentStatusFailed)
	target, err := c.GetDeploymentTarget(ctx, &codedeploy.GetDeploymentTargetInput{DeploymentId: aws.String(bad), TargetId: aws.String("web-1")})
	fatalIf(t, err)
	events := target.DeploymentTarget.InstanceTarget.LifecycleEvents
	last := events[len(events)-1]
	if aws.ToString(last.LifecycleEventName) != "ValidateService" || last.Status != types.LifecycleEventStatusFailed || last.Diagnostics == nil ||
		last.Diagnostics.ErrorCode != types.LifecycleErrorCodeScriptFailed || aws.ToString(last.Diagnostics.ScriptName) != "scripts/validate.sh" ||
		!strings.Contains(aws.ToString(last.Diagnostics.LogTail), "health check failed") {
		t.Fatalf("ValidateService on web-1 = %+v %+v", last, last.Diagnostics)
	}
	inst, err := c.GetDeploymentInstance(ctx, &codedeploy.GetDeploymentInstanceInput{DeploymentId: aws.String(bad), InstanceId: aws.String("web-2")})
	fatalIf(t, err)
	ie := inst.InstanceSummary.LifecycleEvents
	if d := ie[len(ie)-1].Diagnostics; d == nil || d.ErrorCode != types.LifecycleErrorCodeScriptFailed || !strings.Contains(aws.ToString(d.Message), "exit code 1") {
		t.Fatalf("GetDeploymentInstance diagnostics = %+v", d)
	}
}

// waitStatus waits for a deployment's status.
func waitStatus(t *testing.T, c *codedeploy.Client, id string, want types.DeploymentStatus) {
	t.Helper()
	for range 200 {
		if getDep(t, c, id).Status == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("deployment %s status %s, want %s", id, getDep(t, c, id).Status, want)
}

// TestCommands_LongPollWakes holds a poll open with nothing queued and
// shows that it answers within a fraction of a second of CreateDeployment
// — well before the re-poll interval (set to a minute here), so by the
// engine's in-process wake-up — and that an idle poll answers {} when
// its hold ends.
func TestCommands_LongPollWakes(t *testing.T) {
	srv, c := startCodeDeploy(t, apptest.WithAgentPolling(10*time.Second, time.Minute))
	newApp(t, c, "app", "")
	newProdGroup(t, c, "dg")
	creds, arn := hostUser(t, srv, c, "web-1", "")
	host := legacyHost(t, srv, creds, arn)

	got := make(chan *polled, 1)
	go func() { got <- host.poll() }()
	time.Sleep(300 * time.Millisecond) // the poll is waiting
	id := createDep(t, c, depInput())
	created := time.Now()
	p := <-got
	if wait := time.Since(created); p.HostCommand == nil || wait > 800*time.Millisecond {
		t.Fatalf("poll answered %+v %v after CreateDeployment", p.HostCommand, wait)
	}
	if p.HostCommand.CommandName != "ApplicationStop" || !strings.HasSuffix(p.HostCommand.DeploymentExecutionId, id) {
		t.Fatalf("first command %+v", p.HostCommand)
	}
}

// TestCommands_IdlePollAnswersEmpty: with nothing queued, a poll waits its
// hold and answers {}.
func TestCommands_IdlePollAnswersEmpty(t *testing.T) {
	srv, c := startCodeDeploy(t, apptest.WithAgentPolling(time.Second, 0))
	creds, arn := hostUser(t, srv, c, "web-1", "")
	start := time.Now()
	if p := legacyHost(t, srv, creds, arn).poll(); p.HostCommand != nil || time.Since(start) < 900*time.Millisecond {
		t.Fatalf("idle poll = %+v after %v", p.HostCommand, time.Since(start))
	}
}

// TestCommands_SessionHost: an instance registered with an IAM session
// ARN is served to that role session, on the secure stack with the
// role's permission; another session of the same role is another host.
func TestCommands_SessionHost(t *testing.T) {
	srv, c := startCodeDeploy(t, apptest.WithAgentPolling(time.Second, 0))
	newApp(t, c, "app", "")
	newProdGroup(t, c, "dg")
	acct := srv.Account()
	agent := newUser(t, srv, "agent", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	root := srv.IAM(srv.Root)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:user/agent"},"Action":"sts:AssumeRole"}]}`
	role, err := root.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("onprem"), AssumeRolePolicyDocument: aws.String(trust)})
	fatalIf(t, err)
	noErr(t)(root.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String("onprem"), PolicyName: aws.String("agent"), PolicyDocument: aws.String(secureAgentPolicy)}))
	session := func(name string) apptest.Creds {
		out, err := srv.STS(agent).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String(name)})
		fatalIf(t, err)
		return fromSTS(out)
	}
	arn := "arn:aws:sts::" + acct + ":assumed-role/onprem/host-a"
	noErr(t)(c.RegisterOnPremisesInstance(ctx, &codedeploy.RegisterOnPremisesInstanceInput{InstanceName: aws.String("host-a"), IamSessionArn: aws.String(arn)}))
	tagInstances(t, c, testTags("env", "prod"), "host-a")

	other := secureHost(t, srv, session("host-b"), arn)
	other.wantError("ClientException", "PollHostCommand", map[string]any{"HostIdentifier": arn})
	host := secureHost(t, srv, session("host-a"), arn)
	id := createDep(t, c, depInput())
	if got := host.runEvents(id, ""); len(got) != len(lifecycleOrder) {
		t.Fatalf("events served = %v", got)
	}
	fatalIf(t, waitSucceeded(c, id))
}

// TestCommands_ShutdownEndsPolls: a waiting poll does not hold a
// shutdown up; it answers {} at once.
func TestCommands_ShutdownEndsPolls(t *testing.T) {
	srv, c := startCodeDeploy(t, apptest.WithAgentPolling(20*time.Second, 0))
	creds, arn := hostUser(t, srv, c, "web-1", "")
	got := make(chan *polled, 1)
	go func() { got <- legacyHost(t, srv, creds, arn).poll() }()
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	srv.Stop()
	if p := <-got; p.HostCommand != nil || time.Since(start) > 3*time.Second {
		t.Fatalf("poll answered %+v; shutdown took %v", p.HostCommand, time.Since(start))
	}
}

// TestCommands_Misuse: each misuse of the protocol gets a ClientException
// (or the secure stack's AccessDeniedException) and changes nothing.
func TestCommands_Misuse(t *testing.T) {
	srv, c := startCodeDeploy(t, apptest.WithAgentPolling(time.Second, 0))
	newApp(t, c, "app", "")
	newProdGroup(t, c, "dg")
	creds1, arn1 := hostUser(t, srv, c, "web-1", "")
	creds2, arn2 := hostUser(t, srv, c, "web-2", "")
	web1, web2 := legacyHost(t, srv, creds1, arn1), legacyHost(t, srv, creds2, arn2)

	// A user that is no registered instance is an unknown host.
	strangerCreds := newUser(t, srv, "stranger", "")
	strangerARN := "arn:aws:iam::" + srv.Account() + ":user/stranger"
	stranger := legacyHost(t, srv, strangerCreds, strangerARN)
	if msg := stranger.wantError("ClientException", "PollHostCommand", map[string]any{"HostIdentifier": strangerARN}); !strings.Contains(msg, "not a registered") {
		t.Fatalf("unknown host: %s", msg)
	}
	// A host may not poll as another.
	web2.wantError("ClientException", "PollHostCommand", map[string]any{"HostIdentifier": arn1})
	// The secure stack authorizes by IAM: web-1 has no policy.
	secureHost(t, srv, creds1, arn1).wantError("AccessDeniedException", "PollHostCommand", map[string]any{"HostIdentifier": arn1})
	// Signed for the wrong service.
	wrong := legacyHost(t, srv, creds1, arn1)
	wrong.signing = "codedeploy"
	wrong.wantError("InvalidSignatureException", "PollHostCommand", map[string]any{"HostIdentifier": arn1})

	id := createDep(t, c, depInput())
	var cmd1 string
	for range 50 {
		if p := web1.poll(); p.HostCommand != nil {
			cmd1 = p.HostCommand.HostCommandIdentifier
			break
		}
	}
	if cmd1 == "" {
		t.Fatal("web-1 got no command")
	}
	// web-2 may not see, acknowledge or complete web-1's command.
	web2.wantError("ClientException", "GetDeploymentSpecification", map[string]any{"DeploymentExecutionId": "CodeDeploy/us-east-1/local/" + id, "HostIdentifier": arn1})
	web2.wantError("ClientException", "PutHostCommandAcknowledgement", map[string]any{"HostCommandIdentifier": cmd1})
	web2.wantError("ClientException", "PutHostCommandComplete", completion(cmd1, "Succeeded", 0, "", "Succeeded", ""))
	web1.wantError("ClientException", "PutHostCommandComplete", completion("0000", "Succeeded", 0, "", "Succeeded", ""))
	eventStatus := func(target string) types.LifecycleEventStatus {
		out, err := c.GetDeploymentTarget(ctx, &codedeploy.GetDeploymentTargetInput{DeploymentId: aws.String(id), TargetId: aws.String(target)})
		fatalIf(t, err)
		return out.DeploymentTarget.InstanceTarget.LifecycleEvents[0].Status
	}
	if st := eventStatus("web-1"); st != types.LifecycleEventStatusPending {
		t.Fatalf("after another host's misuse, web-1's ApplicationStop is %s", st)
	}
	if st := web1.ack(cmd1); st != "InProgress" {
		t.Fatalf("ack = %s", st)
	}
	// Malformed diagnostics: refused, the command stays in progress.
	bad := completion(cmd1, "Succeeded", 0, "", "", "")
	bad["Diagnostics"] = map[string]any{"Format": "JSON", "Payload": "{not json"}
	web1.wantError("ClientException", "PutHostCommandComplete", bad)
	bad["Diagnostics"] = map[string]any{"Format": "JSON", "Payload": `{"error_code":99}`}
	web1.wantError("ClientException", "PutHostCommandComplete", bad)
	bad["Diagnostics"] = map[string]any{"Format": "XML", "Payload": `{"error_code":0}`}
	web1.wantError("ClientException", "PutHostCommandComplete", bad)
	if st := eventStatus("web-1"); st != types.LifecycleEventStatusInProgress {
		t.Fatalf("after malformed completions, ApplicationStop is %s", st)
	}
	web1.must("PutHostCommandComplete", completion(cmd1, "Succeeded", 0, "", "Succeeded", ""), nil)
	// A replayed completion is refused and changes nothing.
	web1.wantError("ClientException", "PutHostCommandComplete", completion(cmd1, "Failed", 4, "x", "replay", ""))
	if st := eventStatus("web-1"); st != types.LifecycleEventStatusSucceeded {
		t.Fatalf("after a replay, ApplicationStop is %s", st)
	}

	// A completion for a stopped deployment is refused: the command
	// handed out but not yet acknowledged is cancelled by the stop.
	var cmd2 string
	for range 50 {
		if p := web1.poll(); p.HostCommand != nil {
			cmd2 = p.HostCommand.HostCommandIdentifier
			break
		}
	}
	noErr(t)(c.StopDeployment(ctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id)}))
	waitStatus(t, c, id, types.DeploymentStatusStopped)
	if msg := web1.wantError("ClientException", "PutHostCommandComplete", completion(cmd2, "Succeeded", 0, "", "Succeeded", "")); !strings.Contains(msg, "already ended") {
		t.Fatalf("completion after stop: %s", msg)
	}
	// The agent's no-op completion of a command it was told failed is accepted.
	web1.must("PutHostCommandComplete", completion(cmd2, "Succeeded", 0, "", "CompletedNoopCommand", ""), nil)
	var st struct{ CommandStatus string }
	web1.must("PutHostCommandAcknowledgement", map[string]any{"HostCommandIdentifier": cmd2}, &st)
	if st.CommandStatus != "Failed" {
		t.Fatalf("ack of a stopped deployment's command = %s", st.CommandStatus)
	}
}

// TestCommands_RecordedOnlyWhenConfigured: agent calls are not events by
// default; with recording on they are, with eventSource
// codedeploy-commands.amazonaws.com.
func TestCommands_RecordedOnlyWhenConfigured(t *testing.T) {
	for _, record := range []bool{false, true} {
		opts := []apptest.Option{apptest.WithAgentPolling(100*time.Millisecond, 0)}
		if record {
			opts = append(opts, apptest.WithRecordAgentCalls())
		}
		srv, c := startCodeDeploy(t, opts...)
		newApp(t, c, "app", "")
		newProdGroup(t, c, "dg")
		creds, arn := hostUser(t, srv, c, "web-1", "")
		id := createDep(t, c, depInput())
		legacyHost(t, srv, creds, arn).runEvents(id, "")
		fatalIf(t, waitSucceeded(c, id))
		out, err := srv.CloudTrail(srv.Root).LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{
			AttributeKey: cttypes.LookupAttributeKeyEventSource, AttributeValue: aws.String("codedeploy-commands.amazonaws.com")}}})
		fatalIf(t, err)
		names := map[string]int{}
		for _, e := range out.Events {
			names[aws.ToString(e.EventName)]++
		}
		if !record && len(out.Events) > 0 {
			t.Fatalf("agent calls recorded without the setting: %v", names)
		}
		if record && (names["PutHostCommandComplete"] != len(lifecycleOrder) || names["PutHostCommandAcknowledgement"] != len(lifecycleOrder) ||
			names["GetDeploymentSpecification"] != len(lifecycleOrder) || names["PollHostCommand"] < len(lifecycleOrder)) {
			t.Fatalf("recorded agent calls: %v", names)
		}
	}
}
