package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/deploytrail/deploytrail/internal/sigv4"
)

// The deployments workload: no-op deployments to simulated hosts, each a
// poller that speaks the agent command service over HTTP with SigV4 under
// its own IAM user, as AWS's agent does, and completes every command at
// once. What remains of the time is the server's: the engine, the command
// queue, the long poll and the HTTP round trips.

// hostCounts are the simulated fleet sizes a group exists for (--hosts
// picks among them); the largest is bounded in time by deploymentLimit.
var hostCounts = []int{1, 10, 100, 1000}

var benchConfigs = []string{"CodeDeployDefault.AllAtOnce", "CodeDeployDefault.HalfAtATime"}

// eventsPerHost is the lifecycle events of an in-place deployment without
// a load balancer: ApplicationStop, DownloadBundle, BeforeInstall,
// Install, AfterInstall, ApplicationStart, ValidateService.
const eventsPerHost = 7

// deploymentsReport holds the simulated-host and real-agent figures.
type deploymentsReport struct {
	Simulated  []simulatedFigure `json:"simulated_hosts"`
	SetupHosts float64           `json:"host_setup_seconds"`
	// PerEventMS is the 1-host AllAtOnce wall time per lifecycle event:
	// the engine's overhead per event with an agent that does nothing.
	PerEventMS float64 `json:"engine_overhead_per_event_ms"`
	// PeakCommandsPerSecond is the highest host-command rate of the runs.
	PeakCommandsPerSecond float64 `json:"peak_host_commands_per_second"`
	PeakRSSMB             float64 `json:"server_peak_rss_mb"`
	OurAgent              any     `json:"deploytrail_agent"` // *agentFigure or *nullFigure
	RealAgent             any     `json:"aws_agent"`         // *agentFigure or *nullFigure
}

// simulatedFigure is one deployment to n simulated hosts.
type simulatedFigure struct {
	Hosts    int     `json:"hosts"`
	Config   string  `json:"config"`
	Status   string  `json:"status"`
	WallMS   float64 `json:"create_to_succeeded_ms"`
	Commands int64   `json:"host_commands"`
	// CommandsPerSecond is completed host commands over the wall time.
	CommandsPerSecond float64 `json:"host_commands_per_second"`
	// ServerCPU is the server's user+system CPU during the deployment,
	// as seconds and as a share of one core over the wall time.
	ServerCPUSeconds float64 `json:"server_cpu_seconds"`
	ServerCPUPercent float64 `json:"server_cpu_percent_of_one_core"`
	ServerRSSMB      float64 `json:"server_rss_mb_at_end"`
	Error            string  `json:"error,omitempty"`
}

// deploymentLimit bounds one deployment's wait.
func deploymentLimit(s settings) time.Duration {
	if s.Quick {
		return 2 * time.Minute
	}
	return 5 * time.Minute
}

func runDeployments(ctx context.Context, e *env, s settings) (*deploymentsReport, error) {
	dir, err := e.mkdir("deployments")
	if err != nil {
		return nil, err
	}
	srv, err := e.startDeploytrail(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	t := newTarget(srv.url, benchKeyID, benchSecret, 64)
	// The pollers' own connections: one long poll per host at once.
	pollers := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * slices.Max(hostCounts), IdleConnTimeout: time.Minute},
		Timeout: time.Minute}
	rep := &deploymentsReport{}
	setupStart := time.Now()
	hosts, err := setUpSimulatedHosts(ctx, t, slices.Max(s.Hosts))
	if err != nil {
		return nil, err
	}
	rep.SetupHosts = round(time.Since(setupStart).Seconds())
	cd := t.codeDeploy("us-east-1")
	if err := setUpGroups(ctx, t, cd); err != nil {
		return nil, err
	}
	for _, n := range s.Hosts {
		for _, config := range benchConfigs {
			log.Printf("deployments: %d simulated hosts, %s", n, config)
			f := runSimulated(ctx, srv, cd, pollers, hosts[:n], config, deploymentLimit(s))
			rep.Simulated = append(rep.Simulated, f)
			if n == 1 && config == benchConfigs[0] && f.Status == "Succeeded" {
				rep.PerEventMS = round(f.WallMS / eventsPerHost)
			}
			rep.PeakCommandsPerSecond = max(rep.PeakCommandsPerSecond, f.CommandsPerSecond)
		}
	}
	rep.PeakRSSMB = srv.peakRSS()
	rep.OurAgent, rep.RealAgent = runAgents(ctx, e, srv, t, s)
	return rep, nil
}

// simHost is one registered on-premises instance and its IAM user's key.
type simHost struct {
	name, arn string
	creds     sigv4.Credentials
}

// setUpSimulatedHosts makes n IAM users with keys and registers each as an
// on-premises instance tagged into every fleet size above its index.
func setUpSimulatedHosts(ctx context.Context, t *target, n int) ([]*simHost, error) {
	im := iam.NewFromConfig(t.config("us-east-1"))
	cd := t.codeDeploy("us-east-1")
	hosts := make([]*simHost, n)
	errs := make([]error, n)
	slots := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i := range n {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			hosts[i], errs[i] = setUpSimulatedHost(ctx, im, cd, i)
		})
	}
	wg.Wait()
	return hosts, errors.Join(errs...)
}

func setUpSimulatedHost(ctx context.Context, im *iam.Client, cd *codedeploy.Client, i int) (*simHost, error) {
	name := fmt.Sprintf("sim-%04d", i)
	u, err := im.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("create user %s: %w", name, err)
	}
	k, err := im.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("create access key %s: %w", name, err)
	}
	h := &simHost{name: name, arn: aws.ToString(u.User.Arn),
		creds: sigv4.Credentials{AccessKeyID: aws.ToString(k.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(k.AccessKey.SecretAccessKey)}}
	if _, err := cd.RegisterOnPremisesInstance(ctx, &codedeploy.RegisterOnPremisesInstanceInput{InstanceName: aws.String(name),
		IamUserArn: aws.String(h.arn)}); err != nil {
		return nil, fmt.Errorf("register %s: %w", name, err)
	}
	var tags []types.Tag
	for _, n := range hostCounts {
		if i < n {
			tags = append(tags, types.Tag{Key: aws.String(fleetTag(n)), Value: aws.String("yes")})
		}
	}
	if _, err := cd.AddTagsToOnPremisesInstances(ctx, &codedeploy.AddTagsToOnPremisesInstancesInput{
		InstanceNames: []string{name}, Tags: tags}); err != nil {
		return nil, fmt.Errorf("tag %s: %w", name, err)
	}
	return h, nil
}

func fleetTag(n int) string { return "fleet-" + strconv.Itoa(n) }

// fleetGroup is the group of n hosts for one config: each config has its
// own, so that a deployment cut off at its time limit does not hold up
// the next.
func fleetGroup(n int, config string) string {
	return "hosts-" + strconv.Itoa(n) + "-" + strings.TrimPrefix(config, "CodeDeployDefault.")
}

// setUpGroups makes the application, its service role and one deployment
// group per fleet size.
func setUpGroups(ctx context.Context, t *target, cd *codedeploy.Client) error {
	im := iam.NewFromConfig(t.config("us-east-1"))
	role, err := im.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deployer"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codedeploy.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		return fmt.Errorf("create role: %w", err)
	}
	if _, err := cd.CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("fleet")}); err != nil {
		return fmt.Errorf("create application: %w", err)
	}
	for _, n := range hostCounts {
		for _, config := range benchConfigs {
			_, err := cd.CreateDeploymentGroup(ctx, &codedeploy.CreateDeploymentGroupInput{ApplicationName: aws.String("fleet"),
				DeploymentGroupName: aws.String(fleetGroup(n, config)), ServiceRoleArn: role.Role.Arn,
				OnPremisesInstanceTagFilters: []types.TagFilter{{Key: aws.String(fleetTag(n)), Value: aws.String("yes"), Type: types.TagFilterTypeKeyAndValue}}})
			if err != nil {
				return fmt.Errorf("create deployment group %s: %w", fleetGroup(n, config), err)
			}
		}
	}
	return nil
}

// runSimulated deploys a no-op revision to hosts with config while their
// pollers run, and measures it.
func runSimulated(ctx context.Context, srv *child, cd *codedeploy.Client, hc *http.Client, hosts []*simHost, config string, limit time.Duration) simulatedFigure {
	f := simulatedFigure{Hosts: len(hosts), Config: config}
	pctx, stopPollers := context.WithCancel(ctx)
	var completed atomic.Int64
	var wg sync.WaitGroup
	for _, h := range hosts {
		p := &poller{host: h, url: srv.url, hc: hc, completed: &completed}
		wg.Go(func() { p.run(pctx) })
	}
	defer func() { stopPollers(); wg.Wait() }()
	cpu0 := srv.cpuSeconds()
	start := time.Now()
	out, err := cd.CreateDeployment(ctx, &codedeploy.CreateDeploymentInput{ApplicationName: aws.String("fleet"),
		DeploymentGroupName: aws.String(fleetGroup(len(hosts), config)), DeploymentConfigName: aws.String(config),
		Revision: s3Revision("bench-artifacts", "noop.zip")})
	if err != nil {
		f.Error = err.Error()
		return f
	}
	f.Status, err = awaitDeployment(ctx, cd, aws.ToString(out.DeploymentId), limit)
	wall := time.Since(start)
	f.WallMS = ms(wall)
	f.ServerCPUSeconds = round(srv.cpuSeconds() - cpu0)
	f.ServerCPUPercent = round(100 * f.ServerCPUSeconds / wall.Seconds())
	f.ServerRSSMB = round(float64(procKB(fmt.Sprintf("/proc/%d/status", srv.cmd.Process.Pid), "VmRSS")) / 1024)
	f.Commands = completed.Load()
	f.CommandsPerSecond = round(float64(f.Commands) / wall.Seconds())
	if err != nil {
		f.Error = err.Error()
		cd.StopDeployment(context.WithoutCancel(ctx), &codedeploy.StopDeploymentInput{DeploymentId: out.DeploymentId})
	}
	log.Printf("deployments: %d hosts %s: %s in %v, %d commands", len(hosts), config, f.Status, wall.Round(time.Millisecond), f.Commands)
	return f
}

// awaitDeployment polls every 10 ms until the deployment ends or limit.
func awaitDeployment(ctx context.Context, cd *codedeploy.Client, id string, limit time.Duration) (string, error) {
	deadline := time.Now().Add(limit)
	for {
		out, err := cd.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
		if err != nil {
			return "", err
		}
		switch s := out.DeploymentInfo.Status; s {
		case types.DeploymentStatusSucceeded:
			return string(s), nil
		case types.DeploymentStatusFailed, types.DeploymentStatusStopped:
			msg := ""
			if ei := out.DeploymentInfo.ErrorInformation; ei != nil {
				msg = string(ei.Code) + ": " + aws.ToString(ei.Message)
			}
			return string(s), fmt.Errorf("deployment %s ended %s: %s", id, s, msg)
		}
		if time.Now().After(deadline) {
			return string(out.DeploymentInfo.Status), fmt.Errorf("deployment %s not done after %v", id, limit)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// poller is a simulated host: it long-polls for commands and, for each,
// fetches the specification, acknowledges and completes it at once, as
// AWS's agent does for an event with nothing to run.
type poller struct {
	host      *simHost
	url       string
	hc        *http.Client
	completed *atomic.Int64
}

func (p *poller) run(ctx context.Context) {
	for ctx.Err() == nil {
		if err := p.step(ctx); err != nil && ctx.Err() == nil {
			log.Printf("deployments: %s: %v", p.host.name, err)
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func (p *poller) step(ctx context.Context) error {
	var poll struct {
		HostCommand *struct {
			HostCommandIdentifier string
			CommandName           string
			DeploymentExecutionId string
		}
	}
	if err := p.call(ctx, "PollHostCommand", map[string]string{"HostIdentifier": p.host.arn}, &poll); err != nil {
		return err
	}
	cmd := poll.HostCommand
	if cmd == nil || cmd.HostCommandIdentifier == "" {
		return nil
	}
	if err := p.call(ctx, "GetDeploymentSpecification", map[string]string{"DeploymentExecutionId": cmd.DeploymentExecutionId,
		"HostIdentifier": p.host.arn}, nil); err != nil {
		return err
	}
	noop := cmd.CommandName != "DownloadBundle" && cmd.CommandName != "Install"
	payload, _ := json.Marshal(map[string]bool{"IsCommandNoop": noop})
	var ack struct{ CommandStatus string }
	if err := p.call(ctx, "PutHostCommandAcknowledgement", map[string]any{"HostCommandIdentifier": cmd.HostCommandIdentifier,
		"Diagnostics": map[string]string{"Format": "JSON", "Payload": string(payload)}}, &ack); err != nil {
		return err
	}
	if ack.CommandStatus == "Succeeded" || ack.CommandStatus == "Failed" {
		return nil
	}
	result := `{"error_code":0,"script_name":"","message":"Succeeded","log":""}`
	if err := p.call(ctx, "PutHostCommandComplete", map[string]any{"HostCommandIdentifier": cmd.HostCommandIdentifier,
		"CommandStatus": "Succeeded", "Diagnostics": map[string]string{"Format": "JSON", "Payload": result}}, nil); err != nil {
		return err
	}
	p.completed.Add(1)
	return nil
}

// call sends one command service operation signed with the host's key.
func (p *poller) call(ctx context.Context, op string, in, out any) error {
	body, _ := json.Marshal(in)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "CodeDeployCommandService_v20141006."+op)
	if err := sigv4.Sign(req, body, p.host.creds, "us-east-1", "codedeploy-commands", time.Now()); err != nil {
		return err
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d: %s", op, resp.StatusCode, b)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}
