package awsproto

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/deploytrail/deploytrail/internal/awserr"
)

// Params is a decoded request: the input structure as a tree of
// map[string]any (structures and maps), []any (lists), string (strings,
// enums, base64 blobs), json.Number (numbers), bool and time.Time
// (timestamps), keyed by the model's member names. The same tree is what
// the trail records as requestParameters.
type Params map[string]any

// maxQueryParams bounds the form fields of one Query request, so that a
// hostile body cannot make decoding quadratic.
const maxQueryParams = 2000

// DecodeJSON decodes an AWS JSON 1.1 body against the input shape. Type
// mismatches are SerializationException, as AWS answers them.
func DecodeJSON(shape *Shape, body []byte) (Params, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return Params{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, serialization("The request body is not valid JSON.")
	}
	// More would miss a stray "}" or "]": it only looks for another value.
	if len(bytes.TrimSpace(body[dec.InputOffset():])) != 0 {
		return nil, serialization("The request body has trailing data after the JSON object.")
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, serialization("The request body must be a JSON object.")
	}
	if shape == nil {
		return Params{}, nil
	}
	v, err := jsonValue(shape, obj, "")
	if err != nil {
		return nil, err
	}
	return Params(v.(map[string]any)), nil
}

func serialization(msg string) error { return awserr.New(awserr.CodeSerialization, msg) }

func jsonValue(s *Shape, v any, path string) (any, error) {
	switch s.Type {
	case "structure":
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, typeError(path, "structure")
		}
		out := make(map[string]any, len(obj))
		for name, val := range obj {
			r, ok := s.Members[name]
			if !ok || val == nil {
				continue // AWS ignores unknown members and treats null as absent
			}
			d, err := jsonValue(r.Shape, val, join(path, name))
			if err != nil {
				return nil, err
			}
			out[name] = d
		}
		return out, nil
	case "list":
		arr, ok := v.([]any)
		if !ok {
			return nil, typeError(path, "list")
		}
		out := make([]any, 0, len(arr))
		for i, val := range arr {
			if val == nil {
				continue
			}
			d, err := jsonValue(s.Member.Shape, val, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out = append(out, d)
		}
		return out, nil
	case "map":
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, typeError(path, "map")
		}
		out := make(map[string]any, len(obj))
		for k, val := range obj {
			if val == nil {
				continue
			}
			d, err := jsonValue(s.Value.Shape, val, join(path, k))
			if err != nil {
				return nil, err
			}
			out[k] = d
		}
		return out, nil
	}
	return jsonScalar(s, v, path)
}

func jsonScalar(s *Shape, v any, path string) (any, error) {
	switch s.Type {
	case "string", "blob":
		str, ok := v.(string)
		if !ok {
			return nil, typeError(path, "string")
		}
		if s.Type == "blob" {
			if _, err := base64.StdEncoding.DecodeString(str); err != nil {
				return nil, typeError(path, "base64-encoded blob")
			}
		}
		return str, nil
	case "boolean":
		b, ok := v.(bool)
		if !ok {
			return nil, typeError(path, "boolean")
		}
		return b, nil
	case "integer", "long":
		n, ok := v.(json.Number)
		if !ok {
			return nil, typeError(path, "integer")
		}
		if _, err := strconv.ParseInt(string(n), 10, intBits(s)); err != nil {
			return nil, typeError(path, "integer")
		}
		return n, nil
	case "double", "float":
		n, ok := v.(json.Number)
		if !ok {
			return nil, typeError(path, "number")
		}
		if _, err := n.Float64(); err != nil { // out of range: 1e400
			return nil, typeError(path, "number")
		}
		return n, nil
	case "timestamp":
		return jsonTimestamp(v, path)
	}
	return nil, typeError(path, s.Type)
}

// jsonTimestamp accepts epoch seconds (integer or fractional, as SDKs send)
// and ISO 8601 strings.
func jsonTimestamp(v any, path string) (any, error) {
	switch t := v.(type) {
	case json.Number:
		f, err := t.Float64()
		if err != nil || math.IsInf(f, 0) || math.Abs(f) > 1e11 {
			return nil, typeError(path, "timestamp")
		}
		// Round to microseconds: near 1.7e9 a float64 is only good to
		// ~0.2µs, and truncating turned .123 into .122999906.
		sec, frac := math.Modf(f)
		ts := time.Unix(int64(sec), int64(math.Round(frac*1e6))*1e3).UTC()
		if !validTime(ts) {
			return nil, typeError(path, "timestamp")
		}
		return ts, nil
	case string:
		ts, err := ParseISOTime(t)
		if err != nil {
			return nil, typeError(path, "timestamp")
		}
		return ts, nil
	}
	return nil, typeError(path, "timestamp")
}

// ParseISOTime parses the ISO 8601 forms AWS clients send.
func ParseISOTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil && validTime(t.UTC()) {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid timestamp %q", s)
}

// validTime reports whether t has a four-digit year, as ISO 8601 output and
// the JSON encoding of the value tree (time.Time.MarshalJSON) require.
func validTime(t time.Time) bool { return t.Year() >= 0 && t.Year() <= 9999 }

// intBits is the size of an integer shape: Smithy's integer is 32 bits,
// long 64.
func intBits(s *Shape) int {
	if s.Type == "integer" {
		return 32
	}
	return 64
}

func typeError(path, want string) error {
	if path == "" {
		path = "the request"
	}
	return serialization(fmt.Sprintf("Unexpected value type for '%s': expected %s.", path, want))
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// DecodeQuery decodes AWS Query form fields (Action and Version removed or
// not) against the input shape: lists as Name.member.N (or Name.N when
// flattened), maps as Name.entry.N.key/value, structures as Name.Member.
// Malformed values are answered with badInput, the service's validation
// code (IAM and STS say ValidationError).
func DecodeQuery(shape *Shape, form url.Values, badInput string) (Params, error) {
	if len(form) > maxQueryParams {
		return nil, awserr.Errorf(badInput, "The request has more than %d parameters.", maxQueryParams)
	}
	if shape == nil {
		return Params{}, nil
	}
	q := queryDecoder{form: form, badInput: badInput, keys: sortedKeys(form)}
	v, _, err := q.structure(shape, "")
	if err != nil {
		return nil, err
	}
	if v == nil {
		return Params{}, nil
	}
	return Params(v), nil
}

type queryDecoder struct {
	form     url.Values
	keys     []string
	badInput string
}

func sortedKeys(form url.Values) []string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// hasPrefix reports whether any field starts with prefix + ".".
func (q *queryDecoder) hasPrefix(prefix string) bool {
	p := prefix + "."
	i := sort.SearchStrings(q.keys, p)
	return i < len(q.keys) && strings.HasPrefix(q.keys[i], p)
}

func (q *queryDecoder) value(s *Shape, key string, flattened bool) (any, bool, error) {
	switch s.Type {
	case "structure":
		v, ok, err := q.structure(s, key)
		if v == nil {
			return nil, ok, err
		}
		return v, ok, err
	case "list":
		return q.list(s, key, flattened)
	case "map":
		return q.mapping(s, key, flattened)
	}
	vals := q.form[key]
	if len(vals) == 0 {
		return nil, false, nil
	}
	v, err := q.scalar(s, key, vals[0])
	return v, err == nil, err
}

func (q *queryDecoder) structure(s *Shape, prefix string) (map[string]any, bool, error) {
	if prefix != "" && !q.hasPrefix(prefix) {
		return nil, false, nil
	}
	out := map[string]any{}
	for _, name := range s.order {
		r := s.Members[name]
		key := wireName(name, r)
		if prefix != "" {
			key = prefix + "." + key
		}
		v, ok, err := q.value(r.Shape, key, r.Flattened || r.Shape.Flattened)
		if err != nil {
			return nil, false, err
		}
		if ok {
			out[name] = v
		}
	}
	return out, true, nil
}

func (q *queryDecoder) list(s *Shape, key string, flattened bool) (any, bool, error) {
	if vals, ok := q.form[key]; ok && len(vals) > 0 && vals[0] == "" && !q.hasPrefix(key) {
		return []any{}, true, nil // botocore sends "Name=" for an empty list
	}
	base := key
	if !flattened {
		base = key + "." + listMemberName(s)
	}
	var out []any
	for i := 1; ; i++ {
		v, ok, err := q.value(s.Member.Shape, base+"."+strconv.Itoa(i), false)
		if err != nil {
			return nil, false, err
		}
		if !ok {
			break
		}
		out = append(out, v)
	}
	if out == nil {
		return nil, false, nil
	}
	return out, true, nil
}

func listMemberName(s *Shape) string {
	if s.Member.LocationName != "" {
		return s.Member.LocationName
	}
	return "member"
}

func (q *queryDecoder) mapping(s *Shape, key string, flattened bool) (any, bool, error) {
	base := key
	if !flattened {
		base = key + ".entry"
	}
	kname, vname := mapEntryNames(s)
	out := map[string]any{}
	for i := 1; ; i++ {
		entry := base + "." + strconv.Itoa(i)
		k := q.form[entry+"."+kname]
		if len(k) == 0 {
			break
		}
		v, _, err := q.value(s.Value.Shape, entry+"."+vname, false)
		if err != nil {
			return nil, false, err
		}
		out[k[0]] = v
	}
	if len(out) == 0 {
		return nil, false, nil
	}
	return out, true, nil
}

func (q *queryDecoder) scalar(s *Shape, key, raw string) (any, error) {
	switch s.Type {
	case "string", "blob":
		return raw, nil
	case "boolean":
		b, err := strconv.ParseBool(raw)
		if err != nil || (raw != "true" && raw != "false") {
			return nil, q.invalid(key, raw, "boolean")
		}
		return b, nil
	// Numbers are re-formatted: strconv accepts "+7", "007", "0x1p-2" and
	// "NaN", which are not JSON numbers, and json.Marshal (Bind, the trail)
	// refuses a json.Number that is not one.
	case "integer", "long":
		n, err := strconv.ParseInt(raw, 10, intBits(s))
		if err != nil {
			return nil, q.invalid(key, raw, "integer")
		}
		return json.Number(strconv.FormatInt(n, 10)), nil
	case "double", "float":
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, q.invalid(key, raw, "number")
		}
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil
	case "timestamp":
		t, err := ParseISOTime(raw)
		if err != nil {
			return nil, q.invalid(key, raw, "timestamp")
		}
		return t, nil
	}
	return nil, q.invalid(key, raw, s.Type)
}

func (q *queryDecoder) invalid(key, raw, want string) error {
	return awserr.Errorf(q.badInput, "Value '%s' for parameter %s is invalid. It must be a valid %s.", truncate(raw, 64), key, want)
}

// truncate cuts s to at most n bytes, on a rune boundary so that messages
// stay valid UTF-8.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
