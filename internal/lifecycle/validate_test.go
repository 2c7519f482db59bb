package lifecycle

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/digest"
	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/validate"
)

const (
	vAccount = "111122223333"
	vRegion  = "us-east-1"
	vTrail   = "main"
)

// vT0 is when the fixture's trail began; digests cover 10 days each, so
// that a 30-day rule removes some windows and keeps others.
var vT0 = testNow.AddDate(0, 0, -45)

// writeChain writes n signed digests and one log file per digest window
// into the fixture's fs bucket, each file modified at its delivery time.
func (f *fixture) writeChain(t *testing.T, key *digest.KeyPair, n int) (logs, digests []string) {
	t.Helper()
	var prev digest.Link
	for i := range n {
		start := vT0.AddDate(0, 0, 10*i)
		end := start.AddDate(0, 0, 10)
		at := start.Add(time.Minute)
		logKey := fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%016d.json.gz", vAccount, vRegion,
			at.Format("2006/01/02"), vAccount, vRegion, at.Format("20060102T1504Z"), i)
		raw := fmt.Appendf(nil, `{"Records":[{"eventTime":"%s"}]}`, digest.FormatTime(at))
		f.putAt(t, logKey, digest.Gzip(raw), nil, at)
		d := &digest.Digest{AccountID: vAccount, StartTime: start, EndTime: end, Bucket: testBucket,
			Object:          digest.Key(digest.KeyParts{AccountID: vAccount, Region: vRegion, TrailName: vTrail, HomeRegion: vRegion, EndTime: end}),
			NewestEventTime: at, OldestEventTime: at,
			LogFiles: []digest.LogFile{{Bucket: testBucket, Object: logKey, HashValue: digest.LogFileHash(raw),
				HashAlgorithm: digest.HashAlgorithm, NewestEventTime: at, OldestEventTime: at}}}
		d.Chain(prev)
		s, err := digest.Seal(key, d)
		if err != nil {
			t.Fatal(err)
		}
		f.putAt(t, d.Object, s.Body, s.Metadata(), end)
		prev = s.Link()
		logs, digests = append(logs, logKey), append(digests, d.Object)
	}
	return logs, digests
}

func (f *fixture) putAt(t *testing.T, key string, body []byte, meta map[string]string, mtime time.Time) {
	t.Helper()
	err := f.bucket.Put(t.Context(), key, body, objstore.PutOptions{ContentType: "application/json", ContentEncoding: "gzip", Metadata: meta})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(f.data, "buckets", testBucket, key), mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

// TestValidateAfterExpiration: files a rule removed on purpose are
// reported as expired by policy, not as tampering, while a file deleted by
// hand still fails validation.
func TestValidateAfterExpiration(t *testing.T) {
	key, err := digest.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, rules           string
		expiredLogs           int // the oldest logs the rules remove
		expiredDigests        int // the oldest digests the rules remove
		deleteNewestLogByHand bool
	}{
		{"LogFiles", `{"Rules":[{"Status":"Enabled","Filter":{"Prefix":"AWSLogs/111122223333/CloudTrail/"},"Expiration":{"Days":30}}]}`, 2, 0, false},
		{"LogsAndDigests", `{"Rules":[{"Status":"Enabled","Filter":{"Prefix":"AWSLogs/"},"Expiration":{"Days":30}}]}`, 2, 1, false},
		{"ArchivedLogs", `{"Rules":[{"Status":"Enabled","Filter":{"Prefix":"AWSLogs/111122223333/CloudTrail/"},"Transitions":[{"Days":30,"StorageClass":"GLACIER"}]}]}`, 2, 0, false},
		{"DeletedByHand", `{"Rules":[{"Status":"Enabled","Filter":{"Prefix":"AWSLogs/111122223333/CloudTrail/"},"Expiration":{"Days":30}}]}`, 2, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.rules)
			logs, digests := f.writeChain(t, key, 4)
			res := f.enforce(t)
			if got := len(res.Expired) + len(res.Archived); got != tt.expiredLogs+tt.expiredDigests {
				t.Fatalf("removed %+v, want %d logs and %d digests", res, tt.expiredLogs, tt.expiredDigests)
			}
			if tt.deleteNewestLogByHand {
				if err := f.bucket.Delete(t.Context(), logs[3]); err != nil {
					t.Fatal(err)
				}
			}
			cfg, err := f.store.Get(t.Context(), testBucket)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := validate.Run(t.Context(), validate.Config{Bucket: f.bucket, BucketName: testBucket,
				TrailARN: "arn:aws:cloudtrail:us-east-1:" + vAccount + ":trail/" + vTrail,
				Accounts: []string{vAccount}, Regions: []string{vRegion}, Start: vT0, End: testNow,
				PublicKey: func(fp string) ([]byte, bool) { return key.PublicKeyDER(), fp == key.Fingerprint() },
				Expired:   ExpiredFunc(cfg, func() time.Time { return testNow })})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]validate.Status{}
			for i, k := range logs {
				if i < tt.expiredDigests {
					continue // only its digest listed it
				}
				want[k] = validate.StatusValid
				if i < tt.expiredLogs {
					want[k] = validate.StatusExpired
				}
			}
			for i, k := range digests {
				want[k] = validate.StatusValid
				if i < tt.expiredDigests {
					want[k] = validate.StatusExpired
				}
			}
			if tt.deleteNewestLogByHand {
				want[logs[3]] = validate.StatusMissing
			}
			for _, r := range rep.Results {
				if w, ok := want[r.Key]; ok && r.Status != w {
					t.Errorf("%s %s: Status=%q (%s), want %q", r.Kind, r.Key, r.Status, r.Reason, w)
				}
				delete(want, r.Key)
			}
			if len(want) > 0 {
				t.Errorf("no results for %v", want)
			}
			if ok := rep.Summary.OK(); ok == tt.deleteNewestLogByHand {
				t.Errorf("Summary.OK()=%v, want %v: %q", ok, !tt.deleteNewestLogByHand, rep.Summary.Lines())
			}
		})
	}
}
