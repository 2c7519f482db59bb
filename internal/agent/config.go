// Package agent is deploytrail's CodeDeploy agent: it polls the agent
// command service for its host's lifecycle events, downloads revisions
// from an S3-compatible store and applies their AppSpec (files,
// permissions, hooks) with the on-disk layout and behaviour of AWS's
// agent (spec §9–§11). It is a client of the server: it signs its calls
// with package sigv4 and never imports the server or the store.
package agent

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/deploytrail/deploytrail/internal/sigv4"
)

// Config is what the agent runs with: the agent config's keys
// (codedeployagent.yml) and the host identity of the on-premises YAML.
type Config struct {
	RootDir          string        // :root_dir:, deployment roots and state
	LogDir           string        // :log_dir:, the agent's own log
	Endpoint         string        // :deploy_control_endpoint:, the command service
	S3Endpoint       string        // :s3_endpoint_override:, where bundles are
	GitHubEndpoint   string        // :github_endpoint_override: (ours), GitHub's API; default https://api.github.com
	WaitBetweenRuns  time.Duration // :wait_between_runs:, between empty polls
	EnableAuthPolicy bool          // :enable_auth_policy:, the secure stack
	MaxRevisions     int           // :max_revisions:, archives kept per group
	SpecSignerCert   string        // PEM certificate trusted for specifications; empty = pin the first seen

	Region         string
	HostIdentifier string // iam_user_arn or iam_session_arn
	Credentials    func() (sigv4.Credentials, error)

	Limits Limits
}

// Limits bound what a revision may cost the host.
type Limits struct {
	BundleBytes    int64 // downloaded bundle size
	ExtractedBytes int64 // total size of the unpacked files
	Entries        int   // entries in an archive
	LogTail        int   // characters of script output sent in diagnostics
}

// DefaultLimits are generous for applications and small for a host.
var DefaultLimits = Limits{BundleBytes: 1 << 30, ExtractedBytes: 4 << 30, Entries: 100_000, LogTail: 2048}

// LoadConfig reads the agent config file (may be empty: defaults) and the
// on-premises identity file. Keys are accepted with or without the old
// ":key:" symbol syntax.
func LoadConfig(agentFile, onPremFile string) (*Config, error) {
	c := &Config{RootDir: "/opt/codedeploy-agent/deployment-root", WaitBetweenRuns: time.Second,
		MaxRevisions: 5, Limits: DefaultLimits}
	if agentFile != "" {
		keys, err := readKeys(agentFile)
		if err != nil {
			return nil, err
		}
		if err := c.applyAgentKeys(keys); err != nil {
			return nil, fmt.Errorf("%s: %w", agentFile, err)
		}
		if f, ok := keys["on_premises_config_file"].(string); ok && onPremFile == "" {
			onPremFile = f
		}
	}
	if onPremFile == "" {
		onPremFile = "/etc/codedeploy-agent/conf/codedeploy.onpremises.yml"
	}
	keys, err := readKeys(onPremFile)
	if err != nil {
		return nil, err
	}
	if err := c.applyOnPremKeys(keys); err != nil {
		return nil, fmt.Errorf("%s: %w", onPremFile, err)
	}
	return c, nil
}

// readKeys reads a YAML mapping, keys stripped of a leading ':'.
func readKeys(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	raw := map[string]any{}
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: not a YAML mapping: %w", path, err)
	}
	keys := make(map[string]any, len(raw))
	for k, v := range raw {
		keys[strings.TrimPrefix(k, ":")] = v
	}
	return keys, nil
}

func (c *Config) applyAgentKeys(keys map[string]any) error {
	for k, v := range keys {
		var err error
		switch k {
		case "root_dir":
			c.RootDir, err = str(k, v)
		case "log_dir":
			c.LogDir, err = str(k, v)
		case "deploy_control_endpoint":
			c.Endpoint, err = str(k, v)
		case "s3_endpoint_override":
			c.S3Endpoint, err = str(k, v)
		case "github_endpoint_override":
			c.GitHubEndpoint, err = str(k, v)
		case "spec_signer_certificate":
			c.SpecSignerCert, err = str(k, v)
		case "wait_between_runs":
			var secs float64
			secs, err = number(k, v)
			c.WaitBetweenRuns = time.Duration(secs * float64(time.Second))
		case "max_revisions":
			var n float64
			n, err = number(k, v)
			c.MaxRevisions = int(n)
		case "enable_auth_policy":
			c.EnableAuthPolicy, err = boolean(k, v)
		}
		if err != nil {
			return err
		}
	}
	if c.MaxRevisions < 1 {
		return errors.New("max_revisions must be at least 1")
	}
	return nil
}

func (c *Config) applyOnPremKeys(keys map[string]any) error {
	get := func(k string) string { s, _ := keys[k].(string); return s }
	c.Region = get("region")
	user, session := get("iam_user_arn"), get("iam_session_arn")
	switch {
	case c.Region == "":
		return errors.New("region is required")
	case user != "" && session != "":
		return errors.New("give iam_user_arn or iam_session_arn, not both")
	case user != "":
		creds := sigv4.Credentials{AccessKeyID: get("aws_access_key_id"), SecretAccessKey: get("aws_secret_access_key")}
		if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
			return errors.New("iam_user_arn needs aws_access_key_id and aws_secret_access_key")
		}
		c.HostIdentifier = user
		c.Credentials = func() (sigv4.Credentials, error) { return creds, nil }
	case session != "":
		file := get("aws_credentials_file")
		if file == "" {
			return errors.New("iam_session_arn needs aws_credentials_file")
		}
		c.HostIdentifier = session
		// Read at each use: session credentials are refreshed in place.
		c.Credentials = func() (sigv4.Credentials, error) { return readCredentialsFile(file) }
	default:
		return errors.New("iam_user_arn or iam_session_arn is required")
	}
	return nil
}

// readCredentialsFile reads the [default] profile of a shared
// credentials file.
func readCredentialsFile(path string) (sigv4.Credentials, error) {
	f, err := os.Open(path)
	if err != nil {
		return sigv4.Credentials{}, err
	}
	defer f.Close()
	var creds sigv4.Credentials
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			section = strings.Trim(line, "[] ")
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section != "default" {
			continue
		}
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			creds.AccessKeyID = strings.TrimSpace(v)
		case "aws_secret_access_key":
			creds.SecretAccessKey = strings.TrimSpace(v)
		case "aws_session_token":
			creds.SessionToken = strings.TrimSpace(v)
		}
	}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		return creds, fmt.Errorf("%s: no [default] keys", path)
	}
	return creds, sc.Err()
}

func str(k string, v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	return "", fmt.Errorf("%s must be a string", k)
}

func number(k string, v any) (float64, error) {
	switch n := v.(type) {
	case int:
		return float64(n), nil
	case float64:
		return n, nil
	case string:
		if f, err := strconv.ParseFloat(n, 64); err == nil {
			return f, nil
		}
	}
	return 0, fmt.Errorf("%s must be a number", k)
}

func boolean(k string, v any) (bool, error) {
	switch b := v.(type) {
	case bool:
		return b, nil
	case string:
		if p, err := strconv.ParseBool(b); err == nil {
			return p, nil
		}
	}
	return false, fmt.Errorf("%s must be true or false", k)
}
