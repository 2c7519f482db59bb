package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"

	"github.com/deploytrail/deploytrail/internal/app"
	"github.com/deploytrail/deploytrail/internal/digest"
	"github.com/deploytrail/deploytrail/internal/iam"
	"github.com/deploytrail/deploytrail/internal/objstore"
)

// validationReport is workload 6: `deploytrail validate-logs` against
// `aws cloudtrail validate-logs` on the same chain, each run once (timed)
// after one untimed warm-up run, against each S3 of Cases.
type validationReport struct {
	Digests            int      `json:"digests"`
	LogFiles           int      `json:"log_files"`
	DeploytrailSeconds float64  `json:"deploytrail_seconds"`
	AWSCLISeconds      float64  `json:"aws_cli_seconds"`
	Ratio              *float64 `json:"ratio"`
	DeploytrailExit    int      `json:"deploytrail_exit"`
	AWSExit            int      `json:"aws_exit"`
	Error              string   `json:"error,omitempty"`

	// How the chain was made and what each validator printed.
	Chain       chainFigure     `json:"chain"`
	Deploytrail validatorFigure `json:"deploytrail_validate_logs"`
	AWSCLI      validatorFigure `json:"aws_cloudtrail_validate_logs"`

	// Cases are the same chain read from each S3: MinIO directly (the
	// figures above), MinIO behind a proxy adding --validation-delays to
	// every request, and a deploytrail serving a copy on its own S3 API.
	Cases []*validationCase `json:"cases"`
}

type chainFigure struct {
	DigestIntervalSeconds   float64 `json:"digest_interval_seconds"`
	DeliveryIntervalSeconds float64 `json:"delivery_interval_seconds"`
	MaxLogFileBytes         int     `json:"max_log_file_bytes"`
	Clients                 int     `json:"clients"`
	CallsPerSecond          int     `json:"offered_calls_per_second"`
	Calls                   int64   `json:"calls"`
	BuildSeconds            float64 `json:"build_seconds"`
	StartTime               string  `json:"start_time"`
	EndTime                 string  `json:"end_time"`
	// Digests and LogFiles are what the bucket held in range when the
	// validators ran (log files as the digests list them).
	Digests  int `json:"digests_in_bucket"`
	LogFiles int `json:"log_files_in_digests"`
}

type validatorFigure struct {
	Command       string   `json:"command"`
	WarmupSeconds float64  `json:"warmup_seconds"`
	Seconds       float64  `json:"seconds"`
	Exit          int      `json:"exit"`
	DigestsValid  int      `json:"digests_valid"`
	DigestsTotal  int      `json:"digests_total"`
	LogsValid     int      `json:"log_files_valid"`
	LogsTotal     int      `json:"log_files_total"`
	Summary       []string `json:"summary"`
	// CPUSeconds is the validator's own CPU time (user + system);
	// StoreCPUSeconds the object store's (MinIO's) during the run: on
	// one machine both compete for the same cores.
	CPUSeconds      float64 `json:"cpu_seconds"`
	StoreCPUSeconds float64 `json:"store_cpu_seconds"`
	// ProxyCPUSeconds is the delaying proxy's CPU (in the bench process).
	ProxyCPUSeconds float64 `json:"proxy_cpu_seconds,omitempty"`
	// Output is the run's stdout and stderr, only when it did not find
	// everything valid.
	Output string `json:"output,omitempty"`
}

// The chain's shape: each digest stands for one hour of a day.
const (
	validationMaxLogBytes = 2048
	validationTrail       = "bench-validated"
	validationBucket      = "bench-validation"
	chainTimeout          = 5 * time.Minute
)

// runValidation builds a chain with the real binary on MinIO and times
// both validators on it. The result is a *validationReport, or a
// *nullFigure when the AWS CLI or MinIO is missing.
func runValidation(ctx context.Context, e *env, s settings) (any, error) {
	awsPath, err := exec.LookPath("aws")
	if err != nil {
		return &nullFigure{Reason: "the AWS CLI (aws) is not on PATH"}, nil
	}
	minioBin := findMinIOBinary()
	if minioBin == "" {
		return &nullFigure{Reason: "no minio binary on PATH or in $(go env GOPATH)/bin: the AWS CLI needs a MinIO whose root key is deploytrail's"}, nil
	}
	wantDigests, wantLogs := 24, 2000
	if s.Quick {
		wantDigests, wantLogs = 8, 300
	}
	keyID, secret := iam.NewAccessKeyID(), iam.NewSecretAccessKey()
	dir, err := e.mkdir("validation")
	if err != nil {
		return nil, err
	}
	m, err := e.startMinIOWithKey(ctx, minioBin, filepath.Join(dir, "minio"), keyID, secret)
	if err != nil {
		return nil, err
	}
	defer m.stop()
	s3Env := []string{"DEPLOYTRAIL_S3_ENDPOINT=" + m.url, "DEPLOYTRAIL_S3_REGION=us-east-1",
		"DEPLOYTRAIL_S3_ACCESS_KEY_ID=" + keyID, "DEPLOYTRAIL_S3_SECRET_ACCESS_KEY=" + secret}
	rep := &validationReport{Chain: chainFigure{DigestIntervalSeconds: 1, DeliveryIntervalSeconds: 1,
		MaxLogFileBytes: validationMaxLogBytes, Clients: s.Clients}}
	log.Printf("validation: starting deploytrail on MinIO (delivery and digests every 1s, log files of at most %d bytes)", validationMaxLogBytes)
	dataDir := filepath.Join(dir, "data")
	if err := os.Mkdir(dataDir, 0o700); err != nil {
		return nil, err
	}
	dt, err := e.startDeploytrailIn(ctx, dataDir, validationBucket, append([]string{"DEPLOYTRAIL_DELIVERY_INTERVAL=1s",
		"DEPLOYTRAIL_DIGEST_INTERVAL=1s", "DEPLOYTRAIL_MAX_LOG_FILE_BYTES=" + strconv.Itoa(validationMaxLogBytes),
		"DEPLOYTRAIL_ROOT_ACCESS_KEY_ID=" + keyID, "DEPLOYTRAIL_ROOT_SECRET_ACCESS_KEY=" + secret}, s3Env...)...)
	if err != nil {
		return nil, err
	}
	defer dt.stop()
	t := newTarget(dt.url, keyID, secret, s.Clients)
	t.name = "validation"
	began := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
	arn, err := startValidatedTrail(ctx, t)
	if err != nil {
		return nil, err
	}
	p, err := app.OpenBuckets(app.Config{S3Endpoint: m.url, S3Region: "us-east-1", S3AccessKeyID: keyID, S3SecretAccessKey: secret})
	if err != nil {
		return nil, err
	}
	if c, ok := p.(interface{ Close() error }); ok {
		defer c.Close()
	}
	bucket, err := p.Bucket(validationBucket)
	if err != nil {
		return nil, err
	}
	ch := &chainReader{bucket: bucket, dir: digest.Dir("", "", benchAccount, "us-east-1"), logs: map[string]int{}}

	log.Printf("validation: %d clients, paced, until the chain has %d digests and %d log files", s.Clients, wantDigests, wantLogs)
	t0 := time.Now()
	calls, rate, err := buildChain(ctx, t, s.Clients, ch, wantDigests, wantLogs)
	if err != nil {
		return nil, err
	}
	rep.Chain.Calls, rep.Chain.CallsPerSecond = calls, rate
	// The load has stopped: wait for the last log files' delivery and two
	// more digests, so that every file delivered is in a digest; then stop
	// logging, which ends the chain with a final digest. The AWS CLI looks
	// for digests up to an hour past --end-time, so a chain still growing
	// (the validators' own calls are logged) would differ between runs.
	n, _, err := ch.count(ctx)
	if err != nil {
		return nil, err
	}
	if err := ch.waitFor(ctx, n+2, 0, time.Minute); err != nil {
		return nil, err
	}
	if n, _, err = ch.count(ctx); err != nil {
		return nil, err
	}
	if _, err := t.cloudTrail("us-east-1").StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String(validationTrail)}); err != nil {
		return nil, fmt.Errorf("stop logging: %w", err)
	}
	if err := ch.waitFor(ctx, n+1, 0, time.Minute); err != nil {
		return nil, err
	}
	time.Sleep(3 * time.Second) // no digest after the final one
	end := time.Now().UTC().Truncate(time.Second)
	rep.Chain.BuildSeconds = round(time.Since(t0).Seconds())
	if rep.Chain.Digests, rep.Chain.LogFiles, err = ch.count(ctx); err != nil {
		return nil, err
	}
	rep.Chain.StartTime, rep.Chain.EndTime = began.Format(time.RFC3339), end.Format(time.RFC3339)
	log.Printf("validation: chain of %d digests listing %d log files in %.1f s (%d calls); range %s to %s",
		rep.Chain.Digests, rep.Chain.LogFiles, rep.Chain.BuildSeconds, calls, rep.Chain.StartTime, rep.Chain.EndTime)

	span := []string{"--trail-arn", arn, "--start-time", rep.Chain.StartTime, "--end-time", rep.Chain.EndTime}
	variants, err := validatorVariants()
	if err != nil {
		return nil, err
	}
	sources := []s3Source{{name: "minio", url: m.url, storePid: m.cmd.Process.Pid}}
	for _, d := range s.ValidationDelays {
		purl, stop, err := startDelayProxy(m.url, d)
		if err != nil {
			return nil, err
		}
		defer stop()
		sources = append(sources, s3Source{name: fmt.Sprintf("minio+%v", d), url: purl, delay: d,
			storePid: m.cmd.Process.Pid, proxyCPU: selfCPU})
	}
	log.Printf("validation: copying the chain into a second deploytrail's own S3 API")
	dts3, copied, err := e.startDeploytrailS3(ctx, dir, bucket, keyID, secret)
	if err != nil {
		return nil, err
	}
	defer dts3.stop()
	log.Printf("validation: %d objects copied to %s", copied, dts3.url)
	sources = append(sources, s3Source{name: "deploytrail-s3", url: dts3.url, storePid: dts3.cmd.Process.Pid})
	for _, src := range sources {
		c, err := validationRun(ctx, e, awsPath, dir, keyID, secret, dt.url, span, src, variants)
		if err != nil {
			return nil, err
		}
		rep.Cases = append(rep.Cases, c)
	}
	// The top-level figures stay those of MinIO read directly, as before.
	first := rep.Cases[0]
	rep.Deploytrail, rep.AWSCLI = first.Deploytrail, first.AWSCLI
	rep.Digests, rep.LogFiles = rep.Deploytrail.DigestsValid, rep.Deploytrail.LogsValid
	rep.DeploytrailSeconds, rep.AWSCLISeconds = rep.Deploytrail.Seconds, rep.AWSCLI.Seconds
	rep.DeploytrailExit, rep.AWSExit = rep.Deploytrail.Exit, rep.AWSCLI.Exit
	rep.Ratio = first.Ratio
	var problems []string
	for _, c := range rep.Cases {
		if c.Error != "" {
			problems = append(problems, c.Store+": "+c.Error)
		}
	}
	if len(problems) > 0 {
		rep.Error = strings.Join(problems, "; ")
	}
	return rep, nil
}

// validationRun times both validators (and any variants) on the chain
// read from src: each once untimed, then once timed. Both must find
// every file valid and check the same counts, else the case has an error.
func validationRun(ctx context.Context, e *env, awsPath, dir, keyID, secret, ctURL string, span []string,
	src s3Source, variants []validatorVariant) (*validationCase, error) {
	c := &validationCase{Store: src.name, DelayMS: round(float64(src.delay) / float64(time.Millisecond))}
	s3Env := []string{"DEPLOYTRAIL_S3_ENDPOINT=" + src.url, "DEPLOYTRAIL_S3_REGION=us-east-1",
		"DEPLOYTRAIL_S3_ACCESS_KEY_ID=" + keyID, "DEPLOYTRAIL_S3_SECRET_ACCESS_KEY=" + secret}
	dtEnv := append(credentialEnv(dir, keyID, secret), s3Env...)
	dtArgs := append([]string{"validate-logs", "--endpoint-url", ctURL}, span...)
	runs := []struct {
		what string
		cmd  validator
		fig  *validatorFigure
	}{
		{"deploytrail validate-logs", validator{name: e.binary, args: dtArgs, env: dtEnv}, &c.Deploytrail},
		{"aws cloudtrail validate-logs", validator{name: awsPath, args: append([]string{"cloudtrail", "validate-logs"}, span...),
			env: append(credentialEnv(dir, keyID, secret), "AWS_ENDPOINT_URL_CLOUDTRAIL="+ctURL, "AWS_ENDPOINT_URL_S3="+src.url)}, &c.AWSCLI},
	}
	c.Variants = make([]variantFigure, len(variants))
	for i, vv := range variants {
		c.Variants[i].Name = vv.name
		runs = append(runs, struct {
			what string
			cmd  validator
			fig  *validatorFigure
		}{vv.name, validator{name: vv.binary, args: append(slices.Clone(dtArgs), vv.args...), env: dtEnv}, &c.Variants[i].validatorFigure})
	}
	for _, r := range runs {
		r.cmd.store = src.storePid
		r.cmd.proxyCPU = src.proxyCPU
		warm, err := r.cmd.run(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s on %s: %w", r.what, src.name, err)
		}
		r.fig.WarmupSeconds = round(warm.seconds)
		res, err := r.cmd.run(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s on %s: %w", r.what, src.name, err)
		}
		res.fill(r.fig)
		r.fig.Command = strings.TrimPrefix(r.cmd.name, filepath.Dir(r.cmd.name)+"/") + " " + strings.Join(r.cmd.args, " ")
		log.Printf("validation %s: %s: exit %d in %.2f s (warm-up %.2f s; CPU %.2f s, store %.2f s): %d/%d digest files, %d/%d log files valid",
			src.name, r.what, r.fig.Exit, r.fig.Seconds, r.fig.WarmupSeconds, r.fig.CPUSeconds, r.fig.StoreCPUSeconds,
			r.fig.DigestsValid, r.fig.DigestsTotal, r.fig.LogsValid, r.fig.LogsTotal)
	}
	c.DeploytrailSeconds, c.AWSCLISeconds = c.Deploytrail.Seconds, c.AWSCLI.Seconds
	c.Ratio = ratio(c.AWSCLISeconds, c.DeploytrailSeconds)
	var problems []string
	for _, r := range runs {
		if !r.fig.allValid() {
			problems = append(problems, fmt.Sprintf("%s: exit %d, %d/%d digest files and %d/%d log files valid",
				r.what, r.fig.Exit, r.fig.DigestsValid, r.fig.DigestsTotal, r.fig.LogsValid, r.fig.LogsTotal))
		}
		if r.fig.DigestsTotal != c.AWSCLI.DigestsTotal || r.fig.LogsTotal != c.AWSCLI.LogsTotal {
			problems = append(problems, fmt.Sprintf("%s checked another chain than aws: %d digests, %d log files; aws %d, %d",
				r.what, r.fig.DigestsTotal, r.fig.LogsTotal, c.AWSCLI.DigestsTotal, c.AWSCLI.LogsTotal))
		}
	}
	if len(problems) > 0 {
		c.Error = strings.Join(problems, "; ")
	}
	return c, nil
}

// buildChain sends calls at a steady rate until the chain has
// wantDigests digests listing wantLogs log files, and returns how many
// calls it made. The rate is one digest's share of the log files a
// second (a log file holds one or two events at validationMaxLogBytes):
// under a heavier load the deliverer keeps delivering in a loop and the
// digests, written after each pass, fall far behind the interval. Every
// eighth call creates an application (up to 900, under CodeDeploy's 1000
// per region); the rest read one.
func buildChain(ctx context.Context, t *target, clients int, ch *chainReader, wantDigests, wantLogs int) (int64, int, error) {
	cd := t.codeDeploy("us-east-1")
	if _, err := cd.CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("bench-read")}); err != nil {
		return 0, 0, fmt.Errorf("create application: %w", err)
	}
	read := &codedeploy.GetApplicationInput{ApplicationName: aws.String("bench-read")}
	rate := (wantLogs + wantDigests - 1) / wantDigests
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	var calls atomic.Int64
	loadCtx, stopLoad := context.WithCancel(ctx)
	done := make(chan *loadResult, 1)
	go func() {
		done <- drive(loadCtx, clients, -1, func(ctx context.Context, i int) error {
			select {
			case <-ctx.Done():
				return errExhausted
			case <-tick.C:
			}
			calls.Add(1)
			if i%8 == 0 && i/8 < 900 {
				_, err := cd.CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String(fmt.Sprintf("bench-v-%d", i/8))})
				return err
			}
			_, err := cd.GetApplication(ctx, read)
			return err
		})
	}()
	err := ch.waitFor(ctx, wantDigests, wantLogs, chainTimeout)
	stopLoad()
	res := <-done
	if err == nil && res.Errors > 0 {
		err = fmt.Errorf("%d calls failed, the first: %s", res.Errors, res.FirstError)
	}
	return calls.Load(), rate, err
}

// chainReader counts the digests of one account and region and the log
// files they list, reading each digest once.
type chainReader struct {
	bucket objstore.Bucket
	dir    string
	logs   map[string]int // log files listed, by digest key
}

func (c *chainReader) count(ctx context.Context) (digests, logs int, err error) {
	for after := ""; ; {
		objs, err := c.bucket.List(ctx, c.dir, after, 0)
		if err != nil {
			return 0, 0, err
		}
		for _, o := range objs {
			if _, ok := c.logs[o.Key]; ok {
				continue
			}
			obj, err := c.bucket.Get(ctx, o.Key)
			if err != nil {
				return 0, 0, err
			}
			d, _, err := digest.Parse(obj.Body)
			if err != nil {
				return 0, 0, fmt.Errorf("%s: %w", o.Key, err)
			}
			c.logs[o.Key] = len(d.LogFiles)
		}
		if len(objs) < objstore.DefaultListMax {
			break
		}
		after = objs[len(objs)-1].Key
	}
	for _, n := range c.logs {
		logs += n
	}
	return len(c.logs), logs, nil
}

// waitFor polls every 500 ms until the chain has at least digests
// digests listing at least logs log files.
func (c *chainReader) waitFor(ctx context.Context, digests, logs int, limit time.Duration) error {
	var d, l int
	last := time.Now()
	for deadline := time.Now().Add(limit); ; {
		var err error
		if d, l, err = c.count(ctx); err != nil {
			return fmt.Errorf("read digests: %w", err)
		}
		if d >= digests && l >= logs {
			return nil
		}
		if time.Since(last) >= 5*time.Second {
			log.Printf("  chain: %d digests, %d log files", d, l)
			last = time.Now()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %v the chain has %d digests and %d log files, want %d and %d", limit, d, l, digests, logs)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// startValidatedTrail creates a single-region trail with log file
// validation and starts it; it returns the trail's ARN.
func startValidatedTrail(ctx context.Context, t *target) (string, error) {
	ct := t.cloudTrail("us-east-1")
	out, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String(validationTrail),
		S3BucketName: aws.String(validationBucket), EnableLogFileValidation: aws.Bool(true)})
	if err != nil {
		return "", fmt.Errorf("create trail: %w", err)
	}
	if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String(validationTrail)}); err != nil {
		return "", fmt.Errorf("start logging: %w", err)
	}
	return aws.ToString(out.TrailARN), nil
}

// validator is one validate-logs command line.
type validator struct {
	name  string
	args  []string
	env   []string
	store int // pid of the object store, whose CPU time is measured too
	// proxyCPU, when set, is the CPU of the delaying proxy in front of it.
	proxyCPU func() float64
}

type validatorRun struct {
	seconds        float64
	exit           int
	stdout, stderr string
	cpu, storeCPU  float64
	proxyCPU       float64
}

// run runs the command to its end; only a failure to run it (or a kill)
// is an error, an exit status is a result.
func (v validator) run(ctx context.Context) (*validatorRun, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, v.name, v.args...)
	cmd.Env = v.env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	var proxy0 float64
	if v.proxyCPU != nil {
		proxy0 = v.proxyCPU()
	}
	t0, store0 := time.Now(), processCPU(v.store)
	err := cmd.Run()
	r := &validatorRun{seconds: time.Since(t0).Seconds(), stdout: stdout.String(), stderr: stderr.String(),
		storeCPU: processCPU(v.store) - store0}
	if v.proxyCPU != nil {
		r.proxyCPU = v.proxyCPU() - proxy0
	}
	if st := cmd.ProcessState; st != nil {
		r.cpu = (st.UserTime() + st.SystemTime()).Seconds()
	}
	if exit, ok := errors.AsType[*exec.ExitError](err); ok && ctx.Err() == nil {
		r.exit = exit.ExitCode()
	} else if err != nil {
		return nil, fmt.Errorf("%v\nstdout:\n%s\nstderr:\n%s", err, tail(r.stdout), tail(r.stderr))
	}
	return r, nil
}

var summaryLine = regexp.MustCompile(`^(\d+)/(\d+) (digest|log) files valid`)

func (r *validatorRun) fill(f *validatorFigure) {
	f.Seconds, f.Exit = round(r.seconds), r.exit
	f.CPUSeconds, f.StoreCPUSeconds, f.ProxyCPUSeconds = round(r.cpu), round(r.storeCPU), round(r.proxyCPU)
	f.Summary = nil
	inSummary := false
	for line := range strings.Lines(r.stdout) {
		line = strings.TrimRight(line, "\n")
		if strings.HasPrefix(line, "Results requested for") {
			inSummary = true
		}
		if inSummary && line != "" {
			f.Summary = append(f.Summary, line)
		}
		if m := summaryLine.FindStringSubmatch(line); m != nil {
			valid, _ := strconv.Atoi(m[1])
			total, _ := strconv.Atoi(m[2])
			if m[3] == "digest" {
				f.DigestsValid, f.DigestsTotal = valid, total
			} else {
				f.LogsValid, f.LogsTotal = valid, total
			}
		}
	}
	if !f.allValid() {
		f.Output = "stdout:\n" + tail(r.stdout) + "\nstderr:\n" + tail(r.stderr)
	}
}

func (f *validatorFigure) allValid() bool {
	return f.Exit == 0 && f.DigestsTotal > 0 && f.DigestsValid == f.DigestsTotal && f.LogsTotal > 0 && f.LogsValid == f.LogsTotal
}

// tail is the end of a long output.
func tail(s string) string {
	const max = 4000
	if len(s) > max {
		return "…" + s[len(s)-max:]
	}
	return s
}

// credentialEnv is the environment of both validators: the shared key,
// us-east-1, no profile or configuration of the caller's (no AWS_* or
// DEPLOYTRAIL_* variable leaks in), and path-style S3 for the AWS CLI.
func credentialEnv(dir, keyID, secret string) []string {
	config := filepath.Join(dir, "aws-config")
	os.WriteFile(config, []byte("[default]\ns3 =\n  addressing_style = path\n"), 0o600)
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "DEPLOYTRAIL_")
	})
	return append(env, "AWS_ACCESS_KEY_ID="+keyID, "AWS_SECRET_ACCESS_KEY="+secret, "AWS_DEFAULT_REGION=us-east-1",
		"AWS_REGION=us-east-1", "AWS_CONFIG_FILE="+config, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull, "AWS_PAGER=")
}

// findMinIOBinary is the minio binary scripts/minio.sh would use: on
// PATH, else in GOBIN or GOPATH/bin; "" when there is none.
func findMinIOBinary() string {
	if p, err := exec.LookPath("minio"); err == nil {
		return p
	}
	for _, v := range []string{"GOBIN", "GOPATH"} {
		out, err := exec.Command("go", "env", v).Output()
		dir := strings.TrimSpace(strings.Split(string(out), string(os.PathListSeparator))[0])
		if err != nil || dir == "" {
			continue
		}
		if v == "GOPATH" {
			dir = filepath.Join(dir, "bin")
		}
		if _, err := os.Stat(filepath.Join(dir, "minio")); err == nil {
			return filepath.Join(dir, "minio")
		}
	}
	return ""
}

// startMinIOWithKey starts MinIO directly (scripts/minio.sh generates its
// own root user) with keyID/secret as its root user, secrets in the
// environment only, and waits until it is live.
func (e *env) startMinIOWithKey(ctx context.Context, bin, dir, keyID, secret string) (*child, error) {
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cport, err := freePort()
	if err != nil {
		return nil, err
	}
	kms := make([]byte, 32)
	rand.Read(kms)
	cmd := exec.Command(bin, "server", "--quiet", "--address", fmt.Sprintf("127.0.0.1:%d", port),
		"--console-address", fmt.Sprintf("127.0.0.1:%d", cport), filepath.Join(dir, "data"))
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+keyID, "MINIO_ROOT_PASSWORD="+secret,
		"MINIO_KMS_SECRET_KEY=deploytrail-test-key:"+base64.StdEncoding.EncodeToString(kms), "MINIO_BROWSER=off", "MINIO_UPDATE=off")
	c, stdout, err := e.start(cmd, filepath.Join(dir, "minio.log"))
	if err != nil {
		return nil, err
	}
	go io.Copy(io.Discard, stdout)
	c.url = fmt.Sprintf("http://127.0.0.1:%d", port)
	if _, err := c.awaitHTTP(ctx, c.url+"/minio/health/live", 60*time.Second); err != nil {
		c.stop()
		return nil, fmt.Errorf("minio: %w", err)
	}
	return c, nil
}
