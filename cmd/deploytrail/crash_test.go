package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/deploytrail/deploytrail/internal/app"
	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/trailfiles"
)

// TestCrashLosesNoEvent kills the server with SIGKILL while workers make
// CodeDeploy calls and a trail delivers every second, twice, restarting it
// on the same data directory each time. Every call the server answered must
// then be delivered exactly once, no event twice, in well-formed log files,
// and every application it acknowledged creating must still exist.
func TestCrashLosesNoEvent(t *testing.T) {
	dir := t.TempDir()
	runClean(t, "buckets", "create", "--init", "--data", dir, "crash-logs")
	p, account := startBinaryEnv(t, dir, "DEPLOYTRAIL_DELIVERY_INTERVAL=1s")
	rec := newRecorder(t)
	createTrail(t, p, "crash-logs")
	if _, err := rec.cloudTrail(p).StartLogging(t.Context(), &cloudtrail.StartLoggingInput{Name: aws.String("main")}); err != nil {
		t.Fatalf("StartLogging: %v", err)
	}
	bucket := testBucket(t, app.Config{Data: dir}, "crash-logs")
	read := func() (map[string][]byte, error) { return readBucket(t.Context(), bucket) }

	var created []string // applications whose creation was acknowledged before a kill
	for round := range 2 {
		stop := make(chan struct{})
		load := runLoad(t.Context(), t, codedeploy.NewFromConfig(rec.config(p)), fmt.Sprintf("r%d", round), 8, stop)
		// Kill only once this process has delivered under load, so that
		// the kill lands among deliveries rather than before the first.
		before := countFiles(t, read)
		waitFor(t, 15*time.Second, "a delivery under load", func() bool { return countFiles(t, read) > before })
		time.Sleep(300 * time.Millisecond)
		p.cmd.Process.Kill()
		p.cmd.Wait()
		close(stop)
		created = append(created, load()...) // the workers end on their first unanswered call
		if len(created) < 20*(round+1) {
			t.Fatalf("round %d: only %d applications created in all; the load did not run", round, len(created))
		}
		p, account = restart(t, dir, account)
	}

	// The restarted server still knows every acknowledged application.
	names := listApplications(t, codedeploy.NewFromConfig(rec.config(p)))
	for _, app := range created {
		if !names[app] {
			t.Errorf("application %s, acknowledged before a kill, is gone after the restart", app)
		}
	}
	stop := make(chan struct{})
	load := runLoad(t.Context(), t, codedeploy.NewFromConfig(rec.config(p)), "after", 8, stop)
	time.Sleep(time.Second)
	close(stop)
	load()

	want, unanswered := rec.acknowledged()
	t.Logf("%d calls acknowledged, %d cut off by the kills, %d applications created", len(want), unanswered, len(created))
	waitDelivered(t, 30*time.Second, read, account, want)
	p.stop(t) // a clean exit, and its final flush delivers the rest
	files, err := read()
	if err != nil {
		t.Fatal(err)
	}
	assertExactlyOnce(t, files, account, want)
}

// restart starts the binary again on dir and checks that it serves the
// same account.
func restart(t *testing.T, dir, account string) (*process, string) {
	t.Helper()
	p, again := startBinaryEnv(t, dir, "DEPLOYTRAIL_DELIVERY_INTERVAL=1s")
	if again != account {
		t.Fatalf("account after restart=%s, want %s", again, account)
	}
	return p, again
}

// servingAccount finds the account in the announcement, which the log
// file keys must name.
var servingAccount = regexp.MustCompile(`serving management account (\d{12}) `)

// startBinaryEnv is startBinary with extra environment variables, and
// without any DEPLOYTRAIL_* setting of the caller's environment (a stray
// DEPLOYTRAIL_S3_ENDPOINT would change the bucket backend). It also
// returns the announced account.
func startBinaryEnv(t *testing.T, dir string, env ...string) (*process, string) {
	t.Helper()
	cmd := exec.Command(binary, "serve", "--listen", "127.0.0.1:0", "--data", dir)
	cmd.Env = append(cleanEnv(), env...)
	stdout, _ := cmd.StdoutPipe()
	p := &process{cmd: cmd, stderr: &lockedBuffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var account string
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if m := servingAccount.FindStringSubmatch(lines.Text()); m != nil {
			account = m[1]
		}
		if m := announcement.FindStringSubmatch(lines.Text()); m != nil {
			p.endpoint = m[3]
			p.env = []string{"AWS_CONFIG_FILE=" + m[1], "AWS_SHARED_CREDENTIALS_FILE=" + m[2], "AWS_PROFILE=deploytrail", "AWS_ENDPOINT_URL=" + m[3]}
			go io.Copy(io.Discard, stdout)
			if account == "" {
				t.Fatalf("no account in the announcement")
			}
			return p, account
		}
	}
	t.Fatalf("no announcement; stderr: %s", p.stderr)
	return nil, ""
}

// cleanEnv is the environment without DEPLOYTRAIL_* variables.
func cleanEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "DEPLOYTRAIL_") })
}

// runClean runs the binary without a server, in cleanEnv.
func runClean(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = cleanEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("deploytrail %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// createTrail creates trail "main" logging to bucket, not yet logging.
func createTrail(t *testing.T, p *process, bucket string) {
	t.Helper()
	ct := cloudtrail.NewFromConfig(sdkConfig(t, p))
	if _, err := ct.CreateTrail(t.Context(), &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateTrail: %v", err)
	}
}

// sdkConfig signs with the root key of the profile the binary announced,
// read from its files only (not the caller's AWS_* environment), and never
// retries, so that each call is one request with one answer or none.
func sdkConfig(t *testing.T, p *process) aws.Config {
	t.Helper()
	file := func(name string) string {
		for _, kv := range p.env {
			if v, ok := strings.CutPrefix(kv, name+"="); ok {
				return v
			}
		}
		t.Fatalf("no %s announced", name)
		return ""
	}
	sc, err := config.LoadSharedConfigProfile(t.Context(), "deploytrail", func(o *config.LoadSharedConfigOptions) {
		o.ConfigFiles = []string{file("AWS_CONFIG_FILE")}
		o.CredentialsFiles = []string{file("AWS_SHARED_CREDENTIALS_FILE")}
	})
	if err != nil || !sc.Credentials.HasKeys() {
		t.Fatalf("profile deploytrail: %v", err)
	}
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.StaticCredentialsProvider{Value: sc.Credentials},
		BaseEndpoint:     aws.String(p.endpoint),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}},
	}
}

// recorder keeps the request id of every call the server answered, with a
// result or an AWS error: those calls were acknowledged, so their events
// must be delivered. A call cut off by a kill has no answer and no claim.
type recorder struct {
	t          *testing.T
	mu         sync.Mutex
	acked      map[string]string // request id → operation
	unanswered int
}

func newRecorder(t *testing.T) *recorder { return &recorder{t: t, acked: map[string]string{}} }

// config is sdkConfig with the recording middleware on every client.
func (r *recorder) config(p *process) aws.Config {
	cfg := sdkConfig(r.t, p)
	cfg.APIOptions = append(cfg.APIOptions, r.addMiddleware)
	return cfg
}

func (r *recorder) cloudTrail(p *process) *cloudtrail.Client {
	return cloudtrail.NewFromConfig(r.config(p))
}

// addMiddleware records each call's outcome after its operation name is
// known (After the service's own initialize steps).
func (r *recorder) addMiddleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("RecordAnswers",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleInitialize(ctx, in)
			r.record(middleware.GetOperationName(ctx), md, err)
			return out, md, err
		}), middleware.After)
}

// record counts a call as answered when it returned a result or a decoded
// AWS error (a body cut short by a kill is neither).
func (r *recorder) record(op string, md middleware.Metadata, err error) {
	var apiErr smithy.APIError
	if err != nil && !errors.As(err, &apiErr) {
		r.mu.Lock()
		r.unanswered++
		r.mu.Unlock()
		return
	}
	id, _ := awsmw.GetRequestIDMetadata(md)
	var re *awshttp.ResponseError
	if id == "" && errors.As(err, &re) {
		id = re.ServiceRequestID()
	}
	if id == "" {
		r.t.Errorf("%s answered (err=%v) without a request id", op, err)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev, ok := r.acked[id]; ok {
		r.t.Errorf("request id %s answered twice: %s and %s", id, prev, op)
	}
	r.acked[id] = op
}

// acknowledged returns the answered calls' request ids and how many calls
// got no answer.
func (r *recorder) acknowledged() ([]string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([]string, 0, len(r.acked))
	for id := range r.acked {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, r.unanswered
}

// createsPerPhase bounds the applications one runLoad creates, so that
// the phases of a test stay under CodeDeploy's 1,000 applications per
// region; past it the workers keep calling with reads.
const createsPerPhase = 300

// runLoad starts workers that create applications named prefix-worker-n
// (up to createsPerPhase) and read some back (one read in five fails: a
// missing application), until stop closes or a call gets no answer (the
// server is gone). Its result waits for them and returns the applications
// created.
func runLoad(ctx context.Context, t testing.TB, cd *codedeploy.Client, prefix string, workers int, stop <-chan struct{}) func() []string {
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created []string
		budget  atomic.Int64
	)
	budget.Store(createsPerPhase)
	for w := range workers {
		wg.Go(func() {
			last := ""
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				app := fmt.Sprintf("%s-%d-%d", prefix, w, n)
				if budget.Add(-1) >= 0 {
					if !call(t, "CreateApplication", "", func() error {
						_, err := cd.CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: &app})
						return err
					}) {
						return
					}
					mu.Lock()
					created = append(created, app)
					mu.Unlock()
					last = app
				}
				read, wantCode := last, ""
				if n%5 == 0 || last == "" {
					read, wantCode = app+"-missing", "ApplicationDoesNotExistException"
				}
				if (n%2 == 0 || budget.Load() < 0) && !call(t, "GetApplication", wantCode, func() error {
					_, err := cd.GetApplication(ctx, &codedeploy.GetApplicationInput{ApplicationName: &read})
					return err
				}) {
					return
				}
			}
		})
	}
	return func() []string {
		wg.Wait()
		return created
	}
}

// call runs f, expecting the AWS error wantCode ("" for success), and
// reports whether the server answered; other AWS errors fail the test.
func call(t testing.TB, op, wantCode string, f func() error) bool {
	err := f()
	var apiErr smithy.APIError
	switch {
	case err != nil && !errors.As(err, &apiErr):
		return false
	case err == nil && wantCode != "":
		t.Errorf("%s succeeded, want %s", op, wantCode)
		return false
	case err != nil && apiErr.ErrorCode() != wantCode:
		t.Errorf("%s: %v, want %q", op, err, wantCode)
		return false
	}
	return true
}

// listApplications returns every application's name.
func listApplications(t *testing.T, cd *codedeploy.Client) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	pages := codedeploy.NewListApplicationsPaginator(cd, &codedeploy.ListApplicationsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(t.Context())
		if err != nil {
			t.Fatalf("ListApplications: %v", err)
		}
		for _, n := range page.Applications {
			names[n] = true
		}
	}
	return names
}

// readBucket returns every object of a bucket by key, read through the
// bucket store as the server wrote it (the files on disk are encrypted).
func readBucket(ctx context.Context, b objstore.Bucket) (map[string][]byte, error) {
	objects := map[string][]byte{}
	for after := ""; ; {
		page, err := b.List(ctx, "", after, 0)
		if err != nil || len(page) == 0 {
			return objects, err
		}
		for _, o := range page {
			obj, err := b.Get(ctx, o.Key)
			if errors.Is(err, objstore.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			objects[o.Key] = obj.Body
		}
		after = page[len(page)-1].Key
	}
}

func countFiles(t *testing.T, read func() (map[string][]byte, error)) int {
	t.Helper()
	files, err := read()
	if err != nil {
		t.Fatal(err)
	}
	return len(files)
}

// waitFor polls cond every 100ms until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v", what, timeout)
		}
	}
}

// waitDelivered polls the bucket until every request id in want has been
// delivered. Files are written atomically, so any malformed one fails at
// once.
func waitDelivered(t *testing.T, timeout time.Duration, read func() (map[string][]byte, error), account string, want []string) {
	t.Helper()
	var missing []string
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		files, err := read()
		if err != nil {
			t.Fatalf("read the bucket: %v", err)
		}
		d, err := trailfiles.Parse(files, account)
		if err != nil {
			t.Fatal(err)
		}
		missing = slices.DeleteFunc(slices.Clone(want), func(id string) bool { return d.Requests[id] > 0 })
		if len(missing) == 0 {
			return
		}
	}
	t.Fatalf("%d of %d acknowledged requests not delivered within %v, e.g. %v", len(missing), len(want), timeout, missing[:min(5, len(missing))])
}

// assertExactlyOnce checks that no eventID and no requestID occurs twice
// across files and that every request id in want occurs.
func assertExactlyOnce(t *testing.T, files map[string][]byte, account string, want []string) {
	t.Helper()
	d, err := trailfiles.Parse(files, account)
	if err != nil {
		t.Fatal(err)
	}
	for id, n := range d.Events {
		if n != 1 {
			t.Errorf("eventID %s delivered %d times", id, n)
		}
	}
	for id, n := range d.Requests {
		if n != 1 {
			t.Errorf("requestID %s delivered %d times", id, n)
		}
	}
	for _, id := range want {
		if d.Requests[id] == 0 {
			t.Errorf("acknowledged request %s never delivered", id)
		}
	}
	t.Logf("%d log files, %d events, %d acknowledged requests each delivered once", len(files), len(d.Events), len(want))
}
