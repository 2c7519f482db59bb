package main

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The real-agent half of the deployments workload: one registered host
// whose bundle store is a MinIO with the host's key as root user (agents
// sign their bundle GETs with the key they use for the command service),
// deployed the same no-op revision first by `deploytrail agent`, then by
// AWS's Ruby agent, each deployment timed from CreateDeployment to
// Succeeded.

// agentRuns is how many deployments each agent gets; the first includes
// the agent's first poll after it started.
const agentRuns = 3

// agentFigure is one agent's deployments of the no-op revision.
type agentFigure struct {
	RunsMS []float64 `json:"create_to_succeeded_ms"`
	BestMS float64   `json:"best_ms"`
}

// noopBundle is a revision with nothing to install and no hooks.
func noopBundle() []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("appspec.yml")
	io.WriteString(w, "version: 0.0\nos: linux\n")
	zw.Close()
	return buf.Bytes()
}

// runAgents measures both agents on srv; a figure that cannot be taken is
// a nullFigure with the reason.
func runAgents(ctx context.Context, e *env, srv *child, t *target, s settings) (ours, aws any) {
	h, err := setUpAgentHost(ctx, e, srv, t)
	if err != nil {
		reason := &nullFigure{Reason: err.Error()}
		return reason, reason
	}
	cd := t.codeDeploy("us-east-1")
	ours = measureAgent(ctx, cd, "deploytrail agent", deploymentLimit(s), func() (func(), error) { return h.startOurs(e) })
	aws = measureAgent(ctx, cd, "AWS's agent", deploymentLimit(s), h.startRuby)
	return ours, aws
}

func measureAgent(ctx context.Context, cd *codedeploy.Client, name string, limit time.Duration, start func() (func(), error)) any {
	stop, err := start()
	if err != nil {
		log.Printf("deployments: %s: %v", name, err)
		return &nullFigure{Reason: err.Error()}
	}
	defer stop()
	f := &agentFigure{}
	for range agentRuns {
		begin := time.Now()
		out, err := cd.CreateDeployment(ctx, &codedeploy.CreateDeploymentInput{ApplicationName: aws.String("fleet"),
			DeploymentGroupName: aws.String("agents"), Revision: &types.RevisionLocation{RevisionType: types.RevisionLocationTypeS3,
				S3Location: &types.S3Location{Bucket: aws.String("bundles"), Key: aws.String("noop.zip"), BundleType: types.BundleTypeZip}}})
		if err == nil {
			_, err = awaitDeployment(ctx, cd, aws.ToString(out.DeploymentId), limit)
		}
		if err != nil {
			if out != nil {
				cd.StopDeployment(context.WithoutCancel(ctx), &codedeploy.StopDeploymentInput{DeploymentId: out.DeploymentId})
			}
			return &nullFigure{Reason: err.Error()}
		}
		wall := ms(time.Since(begin))
		log.Printf("deployments: %s: no-op deployment in %v ms", name, wall)
		f.RunsMS = append(f.RunsMS, wall)
		if f.BestMS == 0 || wall < f.BestMS {
			f.BestMS = wall
		}
	}
	return f
}

// agentHost is the registered host both agents act as.
type agentHost struct {
	dir, endpoint, s3URL string
	arn, key, secret     string
}

func setUpAgentHost(ctx context.Context, e *env, srv *child, t *target) (*agentHost, error) {
	minio, err := minioBinary()
	if err != nil {
		return nil, err
	}
	dir, err := e.mkdir("agent-host")
	if err != nil {
		return nil, err
	}
	im := iam.NewFromConfig(t.config("us-east-1"))
	cd := t.codeDeploy("us-east-1")
	u, err := im.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("agent-host")})
	if err != nil {
		return nil, err
	}
	k, err := im.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("agent-host")})
	if err != nil {
		return nil, err
	}
	h := &agentHost{dir: dir, endpoint: srv.url, arn: aws.ToString(u.User.Arn), key: aws.ToString(k.AccessKey.AccessKeyId),
		secret: aws.ToString(k.AccessKey.SecretAccessKey)}
	if _, err := cd.RegisterOnPremisesInstance(ctx, &codedeploy.RegisterOnPremisesInstanceInput{InstanceName: aws.String("agent-host"),
		IamUserArn: aws.String(h.arn)}); err != nil {
		return nil, err
	}
	if _, err := cd.AddTagsToOnPremisesInstances(ctx, &codedeploy.AddTagsToOnPremisesInstancesInput{InstanceNames: []string{"agent-host"},
		Tags: []types.Tag{{Key: aws.String("agent"), Value: aws.String("yes")}}}); err != nil {
		return nil, err
	}
	g, err := cd.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String("fleet"),
		DeploymentGroupName: aws.String(fleetGroup(1, benchConfigs[0]))})
	if err != nil {
		return nil, err
	}
	if _, err := cd.CreateDeploymentGroup(ctx, &codedeploy.CreateDeploymentGroupInput{ApplicationName: aws.String("fleet"),
		DeploymentGroupName: aws.String("agents"), ServiceRoleArn: g.DeploymentGroupInfo.ServiceRoleArn,
		OnPremisesInstanceTagFilters: []types.TagFilter{{Key: aws.String("agent"), Value: aws.String("yes"), Type: types.TagFilterTypeKeyAndValue}}}); err != nil {
		return nil, err
	}
	if h.s3URL, err = h.startMinIO(ctx, e, minio); err != nil {
		return nil, err
	}
	return h, h.uploadBundle(ctx)
}

func minioBinary() (string, error) {
	if p, err := exec.LookPath("minio"); err == nil {
		return p, nil
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return "", err
	}
	p := filepath.Join(strings.TrimSpace(string(out)), "bin", "minio")
	if _, err := os.Stat(p); err != nil {
		return "", errors.New("no MinIO binary on PATH or in $(go env GOPATH)/bin; scripts/minio.sh builds one")
	}
	return p, nil
}

// startMinIO runs MinIO with the host's key as root user.
func (h *agentHost) startMinIO(ctx context.Context, e *env, minio string) (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	console, err := freePort()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(minio, "server", "--quiet", "--address", fmt.Sprintf("127.0.0.1:%d", port),
		"--console-address", fmt.Sprintf("127.0.0.1:%d", console), filepath.Join(h.dir, "minio"))
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+h.key, "MINIO_ROOT_PASSWORD="+h.secret)
	c, stdout, err := e.start(cmd, filepath.Join(h.dir, "minio.log"))
	if err != nil {
		return "", err
	}
	go io.Copy(io.Discard, stdout)
	c.url = fmt.Sprintf("http://127.0.0.1:%d", port)
	if _, err := c.awaitHTTP(ctx, c.url+"/minio/health/live", 30*time.Second); err != nil {
		return "", fmt.Errorf("minio: %w", err)
	}
	return c.url, nil
}

func (h *agentHost) uploadBundle(ctx context.Context) error {
	client := s3.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(h.s3URL),
		Credentials: credentials.NewStaticCredentialsProvider(h.key, h.secret, "")}, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bundles")}); err != nil {
		return fmt.Errorf("create bucket on MinIO: %w", err)
	}
	_, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bundles"), Key: aws.String("noop.zip"), Body: bytes.NewReader(noopBundle())})
	return err
}

// writeOnPrem writes the agent's on-premises credentials file in dir.
func (h *agentHost) writeOnPrem(dir string) (string, error) {
	path := filepath.Join(dir, "codedeploy.onpremises.yml")
	return path, os.WriteFile(path, []byte(fmt.Sprintf("---\nregion: us-east-1\niam_user_arn: %s\naws_access_key_id: %s\naws_secret_access_key: %s\n",
		h.arn, h.key, h.secret)), 0o600)
}

// startOurs runs `deploytrail agent` for the host, configured as in
// cmd/deploytrail TestOurAgent.
func (h *agentHost) startOurs(e *env) (func(), error) {
	conf := filepath.Join(h.dir, "ours")
	if err := os.MkdirAll(conf, 0o700); err != nil {
		return nil, err
	}
	onprem, err := h.writeOnPrem(conf)
	if err != nil {
		return nil, err
	}
	yml := filepath.Join(conf, "codedeployagent.yml")
	if err := os.WriteFile(yml, []byte(fmt.Sprintf("---\n:root_dir: '%s'\n:log_dir: '%s'\n:deploy_control_endpoint: '%s'\n:s3_endpoint_override: '%s'\n"+
		":wait_between_runs: 1\n:max_revisions: 2\n:on_premises_config_file: '%s'\n",
		filepath.Join(conf, "root"), filepath.Join(conf, "log"), h.endpoint, h.s3URL, onprem)), 0o600); err != nil {
		return nil, err
	}
	c, stdout, err := e.start(exec.Command(e.binary, "agent", "--config", yml), filepath.Join(conf, "agent.log"))
	if err != nil {
		return nil, err
	}
	go io.Copy(io.Discard, stdout)
	return c.stop, nil
}

// rubyAgentDir is AWS's agent beside the repository: DEPLOYTRAIL_THIRD_PARTY,
// else the nearest shared/third_party above the module, as cmd/deploytrail
// TestRealAgent finds it (a fixed relative path found it from some
// checkouts and silently skipped it from others).
func rubyAgentDir() (agent, shim string, err error) {
	root := thirdPartyDir()
	agent, shim = filepath.Join(root, "aws-codedeploy-agent"), filepath.Join(root, "shim")
	if _, err := os.Stat(filepath.Join(agent, "lib", "codedeploy-agent.rb")); err != nil {
		return "", "", fmt.Errorf("skipped: AWS's agent is not at %s", agent)
	}
	if exec.Command("ruby", "-e", `require "aws-sdk-core"; require "aws-sdk-s3"; require "zip"; require "logging"`).Run() != nil {
		return "", "", errors.New("skipped: Ruby or the agent's packages are missing; run scripts/ruby.sh")
	}
	return agent, shim, nil
}

// thirdPartyDir is DEPLOYTRAIL_THIRD_PARTY, or the nearest
// shared/third_party holding AWS's agent in the module's directory or above.
func thirdPartyDir() string {
	if dir := os.Getenv("DEPLOYTRAIL_THIRD_PARTY"); dir != "" {
		return dir
	}
	for dir := moduleRoot(); ; {
		candidate := filepath.Join(dir, "shared", "third_party")
		if _, err := os.Stat(filepath.Join(candidate, "aws-codedeploy-agent")); err == nil {
			return candidate
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return filepath.Join(moduleRoot(), "..", "shared", "third_party")
		}
		dir = parent
	}
}

// startRuby starts AWS's agent as a daemon for the host, configured as
// in cmd/deploytrail TestRealAgent (plain HTTP through the test profile).
func (h *agentHost) startRuby() (func(), error) {
	agentDir, shim, err := rubyAgentDir()
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(h.dir, "ruby")
	for _, d := range []string{"log", "pid", "root"} {
		if err := os.MkdirAll(filepath.Join(conf, d), 0o700); err != nil {
			return nil, err
		}
	}
	onprem, err := h.writeOnPrem(conf)
	if err != nil {
		return nil, err
	}
	yml := filepath.Join(conf, "codedeployagent.yml")
	if err := os.WriteFile(yml, []byte(fmt.Sprintf("---\n:log_aws_wire: false\n:log_dir: '%[1]s/log'\n:pid_dir: '%[1]s/pid'\n"+
		":program_name: codedeploy-agent\n:root_dir: '%[1]s/root'\n:verbose: false\n:wait_between_runs: 1\n:proxy_uri:\n:max_revisions: 5\n"+
		":deploy_control_endpoint: '%[2]s'\n:s3_endpoint_override: '%[3]s'\n:on_premises_config_file: '%[4]s'\n:codedeploy_test_profile: beta\n",
		conf, h.endpoint, h.s3URL, onprem)), 0o600); err != nil {
		return nil, err
	}
	run := func(action string) error {
		out, err := os.Create(filepath.Join(conf, "log", action+".out"))
		if err != nil {
			return err
		}
		defer out.Close()
		cmd := exec.Command("ruby", "-I", shim, "-I", agentDir+"/vendor/gems/process_manager-0.0.13/lib",
			"-I", agentDir+"/vendor/gems/simple_pid-0.2.1/lib", "-I", agentDir+"/vendor/gems/codedeploy-commands-1.0.0/lib",
			agentDir+"/lib/codedeploy-agent.rb", "--config_file", yml, action)
		// The daemon keeps its parent's stdout and stderr: a file, not a
		// pipe that Wait would wait on.
		cmd.Stdout, cmd.Stderr = out, out
		return cmd.Run()
	}
	if err := run("start"); err != nil {
		return nil, fmt.Errorf("start AWS's agent: %w", err)
	}
	return func() {
		if err := run("stop"); err != nil {
			log.Printf("deployments: stop AWS's agent: %v", err)
		}
	}, nil
}
