package delivery

import (
	"crypto/rand"
	"fmt"
	"time"

	"github.com/deploytrail/deploytrail/internal/cloudtrail"
	"github.com/deploytrail/deploytrail/internal/objstore"
)

// plan splits the selected events into the files of one delivery at
// time at: one or more per (account, region), in order of first
// appearance, each holding at most maxBytes of records (at least one).
func plan(t *cloudtrail.Trail, events []*Event, at time.Time, maxBytes int) []File {
	type group struct{ account, region string }
	var order []group
	byGroup := map[group][]*Event{}
	for _, e := range events {
		g := group{e.Account, e.Region}
		if _, ok := byGroup[g]; !ok {
			order = append(order, g)
		}
		byGroup[g] = append(byGroup[g], e)
	}
	var files []File
	for _, g := range order {
		size := 0
		for _, e := range byGroup[g] {
			if n := len(files); n == 0 || files[n-1].Account != g.account || files[n-1].Region != g.region ||
				size+len(e.Record)+1 > maxBytes {
				files = append(files, File{Key: Key(t, g.account, g.region, at), Account: g.account, Region: g.region})
				size = len(`{"Records":[]}`)
			}
			files[len(files)-1].Seqs = append(files[len(files)-1].Seqs, e.Seq)
			size += len(e.Record) + 1
		}
	}
	return files
}

// Key is a new log file's object key (spec §7.1):
// [prefix/]AWSLogs/[o-id/]account/CloudTrail/region/YYYY/MM/DD/
// account_CloudTrail_region_YYYYMMDDTHHmmZ_<16 random [A-Za-z0-9]>.json.gz.
func Key(t *cloudtrail.Trail, account, region string, at time.Time) string {
	at = at.UTC()
	key := "AWSLogs/"
	if t.Config.IsOrganizationTrail && t.OrgID != "" {
		key += t.OrgID + "/"
	}
	key += fmt.Sprintf("%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s.json.gz", account, region,
		at.Format("2006/01/02"), account, region, at.Format("20060102T1504Z"), uniqueString())
	if t.Config.S3KeyPrefix != "" {
		key = t.Config.S3KeyPrefix + "/" + key
	}
	return key
}

const alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// uniqueString is 16 random characters of [A-Za-z0-9]; it only keeps
// keys apart.
func uniqueString() string {
	b := make([]byte, 16)
	rand.Read(b)
	for i := range b {
		b[i] = alphanumerics[int(b[i])%len(alphanumerics)]
	}
	return string(b)
}

// encryption is the server-side encryption of t's files (spec §7.7).
func encryption(t *cloudtrail.Trail) objstore.Encryption {
	if t.Config.KmsKeyID != "" {
		return objstore.Encryption{Mode: objstore.SSEKMS, KMSKeyID: t.Config.KmsKeyID}
	}
	return objstore.Encryption{Mode: objstore.SSES3}
}
