package validate

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/digest"
	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/objstore/mem"
)

const (
	testBucket  = "trail-bucket"
	testAccount = "111122223333"
	testRegion  = "us-east-1"
	testTrail   = "my-trail"
	testARN     = "arn:aws:cloudtrail:us-east-1:111122223333:trail/my-trail"
)

// testT0 is when validation was enabled in every fixture; digests end at
// odd seconds past the hour, as real ones do.
var testT0 = time.Date(2026, 3, 9, 21, 7, 11, 0, time.UTC)

// Key generation takes a while, so tests share two keys.
var (
	trailKey    = sync.OnceValue(func() *digest.KeyPair { return mustKey() })
	attackerKey = sync.OnceValue(func() *digest.KeyPair { return mustKey() })
)

func mustKey() *digest.KeyPair {
	k, err := digest.GenerateKeyPair()
	if err != nil {
		panic(err)
	}
	return k
}

// fixture is a bucket holding one valid chain written the way delivery
// writes it.
type fixture struct {
	tb      testing.TB
	bucket  objstore.Bucket
	digests []*digest.Signed // oldest first
	logs    [][]string       // log keys per digest
	expired map[string]bool
}

// newFixture writes n hourly digests with logsPer log files each.
func newFixture(tb testing.TB, n, logsPer int) *fixture {
	tb.Helper()
	b, err := mem.New().Bucket(testBucket)
	if err != nil {
		tb.Fatal(err)
	}
	if err := b.Create(tb.Context()); err != nil {
		tb.Fatal(err)
	}
	f := &fixture{tb: tb, bucket: b, expired: map[string]bool{}}
	var prev digest.Link
	for i := range n {
		start := testT0.Add(time.Duration(i) * time.Hour)
		s := f.writeDigest(i, start, start.Add(time.Hour), logsPer, prev, trailKey())
		prev = s.Link()
	}
	return f
}

// writeDigest writes the log files of one digest window and the digest.
func (f *fixture) writeDigest(i int, start, end time.Time, logsPer int, prev digest.Link, key *digest.KeyPair) *digest.Signed {
	d := &digest.Digest{AccountID: testAccount, StartTime: start, EndTime: end, Bucket: testBucket,
		Object: digestKey(end)}
	var keys []string
	for j := range logsPer {
		at := start.Add(time.Duration(j+1) * time.Minute)
		lf := f.writeLog(at, fmt.Sprintf("%08d%08d", i, j))
		d.LogFiles = append(d.LogFiles, lf)
		d.NewestEventTime, d.OldestEventTime = at, start
		keys = append(keys, lf.Object)
	}
	d.Chain(prev)
	s, err := digest.Seal(key, d)
	if err != nil {
		f.tb.Fatal(err)
	}
	f.put(d.Object, s.Body, s.Metadata())
	f.digests = append(f.digests, s)
	f.logs = append(f.logs, keys)
	return s
}

func (f *fixture) writeLog(at time.Time, unique string) digest.LogFile {
	key := logKey(at, unique)
	raw := fmt.Appendf(nil, `{"Records":[{"eventTime":"%s","eventName":"Get%s"}]}`, digest.FormatTime(at), unique)
	f.put(key, digest.Gzip(raw), nil)
	return digest.LogFile{Bucket: testBucket, Object: key, HashValue: digest.LogFileHash(raw),
		HashAlgorithm: digest.HashAlgorithm, NewestEventTime: at, OldestEventTime: at.Add(-time.Minute)}
}

func digestKey(end time.Time) string {
	return digest.Key(digest.KeyParts{AccountID: testAccount, Region: testRegion, TrailName: testTrail,
		HomeRegion: testRegion, EndTime: end})
}

func logKey(at time.Time, unique string) string {
	return fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s.json.gz", testAccount, testRegion,
		at.Format("2006/01/02"), testAccount, testRegion, at.Format("20060102T1504Z"), unique)
}

func (f *fixture) put(key string, body []byte, meta map[string]string) {
	f.tb.Helper()
	err := f.bucket.Put(f.tb.Context(), key, body, objstore.PutOptions{ContentType: "application/json",
		ContentEncoding: "gzip", Metadata: meta})
	if err != nil {
		f.tb.Fatal(err)
	}
}

func (f *fixture) get(key string) *objstore.Object {
	f.tb.Helper()
	obj, err := f.bucket.Get(f.tb.Context(), key)
	if err != nil {
		f.tb.Fatal(err)
	}
	return obj
}

func (f *fixture) delete(key string) {
	if err := f.bucket.Delete(f.tb.Context(), key); err != nil {
		f.tb.Fatal(err)
	}
}

func (f *fixture) digestKey(i int) string { return f.digests[i].Digest.Object }

func (f *fixture) config() Config {
	return Config{
		Bucket: f.bucket, BucketName: testBucket, TrailARN: testARN,
		Start: testT0, End: f.digests[len(f.digests)-1].Digest.EndTime,
		PublicKey: func(fp string) ([]byte, bool) {
			if fp == trailKey().Fingerprint() {
				return trailKey().PublicKeyDER(), true
			}
			return nil, false
		},
		Expired:     func(key string) bool { return f.expired[key] },
		Concurrency: 4,
	}
}

func (f *fixture) run() *Report {
	f.tb.Helper()
	rep, err := Run(f.tb.Context(), f.config())
	if err != nil {
		f.tb.Fatal(err)
	}
	return rep
}

// find returns the result of kind for key.
func find(tb testing.TB, rep *Report, kind Kind, key string) Result {
	tb.Helper()
	for _, r := range rep.Results {
		if r.Kind == kind && r.Key == key {
			return r
		}
	}
	tb.Fatalf("no %s result for %s in:\n%s", kind, key, dump(rep))
	return Result{}
}

// expect checks one result's status and that its reason contains reason.
func expect(tb testing.TB, rep *Report, kind Kind, key string, status Status, reason string) {
	tb.Helper()
	r := find(tb, rep, kind, key)
	if r.Status != status || !strings.Contains(r.Reason, reason) {
		tb.Fatalf("%s %s: Status=%q Reason=%q, want %q containing %q\n%s", kind, key, r.Status, r.Reason,
			status, reason, dump(rep))
	}
}

func dump(rep *Report) string {
	var b strings.Builder
	for _, r := range rep.Results {
		b.WriteString(r.String() + "\n")
	}
	return b.String() + strings.Join(rep.Summary.Lines(), "\n")
}
