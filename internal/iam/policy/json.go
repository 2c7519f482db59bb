package policy

import (
	"bytes"
	"encoding/json"
)

// member is one name/value pair of a JSON object.
type member struct {
	name  string
	value json.RawMessage
}

// errSyntax is the error for JSON that does not have the policy grammar's
// shape: bad JSON, wrong types, duplicate names.
var errSyntax = &MalformedError{Message: MsgSyntax}

// objectMembers splits a JSON object into its members in document order.
// Duplicate names are a syntax error: encoding/json (and IAM's parser)
// would silently keep one of them, and a policy that means different
// things to different readers is a security hole, not a convenience.
func objectMembers(raw json.RawMessage) ([]member, error) {
	if jsonType(raw) != '{' {
		return nil, errSyntax
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // '{'
		return nil, errSyntax
	}
	var ms []member
	for dec.More() {
		m, err := nextMember(dec)
		if err != nil || hasMember(ms, m.name) {
			return nil, errSyntax
		}
		ms = append(ms, m)
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, errSyntax
	}
	return ms, nil
}

// nextMember reads one name and its value from dec, positioned inside an
// object.
func nextMember(dec *json.Decoder) (member, error) {
	tok, err := dec.Token()
	if err != nil {
		return member{}, err
	}
	name, ok := tok.(string)
	if !ok {
		return member{}, errSyntax
	}
	var v json.RawMessage
	if err := dec.Decode(&v); err != nil {
		return member{}, err
	}
	return member{name: name, value: v}, nil
}

// hasMember reports whether ms has a member called name.
func hasMember(ms []member, name string) bool {
	for _, m := range ms {
		if m.name == name {
			return true
		}
	}
	return false
}

// jsonType returns the first byte of a JSON value, which tells its type:
// '{', '[', '"', 't', 'f', 'n', or a digit or '-' for numbers. It returns
// 0 for an empty value.
func jsonType(raw json.RawMessage) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

// jsonString decodes a JSON string.
func jsonString(raw json.RawMessage) (string, error) {
	var s string
	if jsonType(raw) != '"' || json.Unmarshal(raw, &s) != nil {
		return "", errSyntax
	}
	return s, nil
}

// jsonArray splits a JSON array into its elements.
func jsonArray(raw json.RawMessage) ([]json.RawMessage, error) {
	var elems []json.RawMessage
	if jsonType(raw) != '[' || json.Unmarshal(raw, &elems) != nil {
		return nil, errSyntax
	}
	return elems, nil
}

// stringList decodes the grammar's "string or array of strings". An empty
// array gives an empty, non-nil slice so callers can tell it from absence.
func stringList(raw json.RawMessage) ([]string, error) {
	if jsonType(raw) == '"' {
		s, err := jsonString(raw)
		return []string{s}, err
	}
	elems, err := jsonArray(raw)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(elems))
	for _, e := range elems {
		s, err := jsonString(e)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// scalarText returns the text of a condition value: a string's contents,
// a number's literal, or "true"/"false". IAM compares condition values as
// strings and converts them per operator, so this keeps the literal.
func scalarText(raw json.RawMessage) (string, error) {
	switch c := jsonType(raw); {
	case c == '"':
		return jsonString(raw)
	case c == 't' || c == 'f':
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			return "", errSyntax
		}
		return string(bytes.TrimSpace(raw)), nil
	case c == '-' || (c >= '0' && c <= '9'):
		var n json.Number
		if json.Unmarshal(raw, &n) != nil {
			return "", errSyntax
		}
		return n.String(), nil
	}
	return "", errSyntax
}

// scalarList decodes a condition value: a scalar or an array of scalars.
func scalarList(raw json.RawMessage) ([]string, error) {
	if jsonType(raw) != '[' {
		s, err := scalarText(raw)
		return []string{s}, err
	}
	elems, err := jsonArray(raw)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(elems))
	for _, e := range elems {
		s, err := scalarText(e)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
