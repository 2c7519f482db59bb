package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The management account and root key every deploytrail the benchmark
// starts is given, so that clients can sign without reading files.
const (
	benchAccount = "111122223333"
	benchKeyID   = "AKIABENCH00000000001"
	benchSecret  = "deploytrail-bench-secret-0123456789abcdef"
	benchBucket  = "bench-trail"
)

// env is what every workload shares: a scratch directory and the
// deploytrail binary built into it.
type env struct {
	dir    string
	binary string
	procs  []*child
}

func newEnv(ctx context.Context) (*env, error) {
	dir, err := os.MkdirTemp("", "deploytrail-bench")
	if err != nil {
		return nil, err
	}
	e := &env{dir: dir, binary: filepath.Join(dir, "deploytrail")}
	log.Printf("building deploytrail into %s", dir)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", e.binary, "./cmd/deploytrail")
	cmd.Dir = moduleRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("go build: %v\n%s", err, out)
	}
	return e, nil
}

// moduleRoot is the repository root: the benchmark runs from there (go
// run, make bench), else from the directory holding go.mod above the cwd.
func moduleRoot() string {
	dir, _ := os.Getwd()
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// close stops every child still running and removes the scratch files.
func (e *env) close() {
	for _, c := range e.procs {
		c.stop()
	}
	os.RemoveAll(e.dir)
}

// mkdir makes a fresh directory under the scratch directory.
func (e *env) mkdir(name string) (string, error) {
	return os.MkdirTemp(e.dir, name)
}

// child is a server process the benchmark started.
type child struct {
	cmd     *exec.Cmd
	url     string
	started time.Time
	done    chan struct{}
}

// start runs cmd with stderr in logFile and registers it for close.
func (e *env) start(cmd *exec.Cmd, logFile string) (*child, io.Reader, error) {
	lf, err := os.Create(logFile)
	if err != nil {
		return nil, nil, err
	}
	cmd.Stderr = lf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	c := &child{cmd: cmd, started: time.Now(), done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, nil, err
	}
	go func() { cmd.Wait(); lf.Close(); close(c.done) }()
	e.procs = append(e.procs, c)
	return c, stdout, nil
}

// stop sends SIGTERM and, after 30 s, SIGKILL; it is safe to call twice.
func (c *child) stop() {
	select {
	case <-c.done:
		return
	default:
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		<-c.done
	}
}

// peakRSS is the child's VmHWM in MB (0 when it cannot be read).
func (c *child) peakRSS() float64 {
	kb := procKB(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid), "VmHWM")
	return round(float64(kb) / 1024)
}

// cpuSeconds is the CPU time (user + system, seconds) the child has used.
func (c *child) cpuSeconds() float64 { return processCPU(c.cmd.Process.Pid) }

// processCPU is the CPU time (user + system, seconds) a process has used,
// from /proc/<pid>/stat; 0 when it cannot be read.
func processCPU(pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: utime and stime are the 12th and 13th of them.
	rest := string(raw[strings.LastIndexByte(string(raw), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc's CPU times (100 on Linux).
const clockTicks = 100

var announcement = regexp.MustCompile(`--endpoint-url (\S+) `)

// startDeploytrail runs `deploytrail serve` on a free port with data in
// dir (its trail bucket created) and waits for its announcement.
func (e *env) startDeploytrail(ctx context.Context, dir string, extraEnv ...string) (*child, error) {
	return e.startDeploytrailIn(ctx, dir, benchBucket, extraEnv...)
}

// startDeploytrailIn is startDeploytrail with the trail bucket named.
func (e *env) startDeploytrailIn(ctx context.Context, dir, bucket string, extraEnv ...string) (*child, error) {
	create := exec.CommandContext(ctx, e.binary, "buckets", "create", "--init", "--data", dir, bucket)
	create.Env = append(os.Environ(), deploytrailEnv(extraEnv)...)
	if out, err := create.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("buckets create: %v: %s", err, out)
	}
	cmd := exec.Command(e.binary, "serve", "--listen", "127.0.0.1:0", "--data", dir)
	cmd.Env = append(os.Environ(), deploytrailEnv(extraEnv)...)
	c, stdout, err := e.start(cmd, filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	return c, c.awaitLine(stdout, announcement)
}

func deploytrailEnv(extra []string) []string {
	return append([]string{"DEPLOYTRAIL_ACCOUNT_ID=" + benchAccount, "DEPLOYTRAIL_ROOT_ACCESS_KEY_ID=" + benchKeyID,
		"DEPLOYTRAIL_ROOT_SECRET_ACCESS_KEY=" + benchSecret, "DEPLOYTRAIL_LOG_FORMAT=json"}, extra...)
}

// awaitLine reads stdout until a line matches re, whose first group is
// the server's URL, then discards the rest.
func (c *child) awaitLine(stdout io.Reader, re *regexp.Regexp) error {
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if m := re.FindStringSubmatch(lines.Text()); m != nil {
			c.url = m[1]
			go io.Copy(io.Discard, stdout)
			return nil
		}
	}
	c.stop()
	return errors.New("the server exited without announcing its address")
}

var baselineLine = regexp.MustCompile(`^baseline: serving on (\S+)$`)

// startBaseline runs this program again as the baseline server.
func (e *env) startBaseline(ctx context.Context) (*child, error) {
	dir, err := os.MkdirTemp(tmpfsDir(), "deploytrail-baseline")
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	c, stdout, err := e.start(exec.Command(self, "-serve-baseline", dir), filepath.Join(e.dir, "baseline.log"))
	if err != nil {
		return nil, err
	}
	go func() { <-c.done; os.RemoveAll(dir) }()
	return c, c.awaitLine(stdout, baselineLine)
}

// tmpfsDir is where the baseline keeps its database: in memory when the
// machine has /dev/shm.
func tmpfsDir() string {
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		return "/dev/shm"
	}
	return os.TempDir()
}

// startMoto runs moto_server on a free loopback port.
func (e *env) startMoto(ctx context.Context) (*child, error) {
	path, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	c, stdout, err := e.start(exec.Command(path, "-H", "127.0.0.1", "-p", strconv.Itoa(port)), filepath.Join(e.dir, "moto.log"))
	if err != nil {
		return nil, err
	}
	go io.Copy(io.Discard, stdout)
	c.url = fmt.Sprintf("http://127.0.0.1:%d", port)
	if _, err := c.awaitHTTP(ctx, c.url+"/moto-api/", 30*time.Second); err != nil {
		c.stop()
		return nil, fmt.Errorf("moto_server: %w", err)
	}
	return c, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// awaitHTTP polls url until it answers 200 and returns the time since the
// child started.
func (c *child) awaitHTTP(ctx context.Context, url string, limit time.Duration) (time.Duration, error) {
	hc := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		select {
		case <-c.done:
			return 0, errors.New("exited")
		case <-ctx.Done():
			return 0, ctx.Err()
		default:
		}
		resp, err := hc.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(c.started), nil
			}
		}
	}
	return 0, fmt.Errorf("%s not answering 200 after %v", url, limit)
}
