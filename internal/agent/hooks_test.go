package agent

import (
	"bytes"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func script(t *testing.T, archive, name, body string, mode os.FileMode) {
	t.Helper()
	os.MkdirAll(archive, 0o755)
	if err := os.WriteFile(filepath.Join(archive, name), []byte("#!/bin/sh\n"+body), mode); err != nil {
		t.Fatal(err)
	}
}

func runOne(t *testing.T, archive string, h Hook, tailMax int) (Result, string) {
	t.Helper()
	var log bytes.Buffer
	res := runScripts([]scriptRun{{archive: archive, event: "AfterInstall", hook: h, env: []string{"LIFECYCLE_EVENT=AfterInstall", "DEPLOYMENT_ID=d-1"},
		log: &log, tail: &tailBuffer{max: tailMax}}})
	return res, log.String()
}

func TestHookRuns(t *testing.T) {
	archive := t.TempDir()
	script(t, archive, "ok.sh", "echo \"$LIFECYCLE_EVENT $DEPLOYMENT_ID\"; echo oops >&2\n", 0o644) // made executable by the agent
	res, log := runOne(t, archive, Hook{Location: "ok.sh", Timeout: 10}, 2048)
	if res.Code != codeSucceeded {
		t.Fatalf("result: %+v", res)
	}
	for _, want := range []string{"LifecycleEvent - AfterInstall", "Script - ok.sh", "[stdout]AfterInstall d-1", "[stderr]oops"} {
		if !strings.Contains(log, want) {
			t.Errorf("scripts.log lacks %q:\n%s", want, log)
		}
	}
}

func TestHookFailures(t *testing.T) {
	archive := t.TempDir()
	script(t, archive, "fail.sh", "echo health check failed\nexit 3\n", 0o755)
	script(t, archive, "slow.sh", "sleep 30\n", 0o755)
	script(t, archive, "noisy.sh", "i=0; while [ $i -lt 500 ]; do echo line $i; i=$((i+1)); done; exit 1\n", 0o755)
	script(t, archive, "daemon.sh", "sleep 30 &\n", 0o755)
	script(t, archive, "stubborn.sh", "trap '' TERM\nsleep 30\n", 0o755)
	for name, tc := range map[string]struct {
		hook Hook
		code int
		msg  string
	}{
		"exit":         {Hook{Location: "fail.sh", Timeout: 10}, codeScriptFailed, "Script at specified location: fail.sh failed with exit code 3"},
		"missing":      {Hook{Location: "nope.sh", Timeout: 10}, codeScriptMissing, "Script does not exist"},
		"timeout":      {Hook{Location: "slow.sh", Timeout: 1}, codeScriptTimedOut, "failed to complete in 1 seconds"},
		"open":         {Hook{Location: "daemon.sh", Timeout: 1}, codeOutputsLeftOpen, "kept its standard output or error open"},
		"ignores TERM": {Hook{Location: "stubborn.sh", Timeout: 1}, codeScriptTimedOut, "failed to complete in 1 seconds"},
	} {
		start := time.Now()
		res, _ := runOne(t, archive, tc.hook, 2048)
		if res.Code != tc.code || !strings.Contains(res.Message, tc.msg) || res.ScriptName != tc.hook.Location {
			t.Errorf("%s: %+v", name, res)
		}
		if time.Since(start) > 7*time.Second {
			t.Errorf("%s took %v", name, time.Since(start))
		}
	}
	res, log := runOne(t, archive, Hook{Location: "noisy.sh", Timeout: 10}, 100)
	if len(res.Log) > 100 || !strings.HasSuffix(res.Log, "[stdout]line 499\n") || !strings.Contains(log, "line 0\n") {
		t.Errorf("log tail %q (%d bytes); the full log must keep every line", res.Log, len(res.Log))
	}
	big := Result{Code: 4, Message: strings.Repeat("m", 5000), Log: strings.Repeat("\x01", 4000)}
	if d := diagnostics(big); len(d) > maxDiagnostics {
		t.Errorf("diagnostics of %d bytes", len(d))
	}
}

// runas runs the script as that user through su; CI runs as root.
func TestHookRunAs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("runas needs root")
	}
	if _, err := user.Lookup("nobody"); err != nil {
		t.Skip("no user nobody")
	}
	archive := t.TempDir()
	os.Chmod(filepath.Dir(archive), 0o755) // nobody must reach the script, as under root_dir
	os.Chmod(archive, 0o755)
	script(t, archive, "who.sh", "id -un; echo $DEPLOYMENT_ID\n", 0o755)
	res, log := runOne(t, archive, Hook{Location: "who.sh", Timeout: 10, RunAs: "nobody"}, 2048)
	if res.Code != codeSucceeded || !strings.Contains(log, "[stdout]nobody") || !strings.Contains(log, "[stdout]d-1") {
		t.Errorf("runas: %+v\n%s", res, log)
	}
	script(t, archive, "fail.sh", "exit 2\n", 0o755)
	res, _ = runOne(t, archive, Hook{Location: "fail.sh", Timeout: 10, RunAs: "nobody"}, 2048)
	if res.Code != codeScriptFailed || !strings.Contains(res.Message, "run as user nobody failed with exit code 2") {
		t.Errorf("runas failure: %+v", res)
	}
}

// A hook script that is a bundle's symlink to a file outside the archive
// (or to a device or FIFO) is not the agent's to chmod: making it
// executable would change a host file the bundle named, as root. It fails
// as not executable, and the file keeps its mode. A link to a script
// inside the archive is made executable as before. (The test's special
// file is its own FIFO: a failing run must not change /dev/null.)
func TestHookDoesNotChmodOutsideTheArchive(t *testing.T) {
	archive, outside := t.TempDir(), t.TempDir()
	host, fifo := filepath.Join(outside, "host.conf"), filepath.Join(archive, "fifo")
	if err := os.WriteFile(host, []byte("#!/bin/sh\necho host file ran\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{"out.sh": host, "fifo.sh": fifo} {
		if err := os.Symlink(target, filepath.Join(archive, link)); err != nil {
			t.Fatal(err)
		}
	}
	for _, loc := range []string{"out.sh", "fifo.sh"} {
		res, log := runOne(t, archive, Hook{Location: loc, Timeout: 10}, 2048)
		if res.Code != codeScriptExecutable || strings.Contains(log, "host file ran") {
			t.Errorf("%s: %+v\n%s", loc, res, log)
		}
	}
	for _, path := range []string{host, fifo} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s's mode changed: %v %v", path, fi.Mode(), err)
		}
	}
	script(t, archive, "real.sh", "echo linked ran\n", 0o644)
	os.Symlink("real.sh", filepath.Join(archive, "link.sh"))
	if res, log := runOne(t, archive, Hook{Location: "link.sh", Timeout: 10}, 2048); res.Code != codeSucceeded || !strings.Contains(log, "linked ran") {
		t.Errorf("a link inside the archive: %+v\n%s", res, log)
	}
}
