package awsproto

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"sort"
	"strconv"
	"time"
)

// ToTree turns a service's typed output into the value tree the encoders
// and the trail share (see Params). Output structs carry json tags equal
// to the model's member names.
func ToTree(out any) (map[string]any, error) {
	if out == nil {
		return map[string]any{}, nil
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("marshal output: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tree map[string]any
	if err := dec.Decode(&tree); err != nil {
		return nil, fmt.Errorf("decode output: %w", err)
	}
	return tree, nil
}

// Bind fills a typed input from decoded params.
func Bind(params Params, in any) error {
	raw, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("marshal params: %w", err)
	}
	if err := json.Unmarshal(raw, in); err != nil {
		return fmt.Errorf("bind params: %w", err)
	}
	return nil
}

// EncodeJSON writes an output tree as an AWS JSON 1.1 body: only members
// the model knows (so an internal field can never leak), timestamps as
// epoch seconds.
func EncodeJSON(shape *Shape, tree map[string]any) ([]byte, error) {
	if shape == nil || tree == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(jsonWire(shape, tree))
}

func jsonWire(s *Shape, v any) any {
	switch s.Type {
	case "structure":
		obj, _ := v.(map[string]any)
		out := make(map[string]any, len(obj))
		for name, val := range obj {
			if r, ok := s.Members[name]; ok && val != nil {
				out[name] = jsonWire(r.Shape, val)
			}
		}
		return out
	case "list":
		arr, _ := v.([]any)
		out := make([]any, len(arr))
		for i, val := range arr {
			out[i] = jsonWire(s.Member.Shape, val)
		}
		return out
	case "map":
		obj, _ := v.(map[string]any)
		out := make(map[string]any, len(obj))
		for k, val := range obj {
			out[k] = jsonWire(s.Value.Shape, val)
		}
		return out
	case "timestamp":
		if t, ok := asTime(v); ok {
			return json.Number(epoch(t))
		}
	}
	return v
}

// epoch formats t as epoch seconds, with milliseconds when it has them.
func epoch(t time.Time) string {
	ms := t.UnixMilli()
	if ms%1000 == 0 {
		return strconv.FormatInt(ms/1000, 10)
	}
	return strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64)
}

func asTime(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, true
	case string:
		ts, err := ParseISOTime(t)
		return ts, err == nil
	}
	return time.Time{}, false
}

// EncodeQueryResponse writes an AWS Query XML response:
//
//	<OpResponse xmlns="ns"><OpResult>…</OpResult><ResponseMetadata><RequestId>id</RequestId></ResponseMetadata></OpResponse>
func EncodeQueryResponse(m *Model, op *Operation, tree map[string]any, requestID string) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header[:len(xml.Header)-1])
	fmt.Fprintf(&b, "<%sResponse xmlns=\"%s\">", op.Name, m.Metadata.XMLNamespace)
	if op.Output != nil {
		wrapper := op.Output.ResultWrapper
		if wrapper == "" {
			wrapper = op.Name + "Result"
		}
		b.WriteString("<" + wrapper + ">")
		xmlStructure(&b, op.Output.Shape, tree)
		b.WriteString("</" + wrapper + ">")
	}
	b.WriteString("<ResponseMetadata><RequestId>")
	xmlText(&b, requestID)
	b.WriteString("</RequestId></ResponseMetadata>")
	fmt.Fprintf(&b, "</%sResponse>", op.Name)
	return b.Bytes()
}

func xmlStructure(b *bytes.Buffer, s *Shape, obj map[string]any) {
	for _, name := range s.order {
		val, ok := obj[name]
		if !ok || val == nil {
			continue
		}
		r := s.Members[name]
		xmlMember(b, wireName(name, r), r.Shape, val, r.Flattened || r.Shape.Flattened)
	}
}

func xmlMember(b *bytes.Buffer, tag string, s *Shape, val any, flattened bool) {
	switch s.Type {
	case "list":
		xmlList(b, tag, s, val, flattened)
		return
	case "map":
		xmlMap(b, tag, s, val, flattened)
		return
	}
	b.WriteString("<" + tag + ">")
	switch s.Type {
	case "structure":
		obj, _ := val.(map[string]any)
		xmlStructure(b, s, obj)
	case "timestamp":
		if t, ok := asTime(val); ok {
			xmlText(b, t.UTC().Format("2006-01-02T15:04:05Z"))
		}
	default:
		xmlText(b, fmt.Sprint(val))
	}
	b.WriteString("</" + tag + ">")
}

func xmlList(b *bytes.Buffer, tag string, s *Shape, val any, flattened bool) {
	arr, _ := val.([]any)
	if flattened {
		for _, item := range arr {
			xmlMember(b, tag, s.Member.Shape, item, false)
		}
		return
	}
	b.WriteString("<" + tag + ">")
	for _, item := range arr {
		xmlMember(b, listMemberName(s), s.Member.Shape, item, false)
	}
	b.WriteString("</" + tag + ">")
}

// xmlMap writes <tag><entry><key/><value/></entry>…</tag>, or each entry as
// <tag><key/><value/></tag> when flattened, as botocore reads them.
func xmlMap(b *bytes.Buffer, tag string, s *Shape, val any, flattened bool) {
	obj, _ := val.(map[string]any)
	kname, vname := mapEntryNames(s)
	entry := "entry"
	if flattened {
		entry = tag
	} else {
		b.WriteString("<" + tag + ">")
	}
	for _, k := range sortedMapKeys(obj) {
		b.WriteString("<" + entry + ">")
		xmlMember(b, kname, s.Key.Shape, k, false)
		xmlMember(b, vname, s.Value.Shape, obj[k], false)
		b.WriteString("</" + entry + ">")
	}
	if !flattened {
		b.WriteString("</" + tag + ">")
	}
}

func sortedMapKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func xmlText(b *bytes.Buffer, s string) {
	_ = xml.EscapeText(b, []byte(s)) // writes to a bytes.Buffer never fail
}

// EncodeJSONError writes an AWS JSON 1.1 error body.
func EncodeJSONError(m *Model, code, message string) []byte {
	key := "message"
	if m != nil {
		key = m.errorMessageMember(code)
	}
	body, _ := json.Marshal(map[string]string{"__type": code, key: message})
	return body
}

// EncodeQueryError writes an AWS Query error document.
func EncodeQueryError(namespace, code, message, requestID string, sender bool) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header[:len(xml.Header)-1])
	fmt.Fprintf(&b, "<ErrorResponse xmlns=\"%s\"><Error><Type>", namespace)
	if sender {
		b.WriteString("Sender")
	} else {
		b.WriteString("Receiver")
	}
	b.WriteString("</Type><Code>")
	xmlText(&b, code)
	b.WriteString("</Code><Message>")
	xmlText(&b, message)
	b.WriteString("</Message></Error><RequestId>")
	xmlText(&b, requestID)
	b.WriteString("</RequestId></ErrorResponse>")
	return b.Bytes()
}
