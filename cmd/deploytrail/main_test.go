package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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
	// -buildvcs=auto overrides a GOFLAGS=-buildvcs=false: TestVersion
	// expects the commit where git can tell it.
	if out, err := exec.Command("go", "build", "-buildvcs=auto", "-o", binary, ".").CombinedOutput(); err != nil {
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

// startBinary runs `deploytrail serve` on a free port with data in dir
// (and extra flags) and waits for its announcement.
func startBinary(t *testing.T, dir string, extra ...string) *process {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--listen", "127.0.0.1:0", "--data", dir}, extra...)...)
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
	// About 3.5 min on a busy 2-vCPU machine: each AWS CLI call starts Python.
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "../../scripts/e2e-cli.sh")
	// The README's commands run deploytrail from PATH, as after go install;
	// its walkthrough keeps the bundle in deploytrail's own S3.
	path := strings.Join([]string{filepath.Dir(binary), os.Getenv("PATH")}, string(os.PathListSeparator))
	cmd.Env = append(append(os.Environ(), p.env...), "PATH="+path)
	// On a timeout, end the agent the walkthrough started too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second // a leftover child holding the output pipe does not hang the test
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

func TestParseConfig_Delivery(t *testing.T) {
	env := func(vals ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(vals); i += 2 {
				if vals[i] == k {
					return vals[i+1]
				}
			}
			return ""
		}
	}
	cfg, err := parseConfig(nil, env("DEPLOYTRAIL_DELIVERY_INTERVAL", "5s", "DEPLOYTRAIL_MAX_LOG_FILE_BYTES", "1048576", "DEPLOYTRAIL_LEASE_TTL", "10s"))
	if err != nil || cfg.DeliveryInterval != 5*time.Second || cfg.MaxLogFileBytes != 1<<20 || cfg.LeaseTTL != 10*time.Second {
		t.Fatalf("DeliveryInterval=%v MaxLogFileBytes=%d LeaseTTL=%v err=%v, want 5s, 1MiB, 10s", cfg.DeliveryInterval, cfg.MaxLogFileBytes, cfg.LeaseTTL, err)
	}
	for _, bad := range [][]string{
		{"DEPLOYTRAIL_DELIVERY_INTERVAL", "500ms"}, {"DEPLOYTRAIL_DELIVERY_INTERVAL", "soon"},
		{"DEPLOYTRAIL_LEASE_TTL", "500ms"}, {"DEPLOYTRAIL_LEASE_TTL", "long"},
		{"DEPLOYTRAIL_MAX_LOG_FILE_BYTES", "0"}, {"DEPLOYTRAIL_MAX_LOG_FILE_BYTES", "big"},
	} {
		if _, err := parseConfig(nil, env(bad...)); err == nil {
			t.Errorf("%s=%s accepted", bad[0], bad[1])
		}
	}
}

// deploytrail runs the binary with the announced credentials and returns
// its standard output.
func (p *process) deploytrail(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), p.env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("deploytrail %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// jsonLines decodes one JSON object per line.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for line := range strings.Lines(out) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("line is not JSON: %v\n%s", err, line)
		}
		recs = append(recs, rec)
	}
	return recs
}

// eventNames returns the records' eventNames, in order.
func eventNames(recs []map[string]any) []string {
	var out []string
	for _, r := range recs {
		out = append(out, fmt.Sprint(r["eventName"]))
	}
	return out
}

// TestEvents runs `deploytrail events` and `aws cloudtrail lookup-events`
// against the real binary.
func TestEvents(t *testing.T) {
	requireAWSCLI(t)
	p := startBinary(t, t.TempDir())
	p.aws(t, "iam", "create-user", "--user-name", "carol")
	p.aws(t, "deploy", "create-application", "--application-name", "shop")

	var looked struct {
		Events []struct{ EventName, ReadOnly, Username, CloudTrailEvent string }
	}
	out := p.aws(t, "cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=EventName,AttributeValue=CreateUser", "--output", "json")
	if err := json.Unmarshal([]byte(out), &looked); err != nil || len(looked.Events) != 1 {
		t.Fatalf("lookup-events: %v\n%s", err, out)
	}
	if e := looked.Events[0]; e.EventName != "CreateUser" || e.ReadOnly != "false" || e.Username != "root" || !strings.Contains(e.CloudTrailEvent, `"userName":"carol"`) {
		t.Fatalf("lookup-events event=%+v", e)
	}

	recs := jsonLines(t, p.deploytrail(t, "events", "--output", "json"))
	if got := eventNames(recs); !slices.Equal(got, []string{"LookupEvents", "CreateApplication", "CreateUser"}) {
		t.Fatalf("events=%v, want LookupEvents, CreateApplication, CreateUser", got)
	}
	if rp, _ := recs[2]["requestParameters"].(map[string]any); rp["userName"] != "carol" || recs[2]["awsRegion"] != "us-east-1" {
		t.Fatalf("CreateUser record=%v", recs[2])
	}
	filtered := jsonLines(t, p.deploytrail(t, "events", "--output", "json", "--endpoint-url", p.endpoint,
		"--event-source", "codedeploy.amazonaws.com", "--read-only", "false"))
	if got := eventNames(filtered); !slices.Equal(got, []string{"CreateApplication"}) {
		t.Fatalf("codedeploy writes=%v", got)
	}
	table := p.deploytrail(t, "events", "--read-only", "false", "--max", "1")
	if lines := strings.Split(strings.TrimSpace(table), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[0], "TIME") ||
		strings.Join(strings.Fields(lines[1])[1:], " ") != "root codedeploy CreateApplication" {
		t.Fatalf("table:\n%s", table)
	}
	failing := exec.Command("aws", "deploy", "get-application", "--application-name", "nope")
	failing.Env = append(os.Environ(), p.env...)
	if out, err := failing.CombinedOutput(); err == nil {
		t.Fatalf("get-application of a missing application succeeded: %s", out)
	}
	if table := p.deploytrail(t, "events", "--event-name", "GetApplication"); !strings.Contains(table, "ApplicationDoesNotExistException") {
		t.Fatalf("table without the error code:\n%s", table)
	}
	if west := p.deploytrail(t, "events", "--region", "us-west-2", "--output", "json"); west != "" {
		t.Fatalf("us-west-2 has events:\n%s", west)
	}
	t.Run("Follow", func(t *testing.T) { testFollow(t, p) })
	p.stop(t)
}

// testFollow runs `deploytrail events --follow`, makes a call and expects
// its event, then interrupts the command.
func testFollow(t *testing.T, p *process) {
	cmd := exec.Command(binary, "events", "--follow", "--output", "json", "--max", "1", "--event-name", "CreateUser")
	cmd.Env = append(os.Environ(), p.env...)
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	expect := func(user string) {
		t.Helper()
		timeout := time.After(15 * time.Second)
		for {
			select {
			case line, ok := <-lines:
				if !ok {
					t.Fatalf("events --follow ended before %s; stderr: %s", user, stderr.String())
				}
				if strings.Contains(line, `"userName":"`+user+`"`) {
					return
				}
			case <-timeout:
				t.Fatalf("no CreateUser %s from events --follow within 15s", user)
			}
		}
	}
	expect("carol") // the newest before following
	p.aws(t, "iam", "create-user", "--user-name", "dave")
	expect("dave")
	cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() {
		for range lines { // drain, so that the command can finish writing
		}
		done <- cmd.Wait()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("events --follow after SIGINT: %v; stderr: %s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("events --follow still running 10s after SIGINT")
	}
}

func TestParseConfig_MetricsListen(t *testing.T) {
	env := func(k string) string {
		if k == "DEPLOYTRAIL_METRICS_LISTEN" {
			return "127.0.0.1:9101"
		}
		return ""
	}
	if cfg, err := parseConfig(nil, env); err != nil || cfg.MetricsListen != "127.0.0.1:9101" {
		t.Fatalf("from the environment: MetricsListen=%q, %v", cfg.MetricsListen, err)
	}
	if cfg, err := parseConfig([]string{"--metrics-listen", "127.0.0.1:9102"}, env); err != nil || cfg.MetricsListen != "127.0.0.1:9102" {
		t.Fatalf("--metrics-listen: MetricsListen=%q, %v", cfg.MetricsListen, err)
	}
	if cfg, err := parseConfig(nil, func(string) string { return "" }); err != nil || cfg.MetricsListen != "" {
		t.Fatalf("default: MetricsListen=%q, %v, want none (/metrics on --listen)", cfg.MetricsListen, err)
	}
}
