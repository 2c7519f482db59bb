package digest

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestKey(t *testing.T) {
	end := time.Date(2015, 8, 17, 15, 1, 31, 0, time.UTC)
	tests := []struct {
		name  string
		parts KeyParts
		want  string
	}{
		{"SpecExample",
			KeyParts{AccountID: "111122223333", Region: "us-east-2", TrailName: "your-trail-name", HomeRegion: "us-east-2", EndTime: end},
			"AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz"},
		{"PrefixOrgOtherRegion",
			KeyParts{Prefix: "logs/ct", OrgID: "o-exampleorgid", AccountID: "111122223333", Region: "eu-west-1",
				TrailName: "org_trail.v2", HomeRegion: "us-east-1", EndTime: end},
			"logs/ct/AWSLogs/o-exampleorgid/111122223333/CloudTrail-Digest/eu-west-1/2015/08/17/111122223333_CloudTrail-Digest_eu-west-1_org_trail.v2_us-east-1_20150817T150131Z.json.gz"},
		{"Backfill",
			KeyParts{AccountID: "111122223333", Region: "us-east-2", TrailName: "t", HomeRegion: "us-east-2", EndTime: end, Backfill: true},
			"AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_t_us-east-2_20150817T150131Z_backfill.json.gz"},
		{"PrefixContainingAWSLogs",
			KeyParts{Prefix: "a/AWSLogs/b", AccountID: "111122223333", Region: "us-east-2", TrailName: "t", HomeRegion: "us-east-2", EndTime: end},
			"a/AWSLogs/b/AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_t_us-east-2_20150817T150131Z.json.gz"},
		{"NonUTCTime",
			KeyParts{AccountID: "111122223333", Region: "us-east-2", TrailName: "t", HomeRegion: "us-east-2",
				EndTime: end.In(time.FixedZone("x", -5*3600))},
			"AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_t_us-east-2_20150817T150131Z.json.gz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Key(tt.parts); got != tt.want {
				t.Fatalf("Key=%s, want %s", got, tt.want)
			}
			got, err := ParseKey(tt.want)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.parts
			want.EndTime = want.EndTime.UTC()
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("ParseKey mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseKey_Rejects(t *testing.T) {
	good := "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_t_us-east-2_20150817T150131Z.json.gz"
	for _, key := range []string{
		"",
		"AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/01/111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz",
		strings.Replace(good, "2015/08/17", "2015/08/18", 1),                                   // folder disagrees with the time
		strings.Replace(good, "CloudTrail-Digest_us-east-2", "CloudTrail-Digest_us-west-2", 1), // region disagrees
		strings.Replace(good, "150131Z", "1501Z", 1),
		strings.Replace(good, ".json.gz", ".json", 1),
		strings.Replace(good, "AWSLogs/", "Logs/", 1),
		strings.Replace(good, "_t_us-east-2", "_us-east-2", 1), // no trail name
	} {
		if p, err := ParseKey(key); err == nil {
			t.Errorf("ParseKey(%q)=%+v, want an error", key, p)
		}
	}
}

func TestDirs(t *testing.T) {
	if got, want := Dir("p", "o-exampleorgid", "111122223333", "us-east-1"),
		"p/AWSLogs/o-exampleorgid/111122223333/CloudTrail-Digest/us-east-1/"; got != want {
		t.Fatalf("Dir=%s, want %s", got, want)
	}
	if got, want := LogsRoot("", ""), "AWSLogs/"; got != want {
		t.Fatalf("LogsRoot=%s, want %s", got, want)
	}
}
