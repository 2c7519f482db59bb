package agent

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The agent's error codes in completion diagnostics (spec §9.6).
const (
	codeSucceeded          = 0
	codeScriptMissing      = 1
	codeScriptExecutable   = 2
	codeScriptTimedOut     = 3
	codeScriptFailed       = 4
	codeUnknownError       = 5
	codeOutputsLeftOpen    = 6
	codeFailedAfterRestart = 7
)

// Result is how a lifecycle event ended, sent as its diagnostics.
type Result struct {
	Code       int    `json:"error_code"`
	ScriptName string `json:"script_name"`
	Message    string `json:"message"`
	Log        string `json:"log"`
}

// scriptRun is one hook script to run.
type scriptRun struct {
	archive string // the deployment-archive holding the script
	event   string
	hook    Hook
	env     []string  // added to the agent's environment
	log     io.Writer // scripts.log and the deployments log
	tail    *tailBuffer
}

// makeExecutable adds the execute bits to the hook script at path, whose
// Stat is fi, only when it is a regular file of the deployment archive: a
// bundle's symlink may name any host file or device, and the agent (often
// root) must not change a mode it was not given.
func (r scriptRun) makeExecutable(path string, fi os.FileInfo) error {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	archive, err := filepath.EvalSymlinks(r.archive)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() || !strings.HasPrefix(target, archive+string(filepath.Separator)) {
		return fmt.Errorf("%s is not a file of the deployment archive", path)
	}
	return os.Chmod(target, fi.Mode()|0o111)
}

// runScripts runs an event's scripts in order and stops at the first failure.
func runScripts(runs []scriptRun) Result {
	for _, r := range runs {
		if res := r.run(); res.Code != codeSucceeded {
			res.Log = r.tail.String()
			return res
		}
	}
	return Result{Message: "Succeeded"}
}

func (r scriptRun) run() Result {
	loc := r.hook.Location
	fail := func(code int, format string, args ...any) Result {
		return Result{Code: code, ScriptName: loc, Message: fmt.Sprintf(format, args...)}
	}
	path := filepath.Join(r.archive, filepath.FromSlash(stripSlash(loc)))
	fi, err := os.Stat(path)
	if err != nil || fi.IsDir() {
		return fail(codeScriptMissing, "Script does not exist at specified location: %s", path)
	}
	if fi.Mode()&0o111 == 0 {
		if err := r.makeExecutable(path, fi); err != nil {
			return fail(codeScriptExecutable, "Script at specified location: %s is not executable", loc)
		}
	}
	fmt.Fprintf(r.log, "%s LifecycleEvent - %s\n%s Script - %s\n", stamp(), r.event, stamp(), loc)
	cmd, err := r.command(path)
	if err != nil {
		return fail(codeScriptFailed, "%v", err)
	}
	return r.wait(cmd, loc)
}

// command builds the script's command line: the plain path, or
// `su <user> -c <path>` for runas (spec §11.2).
func (r scriptRun) command(path string) (*exec.Cmd, error) {
	var cmd *exec.Cmd
	if r.hook.RunAs == "" || isCurrentUser(r.hook.RunAs) {
		cmd = exec.Command(path)
	} else {
		if _, err := user.Lookup(r.hook.RunAs); err != nil {
			return nil, fmt.Errorf("Script at specified location: %s run as user %s: no such user", r.hook.Location, r.hook.RunAs)
		}
		cmd = exec.Command("su", r.hook.RunAs, "-s", "/bin/sh", "-c", shellQuote(path))
	}
	cmd.Env = append(os.Environ(), r.env...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its own group, killed as one on timeout
	return cmd, nil
}

func isCurrentUser(name string) bool {
	u, err := user.Current()
	return err == nil && u.Username == name
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// wait runs cmd with the hook's timeout, logging its output line by
// line. Output pipes still open after the script exits (a child kept
// them) fail the event once the timeout passes.
func (r scriptRun) wait(cmd *exec.Cmd, loc string) Result {
	user := ""
	if r.hook.RunAs != "" {
		user = " run as user " + r.hook.RunAs
	}
	outR, outW, _ := os.Pipe()
	errR, errW, _ := os.Pipe()
	cmd.Stdout, cmd.Stderr = outW, errW
	err := cmd.Start()
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return Result{Code: codeScriptExecutable, ScriptName: loc, Message: fmt.Sprintf("Script at specified location: %s%s could not be run: %v", loc, user, err)}
	}
	var readers sync.WaitGroup
	var mu sync.Mutex
	for stream, rd := range map[string]*os.File{"stdout": outR, "stderr": errR} {
		readers.Go(func() { r.copyLines(stream, rd, &mu); rd.Close() })
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	timeout := time.Duration(r.hook.Timeout) * time.Second
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	closed := make(chan struct{})
	go func() { readers.Wait(); close(closed) }()
	select {
	case err = <-exited:
	case <-deadline.C:
		stopGroup(cmd.Process.Pid, exited)
		drain(closed, outR, errR)
		return Result{Code: codeScriptTimedOut, ScriptName: loc, Message: fmt.Sprintf("Script at specified location: %s failed to complete in %d seconds", loc, r.hook.Timeout)}
	}
	select {
	case <-closed:
	case <-deadline.C:
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		drain(closed, outR, errR)
		return Result{Code: codeOutputsLeftOpen, ScriptName: loc, Message: fmt.Sprintf("Script at specified location: %s%s completed, but a process it started kept its standard output or error open past %d seconds", loc, user, r.hook.Timeout)}
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return Result{Code: codeScriptFailed, ScriptName: loc, Message: fmt.Sprintf("Script at specified location: %s%s failed with exit code %d", loc, user, exit.ExitCode())}
	}
	if err != nil {
		return Result{Code: codeScriptFailed, ScriptName: loc, Message: err.Error()}
	}
	return Result{}
}

// killGrace is how long a timed-out script's group has between SIGTERM
// and SIGKILL.
var killGrace = 3 * time.Second

// stopGroup ends a timed-out script's process group: SIGTERM, then
// SIGKILL for what ignores it.
func stopGroup(pid int, exited <-chan error) {
	syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(killGrace):
		syscall.Kill(-pid, syscall.SIGKILL)
		<-exited
	}
}

// drain gives the output readers a moment to log the last lines, then
// closes the pipes: a process outside the group may still hold them.
func drain(closed <-chan struct{}, pipes ...*os.File) {
	select {
	case <-closed:
	case <-time.After(time.Second):
	}
	for _, p := range pipes {
		p.Close()
	}
}

// maxLine bounds one logged line; longer lines are cut.
const maxLine = 16 << 10

func (r scriptRun) copyLines(stream string, rd io.Reader, mu *sync.Mutex) {
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 4096), maxLine)
	for {
		ok := sc.Scan()
		if !ok && errors.Is(sc.Err(), bufio.ErrTooLong) {
			sc = bufio.NewScanner(rd) // drop the rest of an overlong line's chunk and go on
			sc.Buffer(make([]byte, 4096), maxLine)
			continue
		}
		if !ok {
			return
		}
		line := fmt.Sprintf("[%s]%s\n", stream, sc.Text())
		mu.Lock()
		fmt.Fprintf(r.log, "%s %s", stamp(), line)
		r.tail.WriteString(line)
		mu.Unlock()
	}
}

func stamp() string { return time.Now().UTC().Format("2006-01-02 15:04:05") }

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	b   []byte
}

func (t *tailBuffer) WriteString(s string) {
	t.b = append(t.b, s...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
}

func (t *tailBuffer) String() string { return strings.ToValidUTF8(string(t.b), "") }
