package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

// exitCode is the exit status of a finished command's error: 0 for nil,
// -1 when it did not run to an exit.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if e, ok := errors.AsType[*exec.ExitError](err); ok {
		return e.ExitCode()
	}
	return -1
}

// runExit runs the binary in env and returns its exit status, stdout and
// stderr.
func runExit(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if code := exitCode(err); code >= 0 {
		return code, stdout.String(), stderr.String()
	}
	t.Fatalf("deploytrail %s: %v", strings.Join(args, " "), err)
	return 0, "", ""
}

func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"serve", "--help"}, {"serve", "-h"}, {"buckets", "create", "-h"}, {"events", "-h"}, {"--help"}} {
		code, stdout, stderr := runExit(t, cleanEnv(), args...)
		if code != 0 || strings.Contains(stderr, "help requested") || stdout+stderr == "" {
			t.Errorf("deploytrail %s: exit %d, stderr %q; want exit 0 and the usage", strings.Join(args, " "), code, stderr)
		}
	}
	if _, _, stderr := runExit(t, cleanEnv(), "serve", "--help"); !strings.Contains(stderr, "-listen") {
		t.Errorf("serve --help does not list --listen:\n%s", stderr)
	}
}

// TestVersion expects the version and the commit the test binary was
// built from. go build stamps vcs.revision in a git checkout, but not in
// a git worktree (.git is a file there), where the commit is unknown.
func TestVersion(t *testing.T) {
	head, _ := exec.Command("git", "rev-parse", "HEAD").Output()
	commit := "unknown"
	if fi, err := os.Stat("../../.git"); err == nil && fi.IsDir() && len(head) > 0 {
		commit = strings.TrimSpace(string(head)) + "(, modified)?"
	}
	want := regexp.MustCompile(`^deploytrail \S+ \(commit ` + commit + `\)\n$`)
	for _, arg := range []string{"--version", "version"} {
		code, stdout, stderr := runExit(t, cleanEnv(), arg)
		if code != 0 || !want.MatchString(stdout) {
			t.Errorf("deploytrail %s: exit %d, %q (stderr %q); want %v", arg, code, stdout, stderr, want)
		}
	}
}

// TestEventsWithoutCredentials expects advice about the profile the server
// wrote, not an instance metadata error.
func TestEventsWithoutCredentials(t *testing.T) {
	home, data := t.TempDir(), t.TempDir()
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "DEPLOYTRAIL_DATA=" + data}
	os.WriteFile(filepath.Join(data, "credentials"), []byte("[deploytrail]\n"), 0o600)
	began := time.Now()
	code, _, stderr := runExit(t, env, "events", "--endpoint-url", "http://127.0.0.1:1")
	for _, want := range []string{"no AWS credentials", "AWS_PROFILE=deploytrail", "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(data, "credentials")} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if code != 1 || strings.Contains(strings.ToLower(stderr), "imds") {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 1 without an IMDS error", code, stderr)
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("took %v: instance metadata was asked", d)
	}
}

// TestDataDirLock starts a second server on a directory a server holds.
func TestDataDirLock(t *testing.T) {
	dir := t.TempDir()
	p := startBinary(t, dir)
	code, _, stderr := runExit(t, cleanEnv(), "serve", "--listen", "127.0.0.1:0", "--data", dir)
	want := "data directory " + dir + " is in use by another deploytrail server (pid " + strconv.Itoa(p.cmd.Process.Pid) + ")"
	if code != 1 || !strings.Contains(stderr, want) {
		t.Fatalf("second serve: exit %d, stderr:\n%s\nwant exit 1 and %q", code, stderr, want)
	}
	p.stop(t)
	startBinary(t, dir).stop(t) // the lock went with the first server
}

// TestOfflineCommandsRefuseEmptyDir runs the offline commands where no
// server ever ran: they must refuse and create nothing, except
// `buckets create --init`.
func TestOfflineCommandsRefuseEmptyDir(t *testing.T) {
	empty := t.TempDir()
	missing := filepath.Join(t.TempDir(), "deploytrail-data")
	for _, args := range [][]string{
		{"buckets", "create", "--data", missing, "logs"},
		{"buckets", "list", "--data", missing},
		{"buckets", "list", "--data", empty, "logs"},
		{"buckets", "lifecycle", "get", "--data", missing, "logs"},
		{"buckets", "lifecycle", "apply", "--data", empty, "logs"},
		{"validate-logs", "--data", missing, "--trail-arn", "arn:aws:cloudtrail:us-east-1:123456789012:trail/main", "--start-time", "2026-01-01T00:00Z"},
	} {
		code, _, stderr := runExit(t, cleanEnv(), args...)
		if code != 1 || !strings.Contains(stderr, "holds no deploytrail state") || !strings.Contains(stderr, "--init") {
			t.Errorf("deploytrail %s: exit %d, stderr:\n%s\nwant exit 1 and the refusal", strings.Join(args, " "), code, stderr)
		}
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("a refused command created %s: %v", missing, err)
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("a refused command wrote into %s: %v", empty, entries)
	}
	runClean(t, "buckets", "create", "--init", "--data", missing, "logs")
	if out := runBinary(t, "buckets", "list", "--data", missing); out != "logs\n" {
		t.Errorf("list after create --init: %q", out)
	}
}

func TestDescribeBuild(t *testing.T) {
	info := &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.modified", Value: "true"}}}
	if got, want := describeBuild(info), "v1.2.3 (commit 0123abcd, modified)"; got != want {
		t.Errorf("describeBuild=%q, want %q", got, want)
	}
	info.Settings = nil
	if got, want := describeBuild(info), "v1.2.3 (commit unknown)"; got != want {
		t.Errorf("describeBuild without vcs=%q, want %q", got, want)
	}
}
