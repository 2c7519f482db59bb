package awsproto

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/deploytrail/deploytrail/internal/awserr"
)

// maxViolations is how many problems one message lists, as AWS caps them.
const maxViolations = 10

// Validate checks params against the model's constraints (required
// members, lengths, patterns, enums, ranges) and returns one error with
// code listing every violation in AWS's words:
//
//	1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null
func Validate(shape *Shape, params Params, code string) error {
	if shape == nil {
		return nil
	}
	var v validator
	v.structure(shape, map[string]any(params), "")
	if len(v.problems) == 0 {
		return nil
	}
	noun := "errors"
	if len(v.problems) == 1 {
		noun = "error"
	}
	shown := v.problems
	if len(shown) > maxViolations {
		shown = shown[:maxViolations]
	}
	return awserr.Errorf(code, "%d validation %s detected: %s", len(v.problems), noun, strings.Join(shown, "; "))
}

type validator struct{ problems []string }

func (v *validator) fail(value any, s *Shape, path, constraint string) {
	shown := "null"
	switch {
	case value == nil:
	case s.Sensitive:
		shown = "'***'"
	default:
		shown = "'" + truncate(fmt.Sprint(value), 256) + "'"
	}
	v.problems = append(v.problems, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", shown, path, constraint))
}

func (v *validator) structure(s *Shape, obj map[string]any, path string) {
	for _, name := range s.order {
		r := s.Members[name]
		val, ok := obj[name]
		p := join(path, lowerFirst(name))
		if !ok {
			if s.IsRequired(name) {
				v.fail(nil, r.Shape, p, "Member must not be null")
			}
			continue
		}
		v.value(r.Shape, val, p)
	}
}

func (v *validator) value(s *Shape, val any, path string) {
	switch t := val.(type) {
	case map[string]any:
		if s.Type == "structure" {
			v.structure(s, t, path)
			return
		}
		v.length(s, t, len(t), path)
		for _, k := range sortedMapKeys(t) { // the message must not vary between calls
			v.value(s.Value.Shape, t[k], path+"."+k)
		}
	case []any:
		v.length(s, t, len(t), path)
		for i, item := range t {
			v.value(s.Member.Shape, item, fmt.Sprintf("%s.%d.member", path, i+1))
		}
	case string:
		v.str(s, t, path)
	case json.Number:
		v.number(s, t, path)
	}
}

func (v *validator) str(s *Shape, val, path string) {
	if s.Type == "blob" {
		return
	}
	v.length(s, val, utf8.RuneCountInString(val), path)
	if len(s.Enum) > 0 && !contains(s.Enum, val) {
		v.fail(val, s, path, "Member must satisfy enum value set: ["+strings.Join(s.Enum, ", ")+"]")
	}
	if s.regex != nil && !s.regex.MatchString(val) {
		v.fail(val, s, path, "Member must satisfy regular expression pattern: "+s.Pattern)
	}
}

func (v *validator) length(s *Shape, val any, n int, path string) {
	if s.Min != nil && float64(n) < *s.Min {
		v.fail(val, s, path, "Member must have length greater than or equal to "+fmtNum(*s.Min))
	}
	if s.Max != nil && float64(n) > *s.Max {
		v.fail(val, s, path, "Member must have length less than or equal to "+fmtNum(*s.Max))
	}
}

func (v *validator) number(s *Shape, val json.Number, path string) {
	f, err := val.Float64()
	if err != nil {
		return
	}
	if s.Min != nil && f < *s.Min {
		v.fail(val, s, path, "Member must have value greater than or equal to "+fmtNum(*s.Min))
	}
	if s.Max != nil && f > *s.Max {
		v.fail(val, s, path, "Member must have value less than or equal to "+fmtNum(*s.Max))
	}
}

func fmtNum(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
