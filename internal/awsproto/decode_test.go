package awsproto

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrail/deploytrail/internal/awserr"
)

func TestDecodeJSON(t *testing.T) {
	synth := loadSynth(t).Operations["Echo"].InputShape()
	account := inputOf(t, "organizations", "CreateAccount")
	list := inputOf(t, "organizations", "ListAccounts")
	when := time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC)
	tests := []struct {
		name  string
		shape *Shape
		body  string
		want  Params
	}{
		{"empty body", account, "", Params{}},
		{"whitespace body", account, " \r\n\t", Params{}},
		{"empty object", account, "{}", Params{}},
		{"no input shape", nil, `{"Anything":1}`, Params{}},
		{"botocore CreateAccount", account,
			`{"Email": "a@example.com", "AccountName": "acct", "Tags": [{"Key": "k", "Value": "v"}]}`,
			Params{"Email": "a@example.com", "AccountName": "acct", "Tags": []any{map[string]any{"Key": "k", "Value": "v"}}}},
		{"unknown members ignored", account, `{"Email":"a@example.com","Bogus":{"x":[1]},"email":"lower"}`,
			Params{"Email": "a@example.com"}},
		{"null is absent", account, `{"Email":null,"Tags":[null,{"Key":"k","Value":null}]}`,
			Params{"Tags": []any{map[string]any{"Key": "k"}}}},
		{"integer", list, `{"MaxResults": 5, "NextToken": "t"}`, Params{"MaxResults": json.Number("5"), "NextToken": "t"}},
		{"negative integer kept for Validate", list, `{"MaxResults": -1}`, Params{"MaxResults": json.Number("-1")}},
		{"long at int64 max", synth, `{"Count": 9223372036854775807}`, Params{"Count": json.Number("9223372036854775807")}},
		{"integer at int32 max", synth, `{"Small": 2147483647}`, Params{"Small": json.Number("2147483647")}},
		{"double fractional", synth, `{"Ratio": 0.25}`, Params{"Ratio": json.Number("0.25")}},
		{"double exponent", synth, `{"Ratio": 1e-3}`, Params{"Ratio": json.Number("1e-3")}},
		{"double integral", synth, `{"Ratio": 1}`, Params{"Ratio": json.Number("1")}},
		{"boolean", synth, `{"Flag": false}`, Params{"Flag": false}},
		{"epoch seconds", synth, `{"When": 1700000000}`, Params{"When": when}},
		{"epoch fraction", synth, `{"When": 1700000000.5}`, Params{"When": when.Add(500 * time.Millisecond)}},
		{"epoch millis survive float", synth, `{"When": 1700000000.123}`, Params{"When": when.Add(123 * time.Millisecond)}},
		{"epoch exponent", synth, `{"When": 1.7e9}`, Params{"When": when}},
		{"ISO timestamp", synth, `{"When": "2023-11-14T22:13:20Z"}`, Params{"When": when}},
		{"ISO with offset and fraction", synth, `{"When": "2023-11-15T00:13:20.25+02:00"}`, Params{"When": when.Add(250 * time.Millisecond)}},
		{"ISO basic offset", synth, `{"When": "2023-11-14T22:13:20+0000"}`, Params{"When": when}},
		{"ISO date only", synth, `{"When": "2023-11-14"}`, Params{"When": when.Truncate(24 * time.Hour)}},
		{"blob base64", synth, `{"Data": "aGVsbG8="}`, Params{"Data": "aGVsbG8="}},
		{"blob empty", synth, `{"Data": ""}`, Params{"Data": ""}},
		{"nested", synth, `{
			"Matrix": [["a","b"],[],["c"]],
			"Attributes": {"x": "one", "y": null},
			"Nested": {"Id": "n", "Tags": {"k": "v"}},
			"Items": ["i1"]}`,
			Params{
				"Matrix":     []any{[]any{"a", "b"}, []any{}, []any{"c"}},
				"Attributes": map[string]any{"x": "one"},
				"Nested":     map[string]any{"Id": "n", "Tags": map[string]any{"k": "v"}},
				"Items":      []any{"i1"},
			}},
		{"wire names are member names", synth, `{"Alias": "a", "AliasName": "ignored"}`, Params{"Alias": "a"}},
		{"duplicate member keeps last", synth, `{"Name":"a","Name":"b"}`, Params{"Name": "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeJSON(tt.shape, []byte(tt.body))
			if err != nil {
				t.Fatalf("DecodeJSON: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("Params mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeJSON_SerializationException(t *testing.T) {
	synth := loadSynth(t).Operations["Echo"].InputShape()
	account := inputOf(t, "organizations", "CreateAccount")
	tests := []struct {
		name  string
		shape *Shape
		body  string
		msg   string
	}{
		{"not JSON", account, `{"Email":`, "The request body is not valid JSON."},
		{"trailing object", account, `{} {}`, "The request body has trailing data after the JSON object."},
		{"trailing garbage", account, `{"Email":"a"} x`, "The request body has trailing data after the JSON object."},
		{"trailing brace", account, `{}}`, "The request body has trailing data after the JSON object."},
		{"trailing bracket", account, `{}]`, "The request body has trailing data after the JSON object."},
		{"array body", account, `[]`, "The request body must be a JSON object."},
		{"string body", account, `"x"`, "The request body must be a JSON object."},
		{"null body", account, `null`, "The request body must be a JSON object."},
		{"non-object without shape", nil, `[1]`, "The request body must be a JSON object."},
		{"number for string", account, `{"Email": 5}`, "Unexpected value type for 'Email': expected string."},
		{"object for string", account, `{"Email": {}}`, "Unexpected value type for 'Email': expected string."},
		{"string for list", account, `{"Tags": "k=v"}`, "Unexpected value type for 'Tags': expected list."},
		{"list of wrong structure", account, `{"Tags": [{"Key": "k"}, "v"]}`, "Unexpected value type for 'Tags[1]': expected structure."},
		{"nested member type", account, `{"Tags": [{"Key": true}]}`, "Unexpected value type for 'Tags[0].Key': expected string."},
		{"list for structure", synth, `{"Nested": []}`, "Unexpected value type for 'Nested': expected structure."},
		{"list for map", synth, `{"Attributes": ["a"]}`, "Unexpected value type for 'Attributes': expected map."},
		{"map value type", synth, `{"Nested": {"Tags": {"k": 1}}}`, "Unexpected value type for 'Nested.Tags.k': expected string."},
		{"list of lists", synth, `{"Matrix": [["a"], "b"]}`, "Unexpected value type for 'Matrix[1]': expected list."},
		{"string for boolean", synth, `{"Flag": "true"}`, "Unexpected value type for 'Flag': expected boolean."},
		{"string for integer", synth, `{"Count": "5"}`, "Unexpected value type for 'Count': expected integer."},
		{"fraction for integer", synth, `{"Count": 5.5}`, "Unexpected value type for 'Count': expected integer."},
		{"exponent for integer", synth, `{"Count": 5e0}`, "Unexpected value type for 'Count': expected integer."},
		{"long overflow", synth, `{"Count": 9223372036854775808}`, "Unexpected value type for 'Count': expected integer."},
		{"integer overflow", synth, `{"Small": 2147483648}`, "Unexpected value type for 'Small': expected integer."},
		{"double overflow", synth, `{"Ratio": 1e400}`, "Unexpected value type for 'Ratio': expected number."},
		{"string for double", synth, `{"Ratio": "0.5"}`, "Unexpected value type for 'Ratio': expected number."},
		{"bool for timestamp", synth, `{"When": true}`, "Unexpected value type for 'When': expected timestamp."},
		{"bad ISO timestamp", synth, `{"When": "yesterday"}`, "Unexpected value type for 'When': expected timestamp."},
		{"epoch too large", synth, `{"When": 1e12}`, "Unexpected value type for 'When': expected timestamp."},
		{"epoch too small", synth, `{"When": -1e12}`, "Unexpected value type for 'When': expected timestamp."},
		{"epoch overflows float", synth, `{"When": 1e400}`, "Unexpected value type for 'When': expected timestamp."},
		{"timestamp before year 0", synth, `{"When": -99999999999}`, "Unexpected value type for 'When': expected timestamp."},
		{"ISO year 10000 after offset", synth, `{"When": "9999-12-31T23:00:00-05:00"}`, "Unexpected value type for 'When': expected timestamp."},
		{"blob not base64", synth, `{"Data": "not base64!"}`, "Unexpected value type for 'Data': expected base64-encoded blob."},
		{"blob unpadded", synth, `{"Data": "aGVsbG8"}`, "Unexpected value type for 'Data': expected base64-encoded blob."},
		{"blob as list", synth, `{"Data": [104]}`, "Unexpected value type for 'Data': expected string."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeJSON(tt.shape, []byte(tt.body))
			if err == nil {
				t.Fatalf("DecodeJSON=%v, want an error", got)
			}
			checkErr(t, err, awserr.CodeSerialization, tt.msg)
		})
	}
}

// TestDecodeJSON_Bind checks that a decoded tree binds to typed input the
// way services declare it.
func TestDecodeJSON_Bind(t *testing.T) {
	synth := loadSynth(t).Operations["Echo"].InputShape()
	p, err := DecodeJSON(synth, []byte(`{"Name":"n","When":1700000000.5,"Count":42,"Flag":true,"Matrix":[["a"]],"Attributes":{"k":"v"}}`))
	if err != nil {
		t.Fatalf("DecodeJSON: %v", err)
	}
	var in struct {
		Name       string
		When       time.Time
		Count      int64
		Flag       bool
		Matrix     [][]string
		Attributes map[string]string
	}
	if err := Bind(p, &in); err != nil {
		t.Fatalf("Bind: %v", err)
	}
	if want := time.Unix(1700000000, 5e8); !in.When.Equal(want) {
		t.Fatalf("When=%v, want %v", in.When, want)
	}
	if in.Name != "n" || in.Count != 42 || !in.Flag || in.Matrix[0][0] != "a" || in.Attributes["k"] != "v" {
		t.Fatalf("bound input %+v", in)
	}
	var wrong struct{ Name int }
	if err := Bind(p, &wrong); err == nil {
		t.Fatalf("Bind into a mismatched type succeeded")
	}
}

func TestParseISOTime(t *testing.T) {
	want := time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC)
	for _, s := range []string{"2023-11-14T22:13:20Z", "2023-11-14T22:13:20.000Z", "2023-11-14T23:13:20+01:00", "2023-11-14T22:13:20+0000", "2023-11-14T22:13:20"} {
		got, err := ParseISOTime(s)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("ParseISOTime(%q)=%v, %v; want %v UTC", s, got, err, want)
		}
	}
	for _, s := range []string{"", "1700000000", "2023-13-01T00:00:00Z", "2023-11-14 22:13:20", "Tue, 14 Nov 2023 22:13:20 GMT", "0000-01-01T00:00:00+01:00"} {
		if got, err := ParseISOTime(s); err == nil {
			t.Errorf("ParseISOTime(%q)=%v, want an error", s, got)
		}
	}
}
