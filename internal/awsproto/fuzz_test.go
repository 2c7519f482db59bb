package awsproto

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrail/deploytrail/internal/awserr"
)

// fuzzShapes are the inputs the fuzz targets decode against: real IAM, STS
// and Organizations inputs plus the synthetic one with maps, flattened
// lists, timestamps, doubles and blobs.
func fuzzShapes(tb testing.TB) []*Shape {
	return []*Shape{
		inputOf(tb, "iam", "CreateUser"),
		inputOf(tb, "iam", "TagUser"),
		inputOf(tb, "iam", "UntagUser"),
		inputOf(tb, "iam", "ListUsers"),
		inputOf(tb, "iam", "PutUserPolicy"),
		inputOf(tb, "iam", "CreateLoginProfile"),
		inputOf(tb, "iam", "UpdateAccessKey"),
		inputOf(tb, "sts", "AssumeRole"),
		inputOf(tb, "organizations", "CreateAccount"),
		inputOf(tb, "organizations", "ListAccounts"),
		loadSynth(tb).Operations["Echo"].InputShape(),
	}
}

func FuzzDecodeQuery(f *testing.F) {
	for _, body := range []string{
		botoCreateUser, botoUntagUserEmpty, botoUntagUser, botoListUsers, botoPutUserPolicy,
		botoCreateLoginProfile, botoAssumeRole, botoEcho,
		"UserName=a&UserName=b&Tags.member.1.Key=k&Tags.member.3.Key=x",
		"MaxItems=%2B1&Ratio=1e308&Count=-9223372036854775808&Small=2147483647",
		"When=9999-12-31T23%3A59%3A59.999999999-01%3A00&Flag=false",
		"Attributes.entry.1.key=a&Label.1.K=k&Label.2.V=v&Matrix.member.1=&Matrix.member.2.member.1=x",
		"Tags.member.1.Key=%FF%FE&TagKeys=&Status=Active&Password=%E2%98%83",
		"Nested.Tags.entry.1.key=&Nested.Tags.entry.1.value=%00",
		"%zz=1&=&&a=b;c",
	} {
		f.Add(body)
	}
	shapes := fuzzShapes(f)
	f.Fuzz(func(t *testing.T, body string) {
		form, _ := url.ParseQuery(body) // keep whatever parsed, to reach the decoder more often
		for _, s := range shapes {
			p, err := DecodeQuery(s, form, "ValidationError")
			if err != nil {
				if awserr.Code(err) != "ValidationError" {
					t.Fatalf("DecodeQuery(%s): %v, want ValidationError", s.Name, err)
				}
				continue
			}
			checkAccepted(t, s, p)
			checkJSONAgrees(t, s, asJSONCarries(p), true)
		}
	})
}

func FuzzDecodeJSON(f *testing.F) {
	for _, body := range []string{
		``, `{}`, `null`, `[]`, `{} {}`, `{}}`,
		`{"Email": "a@example.com", "AccountName": "acct", "Tags": [{"Key": "k", "Value": "v"}]}`,
		`{"MaxResults": 5, "NextToken": "t"}`,
		`{"UserName": "alice", "Tags": [null, {"Key": "k", "Value": null}], "Path": "/eng/"}`,
		`{"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "s", "DurationSeconds": 900,
		  "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]}`,
		`{"Name": "n", "When": 1700000000.123, "Ratio": 1e-3, "Count": 9223372036854775807, "Small": -2147483648,
		  "Data": "aGVsbG8=", "Flag": true, "Matrix": [["a"], []], "Attributes": {"k": "v"},
		  "Nested": {"Id": "i", "Tags": {"a": "b"}}, "Color": "RED", "Secret": "hunter2"}`,
		`{"When": "2023-11-15T00:13:20.25+02:00", "Ratio": 1e400}`,
		`{"When": -99999999999}`,
		"{\"UserName\": \"\xff\xfe\", \"Tags\": [{\"Key\": \"\\u0000\"}]}",
	} {
		f.Add([]byte(body))
	}
	shapes := fuzzShapes(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, s := range shapes {
			p, err := DecodeJSON(s, body)
			if err != nil {
				if awserr.Code(err) != awserr.CodeSerialization {
					t.Fatalf("DecodeJSON(%s): %v, want SerializationException", s.Name, err)
				}
				continue
			}
			checkAccepted(t, s, p)
			checkJSONAgrees(t, s, p, false)
		}
	})
}

// checkAccepted holds for every tree a decoder accepts: Validate answers
// with the given code or nil, the tree marshals (Bind and the trail need
// that), and both encoders turn it into well-formed output.
func checkAccepted(t *testing.T, s *Shape, p Params) {
	t.Helper()
	if err := Validate(s, p, "ValidationError"); err != nil {
		if awserr.Code(err) != "ValidationError" {
			t.Fatalf("Validate(%s): %v", s.Name, err)
		}
		if msg := awserr.Message(err); !strings.Contains(msg, "validation error") {
			t.Fatalf("Validate(%s) message %q", s.Name, msg)
		}
	}
	if _, err := json.Marshal(p); err != nil {
		t.Fatalf("json.Marshal(%s tree %v): %v", s.Name, p, err)
	}
	if out, err := EncodeJSON(s, p); err != nil || !json.Valid(out) {
		t.Fatalf("EncodeJSON(%s): %s, %v", s.Name, out, err)
	}
	checkWellFormed(t, EncodeQueryResponse(MustLoadModel("iam"), echoOp(s), p, "id"))
}

// checkJSONAgrees re-encodes a tree as a JSON request: the JSON decoder must
// read back the same tree, so that both protocols agree on every type.
// Query does not check that blobs are base64 (lenient), so those are skipped.
func checkJSONAgrees(t *testing.T, s *Shape, p Params, fromQuery bool) {
	t.Helper()
	raw, _ := json.Marshal(p)
	back, err := DecodeJSON(s, raw)
	if err != nil {
		if fromQuery && strings.Contains(awserr.Message(err), "base64") {
			return
		}
		t.Fatalf("DecodeJSON(%s, %s): %v", s.Name, raw, err)
	}
	if reflect.DeepEqual(p, back) { // cheap; cmp decides (time.Time.Equal) when it says no
		return
	}
	if diff := cmp.Diff(p, back); diff != "" {
		t.Fatalf("%s tree changed through JSON (-first +second):\n%s", s.Name, diff)
	}
}

// asJSONCarries changes a Query tree the way a JSON round trip does: map
// entries with a key but no value are dropped, and each invalid UTF-8 byte
// becomes U+FFFD (as json.Marshal writes it, and as Validate already
// counts and matches it).
func asJSONCarries(p Params) Params {
	var walk func(v any) any
	walk = func(v any) any {
		switch t := v.(type) {
		case map[string]any:
			out := make(map[string]any, len(t))
			for k, x := range t {
				if x != nil {
					out[validUTF8(k)] = walk(x)
				}
			}
			return out
		case string:
			return validUTF8(t)
		case []any:
			out := make([]any, len(t))
			for i, x := range t {
				out[i] = walk(x)
			}
			return out
		}
		return v
	}
	return Params(walk(map[string]any(p)).(map[string]any))
}

func validUTF8(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// echoOp is an operation answering with shape s.
func echoOp(s *Shape) *Operation {
	var op Operation
	if err := json.Unmarshal([]byte(`{"output": {"shape": "x"}}`), &op); err != nil {
		panic(err)
	}
	op.Name = "Echo"
	op.Output.Shape = s
	return &op
}

func checkWellFormed(t *testing.T, body []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(body))
	for {
		_, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("ill-formed XML: %v\n%s", err, body)
		}
	}
}
