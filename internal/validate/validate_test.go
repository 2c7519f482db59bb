package validate

import (
	"bytes"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/digest"
)

func TestRun_ValidChain(t *testing.T) {
	f := newFixture(t, 5, 3)
	rep := f.run()
	for _, r := range rep.Results {
		if r.Status != StatusValid {
			t.Fatalf("untampered chain has %s\n%s", r, dump(rep))
		}
	}
	s := rep.Summary
	if s.Digests != 5 || s.ValidDigests != 5 || s.LogFiles != 15 || s.ValidLogFiles != 15 || !s.OK() {
		t.Fatalf("Summary=%+v", s)
	}
	if !s.FoundStart.Equal(testT0) || !s.FoundEnd.Equal(f.digests[4].Digest.EndTime) {
		t.Fatalf("found %s..%s", s.FoundStart, s.FoundEnd)
	}
	// Newest digest first, each followed by its log files.
	if rep.Results[0].Key != f.digestKey(4) || rep.Results[1].Key != f.logs[4][0] {
		t.Fatalf("order:\n%s", dump(rep))
	}
}

func TestRun_Deterministic(t *testing.T) {
	f := newFixture(t, 4, 5)
	f.delete(f.logs[1][2])
	first := dump(f.run())
	for range 5 {
		if got := dump(f.run()); got != first {
			t.Fatalf("runs differ:\n%s\n---\n%s", first, got)
		}
	}
}

func TestRun_LogFileTampering(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(f *fixture, key string)
		status Status
		reason string
	}{
		{"Modified", func(f *fixture, key string) { f.put(key, digest.Gzip([]byte(`{"Records":[]}`)), nil) },
			StatusInvalidHash, "hash value doesn't match"},
		{"Deleted", func(f *fixture, key string) { f.delete(key) }, StatusMissing, "not found"},
		{"Expired", func(f *fixture, key string) { f.delete(key); f.expired[key] = true }, StatusExpired, "lifecycle"},
		{"CorruptGzip", func(f *fixture, key string) {
			b := bytes.Clone(f.get(key).Body)
			b[len(b)/2] ^= 0x55
			f.put(key, b, nil)
		}, StatusCorrupt, "corrupt compressed data"},
		{"Truncated", func(f *fixture, key string) {
			b := f.get(key).Body
			f.put(key, b[:len(b)-9], nil)
		}, StatusCorrupt, "truncated"},
		{"TrailingData", func(f *fixture, key string) {
			f.put(key, append(bytes.Clone(f.get(key).Body), 0, 0), nil)
		}, StatusCorrupt, "unexpected data after end of compressed stream"},
		{"NotGzip", func(f *fixture, key string) { f.put(key, []byte(`{"Records":[]}`), nil) },
			StatusCorrupt, "not a gzip file"},
		{"Uncompressed", func(f *fixture, key string) { f.put(key, nil, nil) }, StatusCorrupt, "truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, 3, 2)
			key := f.logs[1][1]
			tt.tamper(f, key)
			rep := f.run()
			expect(t, rep, KindLog, key, tt.status, tt.reason)
			if bad := failed(rep); bad != boolToInt(tt.status.Failed()) || rep.Summary.OK() == tt.status.Failed() {
				t.Fatalf("%d failures, OK=%v\n%s", bad, rep.Summary.OK(), dump(rep))
			}
		})
	}
}

func TestRun_UnreferencedLogFile(t *testing.T) {
	f := newFixture(t, 3, 2)
	extra := f.writeLog(f.digests[1].Digest.StartTime.Add(5*time.Minute), "ZZZZZZZZZZZZZZZZ")
	late := f.writeLog(f.digests[2].Digest.EndTime.Add(-30*time.Second+time.Minute), "YYYYYYYYYYYYYYYY")
	cfg := f.config()
	cfg.End = cfg.End.Add(2 * time.Minute)
	rep, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, rep, KindLog, extra.Object, StatusUnreferenced, "not referenced by any digest")
	expect(t, rep, KindLog, late.Object, StatusUnreferenced, "may not be covered by a digest yet")
	if !rep.Summary.OK() || rep.Summary.Unreferenced != 2 {
		t.Fatalf("Summary=%+v", rep.Summary)
	}
}

func failed(rep *Report) int {
	n := 0
	for _, r := range rep.Results {
		if r.Status.Failed() {
			n++
		}
	}
	return n
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
