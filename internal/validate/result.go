package validate

import (
	"fmt"
	"time"

	"github.com/deploytrail/deploytrail/internal/digest"
)

// Kind is what a result is about.
type Kind string

// Kinds of results.
const (
	KindDigest Kind = "digest" // a digest file
	KindLog    Kind = "log"    // a log file
	KindChain  Kind = "chain"  // a stretch of a digest chain that no file stands for
)

// Status is the verdict on one file.
type Status string

// Statuses. Valid, Expired and Unreferenced do not fail a run; the rest do.
const (
	StatusValid            Status = "valid"
	StatusInvalidHash      Status = "invalid hash"      // log file content changed
	StatusInvalidSignature Status = "invalid signature" // digest signature missing, wrong or by an unknown key
	StatusModified         Status = "modified"          // digest changed, moved, replaced or out of its chain
	StatusMissing          Status = "missing"           // deleted
	StatusExpired          Status = "expired"           // removed by a lifecycle rule (Config.Expired)
	StatusCorrupt          Status = "corrupt"           // not one well-formed gzip member of valid JSON
	StatusUnreadable       Status = "unreadable"        // could not be fetched
	StatusChainGap         Status = "chain gap"         // digests missing between two present ones
	StatusUnreferenced     Status = "not referenced"    // a log file no digest lists (warning)
)

// Failed reports whether s makes the run fail (exit status 1).
func (s Status) Failed() bool {
	return s != StatusValid && s != StatusExpired && s != StatusUnreferenced
}

// Result is the verdict on one digest or log file.
type Result struct {
	Kind     Kind
	Backfill bool // a backfill digest, or a log file listed by one
	Account  string
	Region   string
	Bucket   string
	Key      string // for KindChain, the digest folder of the chain
	Status   Status
	Reason   string // why, when not valid
}

// String is the line the AWS CLI would print for r, e.g.
// "Log file\ts3://b/k\tINVALID: hash value doesn't match"; unreferenced
// files say WARNING and expired ones EXPIRED.
func (r Result) String() string {
	label := map[Kind]string{KindDigest: "Digest file", KindLog: "Log file", KindChain: "Digest chain"}[r.Kind]
	if r.Backfill {
		label = "(backfill) " + label
	}
	verdict := "valid"
	switch {
	case r.Status == StatusUnreferenced:
		verdict = "WARNING: " + r.Reason
	case r.Status == StatusExpired:
		verdict = "EXPIRED: " + r.Reason
	case r.Status.Failed():
		verdict = "INVALID: " + r.Reason
	}
	return fmt.Sprintf("%s\ts3://%s/%s\t%s", label, r.Bucket, r.Key, verdict)
}

// Summary counts the results.
type Summary struct {
	Start, End      time.Time // requested
	FoundStart      time.Time // digestStartTime of the oldest trusted digest; zero if none
	FoundEnd        time.Time // digestEndTime of the newest trusted digest
	Digests         int       // digest results, backfill excluded (missing ones included)
	ValidDigests    int
	Backfill        int
	ValidBackfill   int
	LogFiles        int // log files listed by trusted digests
	ValidLogFiles   int
	Expired         int // digests and log files removed by lifecycle rules
	Gaps            int // chain gaps
	Unreferenced    int // log files no digest lists
	InvalidDigests  int // digests whose status fails the run
	InvalidLogFiles int
	InvalidBackfill int
}

func summarize(start, end time.Time, results []Result, found window) Summary {
	s := Summary{Start: start, End: end, FoundStart: found.start, FoundEnd: found.end}
	for _, r := range results {
		s.count(r)
	}
	return s
}

func (s *Summary) count(r Result) {
	total, valid, invalid := &s.Digests, &s.ValidDigests, &s.InvalidDigests
	switch {
	case r.Kind == KindChain:
		s.Gaps++
		return
	case r.Status == StatusUnreferenced:
		s.Unreferenced++
		return
	case r.Kind == KindLog:
		total, valid, invalid = &s.LogFiles, &s.ValidLogFiles, &s.InvalidLogFiles
	case r.Backfill:
		total, valid, invalid = &s.Backfill, &s.ValidBackfill, &s.InvalidBackfill
	}
	*total++
	switch {
	case r.Status == StatusValid:
		*valid++
	case r.Status == StatusExpired:
		s.Expired++
	default:
		*invalid++
	}
}

// OK reports whether nothing failed: what exit status 0 means.
func (s Summary) OK() bool {
	return s.InvalidDigests+s.InvalidLogFiles+s.InvalidBackfill+s.Gaps == 0
}

// Lines is the summary as the AWS CLI prints it, plus our extra counts.
func (s Summary) Lines() []string {
	f := digest.FormatTime
	lines := []string{"Results requested for " + f(s.Start) + " to " + f(s.End)}
	if s.Digests+s.Backfill == 0 {
		return append(lines, "No digests found")
	}
	if s.FoundEnd.IsZero() {
		return append(lines, "No valid digests found in range")
	}
	lines = append(lines, "Results found for "+f(s.FoundStart)+" to "+f(s.FoundEnd)+":", "")
	lines = append(lines, countLine("digest", s.Digests, s.ValidDigests, s.InvalidDigests))
	if s.Backfill > 0 {
		lines = append(lines, countLine("backfill digest", s.Backfill, s.ValidBackfill, s.InvalidBackfill))
	}
	lines = append(lines, countLine("log", s.LogFiles, s.ValidLogFiles, s.InvalidLogFiles))
	if s.Gaps > 0 {
		lines = append(lines, fmt.Sprintf("%d digest chain gaps", s.Gaps))
	}
	if s.Expired > 0 {
		lines = append(lines, fmt.Sprintf("%s expired by lifecycle rules", count(s.Expired, "file")))
	}
	if s.Unreferenced > 0 {
		lines = append(lines, fmt.Sprintf("%s not referenced by any digest", count(s.Unreferenced, "log file")))
	}
	return lines
}

// countLine is "N/M <what> files valid[, K/M <what> files INVALID]".
func countLine(what string, total, valid, invalid int) string {
	line := fmt.Sprintf("%d/%d %s files valid", valid, total, what)
	if invalid > 0 {
		line += fmt.Sprintf(", %d/%d %s files INVALID", invalid, total, what)
	}
	return line
}

// count is "1 log file" or "n log files".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
