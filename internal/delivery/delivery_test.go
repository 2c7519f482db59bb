package delivery_test

import (
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/deploytrail/deploytrail/internal/cloudtrail"
	"github.com/deploytrail/deploytrail/internal/objstore"
)

// keyPattern is spec §7.1's key: [prefix/]AWSLogs/[o-id/]account/CloudTrail/region/YYYY/MM/DD/
// account_CloudTrail_region_YYYYMMDDTHHmmZ_<16 [A-Za-z0-9]>.json.gz.
func keyPattern(prefix, org, account, region, day, minute string) *regexp.Regexp {
	p := regexp.QuoteMeta(prefix) + "AWSLogs/" + regexp.QuoteMeta(org) + account + "/CloudTrail/" + region + "/" + day + "/" +
		account + "_CloudTrail_" + region + "_" + minute + "_[A-Za-z0-9]{16}\\.json\\.gz"
	return regexp.MustCompile("^" + p + "$")
}

func TestDeliver(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newEnv(t, nil)
		e.record(acct, east, cdSrc, "ListApplications", true) // before logging: never delivered
		tr := e.trail("main", nil)
		var ids []string
		for i := range 5 {
			ids = append(ids, e.record(acct, east, cdSrc, fmt.Sprintf("Op%d", i), i%2 == 0))
		}
		d := e.deliverer()
		e.deliver(d)
		files := e.files()
		if len(files) != 1 {
			t.Fatalf("files=%d, want 1", len(files))
		}
		f := files[0]
		if re := keyPattern("", "", acct, east, "2026/03/04", "20260304T0506Z"); !re.MatchString(f.Key) {
			t.Errorf("key %s does not match %s", f.Key, re)
		}
		var got []string
		for _, r := range f.Records {
			got = append(got, r["eventID"].(string))
		}
		if !slices.Equal(got, ids) {
			t.Errorf("eventIDs=%v, want %v in seq order", got, ids)
		}
		want := objstore.Encryption{Mode: objstore.SSES3}
		if f.Info.ContentType != "application/json" || f.Info.ContentEncoding != "gzip" || f.Info.Encryption.Mode != want.Mode {
			t.Errorf("object properties %+v, want application/json, gzip, SSE-S3", f.Info)
		}
		if st := e.status(tr); !st.LatestDelivery.Equal(e.now) || st.LatestError != "" || !st.LatestAttemptSucceeded {
			t.Errorf("status=%+v, want delivered at %v", st, e.now)
		}
		e.deliver(d) // nothing new: no new file
		if n := len(e.files()); n != 1 {
			t.Errorf("files=%d after an idle pass, want 1", n)
		}
	})

	t.Run("PrefixKMS", func(t *testing.T) {
		e := newEnv(t, nil)
		key := "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
		e.trail("main", func(t *cloudtrail.Trail) { t.Config.S3KeyPrefix, t.Config.KmsKeyID = "logs/deep", key })
		id := e.record(acct, east, cdSrc, "CreateApplication", false)
		e.deliver(e.deliverer())
		files := e.files()
		wantOnce(t, files, id)
		if re := keyPattern("logs/deep/", "", acct, east, "2026/03/04", "20260304T0506Z"); !re.MatchString(files[0].Key) {
			t.Errorf("key %s does not match %s", files[0].Key, re)
		}
		if enc := files[0].Info.Encryption; enc.Mode != objstore.SSEKMS || enc.KMSKeyID != key {
			t.Errorf("Encryption=%+v, want SSE-KMS with %s", enc, key)
		}
	})

	t.Run("SizeCap", func(t *testing.T) {
		e := newEnv(t, nil)
		e.trail("main", nil)
		var ids []string
		for i := range 20 {
			ids = append(ids, e.record(acct, east, cdSrc, fmt.Sprintf("Op%d", i), false))
		}
		d := e.deliverer()
		d.MaxFileBytes = 2000 // a record is about 400 bytes
		e.deliver(d)
		files := e.files()
		if len(files) < 4 {
			t.Fatalf("files=%d, want the 20 events split into several", len(files))
		}
		for _, f := range files {
			if len(f.Records) > 5 {
				t.Errorf("file %s has %d records, more than fit in 2000 bytes", f.Key, len(f.Records))
			}
		}
		wantOnce(t, files, ids...)
	})

	t.Run("StopLogging", func(t *testing.T) {
		e := newEnv(t, nil)
		tr := e.trail("main", nil)
		before := e.record(acct, east, cdSrc, "CreateApplication", false)
		e.setLogging(tr, false)
		stop := e.record(acct, east, cloudtrailSrc, "StopLogging", false) // the StopLogging call's own event
		e.record(acct, east, cdSrc, "DeleteApplication", false)           // after: never delivered
		d := e.deliverer()
		e.deliver(d)
		wantOnce(t, e.files(), before, stop)
		e.setLogging(tr, true)
		again := e.record(acct, east, cdSrc, "CreateApplication", false)
		e.deliver(d)
		wantOnce(t, e.files(), before, stop, again)
	})
}

const cloudtrailSrc = "cloudtrail.amazonaws.com"

func TestDeliver_Selection(t *testing.T) {
	readOnly := func(t *cloudtrail.Trail) {
		t.EventSelectors = []cloudtrail.EventSelector{{ReadWriteType: "ReadOnly", IncludeManagementEvents: new(true)}}
	}
	writeOnly := func(t *cloudtrail.Trail) {
		t.EventSelectors = []cloudtrail.EventSelector{{ReadWriteType: "WriteOnly", IncludeManagementEvents: new(true)}}
	}
	noManagement := func(t *cloudtrail.Trail) {
		t.EventSelectors = []cloudtrail.EventSelector{{ReadWriteType: "All", IncludeManagementEvents: new(false)}}
	}
	advanced := func(t *cloudtrail.Trail) {
		t.AdvancedEventSelectors = []cloudtrail.AdvancedEventSelector{{FieldSelectors: []cloudtrail.AdvancedFieldSelector{
			{Field: "eventCategory", Equals: []string{"Management"}}, {Field: "readOnly", Equals: []string{"false"}},
			{Field: "eventSource", NotEquals: []string{"kms.amazonaws.com"}}}}}
	}
	dataOnly := func(t *cloudtrail.Trail) {
		t.AdvancedEventSelectors = []cloudtrail.AdvancedEventSelector{{FieldSelectors: []cloudtrail.AdvancedFieldSelector{
			{Field: "eventCategory", Equals: []string{"Data"}}, {Field: "resources.type", Equals: []string{"AWS::S3::Object"}}}}}
	}
	multi := func(t *cloudtrail.Trail) { t.Config.IsMultiRegionTrail = true }
	inWest := func(t *cloudtrail.Trail) { t.HomeRegion, t.ARN = west, cloudtrail.ARN(west, acct, t.Config.Name) }
	noGlobal := func(t *cloudtrail.Trail) { t.Config.IncludeGlobalServiceEvents = false }
	// The events: 0 east read, 1 east write, 2 west read, 3 west write,
	// 4 IAM write (recorded in us-east-1), 5 another account's write.
	tests := []struct {
		name string
		mod  func(*cloudtrail.Trail)
		want []int
	}{
		{"Default", nil, []int{0, 1, 4}},
		{"ReadOnly", readOnly, []int{0}},
		{"WriteOnly", writeOnly, []int{1, 4}},
		{"NoManagementEvents", noManagement, nil},
		{"AdvancedWriteOnly", advanced, []int{1, 4}},
		{"AdvancedDataOnly", dataOnly, nil},
		{"MultiRegion", multi, []int{0, 1, 2, 3, 4}},
		{"OtherRegion", inWest, []int{2, 3}},
		{"NoGlobalEvents", noGlobal, []int{0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.trail("main", tt.mod)
			ids := []string{
				e.record(acct, east, cdSrc, "ListApplications", true), e.record(acct, east, cdSrc, "CreateApplication", false),
				e.record(acct, west, cdSrc, "ListApplications", true), e.record(acct, west, cdSrc, "CreateApplication", false),
				e.record(acct, east, iamSrc, "CreateUser", false), e.record(member, east, cdSrc, "CreateApplication", false),
			}
			e.deliver(e.deliverer())
			var want []string
			for _, i := range tt.want {
				want = append(want, ids[i])
			}
			wantOnce(t, e.files(), want...)
		})
	}

	t.Run("OrganizationTrail", func(t *testing.T) {
		e := newEnv(t, nil)
		e.org()
		e.trail("org", func(t *cloudtrail.Trail) {
			t.OrgID, t.Config.IsOrganizationTrail, t.Config.IsMultiRegionTrail = orgID, true, true
		})
		own, mine := e.record(acct, east, cdSrc, "CreateApplication", false), e.record(member, west, cdSrc, "CreateApplication", false)
		stranger := e.record("999988887777", east, cdSrc, "CreateApplication", false)
		e.deliver(e.deliverer())
		files := e.files()
		wantOnce(t, files, own, mine)
		_ = stranger
		for _, f := range files {
			account, region := acct, east
			if f.Records[0]["eventID"] == mine {
				account, region = member, west
			}
			if re := keyPattern("", orgID+"/", account, region, "2026/03/04", "20260304T0506Z"); !re.MatchString(f.Key) {
				t.Errorf("key %s does not match %s", f.Key, re)
			}
		}
	})

	t.Run("TwoTrails", func(t *testing.T) {
		e := newEnv(t, nil)
		e.trail("one", nil)
		e.trail("two", func(t *cloudtrail.Trail) { t.Config.S3KeyPrefix = "two" })
		id := e.record(acct, east, cdSrc, "CreateApplication", false)
		e.deliver(e.deliverer())
		if got := eventIDs(e.files())[id]; got != 2 {
			t.Errorf("event delivered %d times, want once per trail", got)
		}
	})
}
