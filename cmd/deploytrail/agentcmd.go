package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/deploytrail/deploytrail/internal/agent"
)

// defaultAgentConfig is where AWS's agent keeps its config; used when it exists.
const defaultAgentConfig = "/etc/codedeploy-agent/conf/codedeployagent.yml"

// agentCmd runs `deploytrail agent`: deploytrail's CodeDeploy agent for
// this host, configured by AWS's agent's files, flags overriding them.
func agentCmd(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("deploytrail agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", "", "agent config (codedeployagent.yml; default "+defaultAgentConfig+" when it exists)")
	onPrem := fs.String("on-premises-config", "", "host identity: codedeploy.onpremises.yml (default: the config's :on_premises_config_file: or /etc/codedeploy-agent/conf/codedeploy.onpremises.yml)")
	rootDir := fs.String("root-dir", "", "deployment root (:root_dir:)")
	logDir := fs.String("log-dir", "", "where the agent log goes besides stderr (:log_dir:)")
	endpoint := fs.String("endpoint", "", "the command service, i.e. the deploytrail server (:deploy_control_endpoint:)")
	s3 := fs.String("s3-endpoint", "", "S3-compatible store of the bundles, path-style (:s3_endpoint_override:)")
	wait := fs.Duration("wait-between-runs", 0, "pause after an empty poll (:wait_between_runs:)")
	maxRevisions := fs.Int("max-revisions", 0, "deployment archives kept per group (:max_revisions:)")
	secure := fs.Bool("enable-auth-policy", false, "use the secure command service stack (:enable_auth_policy:)")
	signer := fs.String("spec-signer-cert", "", "PEM certificate that must sign deployment specifications (default: pin the first signer seen, in the root dir)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *configFile == "" {
		if _, err := os.Stat(defaultAgentConfig); err == nil {
			*configFile = defaultAgentConfig
		}
	}
	cfg, err := agent.LoadConfig(*configFile, *onPrem)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	override(set, "root-dir", &cfg.RootDir, *rootDir)
	override(set, "log-dir", &cfg.LogDir, *logDir)
	override(set, "endpoint", &cfg.Endpoint, *endpoint)
	override(set, "s3-endpoint", &cfg.S3Endpoint, *s3)
	override(set, "spec-signer-cert", &cfg.SpecSignerCert, *signer)
	override(set, "wait-between-runs", &cfg.WaitBetweenRuns, *wait)
	override(set, "max-revisions", &cfg.MaxRevisions, *maxRevisions)
	override(set, "enable-auth-policy", &cfg.EnableAuthPolicy, *secure)
	if cfg.Endpoint == "" {
		return errors.New("agent: no command service endpoint: give --endpoint or :deploy_control_endpoint:")
	}
	if cfg.MaxRevisions < 1 || cfg.WaitBetweenRuns < 0 {
		return errors.New("agent: --max-revisions must be at least 1 and --wait-between-runs not negative")
	}
	log, closeLog, err := agentLogger(cfg.LogDir, stderr)
	if err != nil {
		return err
	}
	defer closeLog()
	return agent.New(cfg, log).Run(ctx)
}

func override[T any](set map[string]bool, name string, dst *T, v T) {
	if set[name] {
		*dst = v
	}
}

// agentLogger logs to stderr and, with a log dir, to its agent log file.
func agentLogger(dir string, stderr io.Writer) (*slog.Logger, func(), error) {
	if dir == "" {
		return slog.New(slog.NewTextHandler(stderr, nil)), func() {}, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "deploytrail-agent.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("agent log: %w", err)
	}
	return slog.New(slog.NewTextHandler(io.MultiWriter(stderr, f), nil)), func() { f.Close() }, nil
}
