package digest

import (
	"fmt"
	"strings"
	"time"
)

// KeyParts are the values a digest object key is built from (§9.2).
type KeyParts struct {
	Prefix     string    // the trail's S3KeyPrefix, without trailing slash; may be empty
	OrgID      string    // organization id for organization trails; may be empty
	AccountID  string    // account whose log files the digest covers
	Region     string    // Region whose log files the digest covers
	TrailName  string    // the trail's name (not its ARN)
	HomeRegion string    // the trail's home Region
	EndTime    time.Time // the digest's digestEndTime
	Backfill   bool      // a backfill digest (we never write them, but parse them)
}

const (
	digestFolder = "CloudTrail-Digest"
	keyTimeDay   = "2006/01/02"
	keyTime      = "20060102T150405Z"
	keySuffix    = ".json.gz"
	backfillTag  = "_backfill"
)

// Dir is the folder holding the digests of one account and Region, with a
// trailing slash: [prefix/]AWSLogs/[orgID/]account/CloudTrail-Digest/region/.
func Dir(prefix, orgID, account, region string) string {
	return AccountDir(prefix, orgID, account) + digestFolder + "/" + region + "/"
}

// AccountDir is [prefix/]AWSLogs/[orgID/]account/, the folder of all of an
// account's log and digest files.
func AccountDir(prefix, orgID, account string) string {
	return LogsRoot(prefix, orgID) + account + "/"
}

// LogsRoot is [prefix/]AWSLogs/[orgID/], the folder holding one folder
// per account.
func LogsRoot(prefix, orgID string) string {
	s := "AWSLogs/"
	if prefix != "" {
		s = prefix + "/" + s
	}
	if orgID != "" {
		s += orgID + "/"
	}
	return s
}

// Key is the digest object key of §9.2, e.g.
// AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz.
func Key(p KeyParts) string {
	end := p.EndTime.UTC()
	name := fmt.Sprintf("%s_%s_%s_%s_%s_%s", p.AccountID, digestFolder, p.Region, p.TrailName,
		p.HomeRegion, end.Format(keyTime))
	if p.Backfill {
		name += backfillTag
	}
	return Dir(p.Prefix, p.OrgID, p.AccountID, p.Region) + end.Format(keyTimeDay) + "/" + name + keySuffix
}

// ParseKey splits a digest object key into its parts; Key(ParseKey(k)) == k
// for every key it accepts. Other keys (log files, foreign objects, a date
// folder that disagrees with the timestamp) are an error.
func ParseKey(key string) (KeyParts, error) {
	p, ok := parseKey(key)
	if !ok || Key(p) != key {
		return KeyParts{}, fmt.Errorf("%q is not a CloudTrail digest key", key)
	}
	return p, nil
}

// parseKey reads the parts from the right, where the layout is fixed, so
// that a prefix containing "AWSLogs/" cannot confuse it. Key(p) == key is
// checked by the caller, which catches every inconsistency left here.
func parseKey(key string) (p KeyParts, ok bool) {
	segs := strings.Split(key, "/")
	n := len(segs)
	if n < 8 || segs[n-6] != digestFolder {
		return p, false
	}
	p.Region, p.AccountID = segs[n-5], segs[n-7]
	rest := segs[:n-7]
	if len(rest) >= 2 && rest[len(rest)-1] != "AWSLogs" && isOrgID(rest[len(rest)-1]) {
		p.OrgID, rest = rest[len(rest)-1], rest[:len(rest)-1]
	}
	if len(rest) == 0 || rest[len(rest)-1] != "AWSLogs" {
		return p, false
	}
	p.Prefix = strings.Join(rest[:len(rest)-1], "/")
	return p, parseFileName(&p, segs[n-1])
}

// parseFileName reads the trail name, home Region, end time and backfill
// mark from acct_CloudTrail-Digest_region_trail_home_TS[_backfill].json.gz.
// Regions contain no '_' but trail names may, so the home Region is the
// text after the last '_'.
func parseFileName(p *KeyParts, name string) bool {
	name, ok := strings.CutSuffix(name, keySuffix)
	if !ok {
		return false
	}
	name, p.Backfill = strings.CutSuffix(name, backfillTag)
	lead := p.AccountID + "_" + digestFolder + "_" + p.Region + "_"
	if !strings.HasPrefix(name, lead) || len(name) < len(lead)+len(keyTime)+1 {
		return false
	}
	stamp := name[len(name)-len(keyTime):]
	end, err := time.Parse(keyTime, stamp)
	if err != nil {
		return false
	}
	p.EndTime = end
	trailHome := strings.TrimSuffix(name[len(lead):len(name)-len(keyTime)], "_")
	i := strings.LastIndexByte(trailHome, '_')
	if i <= 0 {
		return false
	}
	p.TrailName, p.HomeRegion = trailHome[:i], trailHome[i+1:]
	return true
}

// isOrgID reports whether s looks like an organization id: o- followed by
// 10 to 32 lowercase letters or digits.
func isOrgID(s string) bool {
	id, ok := strings.CutPrefix(s, "o-")
	if !ok || len(id) < 10 || len(id) > 32 {
		return false
	}
	for _, c := range id {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
