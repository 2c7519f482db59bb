package s3api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/deploytrail/deploytrail/internal/objstore"
)

// conditionHeaders name the four conditional headers: GetObject's own,
// or CopyObject's x-amz-copy-source-if-* ones.
type conditionHeaders struct{ match, noneMatch, modifiedSince, unmodifiedSince string }

var (
	getConditions  = conditionHeaders{"If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"}
	copyConditions = conditionHeaders{"X-Amz-Copy-Source-If-Match", "X-Amz-Copy-Source-If-None-Match",
		"X-Amz-Copy-Source-If-Modified-Since", "X-Amz-Copy-Source-If-Unmodified-Since"}
)

// checkConditions applies the conditional headers to the object, in
// S3's order (RFC 7232 §6): If-Match, else If-Unmodified-Since, fails
// with PreconditionFailed; If-None-Match, else If-Modified-Since, with
// NotModified (a copy fails PreconditionFailed for all four).
func checkConditions(h http.Header, names conditionHeaders, info *objstore.ObjectInfo, isCopy bool) error {
	failed := Errorf(CodePreconditionFailed, "At least one of the pre-conditions you specified did not hold")
	notModified := Errorf(CodeNotModified, "Not Modified")
	if isCopy {
		notModified = failed
	}
	modified := info.Modified.Truncate(time.Second)
	if v := h.Get(names.match); v != "" {
		if !etagMatches(v, info.ETag) {
			return failed
		}
	} else if t, ok := httpTime(h.Get(names.unmodifiedSince)); ok && modified.After(t) {
		return failed
	}
	if v := h.Get(names.noneMatch); v != "" {
		if etagMatches(v, info.ETag) {
			return notModified
		}
	} else if t, ok := httpTime(h.Get(names.modifiedSince)); ok && !modified.After(t) {
		return notModified
	}
	return nil
}

// etagMatches tells whether a list of entity tags (or "*") names etag;
// quotes are optional, as S3 accepts.
func etagMatches(list, etag string) bool {
	for tag := range strings.SplitSeq(list, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || strings.Trim(tag, `"`) == strings.Trim(etag, `"`) && etag != "" {
			return true
		}
	}
	return false
}

func httpTime(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, false
	}
	t, err := http.ParseTime(v)
	return t, err == nil
}

// byteRange is the part of an object a Range header asks for.
type byteRange struct{ off, n int64 }

// parseRange reads a single "bytes=a-b", "bytes=a-" or "bytes=-n" against
// an object of size bytes. ok is false when there is no usable range
// (absent, malformed or several: S3 then sends the whole object);
// InvalidRange when it starts past the end.
func parseRange(v string, size int64) (r byteRange, ok bool, err error) {
	spec, found := strings.CutPrefix(strings.TrimSpace(v), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return byteRange{}, false, nil
	}
	first, last, found := strings.Cut(spec, "-")
	if !found {
		return byteRange{}, false, nil
	}
	if first == "" { // the last n bytes
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			return byteRange{}, false, nil
		}
		if n == 0 {
			return byteRange{}, false, invalidRange()
		}
		n = min(n, size)
		return byteRange{off: size - n, n: n}, true, nil
	}
	off, err := strconv.ParseInt(first, 10, 64)
	if err != nil || off < 0 {
		return byteRange{}, false, nil
	}
	end := size - 1
	if last != "" {
		if end, err = strconv.ParseInt(last, 10, 64); err != nil || end < off {
			return byteRange{}, false, nil
		}
		end = min(end, size-1)
	}
	if off >= size {
		return byteRange{}, false, invalidRange()
	}
	return byteRange{off: off, n: end - off + 1}, true, nil
}

func invalidRange() error {
	return Errorf(CodeInvalidRange, "The requested range is not satisfiable")
}
