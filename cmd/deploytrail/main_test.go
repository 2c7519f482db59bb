package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the deploytrail binary built once for these tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "deploytrail-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "deploytrail")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// process is a running deploytrail binary.
type process struct {
	cmd      *exec.Cmd
	endpoint string
	env      []string // what the announcement says to set for the AWS CLI
	stderr   *lockedBuffer
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var announcement = regexp.MustCompile(`AWS_CONFIG_FILE=(\S+) AWS_SHARED_CREDENTIALS_FILE=(\S+) aws --profile deploytrail --endpoint-url (\S+) `)

// startBinary runs `deploytrail serve` on a free port with data in dir and
// waits for its announcement.
func startBinary(t *testing.T, dir string) *process {
	t.Helper()
	cmd := exec.Command(binary, "serve", "--listen", "127.0.0.1:0", "--data", dir)
	stdout, _ := cmd.StdoutPipe()
	p := &process{cmd: cmd, stderr: &lockedBuffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if m := announcement.FindStringSubmatch(lines.Text()); m != nil {
			p.endpoint = m[3]
			p.env = []string{"AWS_CONFIG_FILE=" + m[1], "AWS_SHARED_CREDENTIALS_FILE=" + m[2], "AWS_PROFILE=deploytrail", "AWS_ENDPOINT_URL=" + m[3]}
			go io.Copy(io.Discard, stdout)
			return p
		}
	}
	t.Fatalf("no announcement; stderr: %s", p.stderr)
	return nil
}

// stop sends SIGTERM and expects a clean exit.
func (p *process) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v; stderr: %s", err, p.stderr)
		}
	case <-time.After(40 * time.Second):
		t.Fatalf("no exit 40s after SIGTERM")
	}
}

func (p *process) aws(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("aws", args...)
	cmd.Env = append(os.Environ(), p.env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func requireAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("skipped: the AWS CLI (aws) is not on PATH; it is on the CI machine image")
	}
}

// TestAWSCLI runs scripts/e2e-cli.sh against the real binary.
func TestAWSCLI(t *testing.T) {
	requireAWSCLI(t)
	p := startBinary(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "../../scripts/e2e-cli.sh")
	cmd.Env = append(os.Environ(), p.env...)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("e2e-cli.sh: %v", err)
	}
	p.stop(t)
}

// TestFirstStartAndRestart checks the first start's credentials file and
// that a restart keeps the account, its key and what was created.
func TestFirstStartAndRestart(t *testing.T) {
	requireAWSCLI(t)
	dir := t.TempDir()
	p := startBinary(t, dir)
	creds := filepath.Join(dir, "credentials")
	st, err := os.Stat(creds)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v, mode %v; want 0600", err, st.Mode().Perm())
	}
	secret := secretOf(t, creds)
	if strings.Contains(p.stderr.String(), secret) {
		t.Fatalf("the root secret reached the log")
	}
	acct := p.aws(t, "sts", "get-caller-identity", "--query", "Account", "--output", "text")
	p.aws(t, "iam", "create-user", "--user-name", "kept")
	p.stop(t)

	again := startBinary(t, dir)
	if got := again.aws(t, "sts", "get-caller-identity", "--query", "Account", "--output", "text"); got != acct {
		t.Fatalf("account after restart=%s, want %s", got, acct)
	}
	if got := again.aws(t, "iam", "get-user", "--user-name", "kept", "--query", "User.UserName", "--output", "text"); got != "kept" {
		t.Fatalf("user after restart=%q", got)
	}
	if secretOf(t, creds) != secret {
		t.Fatalf("restart rewrote the root key")
	}
	again.stop(t)
}

func secretOf(t *testing.T, path string) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`aws_secret_access_key = (\S+)`).FindSubmatch(raw)
	if m == nil {
		t.Fatalf("no secret in %s", path)
	}
	return string(m[1])
}

func TestParseConfig(t *testing.T) {
	env := map[string]string{"DEPLOYTRAIL_LISTEN": "127.0.0.1:9999", "DEPLOYTRAIL_DATA": "/env/data"}
	getenv := func(k string) string { return env[k] }
	cfg, err := parseConfig([]string{"--data", "/flag/data"}, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9999" || cfg.Data != "/flag/data" {
		t.Fatalf("Listen=%s Data=%s: flags must override env, env the defaults", cfg.Listen, cfg.Data)
	}
	file := filepath.Join(t.TempDir(), "deploytrail.yaml")
	os.WriteFile(file, []byte("listen: 127.0.0.1:7777\nlog-level: debug\n"), 0o600)
	cfg, err = parseConfig([]string{"--config", file}, func(string) string { return "" })
	if err != nil || cfg.Listen != "127.0.0.1:7777" || cfg.LogLevel != "debug" || cfg.Data != "./deploytrail-data" {
		t.Fatalf("from file: %+v, %v", cfg, err)
	}
	os.WriteFile(file, []byte("lisen: typo\n"), 0o600)
	if _, err := parseConfig([]string{"--config", file}, func(string) string { return "" }); err == nil {
		t.Fatalf("unknown config key accepted")
	}
	if _, err := parseConfig([]string{"--tls-cert", "x.pem"}, func(string) string { return "" }); err == nil {
		t.Fatalf("--tls-cert without --tls-key accepted")
	}
}
