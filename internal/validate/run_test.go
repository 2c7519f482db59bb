package validate

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/digest"
)

func TestRun_DiscoversAccountsAndRegions(t *testing.T) {
	f := newFixture(t, 2, 1)
	// A second chain in another Region of another account, and a digest
	// of another trail in the same folder, which must be ignored.
	other := digest.Key(digest.KeyParts{AccountID: "444455556666", Region: "eu-west-1", TrailName: testTrail,
		HomeRegion: testRegion, EndTime: testT0.Add(time.Hour)})
	d := &digest.Digest{AccountID: "444455556666", StartTime: testT0, EndTime: testT0.Add(time.Hour),
		Bucket: testBucket, Object: other}
	s, err := digest.Seal(trailKey(), d)
	if err != nil {
		t.Fatal(err)
	}
	f.put(other, s.Body, s.Metadata())
	foreign := digest.Key(digest.KeyParts{AccountID: testAccount, Region: testRegion, TrailName: "other-trail",
		HomeRegion: testRegion, EndTime: testT0.Add(90 * time.Minute)})
	f.put(foreign, []byte("not even gzip"), nil)

	rep := f.run()
	expect(t, rep, KindDigest, other, StatusValid, "")
	if rep.Summary.Digests != 3 || !rep.Summary.OK() {
		t.Fatalf("Summary=%+v\n%s", rep.Summary, dump(rep))
	}
	if r := rep.Results[0]; r.Account != testAccount {
		t.Fatalf("first result is for %s, want accounts in order\n%s", r.Account, dump(rep))
	}
}

func TestRun_RangeSelectsDigests(t *testing.T) {
	f := newFixture(t, 6, 1)
	cfg := f.config()
	cfg.Start = f.digests[2].Digest.StartTime.Add(10 * time.Minute)
	cfg.End = f.digests[3].Digest.EndTime.Add(-10 * time.Minute)
	rep, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Digest 2 covers Start, digest 3 covers End; nothing else is read.
	if s := rep.Summary; s.Digests != 2 || s.ValidDigests != 2 || s.LogFiles != 2 || !s.OK() {
		t.Fatalf("Summary=%+v\n%s", s, dump(rep))
	}
}

func TestRun_NoDigests(t *testing.T) {
	f := newFixture(t, 1, 0)
	cfg := f.config()
	cfg.Start, cfg.End = testT0.Add(48*time.Hour), testT0.Add(49*time.Hour)
	rep, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Summary.Lines(); got[len(got)-1] != "No digests found" {
		t.Fatalf("Lines=%q", got)
	}
}

func TestRun_ConfigErrors(t *testing.T) {
	f := newFixture(t, 1, 0)
	for name, change := range map[string]func(*Config){
		"BadARN":        func(c *Config) { c.TrailARN = "arn:aws:s3:::bucket" },
		"NoBucket":      func(c *Config) { c.Bucket = nil },
		"NoKeys":        func(c *Config) { c.PublicKey = nil },
		"StartAfterEnd": func(c *Config) { c.Start = c.End.Add(time.Second) },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := f.config()
			change(&cfg)
			if _, err := Run(t.Context(), cfg); err == nil {
				t.Fatal("Run accepted the config")
			}
		})
	}
}

func TestRun_Canceled(t *testing.T) {
	f := newFixture(t, 2, 2)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Run(ctx, f.config()); err == nil {
		t.Fatal("Run on a canceled context succeeded")
	}
}

func TestSummary_Lines(t *testing.T) {
	f := newFixture(t, 3, 2)
	f.delete(f.logs[0][0])
	rep := f.run()
	want := []string{
		"Results requested for 2026-03-09T21:07:11Z to 2026-03-10T00:07:11Z",
		"Results found for 2026-03-09T21:07:11Z to 2026-03-10T00:07:11Z:",
		"",
		"3/3 digest files valid",
		"5/6 log files valid, 1/6 log files INVALID",
	}
	if got := rep.Summary.Lines(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Lines=%q\nwant %q", got, want)
	}
	line := find(t, rep, KindLog, f.logs[0][0]).String()
	if want := "Log file\ts3://trail-bucket/" + f.logs[0][0] + "\tINVALID: not found"; line != want {
		t.Fatalf("String=%q, want %q", line, want)
	}
}

func BenchmarkValidateDay(b *testing.B) {
	f := newFixture(b, 24, 13) // 312 log files
	cfg := f.config()
	for b.Loop() {
		rep, err := Run(b.Context(), cfg)
		if err != nil || !rep.Summary.OK() || rep.Summary.ValidLogFiles != 312 {
			b.Fatalf("err=%v Summary=%+v", err, rep.Summary)
		}
	}
}
