package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"

	"github.com/deploytrail/deploytrail/internal/app"
	"github.com/deploytrail/deploytrail/internal/objstore"
)

// deliveryReport is workload 3: from an API response to its event being
// readable in the trail's bucket.
type deliveryReport struct {
	IntervalSeconds float64         `json:"interval_seconds"`
	OfferedRPS      int             `json:"offered_requests_per_second"`
	Seconds         float64         `json:"load_seconds"`
	PollMS          float64         `json:"bucket_poll_interval_ms"`
	File            *deliveryFigure `json:"file"`
	MinIO           *deliveryFigure `json:"minio"`
	MinIOReason     string          `json:"minio_reason,omitempty"`
}

type deliveryFigure struct {
	Sent      int `json:"sent"`
	Delivered int `json:"delivered"`
	// Files is how many log files the trail got during the run.
	Files   int     `json:"log_files"`
	Latency latency `json:"latency"`
}

const (
	steadyRate = 200 // requests per second
	pollEvery  = 25 * time.Millisecond
)

func runDeliveryLatency(ctx context.Context, e *env, s settings) (*deliveryReport, error) {
	d := 30 * time.Second
	if s.Quick {
		d = 5 * time.Second
	}
	rep := &deliveryReport{IntervalSeconds: s.Delivery.Seconds(), OfferedRPS: steadyRate, Seconds: d.Seconds(), PollMS: ms(pollEvery)}
	log.Printf("delivery latency: file backend")
	var err error
	if rep.File, err = measureDelivery(ctx, e, s, d, nil); err != nil {
		return nil, fmt.Errorf("file: %w", err)
	}
	s3, stop, reason := findMinIO(ctx, e)
	if s3 == nil {
		rep.MinIOReason = reason
		return rep, nil
	}
	defer stop()
	log.Printf("delivery latency: MinIO backend at %s", s3.endpoint)
	if rep.MinIO, err = measureDelivery(ctx, e, s, d, s3); err != nil {
		rep.MinIOReason = err.Error()
	}
	return rep, nil
}

// s3Settings name an S3-compatible service.
type s3Settings struct{ endpoint, region, keyID, secret string }

// findMinIO uses the MinIO that DEPLOYTRAIL_TEST_S3_* name, else starts
// one with scripts/minio.sh when a minio binary is installed.
func findMinIO(ctx context.Context, e *env) (*s3Settings, func(), string) {
	s, stop, reason := minIO(ctx, e)
	if s != nil && s.region == "" {
		s.region = "us-east-1"
	}
	return s, stop, reason
}

func minIO(ctx context.Context, e *env) (*s3Settings, func(), string) {
	if ep := os.Getenv("DEPLOYTRAIL_TEST_S3_ENDPOINT"); ep != "" {
		return &s3Settings{endpoint: ep, region: os.Getenv("DEPLOYTRAIL_TEST_S3_REGION"),
			keyID: os.Getenv("DEPLOYTRAIL_TEST_S3_ACCESS_KEY_ID"), secret: os.Getenv("DEPLOYTRAIL_TEST_S3_SECRET_ACCESS_KEY")}, func() {}, ""
	}
	if !haveMinIO() {
		return nil, nil, "no MinIO: DEPLOYTRAIL_TEST_S3_ENDPOINT is unset and no minio binary is on PATH or in $(go env GOPATH)/bin"
	}
	script := filepath.Join(moduleRoot(), "scripts", "minio.sh")
	dir := filepath.Join(e.dir, "minio")
	out, err := exec.CommandContext(ctx, "bash", script, "start", dir).Output()
	if err != nil {
		return nil, nil, fmt.Sprintf("scripts/minio.sh start: %v", err)
	}
	s := &s3Settings{}
	for _, line := range strings.Split(string(out), "\n") {
		k, v, _ := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		v = strings.Trim(v, `'"`)
		switch k {
		case "DEPLOYTRAIL_TEST_S3_ENDPOINT":
			s.endpoint = v
		case "DEPLOYTRAIL_TEST_S3_ACCESS_KEY_ID":
			s.keyID = v
		case "DEPLOYTRAIL_TEST_S3_SECRET_ACCESS_KEY":
			s.secret = v
		}
	}
	stop := func() { exec.Command("bash", script, "stop", dir).Run() }
	return s, stop, ""
}

func haveMinIO() bool {
	if _, err := exec.LookPath("minio"); err == nil {
		return true
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return false
	}
	_, err = os.Stat(filepath.Join(strings.TrimSpace(string(out)), "bin", "minio"))
	return err == nil
}

// measureDelivery runs deploytrail with a logging trail delivering to s3
// (nil: the file backend), sends a steady load for d and times each
// response until its event is readable in the bucket.
func measureDelivery(ctx context.Context, e *env, s settings, d time.Duration, s3 *s3Settings) (*deliveryFigure, error) {
	dir, err := e.mkdir("delivery")
	if err != nil {
		return nil, err
	}
	p, err := openApp(ctx, dir, func(c *app.Config) {
		c.DeliveryInterval = s.Delivery
		if s3 != nil {
			c.S3Endpoint, c.S3Region, c.S3AccessKeyID, c.S3SecretAccessKey = s3.endpoint, s3.region, s3.keyID, s3.secret
		}
	})
	if err != nil {
		return nil, err
	}
	defer p.close()
	name := fmt.Sprintf("bench-trail-%d", time.Now().UnixNano())
	if err := app.CreateBucket(ctx, p.app.Buckets, p.app.BucketPolicies, name, ""); err != nil {
		return nil, err
	}
	bucket, err := p.app.Buckets.Bucket(name)
	if err != nil {
		return nil, err
	}
	if err := p.serve(ctx); err != nil {
		return nil, err
	}
	t := p.target(32)
	if err := startTrail(ctx, t, name); err != nil {
		return nil, err
	}
	cd := t.codeDeploy("us-east-1")
	if _, err := cd.CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("bench-read")}); err != nil {
		return nil, err
	}
	w := &watcher{bucket: bucket, seen: map[string]time.Time{}, read: map[string]bool{}}
	wctx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	go w.run(wctx)
	sent := steadyLoad(ctx, cd, d)
	for deadline := time.Now().Add(10 * s.Delivery); time.Now().Before(deadline) && !w.sawAll(sent); {
		time.Sleep(pollEvery)
	}
	return w.figure(sent), nil
}

// steadyLoad calls GetApplication steadyRate times a second for d and
// returns when each answered, by request id.
func steadyLoad(ctx context.Context, cd *codedeploy.Client, d time.Duration) map[string]time.Time {
	var mu sync.Mutex
	sent := map[string]time.Time{}
	jobs := make(chan struct{}, steadyRate)
	var wg sync.WaitGroup
	in := &codedeploy.GetApplicationInput{ApplicationName: aws.String("bench-read")}
	for range 32 {
		wg.Go(func() {
			for range jobs {
				out, err := cd.GetApplication(ctx, in)
				if err != nil {
					continue
				}
				at := time.Now()
				if id, ok := awsmw.GetRequestIDMetadata(out.ResultMetadata); ok {
					mu.Lock()
					sent[id] = at
					mu.Unlock()
				}
			}
		})
	}
	tick := time.NewTicker(time.Second / steadyRate)
	for end := time.Now().Add(d); time.Now().Before(end) && ctx.Err() == nil; <-tick.C {
		select {
		case jobs <- struct{}{}:
		default: // the server is behind: the offered load is not reached
		}
	}
	tick.Stop()
	close(jobs)
	wg.Wait()
	return sent
}

// watcher polls a bucket and notes when each request's event first
// became readable.
type watcher struct {
	bucket objstore.Bucket
	mu     sync.Mutex
	seen   map[string]time.Time // request id → first readable
	read   map[string]bool      // keys read
}

func (w *watcher) run(ctx context.Context) {
	for ctx.Err() == nil {
		if err := w.poll(ctx); err != nil && ctx.Err() == nil {
			log.Printf("poll bucket: %v", err)
		}
		time.Sleep(pollEvery)
	}
}

func (w *watcher) poll(ctx context.Context) error {
	after := ""
	for {
		objs, err := w.bucket.List(ctx, "AWSLogs/", after, 0)
		if err != nil {
			return err
		}
		for _, o := range objs {
			if !w.read[o.Key] && strings.HasSuffix(o.Key, ".json.gz") {
				if err := w.readFile(ctx, o.Key); err != nil {
					return err
				}
			}
		}
		if len(objs) < objstore.DefaultListMax {
			return nil
		}
		after = objs[len(objs)-1].Key
	}
}

func (w *watcher) readFile(ctx context.Context, key string) error {
	obj, err := w.bucket.Get(ctx, key)
	if err != nil {
		return err
	}
	at := time.Now()
	ids, err := requestIDs(obj.Body)
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.read[key] = true
	for _, id := range ids {
		if _, ok := w.seen[id]; !ok {
			w.seen[id] = at
		}
	}
	return nil
}

// requestIDs reads a gzip log file's records' request ids.
func requestIDs(gz []byte) ([]string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Records []struct {
			RequestID string `json:"requestID"`
		}
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, err
	}
	ids := make([]string, len(doc.Records))
	for i, r := range doc.Records {
		ids[i] = r.RequestID
	}
	return ids, nil
}

func (w *watcher) sawAll(sent map[string]time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id := range sent {
		if _, ok := w.seen[id]; !ok {
			return false
		}
	}
	return true
}

func (w *watcher) figure(sent map[string]time.Time) *deliveryFigure {
	w.mu.Lock()
	defer w.mu.Unlock()
	var lat []time.Duration
	for id, at := range sent {
		if seen, ok := w.seen[id]; ok {
			lat = append(lat, max(0, seen.Sub(at)))
		}
	}
	return &deliveryFigure{Sent: len(sent), Delivered: len(lat), Files: len(w.read), Latency: summarize(lat)}
}
