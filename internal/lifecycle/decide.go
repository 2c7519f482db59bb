package lifecycle

import (
	"regexp"
	"strings"
	"time"
)

// Action is what the rules want done with an object now.
type Action int

// Actions, in increasing precedence: when an object is due for both,
// expiration wins over transition, as in S3.
const (
	Keep    Action = iota // no rule is due
	Archive               // a Transition is due: move the object to archive storage
	Expire                // an Expiration is due: delete the object
)

// String returns "keep", "archive" or "expire".
func (a Action) String() string {
	switch a {
	case Archive:
		return "archive"
	case Expire:
		return "expire"
	}
	return "keep"
}

// Decide returns what cfg's enabled rules whose prefix matches key want
// done at now with an object last modified at modified. A nil cfg keeps
// everything. Like S3, a rule of N days is due at the first midnight UTC
// at or after modified + N days.
func Decide(cfg *Configuration, key string, modified, now time.Time) Action {
	if cfg == nil {
		return Keep
	}
	action := Keep
	for i := range cfg.Rules {
		r := &cfg.Rules[i]
		if r.Status != StatusEnabled || !strings.HasPrefix(key, r.prefix()) {
			continue
		}
		if e := r.Expiration; e != nil && isDue(e.Days, e.Date, modified, now) {
			return Expire
		}
		for _, t := range r.Transitions {
			if isDue(t.Days, t.Date, modified, now) {
				action = Archive
			}
		}
	}
	return action
}

// Removed reports whether cfg's rules have removed, by now, an object last
// modified at modified from its bucket: expired it or (on the file
// backend) moved it to the archive.
func Removed(cfg *Configuration, key string, modified, now time.Time) bool {
	return Decide(cfg, key, modified, now) != Keep
}

// isDue reports whether an action of days days, or on date, is due at now
// for an object modified at modified.
func isDue(days *int, date *time.Time, modified, now time.Time) bool {
	if date != nil {
		return !now.Before(*date)
	}
	if days == nil {
		return false
	}
	return !now.Before(dueTime(modified, *days))
}

// dueTime is modified + days rounded up to midnight UTC.
func dueTime(modified time.Time, days int) time.Time {
	t := modified.UTC().AddDate(0, 0, days)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	if day.Before(t) {
		day = day.AddDate(0, 0, 1)
	}
	return day
}

// keyTime matches the delivery time in a CloudTrail log file key
// (…_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz) or digest key
// (…_20150817T150131Z.json.gz, …_20150817T150131Z_backfill.json.gz).
var keyTime = regexp.MustCompile(`_(\d{8}T\d{4}(?:\d{2})?)Z(?:_[A-Za-z0-9]+)?\.json\.gz$`)

// KeyTime returns the delivery time a CloudTrail log file or digest key
// carries (spec §7.1, §9.2), which is when the object was written to the
// minute or second.
func KeyTime(key string) (time.Time, bool) {
	m := keyTime.FindStringSubmatch(key)
	if m == nil {
		return time.Time{}, false
	}
	layout := "20060102T1504"
	if len(m[1]) == len(layout)+2 {
		layout += "05"
	}
	t, err := time.Parse(layout, m[1])
	return t, err == nil
}

// ExpiredFunc returns a predicate for validate.Config.Expired: whether a
// missing CloudTrail log or digest file was removed by cfg's rules by
// now(), judged by the delivery time in its key (a missing object has no
// modification time to ask for). Keys without a time are never expired.
// A nil cfg expires nothing.
func ExpiredFunc(cfg *Configuration, now func() time.Time) func(key string) bool {
	return func(key string) bool {
		t, ok := KeyTime(key)
		return ok && Removed(cfg, key, t, now())
	}
}
