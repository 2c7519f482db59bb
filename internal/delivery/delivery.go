// Package delivery writes the events each logging trail selects into gzip
// CloudTrail log files in the trail's bucket (spec §7), exactly once.
//
// Each trail has a cursor, the last event seq it delivered, and the seq
// ranges it skips (events recorded while it was stopped, when it was
// restarted before its earlier events were delivered). A delivery
// first records an intent (the seq range and the keys and events of every
// file) in the database, then writes the files, then in one transaction
// advances the cursor and clears the intent. An intent found pending (after
// a crash or a bucket failure) is redone with exactly its keys and events
// before anything newer: objects are written atomically, and writing a key
// again with the same bytes changes nothing, so no event is lost and none
// lands in two files.
//
// It imports objstore (the interface) and cloudtrail's trail types; the
// store implements Store.
package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/cloudtrail"
	"github.com/deploytrail/deploytrail/internal/digest"
	"github.com/deploytrail/deploytrail/internal/objstore"
)

// Defaults of the Deliverer's knobs.
const (
	DefaultInterval     = 30 * time.Second
	DefaultMaxFileBytes = 4 << 20 // uncompressed; far below the 50 MB compressed cap
	DefaultBatchEvents  = 10000
	DefaultMinBackoff   = time.Second
	DefaultMaxBackoff   = time.Minute
	DefaultFlushTimeout = 10 * time.Second
)

// Deliverer delivers every trail's events. Run owns its goroutine; the
// fields are read when Run (or Deliver) starts and must not change after.
type Deliverer struct {
	store    Store
	buckets  objstore.Provider
	policies cloudtrail.BucketPolicies

	// Interval is how often pending events are delivered: a file never
	// spans two intervals.
	Interval time.Duration
	// MaxFileBytes caps a file's uncompressed size; a file holds at least
	// one event.
	MaxFileBytes int
	// BatchEvents bounds the events one intent reads.
	BatchEvents int
	// MinBackoff and MaxBackoff bound the wait before retrying a trail
	// whose bucket failed; it doubles with each failure.
	MinBackoff, MaxBackoff time.Duration
	// FlushTimeout bounds the final delivery when Run's context ends.
	FlushTimeout time.Duration
	Now          func() time.Time
	Logger       *slog.Logger
	// Notifier announces deliveries on trails' SNS topics; nil sends
	// none.
	Notifier Notifier
	// Signer signs digest files; nil writes none.
	Signer Signer
	// DigestInterval is how often each digest chain gets a digest.
	DigestInterval time.Duration
	// OnDelivery and OnDigest, when set, are told about every delivery
	// with files and every digest written, and about their failures.
	OnDelivery func(DeliveryReport)
	OnDigest   func(DigestReport)
	// DataEvents, when set with Owners, records CloudTrail's PutObject of
	// each log and digest file as a data event for the trails that select
	// it (dataevents.go).
	DataEvents *Filter
	Owners     BucketOwners
}

// Notifier publishes to SNS topics as CloudTrail, for a trail.
type Notifier interface {
	Publish(ctx context.Context, topicARN, message, trailARN, account string) error
}

// New returns a Deliverer of the trails of store to buckets. It writes
// only what policies allow, checked before every write: a bucket policy
// changed after CreateTrail stops delivery (LatestDeliveryError
// AccessDenied) until it allows again. Nil policies allow nothing.
func New(store Store, buckets objstore.Provider, policies cloudtrail.BucketPolicies) *Deliverer {
	return &Deliverer{store: store, buckets: buckets, policies: policies, Interval: DefaultInterval, MaxFileBytes: DefaultMaxFileBytes,
		BatchEvents: DefaultBatchEvents, MinBackoff: DefaultMinBackoff, MaxBackoff: DefaultMaxBackoff,
		FlushTimeout: DefaultFlushTimeout, DigestInterval: DefaultDigestInterval, Now: time.Now, Logger: slog.Default()}
}

// Run delivers at once (finishing pending intents) and then every
// Interval until ctx ends; then it makes a last delivery bounded by
// FlushTimeout and returns nil.
func (d *Deliverer) Run(ctx context.Context) error {
	tick := time.NewTicker(d.Interval)
	defer tick.Stop()
	for {
		if err := d.Deliver(ctx); err != nil && ctx.Err() == nil {
			d.Logger.Warn("delivery failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return d.flush(ctx)
		case <-tick.C:
		}
	}
}

func (d *Deliverer) flush(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.FlushTimeout)
	defer cancel()
	if err := d.Deliver(ctx); err != nil {
		d.Logger.Warn("final delivery failed", "err", err)
	}
	return nil
}

// Deliver makes one pass: for every trail with work and not waiting out a
// backoff, it finishes the pending intent and delivers every pending
// event. It returns the trails' errors joined.
func (d *Deliverer) Deliver(ctx context.Context) error {
	targets, err := d.store.Targets(ctx)
	if err != nil {
		return fmt.Errorf("list trails to deliver: %w", err)
	}
	newest, err := d.store.Newest(ctx)
	if err != nil {
		return fmt.Errorf("read the newest event: %w", err)
	}
	var errs []error
	if d.Signer != nil {
		errs = append(errs, d.writePending(ctx))
	}
	for _, tg := range targets {
		if d.Now().Before(tg.RetryAt) {
			continue // backing off a failing bucket, whichever node failed
		}
		err := d.deliverTrail(ctx, tg, newest)
		if err == nil && d.Signer != nil {
			err = d.digestTrail(ctx, tg)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("trail %s: %w", tg.Key, err))
		}
	}
	return errors.Join(errs...)
}

// deliverTrail finishes tg's intent, then delivers batches up to its stop
// point or, for a logging trail, up to newest (the events stored when the
// pass began: one pass per interval, however busy). While a batch's
// files are written, the next batch's events are read (readAhead): at
// most two batches of events are in memory.
func (d *Deliverer) deliverTrail(ctx context.Context, tg *Target, newest int64) error {
	cursor := tg.Cursor
	if tg.Intent != nil {
		if err := d.complete(ctx, tg, tg.Intent); err != nil {
			return err
		}
		cursor = max(cursor, tg.Intent.To)
	}
	end := tg.Until
	if end == 0 {
		end = newest
	}
	var ahead <-chan batchRead
	defer func() {
		if ahead != nil {
			<-ahead // the read ends with the pass, not after it
		}
	}()
	for cursor < end {
		b, err := d.takeBatch(ctx, tg, cursor, end, ahead)
		ahead = nil
		if err != nil {
			return err
		}
		in := d.nextIntent(tg, b)
		if in == nil {
			return nil
		}
		if err := d.store.BeginDelivery(ctx, in); err != nil {
			return err
		}
		if in.To < end {
			ahead = d.readAhead(ctx, tg, in.To, end)
		}
		if err := d.complete(ctx, tg, in); err != nil {
			return err
		}
		cursor = in.To
	}
	return nil
}

// batch is the events of a trail read after cursor for its next intent.
type batch struct {
	cursor int64
	events []*Event
	// upTo is where the read stopped looking (the stop point, the pass's
	// newest event or the next gap), and skip that gap, nil if none.
	upTo int64
	skip *Range
}

type batchRead struct {
	b   *batch
	err error
}

// readAhead reads the batch after cursor in a goroutine of its own.
func (d *Deliverer) readAhead(ctx context.Context, tg *Target, cursor, end int64) <-chan batchRead {
	c := make(chan batchRead, 1)
	go func() {
		b, err := d.readBatch(ctx, tg, cursor, end)
		c <- batchRead{b, err}
	}()
	return c
}

// takeBatch returns the batch after cursor: the one read ahead, or read
// now.
func (d *Deliverer) takeBatch(ctx context.Context, tg *Target, cursor, end int64, ahead <-chan batchRead) (*batch, error) {
	if ahead != nil {
		r := <-ahead
		if r.err != nil || r.b.cursor == cursor {
			return r.b, r.err
		}
	}
	return d.readBatch(ctx, tg, cursor, end)
}

// readBatch reads the next batch of tg's events after cursor: up to end
// or to the next gap, at most BatchEvents.
func (d *Deliverer) readBatch(ctx context.Context, tg *Target, cursor, end int64) (*batch, error) {
	b := &batch{cursor: cursor, upTo: end, skip: nextSkip(tg, cursor)}
	if b.skip != nil {
		b.upTo = b.skip.After
	}
	if b.upTo == 0 || cursor < b.upTo {
		var err error
		if b.events, err = d.store.Events(ctx, query(tg.Trail, cursor, b.upTo, d.BatchEvents)); err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
	}
	return b, nil
}

// nextIntent plans the delivery of b; nil when nothing is left. A batch
// ends at its upTo (the stop point, or the pass's newest event) or at the
// next gap, and a batch that reaches a gap also passes it.
func (d *Deliverer) nextIntent(tg *Target, b *batch) *Intent {
	t, events, to := tg.Trail, b.events, b.cursor
	if len(events) > 0 {
		to = events[len(events)-1].Seq
	}
	if len(events) < d.BatchEvents && b.upTo > 0 {
		to = b.upTo // nothing more in scope before the stop or the gap
		if b.skip != nil {
			to = b.skip.UpTo
		}
	}
	if to == b.cursor {
		return nil
	}
	var selected []*Event
	bySeq := map[int64]*Event{}
	for _, e := range events {
		if Selects(t, e) {
			selected = append(selected, e)
			bySeq[e.Seq] = e
		}
	}
	at := d.Now().UTC()
	in := &Intent{TrailARN: tg.Key, From: b.cursor, To: to, Time: at, Bucket: t.Config.S3BucketName,
		Encryption: encryption(t), Files: plan(t, selected, at, d.MaxFileBytes), events: bySeq}
	if t.Config.LogFileValidationEnabled {
		in.DigestTrail = t.ARN
	}
	return in
}

// nextSkip is the first of tg's skips not behind cursor, nil if none.
func nextSkip(tg *Target, cursor int64) *Range {
	for i := range tg.Skips {
		if tg.Skips[i].UpTo > cursor {
			return &tg.Skips[i]
		}
	}
	return nil
}

// complete writes in's files, announces them on the trail's topic and
// then advances the cursor. On a bucket failure it records the error and
// schedules a retry; the intent stays. The announcement comes before the
// cursor moves so that a crash between them repeats it (SNS is
// at-least-once) rather than losing it.
func (d *Deliverer) complete(ctx context.Context, tg *Target, in *Intent) error {
	rep, err := d.write(ctx, in)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		d.reportDelivery(DeliveryReport{Trail: in.TrailARN, ErrorCode: ErrorCode(err)})
		now := d.Now().UTC()
		return errors.Join(err, d.store.FailDelivery(ctx, in.TrailARN, ErrorCode(err), now, now.Add(d.backoff(tg.Failures))))
	}
	if err := d.notify(ctx, tg, in); err != nil {
		return err
	}
	if err := d.store.FinishDelivery(ctx, in, d.Now().UTC()); err != nil {
		return fmt.Errorf("finish delivery: %w", err)
	}
	if len(in.Files) > 0 {
		d.reportDelivery(rep)
	}
	return nil
}

// write puts every file of in and reports what it wrote. The files are
// compressed in parallel (compressFiles) while the ones before them are
// put, in order.
func (d *Deliverer) write(ctx context.Context, in *Intent) (DeliveryReport, error) {
	rep := DeliveryReport{Trail: in.TrailARN, Files: len(in.Files)}
	in.Records = nil // a write after a failed one records its files afresh
	if len(in.Files) == 0 {
		return rep, nil
	}
	records, err := d.records(ctx, in)
	if err != nil {
		return rep, err
	}
	for _, f := range in.Files {
		if err := d.checkPut(ctx, in.Bucket, f.Key, in.TrailARN); err != nil {
			return rep, err
		}
	}
	bucket, err := d.buckets.Bucket(in.Bucket)
	if err != nil {
		return rep, err
	}
	recs := make([][]string, len(in.Files))
	for i := range in.Files {
		recs[i] = fileRecords(in.Bucket, &in.Files[i], records)
	}
	stop := make(chan struct{})
	defer close(stop)
	bodies, next := compressFiles(recs, stop)
	var oldestEvent time.Time
	for i := range in.Files {
		f := &in.Files[i]
		c := takeCompressed(ctx, bodies[i])
		next()
		if c.err != nil {
			return rep, c.err
		}
		if err := d.put(ctx, bucket, in, f, c.body); err != nil {
			return rep, err
		}
		f.Written.HashValue = c.hash
		rep.Events, rep.Bytes = rep.Events+len(recs[i]), rep.Bytes+int64(len(c.body))
		oldestEvent = oldest(oldestEvent, f.Written.OldestEventTime)
	}
	if !oldestEvent.IsZero() {
		rep.Lag = max(d.Now().Sub(oldestEvent), 0)
	}
	return rep, nil
}

// fileRecords returns the records of f's events in order and sets
// f.Written to what its digest lists but the hash.
func fileRecords(bucket string, f *File, records map[int64]*Event) []string {
	f.Written = &digest.LogFile{Bucket: bucket, Object: f.Key, HashAlgorithm: digest.HashAlgorithm}
	recs := make([]string, 0, len(f.Seqs))
	for _, seq := range f.Seqs {
		if e, ok := records[seq]; ok {
			recs = append(recs, e.Record)
			f.Written.NewestEventTime, f.Written.OldestEventTime = newest(f.Written.NewestEventTime, e.Time), oldest(f.Written.OldestEventTime, e.Time)
		}
	}
	return recs
}

// put writes f's body b and keeps the record of CloudTrail's PutObject
// when a trail selects it.
func (d *Deliverer) put(ctx context.Context, bucket objstore.Bucket, in *Intent, f *File, b []byte) error {
	opts := objstore.PutOptions{ContentType: "application/json", ContentEncoding: "gzip", Encryption: in.Encryption}
	if err := bucket.Put(ctx, f.Key, b, opts); err != nil {
		return fmt.Errorf("put %s: %w", f.Key, err)
	}
	rec, err := d.putRecord(ctx, in.TrailARN, in.Bucket, f.Key, len(b), in.Encryption)
	if rec != nil {
		in.Records = append(in.Records, rec)
	}
	return err
}

func newest(a, b time.Time) time.Time {
	if a.IsZero() || b.After(a) {
		return b
	}
	return a
}

func oldest(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

// records returns the events of in's files, by seq: those it was planned
// with, or for an intent read back from the store, read again.
func (d *Deliverer) records(ctx context.Context, in *Intent) (map[int64]*Event, error) {
	if in.events != nil {
		return in.events, nil
	}
	want := map[int64]bool{}
	for _, f := range in.Files {
		for _, s := range f.Seqs {
			want[s] = true
		}
	}
	events, err := d.store.Events(ctx, &Query{After: in.From, UpTo: in.To})
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	out := make(map[int64]*Event, len(want))
	for _, e := range events {
		if want[e.Seq] {
			out[e.Seq] = e
		}
	}
	return out, nil
}

// checkPut asks the bucket's policy whether CloudTrail may put key for the
// trail whose delivery state is stateKey; without policies, it may not.
func (d *Deliverer) checkPut(ctx context.Context, bucket, key, stateKey string) error {
	if d.policies == nil {
		return fmt.Errorf("%w: no bucket policies to check", objstore.ErrAccessDenied)
	}
	// A deleted trail's state key is its ARN plus "#deleted-…".
	arn, _, _ := strings.Cut(stateKey, "#")
	return d.policies.CheckPut(ctx, bucket, key, arn)
}

// backoff is the wait before retrying a trail whose bucket failed after
// failures earlier failures: MinBackoff, doubled with each, at most
// MaxBackoff.
func (d *Deliverer) backoff(failures int) time.Duration {
	return min(d.MinBackoff<<min(failures, 20), d.MaxBackoff)
}

// ErrorCode is the LatestDeliveryError of a failed delivery: S3's error
// code where the backend gives one.
func ErrorCode(err error) string {
	var coded interface{ ErrorCode() string }
	switch {
	case errors.Is(err, objstore.ErrNoBucket):
		return "NoSuchBucket"
	case errors.Is(err, objstore.ErrInvalidBucketName):
		return "InvalidBucketName"
	case errors.Is(err, objstore.ErrAccessDenied):
		return "AccessDenied"
	case errors.As(err, &coded):
		return coded.ErrorCode()
	}
	return "InternalError"
}

// notification is CloudTrail's SNS message for a delivery (spec §8.1).
type notification struct {
	S3Bucket    string   `json:"s3Bucket"`
	S3ObjectKey []string `json:"s3ObjectKey"`
}

// notify publishes one message naming in's files to the trail's topic and
// records the outcome for GetTrailStatus. A failure to publish never holds
// delivery back; only a failure to record it does.
func (d *Deliverer) notify(ctx context.Context, tg *Target, in *Intent) error {
	topic := tg.Trail.SnsTopicARN()
	if d.Notifier == nil || topic == "" || len(in.Files) == 0 {
		return nil
	}
	msg := notification{S3Bucket: in.Bucket}
	for _, f := range in.Files {
		msg.S3ObjectKey = append(msg.S3ObjectKey, f.Key)
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	code := ""
	if err := d.Notifier.Publish(ctx, topic, string(body), tg.Trail.ARN, tg.Trail.Account); err != nil {
		if ctx.Err() != nil {
			return err
		}
		code = awserr.Code(err)
		d.Logger.Warn("notification failed", "trail", tg.Trail.ARN, "topic", topic, "err", err)
	}
	return d.store.NoteNotification(ctx, in.TrailARN, code, d.Now().UTC())
}
