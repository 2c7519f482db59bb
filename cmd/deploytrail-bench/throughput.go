package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/deploytrail/deploytrail/internal/app"
	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// throughputReport is workload 4: a backlog of stored events written into
// log files, beside gzip -6 compressing the same records.
type throughputReport struct {
	Events         int     `json:"stored_events"`
	RecordSeconds  float64 `json:"record_seconds"`
	RecordRate     float64 `json:"record_events_per_second"`
	DeliverSeconds float64 `json:"deliver_seconds"`
	// Delivered are the stored events the trail selects: those of its
	// account (about 90 %), plus the trail's own calls.
	Delivered       int      `json:"delivered_events"`
	Files           int      `json:"files"`
	EventsPerSecond float64  `json:"events_per_second"`
	MBPerSecond     float64  `json:"mb_per_second_uncompressed"`
	RecordsMB       float64  `json:"records_json_mb"`
	CompressedMB    float64  `json:"log_files_mb"`
	Gzip            *gzipRun `json:"gzip_6"`
	RatioToGzip     *float64 `json:"ratio_to_gzip_events_per_second"`
}

type gzipRun struct {
	Seconds         float64 `json:"seconds"`
	EventsPerSecond float64 `json:"events_per_second"`
	MBPerSecond     float64 `json:"mb_per_second_uncompressed"`
}

// runBacklog records one history of s.Events events (mostly in the
// benchmark's account, some in another, in two regions) for workloads 4
// and 5: it times delivering it to a multi-region trail, then the
// lookups.
func runBacklog(ctx context.Context, e *env, s settings, deliver, lookup bool) (*throughputReport, *historyReport, error) {
	dir, err := e.mkdir("backlog")
	if err != nil {
		return nil, nil, err
	}
	// An hour's interval: the only delivery of the backlog is the one
	// timed here.
	p, err := openApp(ctx, dir, func(c *app.Config) { c.DeliveryInterval = time.Hour })
	if err != nil {
		return nil, nil, err
	}
	defer p.close()
	if err := startInprocTrail(ctx, p); err != nil {
		return nil, nil, err
	}
	tp := &throughputReport{Events: s.Events}
	recordsPath := filepath.Join(e.dir, "records.json")
	ids, err := backlog(ctx, p, s.Events, recordsPath, tp)
	if err != nil {
		return nil, nil, err
	}
	if deliver {
		if err := timeDelivery(ctx, p, recordsPath, tp); err != nil {
			return nil, nil, err
		}
	} else {
		tp = nil
	}
	if !lookup {
		return tp, nil, nil
	}
	h, err := runHistory(ctx, p, s, ids)
	return tp, h, err
}

// timeDelivery delivers the backlog and compares with gzip.
func timeDelivery(ctx context.Context, p *inproc, recordsPath string, rep *throughputReport) error {
	log.Printf("delivery throughput: delivering the backlog")
	t0 := time.Now()
	if err := p.app.Delivery.Deliver(ctx); err != nil {
		return err
	}
	elapsed := time.Since(t0)
	if err := countDelivered(ctx, p.app.Buckets, rep); err != nil {
		return err
	}
	rep.DeliverSeconds = round(elapsed.Seconds())
	rep.EventsPerSecond = round(float64(rep.Delivered) / elapsed.Seconds())
	rep.MBPerSecond = round(rep.RecordsMB / elapsed.Seconds())
	var err error
	if rep.Gzip, err = timeGzip(ctx, recordsPath, rep.Delivered); err != nil {
		return err
	}
	rep.RatioToGzip = ratio(rep.EventsPerSecond, rep.Gzip.EventsPerSecond)
	return nil
}

// startInprocTrail serves p long enough to create and start the trail
// through the API, then stops serving (which delivers what is pending).
func startInprocTrail(ctx context.Context, p *inproc) error {
	if err := app.CreateBucket(ctx, p.app.Buckets, p.app.BucketPolicies, benchBucket, ""); err != nil {
		return err
	}
	if err := p.serve(ctx); err != nil {
		return err
	}
	if err := startTrail(ctx, p.target(1), benchBucket); err != nil {
		return err
	}
	return p.stopServing()
}

// backlog records n events and writes the JSON of those the trail
// delivers (the benchmark account's), as one CloudTrail log document, to
// path for gzip. It returns a sample of event ids for lookups.
func backlog(ctx context.Context, p *inproc, n int, path string, rep *throughputReport) ([]string, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString(`{"Records":[`)
	var size int64
	var ids []string
	gen := historyGenerator(n)
	log.Printf("backlog: recording %d events", n)
	t0 := time.Now()
	err = record(ctx, p.app.DB, n, func(i int) *trail.Event {
		ev := gen(i)
		if ev.RecipientAccountID != benchAccount {
			return ev
		}
		if lookupSample(i, ev) {
			ids = append(ids, ev.EventID)
		}
		b, err := ev.JSON()
		if err != nil {
			panic(err) // the store's Record fails on it first
		}
		if size > 0 {
			w.WriteByte(',')
		}
		size += int64(len(b))
		w.Write(b)
		return ev
	})
	if err != nil {
		return nil, err
	}
	d := time.Since(t0)
	rep.RecordSeconds = round(d.Seconds())
	rep.RecordRate = round(float64(n) / d.Seconds())
	rep.RecordsMB = round(float64(size) / 1e6)
	w.WriteString("]}")
	return ids, w.Flush()
}

// countDelivered counts the log files in the benchmark bucket and the
// events in them, read through the bucket store (the files on disk are
// encrypted).
func countDelivered(ctx context.Context, buckets objstore.Provider, rep *throughputReport) error {
	b, err := buckets.Bucket(benchBucket)
	if err != nil {
		return err
	}
	var compressed int64
	marker := []byte(`"eventID":`)
	for after := ""; ; {
		page, err := b.List(ctx, "", after, 0)
		if err != nil || len(page) == 0 {
			rep.CompressedMB = round(float64(compressed) / 1e6)
			return err
		}
		for _, o := range page {
			after = o.Key
			if !strings.HasSuffix(o.Key, ".json.gz") {
				continue
			}
			n, err := countEvents(ctx, b, o.Key, marker)
			if err != nil {
				return err
			}
			compressed += o.Size
			rep.Files++
			rep.Delivered += n
		}
	}
}

// countEvents counts marker in the gunzipped object.
func countEvents(ctx context.Context, b objstore.Bucket, key string, marker []byte) (int, error) {
	obj, err := b.Get(ctx, key)
	if err != nil {
		return 0, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(obj.Body))
	if err != nil {
		return 0, err
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		return 0, err
	}
	return bytes.Count(body, marker), nil
}

// timeGzip times gzip -6 compressing the records file to /dev/null.
func timeGzip(ctx context.Context, path string, events int) (*gzipRun, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	defer null.Close()
	cmd := exec.CommandContext(ctx, "gzip", "-6", "-c", path)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = null, &stderr
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("gzip: %v: %s", err, stderr.Bytes())
	}
	d := time.Since(t0).Seconds()
	return &gzipRun{Seconds: round(d), EventsPerSecond: round(float64(events) / d), MBPerSecond: round(float64(st.Size()) / 1e6 / d)}, nil
}
