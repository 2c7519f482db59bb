package lifecycle

import (
	"testing"
	"time"
)

var testNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func days(n int) *int { return &n }

func str(s string) *string { return &s }

func TestDecide(t *testing.T) {
	cfg := &Configuration{Rules: []Rule{
		{ID: "logs", Status: StatusEnabled, Filter: &Filter{Prefix: str("AWSLogs/")},
			Expiration: &Expiration{Days: days(30)}, Transitions: []Transition{{Days: days(10), StorageClass: "GLACIER"}}},
		{ID: "tmp", Status: StatusEnabled, Prefix: str("tmp/"), Expiration: &Expiration{Days: days(1)}},
		{ID: "off", Status: StatusDisabled, Filter: &Filter{}, Expiration: &Expiration{Days: days(1)}},
	}}
	tests := []struct {
		name     string
		key      string
		modified time.Time
		want     Action
	}{
		{"New", "AWSLogs/a", testNow.AddDate(0, 0, -2), Keep},
		{"Transition", "AWSLogs/a", testNow.AddDate(0, 0, -15), Archive},
		{"Expiration", "AWSLogs/a", testNow.AddDate(0, 0, -31), Expire},
		// Due at the midnight after modified + N days: 2026-02-28T13:00
		// + 10 days is 2026-03-10T13:00, due 2026-03-11T00:00.
		{"RoundedUpToMidnight", "AWSLogs/a", time.Date(2026, 2, 28, 13, 0, 0, 0, time.UTC), Keep},
		{"DueAtMidnight", "AWSLogs/a", time.Date(2026, 2, 27, 13, 0, 0, 0, time.UTC), Archive},
		{"OtherPrefix", "tmp/x", testNow.AddDate(0, 0, -2), Expire},
		{"OnlyDisabledRule", "other/x", testNow.AddDate(-5, 0, 0), Keep},
		{"PrefixIsCaseSensitive", "awslogs/a", testNow.AddDate(-1, 0, 0), Keep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Decide(cfg, tt.key, tt.modified, testNow); got != tt.want {
				t.Fatalf("Decide(%q, %v)=%v, want %v", tt.key, tt.modified, got, tt.want)
			}
		})
	}
	if got := Decide(nil, "AWSLogs/a", time.Time{}, testNow); got != Keep {
		t.Fatalf("Decide(nil)=%v, want keep", got)
	}
}

func TestDecide_Date(t *testing.T) {
	date := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	cfg := &Configuration{Rules: []Rule{{Status: StatusEnabled, Prefix: str(""), Expiration: &Expiration{Date: &date}}}}
	if got := Decide(cfg, "k", testNow, testNow); got != Expire {
		t.Fatalf("on the date: %v, want expire", got)
	}
	if got := Decide(cfg, "k", testNow, date.Add(-time.Second)); got != Keep {
		t.Fatalf("before the date: %v, want keep", got)
	}
}

func TestKeyTime(t *testing.T) {
	tests := []struct {
		key  string
		want time.Time
		ok   bool
	}{
		{"AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/01/111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz",
			time.Date(2015, 8, 1, 2, 10, 0, 0, time.UTC), true},
		{"AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz",
			time.Date(2015, 8, 17, 15, 1, 31, 0, time.UTC), true},
		{"p/AWSLogs/1/CloudTrail-Digest/r/2015/08/17/1_CloudTrail-Digest_r_t_r_20150817T150131Z_backfill.json.gz",
			time.Date(2015, 8, 17, 15, 1, 31, 0, time.UTC), true},
		{"AWSLogs/111122223333/CloudTrail/notes.txt", time.Time{}, false},
		{"x_20151301T0210Z_abc.json.gz", time.Time{}, false}, // month 13
	}
	for _, tt := range tests {
		got, ok := KeyTime(tt.key)
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("KeyTime(%q)=%v, %v, want %v, %v", tt.key, got, ok, tt.want, tt.ok)
		}
	}
}

func TestExpiredFunc(t *testing.T) {
	cfg := &Configuration{Rules: []Rule{{Status: StatusEnabled, Filter: &Filter{Prefix: str("AWSLogs/")}, Expiration: &Expiration{Days: days(30)}}}}
	expired := ExpiredFunc(cfg, func() time.Time { return testNow })
	old := "AWSLogs/1/CloudTrail/r/2026/01/01/1_CloudTrail_r_20260101T0000Z_abcdefghijklmnop.json.gz"
	recent := "AWSLogs/1/CloudTrail/r/2026/03/01/1_CloudTrail_r_20260301T0000Z_abcdefghijklmnop.json.gz"
	if !expired(old) {
		t.Error("a file delivered 68 days ago is not expired by a 30-day rule")
	}
	if expired(recent) {
		t.Error("a file delivered 9 days ago is expired by a 30-day rule")
	}
	if expired("AWSLogs/no-time-in-key") {
		t.Error("a key without a time is expired")
	}
	if ExpiredFunc(nil, time.Now)(old) {
		t.Error("no configuration expires a file")
	}
}
