package awsproto

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/deploytrail/deploytrail/internal/awserr"
)

// synthModelJSON is a small model with the serialization features the real
// IAM and STS models lack: maps (plain and flattened, with renamed key and
// value), flattened and renamed lists, lists of lists, locationName on
// members and every scalar type.
const synthModelJSON = `{
  "metadata": {"protocol": "query", "xmlNamespace": "https://synth.example.com/doc/2020-01-01/"},
  "operations": {
    "Echo": {
      "input": {"shape": "EchoRequest"},
      "output": {"shape": "EchoResponse", "resultWrapper": "EchoResult"},
      "errors": [{"shape": "BadThing"}]
    },
    "Ping": {},
    "Pong": {"output": {"shape": "EchoResponse"}}
  },
  "shapes": {
    "EchoRequest": {"type": "structure", "required": ["Name"], "members": {
      "Name": {"shape": "Name"},
      "Alias": {"shape": "Name", "locationName": "AliasName"},
      "Alt": {"shape": "Alt"},
      "Attributes": {"shape": "AttrMap"},
      "Labels": {"shape": "LabelMap", "flattened": true, "locationName": "Label"},
      "Items": {"shape": "StrList", "flattened": true, "locationName": "Item"},
      "Names": {"shape": "NamedList"},
      "Matrix": {"shape": "Matrix"},
      "Nested": {"shape": "Inner"},
      "When": {"shape": "Time"},
      "Ratio": {"shape": "Ratio"},
      "Count": {"shape": "Long"},
      "Small": {"shape": "Small"},
      "Data": {"shape": "Data"},
      "Flag": {"shape": "Flag"},
      "Color": {"shape": "Color"},
      "Secret": {"shape": "Secret"}
    }},
    "EchoResponse": {"type": "structure", "members": {
      "Name": {"shape": "Name"},
      "Alias": {"shape": "Name", "locationName": "AliasName"},
      "Attributes": {"shape": "AttrMap"},
      "Labels": {"shape": "LabelMap", "flattened": true, "locationName": "Label"},
      "Items": {"shape": "StrList", "flattened": true, "locationName": "Item"},
      "Names": {"shape": "NamedList"},
      "Nested": {"shape": "Inner"},
      "When": {"shape": "Time"},
      "Count": {"shape": "Long"},
      "Flag": {"shape": "Flag"}
    }},
    "Inner": {"type": "structure", "required": ["Id"], "members": {
      "Id": {"shape": "Name"},
      "Tags": {"shape": "AttrMap"}
    }},
    "Name": {"type": "string", "min": 1, "max": 8, "pattern": "[a-z]+"},
    "Alt": {"type": "string", "pattern": "ab|cd"},
    "AttrMap": {"type": "map", "key": {"shape": "Key"}, "value": {"shape": "Name"}, "max": 3},
    "LabelMap": {"type": "map", "key": {"shape": "Key", "locationName": "K"}, "value": {"shape": "Key", "locationName": "V"}},
    "StrList": {"type": "list", "member": {"shape": "Key"}, "min": 1, "max": 3},
    "NamedList": {"type": "list", "member": {"shape": "Key", "locationName": "Name"}},
    "Matrix": {"type": "list", "member": {"shape": "StrList"}},
    "Key": {"type": "string"},
    "Time": {"type": "timestamp"},
    "Ratio": {"type": "double", "min": 0, "max": 1},
    "Long": {"type": "long", "min": -5, "max": 1e12},
    "Small": {"type": "integer"},
    "Data": {"type": "blob"},
    "Flag": {"type": "boolean"},
    "Color": {"type": "string", "enum": ["RED", "GREEN"]},
    "Secret": {"type": "string", "sensitive": true, "min": 4},
    "BadThing": {"type": "structure", "exception": true,
      "error": {"code": "BadThing", "httpStatusCode": 409},
      "members": {"Message": {"shape": "Key"}}}
  }
}`

// loadSynth parses and links synthModelJSON.
func loadSynth(tb testing.TB) *Model {
	tb.Helper()
	var m Model
	if err := json.Unmarshal([]byte(synthModelJSON), &m); err != nil {
		tb.Fatalf("parse synthetic model: %v", err)
	}
	if err := m.link(); err != nil {
		tb.Fatalf("link synthetic model: %v", err)
	}
	return &m
}

// inputOf returns the input shape of op in the named embedded model.
func inputOf(tb testing.TB, service, op string) *Shape {
	tb.Helper()
	o, ok := MustLoadModel(service).Operations[op]
	if !ok {
		tb.Fatalf("%s has no operation %s", service, op)
	}
	return o.InputShape()
}

// mustForm parses a url-encoded Query body.
func mustForm(tb testing.TB, body string) url.Values {
	tb.Helper()
	form, err := url.ParseQuery(body)
	if err != nil {
		tb.Fatalf("ParseQuery(%q): %v", body, err)
	}
	return form
}

// checkErr fails unless err has code and message (message "" skips the
// message check).
func checkErr(tb testing.TB, err error, code, message string) {
	tb.Helper()
	e := awserr.As(err)
	if e == nil {
		tb.Fatalf("err=%v, want an *awserr.Error with code %s", err, code)
	}
	if e.Code != code {
		tb.Fatalf("Code=%q, want %q (message %q)", e.Code, code, e.Message)
	}
	if message != "" && e.Message != message {
		tb.Fatalf("Message=%q\nwant     %q", e.Message, message)
	}
}

func TestLoadModel(t *testing.T) {
	for _, svc := range []string{"iam", "sts", "organizations"} {
		t.Run(svc, func(t *testing.T) {
			m, err := LoadModel(svc)
			if err != nil {
				t.Fatalf("LoadModel: %v", err)
			}
			if again := MustLoadModel(svc); again != m {
				t.Fatalf("second load returned a different *Model")
			}
			for name, op := range m.Operations {
				if op.Name != name {
					t.Fatalf("op %s has Name %q", name, op.Name)
				}
				if in := op.InputShape(); in != nil && in.Type != "structure" {
					t.Fatalf("op %s input type %q", name, in.Type)
				}
			}
		})
	}
	if _, err := LoadModel("nosuchservice"); err == nil {
		t.Fatalf("LoadModel(nosuchservice) succeeded")
	}
}

// TestModelPatterns checks that every pattern of the embedded models is
// enforced: botocore writes Java regular expressions, whose \uXXXX escapes
// RE2 spells \x{XXXX}. Only a lookahead is beyond RE2.
func TestModelPatterns(t *testing.T) {
	unsupported := map[string]bool{`^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`: true}
	for _, svc := range []string{"iam", "sts", "organizations"} {
		for name, s := range MustLoadModel(svc).Shapes {
			if s.Pattern == "" || unsupported[s.Pattern] {
				continue
			}
			if s.regex == nil {
				t.Errorf("%s shape %s: pattern %q not enforced", svc, name, s.Pattern)
			}
		}
	}
}

func TestPatternMatch(t *testing.T) {
	iam := MustLoadModel("iam")
	sts := MustLoadModel("sts")
	tests := []struct {
		shape *Shape
		value string
		want  bool
	}{
		{iam.Shapes["pathType"], "/", true},
		{iam.Shapes["pathType"], "/eng/team/", true},
		{iam.Shapes["pathType"], "eng", false},
		{iam.Shapes["pathType"], "/eng", false},
		{iam.Shapes["policyDocumentType"], "{\"Version\":\"2012-10-17\"}\n\t", true},
		{iam.Shapes["policyDocumentType"], "{\"Sid\":\"\u2603\"}", false}, // beyond U+00FF
		{iam.Shapes["userNameType"], "alice@example.com", true},
		{iam.Shapes["userNameType"], "alice smith", false},
		{iam.Shapes["tagKeyType"], "Kostenstelle: Büro", true},
		{sts.Shapes["arnType"], "arn:aws:iam::123456789012:role/r", true},
		{sts.Shapes["arnType"], "arn:aws:iam::123456789012:role/\x01", false},
	}
	for _, tt := range tests {
		if got := tt.shape.regex != nil && tt.shape.regex.MatchString(tt.value); got != tt.want {
			t.Errorf("%s (%s) matches %q = %v, want %v", tt.shape.Name, tt.shape.Pattern, tt.value, got, tt.want)
		}
	}
}

func TestRE2Pattern(t *testing.T) {
	tests := []struct{ in, want string }{
		{`[\w+=,.@-]+`, `[\w+=,.@-]+`},
		{`\u002F[\u0021-\u007F]*`, `\x{002F}[\x{0021}-\x{007F}]*`},
		{`\u10000`, `\x{1000}0`}, // Java reads exactly four hex digits
		{`\\u0041`, `\\u0041`},   // an escaped backslash, then "u0041"
		{`\u12`, `\u12`},         // too short to be an escape: left for the compiler to reject
		{`a\`, `a\`},
	}
	for _, tt := range tests {
		if got := re2Pattern(tt.in); got != tt.want {
			t.Errorf("re2Pattern(%q)=%q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestErrorMessageMember(t *testing.T) {
	tests := []struct {
		service, code, want string
	}{
		{"organizations", "AWSOrganizationsNotInUseException", "Message"},
		{"sts", "ExpiredTokenException", "message"},
		{"sts", "MalformedPolicyDocument", "message"}, // keyed by error code, not shape name
		{"iam", "NoSuchEntity", "message"},
		{"organizations", "SomethingUnmodelled", "message"},
	}
	for _, tt := range tests {
		if got := MustLoadModel(tt.service).errorMessageMember(tt.code); got != tt.want {
			t.Errorf("%s %s: member %q, want %q", tt.service, tt.code, got, tt.want)
		}
	}
	if got := MustLoadModel("sts").ErrorStatus("RegionDisabledException"); got != 403 {
		t.Errorf("ErrorStatus(RegionDisabledException)=%d, want 403", got)
	}
	if got := loadSynth(t).ErrorStatus("BadThing"); got != 409 {
		t.Errorf("ErrorStatus(BadThing)=%d, want 409", got)
	}
}
