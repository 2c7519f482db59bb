package validate

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"time"

	"github.com/deploytrail/deploytrail/internal/digest"
)

// logJob is a log file to hash: results[slot] gets the verdict.
type logJob struct {
	slot int
	r    Result // the result to complete
	want string // hashValue from the digest
	out  *Result
}

// hashQueue is how many log files may wait for a worker before the walk
// waits too: enough that the walk never idles the workers.
const hashQueue = 1024

// hashPool checks log files with Concurrency workers while the chains are
// walked. Each worker holds one compressed object at a time and hashes it
// while inflating, so memory stays bounded whatever the files' sizes.
// Only the walk's goroutine calls its methods.
type hashPool struct {
	ctx    context.Context
	cancel context.CancelFunc // by stop: a failed run drops the queue
	jobs   chan *logJob
	all    []*logJob
	wg     sync.WaitGroup
	closed bool
}

func (v *validator) startHashing(ctx context.Context) *hashPool {
	ctx, cancel := context.WithCancel(ctx)
	p := &hashPool{ctx: ctx, cancel: cancel, jobs: make(chan *logJob, hashQueue)}
	for range v.cfg.Concurrency {
		p.wg.Go(func() {
			for j := range p.jobs {
				if ctx.Err() == nil {
					r := v.checkLog(ctx, j.r, j.want)
					j.out = &r
				}
			}
		})
	}
	return p
}

// add queues a log file; once ctx is done, it is dropped.
func (p *hashPool) add(j logJob) {
	p.all = append(p.all, &j)
	select {
	case p.jobs <- &j:
	case <-p.ctx.Done():
	}
}

// close says no more files come.
func (p *hashPool) close() {
	if !p.closed {
		close(p.jobs)
		p.closed = true
	}
}

// stop ends the pool without using its verdicts (a run that failed):
// the files still queued are not read, and those being read are given up.
func (p *hashPool) stop() {
	p.cancel()
	p.close()
	p.wg.Wait()
}

// wait waits for the last verdicts and writes them into their slots.
func (p *hashPool) wait(results []Result) error {
	p.close()
	p.wg.Wait()
	if err := p.ctx.Err(); err != nil {
		return err
	}
	for _, j := range p.all {
		results[j.slot] = *j.out
	}
	return nil
}

// checkLog is the verdict on one log file (§9.8 f).
func (v *validator) checkLog(ctx context.Context, r Result, want string) Result {
	obj, err := v.get(ctx, r.Bucket, r.Key)
	switch {
	case err != nil:
		r.Status, r.Reason = StatusUnreadable, err.Error()
		return r
	case obj == nil:
		return v.missing(r)
	}
	got, err := digest.HashGzip(bytes.NewReader(obj.Body))
	switch {
	case err != nil:
		r.Status, r.Reason = StatusCorrupt, err.Error()
	case got != want:
		r.Status, r.Reason = StatusInvalidHash, "hash value doesn't match"
	default:
		r.Status = StatusValid
	}
	return r
}

// findUnreferenced warns about log files in the requested range that no
// trusted digest lists: a file added to the bucket, or one whose digest
// was deleted. Files newer than a chain's newest digest are said to be
// not yet covered, since the next digest may simply not be written yet.
func (v *validator) findUnreferenced(ctx context.Context, chains []chainID) error {
	for _, c := range chains {
		dir := digest.AccountDir(v.cfg.Prefix, v.cfg.OrgID, c.account) + "CloudTrail/" + c.region + "/"
		last := dir + v.cfg.End.UTC().Format("2006/01/02") + "/" + afterAll
		err := listFrom(ctx, v.cfg.Bucket, dir, v.cfg.Start, func(key string) bool {
			if key > last {
				return false
			}
			stamp, ok := logKeyTime(key, c)
			if ok && v.inRange(stamp) && !v.referenced[v.cfg.BucketName+"/"+key] {
				v.emit(v.unreferenced(c, key, stamp))
			}
			return true
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// inRange reports whether a log file stamped t (the minute it was
// delivered) falls in the requested range.
func (v *validator) inRange(t time.Time) bool {
	return !t.Before(v.cfg.Start.Truncate(time.Minute)) && !t.After(v.cfg.End)
}

func (v *validator) unreferenced(c chainID, key string, stamp time.Time) Result {
	r := v.result(c, KindLog, v.cfg.BucketName, key)
	r.Status, r.Reason = StatusUnreferenced, "not referenced by any digest"
	// The stamp is the delivery minute, so a file stamped the newest
	// digest's minute may have come after it.
	if !stamp.Before(v.newest[c].Truncate(time.Minute)) {
		r.Reason = "may not be covered by a digest yet (delivered in the minute of the newest digest or later)"
	}
	return r
}

// logKeyTime returns the delivery minute of a log file key of chain c:
// .../<acct>_CloudTrail_<region>_<YYYYMMDD>T<HHmm>Z_<unique>.json.gz.
func logKeyTime(key string, c chainID) (time.Time, bool) {
	name := key[strings.LastIndexByte(key, '/')+1:]
	rest, ok := strings.CutPrefix(name, c.account+"_CloudTrail_"+c.region+"_")
	if !ok || !strings.HasSuffix(rest, ".json.gz") || len(rest) < len("20060102T1504Z_") {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102T1504Z", rest[:len("20060102T1504Z")])
	return t, err == nil && rest[len("20060102T1504Z")] == '_'
}
