package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	ctypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// s3Report is the S3 workload (issue 13): the same aws-sdk-go-v2 S3
// client against MinIO and two deploytrail binaries, all with data on the
// same disk, each case run in rounds that alternate the servers.
type s3Report struct {
	Client  string      `json:"client"`
	Rounds  int         `json:"rounds"`
	Servers []s3Server  `json:"servers"`
	Cases   []*s3Case   `json:"cases"`
	Totals  []s3Total   `json:"totals"`
	Notes   []string    `json:"notes"`
	Setup   s3SetupInfo `json:"setup"`
}

type s3SetupInfo struct {
	DataDisk string `json:"data_dir"`
}

// s3Server names one server and what it does on each PUT.
type s3Server struct {
	Name   string `json:"name"`
	PerPut string `json:"per_put"`
}

// s3Case is one operation, object size and concurrency against every server.
type s3Case struct {
	Op      string               `json:"op"`
	SizeMiB int                  `json:"size_mib"`
	Clients int                  `json:"clients"`
	Keys    int                  `json:"keys"`
	Results map[string]*s3Figure `json:"results"`
}

// s3Total is one server's requests and CPU over every case, and its peak
// RSS over the whole run.
type s3Total struct {
	Server     string  `json:"server"`
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors"`
	CPUSeconds float64 `json:"server_cpu_seconds"`
	PeakRSSMB  float64 `json:"server_peak_rss_mb"`
}

// s3Figure is one server's figures in one case.
type s3Figure struct {
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors"`
	FirstError string  `json:"first_error,omitempty"`
	Seconds    float64 `json:"seconds"`
	MBps       float64 `json:"mb_per_second"` // 10^6 bytes of object data
	Latency    latency `json:"latency"`
	// CPUSeconds is the server's user+system CPU during its own slices;
	// PeakRSSMB its VmHWM, reset when the case began.
	CPUSeconds float64 `json:"server_cpu_seconds"`
	PeakRSSMB  float64 `json:"server_peak_rss_mb"`
	// Audit is deploytrail's group commits during the case (from
	// /metrics); nil for MinIO.
	Audit   *auditFigure `json:"audit,omitempty"`
	samples []time.Duration
}

// s3Endpoint is a server under test with its client.
type s3Endpoint struct {
	name   string
	proc   *child
	client *s3.Client
}

const (
	s3Bucket = "bench-s3"
	s3Rounds = 3
	mib      = 1 << 20
)

// s3Shapes are the cases: 1 MiB objects from 1 and 8 clients, 64 MiB
// from 1 and 4; keys is how many distinct objects each case cycles over.
var s3Shapes = []struct{ sizeMiB, keys int }{{1, 256}, {64, 8}}

func clientsFor(sizeMiB int) []int {
	if sizeMiB >= 64 {
		return []int{1, 4}
	}
	return []int{1, 8}
}

// runS3 starts the three servers and measures every case.
func runS3(ctx context.Context, e *env, s settings) (*s3Report, error) {
	bin := findMinIOBinary()
	if bin == "" {
		return nil, errors.New("no minio binary on PATH or in $(go env GOPATH)/bin")
	}
	dir, err := e.mkdir("s3")
	if err != nil {
		return nil, err
	}
	eps, err := startS3Servers(ctx, e, bin, dir)
	if err != nil {
		return nil, err
	}
	rep := &s3Report{Rounds: s3Rounds, Setup: s3SetupInfo{DataDisk: dir}, Servers: s3Servers, Notes: s3Notes,
		Client: "aws-sdk-go-v2 service/s3, path style, us-east-1, SDK defaults otherwise (SigV4 with the payload's SHA-256 over http, CRC32 checksum), RetryMaxAttempts 1, one http.Transport per server"}
	for _, shape := range s3Shapes {
		payload := make([]byte, shape.sizeMiB*mib)
		rand.Read(payload)
		if err := prepareGets(ctx, eps, payload, shape.sizeMiB, shape.keys); err != nil {
			return nil, err
		}
		for _, op := range []string{"PutObject", "GetObject"} {
			for _, clients := range clientsFor(shape.sizeMiB) {
				c := &s3Case{Op: op, SizeMiB: shape.sizeMiB, Clients: clients, Keys: shape.keys, Results: map[string]*s3Figure{}}
				runS3Case(ctx, eps, c, payload, s.Duration)
				rep.Cases = append(rep.Cases, c)
			}
		}
	}
	rep.Totals = s3Totals(eps, rep.Cases)
	return rep, nil
}

var s3Servers = []s3Server{
	{Name: "minio", PerPut: "MinIO's defaults (single drive, no server-side encryption unless asked for): SigV4 verify, SHA-256 of a signed payload, MD5 for the ETag, its own durability"},
	{Name: "deploytrail", PerPut: "SigV4 verify, SHA-256 of a signed payload, MD5 (ETag), the SDK's CRC32 checked, AES-256-GCM seal in 64 KiB segments, fsync of data and sidecar files and of both directories; no trail selects data events"},
	{Name: "deploytrail_data_events", PerPut: "as deploytrail, plus a logging trail whose basic event selector selects every AWS::S3::Object data event: an audit event committed with each PUT and GET"},
}

var s3Notes = []string{
	"Each case runs the servers in rounds: every round gives each server duration/rounds, the first server rotating each round, so that machine noise falls on all of them.",
	"Client and servers share the machine's CPUs; only one server is under load at a time.",
	"GetObject reads objects written before the case (keys objects, round robin), through the page cache on every server.",
}

// startS3Servers starts MinIO and two deploytrails with the bench key and
// creates the benchmark bucket on each.
func startS3Servers(ctx context.Context, e *env, bin, dir string) ([]*s3Endpoint, error) {
	m, err := e.startMinIOWithKey(ctx, bin, filepath.Join(dir, "minio"), benchKeyID, benchSecret)
	if err != nil {
		return nil, err
	}
	eps := []*s3Endpoint{{name: "minio", proc: m}}
	for _, name := range []string{"deploytrail", "deploytrail_data_events"} {
		data := filepath.Join(dir, name)
		if err := os.Mkdir(data, 0o700); err != nil {
			return nil, err
		}
		dt, err := e.startDeploytrail(ctx, data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		eps = append(eps, &s3Endpoint{name: name, proc: dt})
	}
	for _, ep := range eps {
		t := newTarget(ep.proc.url, benchKeyID, benchSecret, 8)
		ep.client = s3.NewFromConfig(t.config("us-east-1"), func(o *s3.Options) { o.UsePathStyle = true })
		if _, err := ep.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(s3Bucket)}); err != nil {
			return nil, fmt.Errorf("%s: create bucket: %w", ep.name, err)
		}
		if ep.name == "deploytrail_data_events" {
			if err := startDataEventTrail(ctx, t); err != nil {
				return nil, err
			}
		}
	}
	log.Printf("s3: MinIO at %s, deploytrail at %s and %s (data events)", eps[0].proc.url, eps[1].proc.url, eps[2].proc.url)
	return eps, nil
}

// startDataEventTrail makes a logging trail that selects every S3 object
// data event besides management events.
func startDataEventTrail(ctx context.Context, t *target) error {
	ct := t.cloudTrail("us-east-1")
	name := aws.String("bench-data-events")
	if _, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: name, S3BucketName: aws.String(benchBucket)}); err != nil {
		return fmt.Errorf("create trail: %w", err)
	}
	_, err := ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: name, EventSelectors: []ctypes.EventSelector{{
		ReadWriteType: ctypes.ReadWriteTypeAll, IncludeManagementEvents: aws.Bool(true),
		DataResources: []ctypes.DataResource{{Type: aws.String("AWS::S3::Object"), Values: []string{"arn:aws:s3"}}},
	}}})
	if err != nil {
		return fmt.Errorf("put event selectors: %w", err)
	}
	if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: name}); err != nil {
		return fmt.Errorf("start logging: %w", err)
	}
	return nil
}

// prepareGets writes the objects the GetObject cases read.
func prepareGets(ctx context.Context, eps []*s3Endpoint, payload []byte, sizeMiB, keys int) error {
	for _, ep := range eps {
		r := runN(ctx, 4, keys, func(ctx context.Context, i int) error {
			return putObject(ctx, ep.client, s3Key("get", sizeMiB, i), payload)
		})
		if r.Errors > 0 {
			return fmt.Errorf("%s: prepare %d MiB objects: %s", ep.name, sizeMiB, r.FirstError)
		}
	}
	return nil
}

func s3Key(op string, sizeMiB, i int) string { return fmt.Sprintf("%s/%dmib/%04d", op, sizeMiB, i) }

func putObject(ctx context.Context, c *s3.Client, key string, payload []byte) error {
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s3Bucket), Key: aws.String(key),
		Body: bytes.NewReader(payload), ContentLength: aws.Int64(int64(len(payload)))})
	return err
}

func getObject(ctx context.Context, c *s3.Client, key string, size int) error {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s3Bucket), Key: aws.String(key)})
	if err != nil {
		return err
	}
	defer out.Body.Close()
	n, err := io.Copy(io.Discard, out.Body)
	if err == nil && n != int64(size) {
		err = fmt.Errorf("read %d bytes of %q, want %d", n, key, size)
	}
	return err
}

// runS3Case runs one case against every server in alternating rounds.
func runS3Case(ctx context.Context, eps []*s3Endpoint, c *s3Case, payload []byte, d time.Duration) {
	slice := d / s3Rounds
	for _, ep := range eps {
		resetPeakRSS(ep.proc)
		c.Results[ep.name] = &s3Figure{}
	}
	before := map[string]promSample{}
	for _, ep := range eps {
		before[ep.name] = scrapeAudit(ctx, ep)
	}
	for round := range s3Rounds {
		for k := range eps {
			ep := eps[(round+k)%len(eps)]
			cpu0 := ep.proc.cpuSeconds()
			r := runSlice(ctx, c, slice, s3Op(ep.client, c, payload))
			c.Results[ep.name].add(r, ep.proc.cpuSeconds()-cpu0)
		}
	}
	for _, ep := range eps {
		f := c.Results[ep.name]
		f.finish(int64(c.SizeMiB) * mib)
		f.PeakRSSMB = ep.proc.peakRSS()
		f.Audit = auditDelta(before[ep.name], scrapeAudit(ctx, ep))
		log.Printf("  s3 %s %d MiB × %d clients, %s: %.1f MB/s, p50 %.1f ms, p99 %.1f ms, CPU %.1f s, %d errors; audit %+v",
			c.Op, c.SizeMiB, c.Clients, ep.name, f.MBps, f.Latency.P50, f.Latency.P99, f.CPUSeconds, f.Errors, f.Audit)
	}
}

// runSlice is one server's turn in a round. Small objects run closed-loop
// for the slice; 64 MiB objects a fixed number of requests (a second's
// worth per client, at least two), since a time limit would cut off
// requests that take most of a second and count none of them.
func runSlice(ctx context.Context, c *s3Case, slice time.Duration, fn op) *loadResult {
	if c.SizeMiB < 64 {
		return runLoad(ctx, c.Clients, slice, fn)
	}
	return runN(ctx, c.Clients, c.Clients*max(2, int(slice/time.Second)), fn)
}

// s3Op is request i of a case: PUTs cycle over the case's keys, GETs
// over the objects prepareGets wrote.
func s3Op(c *s3.Client, sc *s3Case, payload []byte) op {
	if sc.Op == "PutObject" {
		return func(ctx context.Context, i int) error {
			return putObject(ctx, c, s3Key("put", sc.SizeMiB, i%sc.Keys), payload)
		}
	}
	return func(ctx context.Context, i int) error {
		return getObject(ctx, c, s3Key("get", sc.SizeMiB, i%sc.Keys), len(payload))
	}
}

func (f *s3Figure) add(r *loadResult, cpu float64) {
	f.Errors += r.Errors
	if f.FirstError == "" {
		f.FirstError = r.FirstError
	}
	f.Seconds += r.Seconds
	f.CPUSeconds += cpu
	f.samples = append(f.samples, r.samples...)
}

// finish computes the totals of the rounds: MB/s of objects of size bytes.
func (f *s3Figure) finish(size int64) {
	f.Requests = len(f.samples)
	f.Latency = summarize(f.samples)
	f.Seconds, f.CPUSeconds = round(f.Seconds), round(f.CPUSeconds)
	if f.Seconds > 0 {
		f.MBps = round(float64(int64(f.Requests)*size) / 1e6 / f.Seconds)
	}
}

// s3Totals adds up each server's cases.
func s3Totals(eps []*s3Endpoint, cases []*s3Case) []s3Total {
	var out []s3Total
	for _, ep := range eps {
		t := s3Total{Server: ep.name}
		for _, c := range cases {
			f := c.Results[ep.name]
			t.Requests += f.Requests
			t.Errors += f.Errors
			t.CPUSeconds += f.CPUSeconds
			t.PeakRSSMB = max(t.PeakRSSMB, f.PeakRSSMB)
		}
		t.CPUSeconds = round(t.CPUSeconds)
		out = append(out, t)
	}
	return out
}

// resetPeakRSS starts the child's VmHWM afresh (Linux: clear_refs 5), so
// that each case's peak is its own.
func resetPeakRSS(c *child) {
	os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", c.cmd.Process.Pid), []byte("5"), 0)
}
