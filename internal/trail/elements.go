package trail

import (
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/deploytrail/deploytrail/internal/awsproto"
)

const (
	// maxElements is the JSON size beyond which requestParameters and
	// responseElements are omitted (spec §4.5).
	maxElements = 100 << 10
	// javaDate is how AWS writes timestamps inside requestParameters and
	// responseElements: IAM's createDate "Oct 5, 2023, 1:22:33 PM".
	javaDate = "Jan 2, 2006, 3:04:05 PM"
)

// secretMembers are never recorded, whatever a model says: STS
// credentials keep only accessKeyId, IAM access keys never show their
// secret, login profiles never their password, SNS confirmations never
// their token. The IAM and STS models mark
// some of these sensitive but not SessionToken, and a model regenerated
// from another botocore release might drop the marks.
var secretMembers = map[string]bool{
	"SecretAccessKey": true,
	"SessionToken":    true,
	"Password":        true,
	"NewPassword":     true,
	"OldPassword":     true,
	// SNS's subscription confirmation token lets whoever holds it
	// confirm the subscription.
	"Token": true,
}

// renderer turns a params or output tree into requestParameters or
// responseElements: only members the model knows, secrets hidden,
// timestamps as AWS writes them, and member names as AWS records them
// (names.go): lowerCamel at every level unless the service keeps its
// model's names.
type renderer struct {
	lower bool
}

// tree renders a top-level structure; nil when there is nothing to show or
// the JSON would exceed maxElements.
func (r renderer) tree(s *awsproto.Shape, tree map[string]any) map[string]any {
	if s == nil || len(tree) == 0 {
		return nil
	}
	out, _ := r.structure(s, tree).(map[string]any)
	if len(out) == 0 || tooLarge(out) {
		return nil
	}
	return out
}

// value renders v as shape s; nil drops it.
func (r renderer) value(s *awsproto.Shape, v any) any {
	switch {
	case s == nil || v == nil:
		return nil
	case s.Sensitive:
		return Hidden
	}
	switch s.Type {
	case "structure":
		return r.structure(s, v)
	case "list":
		return r.list(s, v)
	case "map":
		return r.mapping(s, v)
	case "timestamp":
		return timestamp(v)
	}
	return scalar(v)
}

func (r renderer) structure(s *awsproto.Shape, v any) any {
	obj, ok := asObject(v)
	if !ok {
		return nil
	}
	out := make(map[string]any, len(obj))
	for name, val := range obj {
		ref, ok := s.Members[name]
		if !ok || val == nil {
			continue // a member the model lacks might be internal: never record it
		}
		key := name
		if r.lower {
			key = lowerFirst(name)
		}
		if secretMembers[name] {
			out[key] = Hidden
		} else if rv := r.value(ref.Shape, val); rv != nil {
			out[key] = rv
		}
	}
	return out
}

func (r renderer) list(s *awsproto.Shape, v any) any {
	arr, ok := v.([]any)
	if !ok || s.Member == nil {
		return nil
	}
	out := make([]any, 0, len(arr))
	for _, item := range arr {
		if rv := r.value(s.Member.Shape, item); rv != nil {
			out = append(out, rv)
		}
	}
	return out
}

// mapping renders a map's values; its keys are data, not member names,
// and keep their case.
func (r renderer) mapping(s *awsproto.Shape, v any) any {
	obj, ok := asObject(v)
	if !ok || s.Value == nil {
		return nil
	}
	out := make(map[string]any, len(obj))
	for k, val := range obj {
		if rv := r.value(s.Value.Shape, val); rv != nil {
			out[k] = rv
		}
	}
	return out
}

func asObject(v any) (map[string]any, bool) {
	switch t := v.(type) {
	case map[string]any:
		return t, true
	case awsproto.Params:
		return t, true
	}
	return nil, false
}

// timestamp writes a time.Time, an ISO 8601 string (output trees) or epoch
// seconds as a Java-style UTC date. Anything else is kept as it is.
func timestamp(v any) any {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case string:
		ts, err := awsproto.ParseISOTime(x)
		if err != nil {
			return x
		}
		t = ts
	case json.Number:
		f, err := x.Float64()
		if err != nil || math.Abs(f) > 1e11 {
			return scalar(v)
		}
		sec, frac := math.Modf(f)
		t = time.Unix(int64(sec), int64(frac*1e9))
	default:
		return scalar(v)
	}
	return t.UTC().Format(javaDate)
}

// scalar keeps the values JSON can carry, so that marshaling the record
// never fails: numbers that are not JSON numbers become strings, NaN and
// infinities are dropped.
func scalar(v any) any {
	switch x := v.(type) {
	case string, bool, int, int32, int64:
		return x
	case json.Number:
		if !validNumber(string(x)) {
			return string(x)
		}
		return x
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return x
	}
	return nil
}

// validNumber reports whether s is one JSON number, as json.Marshal
// requires of a json.Number. A JSON value that starts with '-' or a digit
// and ends with a digit can only be a number.
func validNumber(s string) bool {
	if s == "" || !strings.ContainsRune("-0123456789", rune(s[0])) || s[len(s)-1] < '0' || s[len(s)-1] > '9' {
		return false
	}
	return json.Valid([]byte(s))
}

// tooLarge reports whether v's JSON exceeds maxElements. A cheap upper
// bound settles most trees without marshaling them.
func tooLarge(v map[string]any) bool {
	if sizeBound(v) <= maxElements {
		return false
	}
	b, err := json.Marshal(v)
	return err != nil || len(b) > maxElements
}

// sizeBound is at least the length of v's JSON: every string byte may
// take six (\u00XX escapes, U+FFFD for invalid UTF-8).
func sizeBound(v any) int {
	switch x := v.(type) {
	case map[string]any:
		n := 2
		for k, val := range x {
			n += 6*len(k) + 4 + sizeBound(val)
		}
		return n
	case []any:
		n := 2
		for _, val := range x {
			n += 1 + sizeBound(val)
		}
		return n
	case string:
		return 6*len(x) + 2
	case json.Number:
		return len(x)
	}
	return 32 // bool, int, float64, time
}
