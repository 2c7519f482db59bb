package lifecycle

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/deploytrail/deploytrail/internal/objstore"
)

// DefaultInterval is how often Run applies the rules.
const DefaultInterval = time.Hour

// archiveTmp is where an archive copy is written before it is renamed into
// place; the fs backend refuses keys under it, so it never clashes.
const archiveTmp = ".deploytrail/tmp"

// Enforcer applies the stored configurations to buckets that do not
// enforce lifecycle rules themselves (the file backend): Expire deletes
// the object, Archive moves it to <archive dir>/<bucket>/<key> (same
// bytes, 0600, modification time kept; its metadata is not kept).
//
// A run is idempotent and safe to interrupt: a move copies first and
// deletes second, and a re-run that finds the same bytes already archived
// only deletes the original.
type Enforcer struct {
	// Interval between runs of Run; DefaultInterval when zero.
	Interval time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger reports each run's removals and failures; slog.Default() when nil.
	Logger *slog.Logger

	rules   Rules
	buckets objstore.Provider
	archive string
}

// Result is what one bucket's run removed.
type Result struct {
	Expired  []string // keys deleted
	Archived []string // keys moved to the archive directory
}

// NewEnforcer returns an enforcer of the configurations in rules on
// buckets that archives into archiveDir (conventionally <data>/archive).
func NewEnforcer(rules Rules, buckets objstore.Provider, archiveDir string) *Enforcer {
	return &Enforcer{Interval: DefaultInterval, rules: rules, buckets: buckets, archive: archiveDir}
}

// Run applies every bucket's rules now and then every Interval until ctx
// ends, which is a normal stop (nil). Failures are logged and retried on
// the next run.
func (e *Enforcer) Run(ctx context.Context) error {
	interval := e.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		if err := e.EnforceAll(ctx); err != nil && ctx.Err() == nil {
			e.logger().Error("lifecycle run failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// EnforceAll applies the rules of every bucket that has a configuration,
// going on past a failing bucket; it returns the failures joined.
func (e *Enforcer) EnforceAll(ctx context.Context) error {
	names, err := e.rules.Buckets(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range names {
		res, err := e.Enforce(ctx, name)
		if err != nil {
			errs = append(errs, err)
		}
		if res != nil && len(res.Expired)+len(res.Archived) > 0 {
			e.logger().Info("lifecycle rules applied", "bucket", name, "expired", len(res.Expired), "archived", len(res.Archived))
		}
	}
	return errors.Join(errs...)
}

// Enforce applies bucket's rules once and returns what it removed, also
// when it stops at an error part way. A bucket without a configuration
// is left alone.
func (e *Enforcer) Enforce(ctx context.Context, bucket string) (*Result, error) {
	cfg, err := e.rules.Get(ctx, bucket)
	if errors.Is(err, ErrNoSuchConfiguration) {
		return &Result{}, nil
	}
	if err != nil {
		return nil, err
	}
	b, err := e.buckets.Bucket(bucket)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	now := e.now()
	for after := ""; ; {
		page, err := b.List(ctx, "", after, objstore.DefaultListMax)
		if err != nil {
			return res, fmt.Errorf("lifecycle of bucket %s: %w", bucket, err)
		}
		if len(page) == 0 {
			return res, nil
		}
		for _, o := range page {
			if err := e.apply(ctx, b, bucket, o, Decide(cfg, o.Key, o.Modified, now), res); err != nil {
				return res, fmt.Errorf("lifecycle of bucket %s: %w", bucket, err)
			}
		}
		after = page[len(page)-1].Key
	}
}

// apply carries out one object's action and records it in res.
func (e *Enforcer) apply(ctx context.Context, b objstore.Bucket, bucket string, o objstore.ObjectInfo, a Action, res *Result) error {
	switch a {
	case Expire:
		if err := b.Delete(ctx, o.Key); err != nil {
			return fmt.Errorf("expire %q: %w", o.Key, err)
		}
		res.Expired = append(res.Expired, o.Key)
	case Archive:
		if err := e.move(ctx, b, bucket, o.Key); err != nil {
			return fmt.Errorf("archive %q: %w", o.Key, err)
		}
		res.Archived = append(res.Archived, o.Key)
	}
	return nil
}

// move copies the object into the archive, unless the same bytes are
// already there, and then deletes it from the bucket.
func (e *Enforcer) move(ctx context.Context, b objstore.Bucket, bucket, key string) error {
	obj, err := b.Get(ctx, key)
	if errors.Is(err, objstore.ErrNotFound) {
		return nil // gone since the listing
	}
	if err != nil {
		return err
	}
	if err := e.writeArchive(bucket, key, obj); err != nil {
		return err
	}
	return b.Delete(ctx, key)
}

// writeArchive writes obj to <archive>/<bucket>/<key> through a temp file
// and a rename, within an os.Root so that no key can escape the directory.
func (e *Enforcer) writeArchive(bucket, key string, obj *objstore.Object) error {
	dir := filepath.Join(e.archive, bucket)
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return err
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer r.Close()
	if old, err := r.ReadFile(key); err == nil && bytes.Equal(old, obj.Body) {
		return nil // archived by a run that stopped before the delete
	}
	if err := r.MkdirAll(archiveTmp, dirMode); err != nil {
		return err
	}
	if d := path.Dir(key); d != "." {
		if err := r.MkdirAll(d, dirMode); err != nil {
			return err
		}
	}
	tmp := archiveTmp + "/" + rand.Text()
	if err := writeRootFile(r, tmp, obj.Body); err != nil {
		return err
	}
	defer r.Remove(tmp) // fails harmlessly once renamed
	if !obj.Modified.IsZero() {
		if err := r.Chtimes(tmp, obj.Modified, obj.Modified); err != nil {
			return err
		}
	}
	return r.Rename(tmp, key)
}

// writeRootFile writes data to a new 0600 file and syncs it.
func writeRootFile(r *os.Root, name string, data []byte) error {
	f, err := r.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return err
	}
	if _, err = f.Write(data); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		r.Remove(name)
	}
	return err
}

func (e *Enforcer) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Enforcer) logger() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.Default()
}

// ForData returns the enforcer of rules on buckets with the archive in the
// data directory data ([ArchiveDir]), logging to logger.
func ForData(rules Rules, data string, buckets objstore.Provider, logger *slog.Logger) *Enforcer {
	e := NewEnforcer(rules, buckets, ArchiveDir(data))
	e.Logger = logger
	return e
}
