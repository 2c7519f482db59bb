package awsproto

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/deploytrail/deploytrail/internal/awserr"
)

// violation is one problem in AWS's words.
func violation(value, path, constraint string) string {
	if value != "null" {
		value = "'" + value + "'"
	}
	return "Value " + value + " at '" + path + "' failed to satisfy constraint: Member must " + constraint
}

// detected is the whole message for problems.
func detected(problems ...string) string {
	noun := "errors"
	if len(problems) == 1 {
		noun = "error"
	}
	return strconv.Itoa(len(problems)) + " validation " + noun + " detected: " + strings.Join(problems, "; ")
}

func tags(n int, key string) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = tag(key, "v")
	}
	return out
}

func TestValidate(t *testing.T) {
	synth := loadSynth(t).Operations["Echo"].InputShape()
	const userPattern = `satisfy regular expression pattern: [\w+=,.@-]+`
	const tagKeyPattern = `satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+`
	tests := []struct {
		name   string
		shape  *Shape
		params Params
		want   string // "" when valid
	}{
		{"valid", inputOf(t, "iam", "CreateUser"), Params{"UserName": "alice", "Path": "/eng/", "Tags": []any{tag("team", "core")}}, ""},
		{"nil shape", nil, Params{"x": 1}, ""},
		{"required missing", inputOf(t, "iam", "CreateUser"), Params{},
			detected(violation("null", "userName", "not be null"))},
		{"several required, sorted by member", inputOf(t, "iam", "PutUserPolicy"), Params{},
			detected(
				violation("null", "policyDocument", "not be null"),
				violation("null", "policyName", "not be null"),
				violation("null", "userName", "not be null"))},
		{"pattern", inputOf(t, "iam", "CreateUser"), Params{"UserName": "bad name!"},
			detected(violation("bad name!", "userName", userPattern))},
		{"pattern with \\u escapes", inputOf(t, "iam", "CreateUser"), Params{"UserName": "a", "Path": "eng"},
			detected(violation("eng", "path", `satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`))},
		{"pattern is anchored", synth, Params{"Name": "abc1"},
			detected(violation("abc1", "name", "satisfy regular expression pattern: [a-z]+"))},
		{"alternation is anchored as a whole", synth, Params{"Name": "a", "Alt": "abcd"},
			detected(violation("abcd", "alt", "satisfy regular expression pattern: ab|cd"))},
		{"alternation matches either side", synth, Params{"Name": "a", "Alt": "cd"}, ""},
		{"empty string: length and pattern", inputOf(t, "iam", "CreateUser"), Params{"UserName": ""},
			detected(
				violation("", "userName", "have length greater than or equal to 1"),
				violation("", "userName", userPattern))},
		{"max length", inputOf(t, "iam", "CreateUser"), Params{"UserName": strings.Repeat("a", 65)},
			detected(violation(strings.Repeat("a", 65), "userName", "have length less than or equal to 64"))},
		{"length in characters: at max", inputOf(t, "iam", "TagUser"),
			Params{"UserName": "u", "Tags": []any{tag(strings.Repeat("日", 128), strings.Repeat("é", 256))}}, ""},
		{"length in characters: over max", inputOf(t, "iam", "TagUser"),
			Params{"UserName": "u", "Tags": []any{tag("k", strings.Repeat("é", 257))}},
			detected(violation(strings.Repeat("é", 128)+"...", "tags.1.member.value", "have length less than or equal to 256"))},
		{"enum", inputOf(t, "iam", "UpdateAccessKey"), Params{"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "Status": "Enabled"},
			detected(violation("Enabled", "status", "satisfy enum value set: [Active, Inactive, Expired]"))},
		{"enum is case-sensitive", inputOf(t, "iam", "UpdateAccessKey"), Params{"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "Status": "active"},
			detected(violation("active", "status", "satisfy enum value set: [Active, Inactive, Expired]"))},
		{"range below", inputOf(t, "iam", "ListUsers"), Params{"MaxItems": json.Number("0")},
			detected(violation("0", "maxItems", "have value greater than or equal to 1"))},
		{"range above", inputOf(t, "iam", "ListUsers"), Params{"MaxItems": json.Number("1001")},
			detected(violation("1001", "maxItems", "have value less than or equal to 1000"))},
		{"range inclusive", inputOf(t, "iam", "ListUsers"), Params{"MaxItems": json.Number("1000")}, ""},
		{"double range", synth, Params{"Name": "a", "Ratio": json.Number("1.5")},
			detected(violation("1.5", "ratio", "have value less than or equal to 1"))},
		{"negative minimum", synth, Params{"Name": "a", "Count": json.Number("-6")},
			detected(violation("-6", "count", "have value greater than or equal to -5"))},
		{"exponent maximum", synth, Params{"Name": "a", "Count": json.Number("1000000000001")},
			detected(violation("1000000000001", "count", "have value less than or equal to 1000000000000"))},
		{"list too long", inputOf(t, "iam", "UntagUser"), Params{"UserName": "u", "TagKeys": []any{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31", "32", "33", "34", "35", "36", "37", "38", "39", "40", "41", "42", "43", "44", "45", "46", "47", "48", "49", "50", "51"}},
			detected(violation("[1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51]", "tagKeys", "have length less than or equal to 50"))},
		{"list too short", synth, Params{"Name": "a", "Items": []any{}},
			detected(violation("[]", "items", "have length greater than or equal to 1"))},
		{"empty list satisfies required", inputOf(t, "iam", "TagUser"), Params{"UserName": "u", "Tags": []any{}}, ""},
		{"map too long", synth, Params{"Name": "a", "Attributes": map[string]any{"a": "x", "b": "x", "c": "x", "d": "x"}},
			detected(violation("map[a:x b:x c:x d:x]", "attributes", "have length less than or equal to 3"))},
		{"nested list path", inputOf(t, "iam", "TagUser"), Params{"UserName": "u", "Tags": []any{tag("ok", "v"), map[string]any{"Key": "bad!"}}},
			detected(
				violation("bad!", "tags.2.member.key", tagKeyPattern),
				violation("null", "tags.2.member.value", "not be null"))},
		{"nested structure path", synth, Params{"Name": "a", "Nested": map[string]any{"Tags": map[string]any{"k": "UPPER"}}},
			detected(
				violation("null", "nested.id", "not be null"),
				violation("UPPER", "nested.tags.k", "satisfy regular expression pattern: [a-z]+"))},
		{"list of lists path", synth, Params{"Name": "a", "Matrix": []any{[]any{"x"}, []any{}}},
			detected(violation("[]", "matrix.2.member", "have length greater than or equal to 1"))},
		{"map values in key order", synth, Params{"Name": "a", "Attributes": map[string]any{"c": "C", "a": "A", "b": "B"}},
			detected(
				violation("A", "attributes.a", "satisfy regular expression pattern: [a-z]+"),
				violation("B", "attributes.b", "satisfy regular expression pattern: [a-z]+"),
				violation("C", "attributes.c", "satisfy regular expression pattern: [a-z]+"))},
		{"sensitive too long", inputOf(t, "iam", "CreateLoginProfile"), Params{"UserName": "u", "Password": strings.Repeat("p", 129)},
			detected(violation("***", "password", "have length less than or equal to 128"))},
		{"sensitive pattern", inputOf(t, "iam", "CreateLoginProfile"), Params{"UserName": "u", "Password": "pass\u2603word"},
			detected(violation("***", "password", `satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+`))},
		{"sensitive missing is null", inputOf(t, "organizations", "CreateAccount"), Params{"AccountName": "acct"},
			detected(violation("null", "email", "not be null"))},
		{"sensitive several", inputOf(t, "organizations", "CreateAccount"), Params{"AccountName": "acct", "Email": "a@b"},
			detected(
				violation("***", "email", "have length greater than or equal to 6"),
				violation("***", "email", `satisfy regular expression pattern: [^\s@]+@[^\s@]+\.[^\s@]+`))},
		{"blobs, booleans and timestamps are not checked", synth, Params{"Name": "a", "Data": "", "Flag": true}, ""},
		{"enum and pattern together", synth, Params{"Name": "a", "Color": "BLUE", "Secret": "abc"},
			detected(
				violation("BLUE", "color", "satisfy enum value set: [RED, GREEN]"),
				violation("***", "secret", "have length greater than or equal to 4"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.shape, tt.params, "ValidationError")
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			checkErr(t, err, "ValidationError", tt.want)
		})
	}
}

// TestValidate_Decoded runs the decoder and the validator together, as the
// server does, on bodies botocore would send.
func TestValidate_Decoded(t *testing.T) {
	tests := []struct{ svc, op, body, want string }{
		{"iam", "CreateUser", botoCreateUser, ""},
		{"iam", "UntagUser", botoUntagUser, ""},
		{"iam", "ListUsers", botoListUsers, ""},
		{"iam", "PutUserPolicy", botoPutUserPolicy, ""},
		{"sts", "AssumeRole", botoAssumeRole, ""},
		{"iam", "UntagUser", "UserName=u&TagKeys.member.2=b", detected(violation("null", "tagKeys", "not be null"))},
		{"iam", "TagUser", "UserName=u&Tags.member.1.Key=k", detected(violation("null", "tags.1.member.value", "not be null"))},
		{"sts", "AssumeRole", "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=s&DurationSeconds=60",
			detected(
				violation("60", "durationSeconds", "have value greater than or equal to 900"),
				violation("s", "roleSessionName", "have length greater than or equal to 2"))},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			shape := inputOf(t, tt.svc, tt.op)
			p, err := DecodeQuery(shape, mustForm(t, tt.body), "ValidationError")
			if err != nil {
				t.Fatalf("DecodeQuery: %v", err)
			}
			err = Validate(shape, p, "ValidationError")
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			checkErr(t, err, "ValidationError", tt.want)
		})
	}
}

func TestValidate_Code(t *testing.T) {
	err := Validate(inputOf(t, "organizations", "DescribeAccount"), Params{}, awserr.CodeValidation)
	checkErr(t, err, awserr.CodeValidation, detected(violation("null", "accountId", "not be null")))
	if e := awserr.As(err); !e.Sender || e.Status != 0 {
		t.Fatalf("Sender=%v Status=%d, want a sender fault with the model's status", e.Sender, e.Status)
	}
}

// TestValidate_Cap checks that the count is of every problem while the
// message lists ten, as AWS does.
func TestValidate_Cap(t *testing.T) {
	err := Validate(inputOf(t, "iam", "TagUser"), Params{"UserName": "u", "Tags": tags(12, "")}, "ValidationError")
	msg := awserr.Message(err)
	head, list, ok := strings.Cut(msg, ": ")
	if !ok || head != "24 validation errors detected" {
		t.Fatalf("Message=%q, want 24 errors", msg)
	}
	if n := len(strings.Split(list, "; ")); n != maxViolations {
		t.Fatalf("listed %d problems, want %d", n, maxViolations)
	}
}

// TestValidate_TruncatesRunes checks that a long value is cut on a rune
// boundary, so the message stays valid UTF-8 in XML and JSON.
func TestValidate_TruncatesRunes(t *testing.T) {
	long := strings.Repeat("日", 200) // 600 bytes
	err := Validate(inputOf(t, "iam", "TagUser"), Params{"UserName": "u", "Tags": []any{tag(long, "v")}}, "ValidationError")
	msg := awserr.Message(err)
	if !utf8.ValidString(msg) {
		t.Fatalf("Message is not valid UTF-8: %q", msg)
	}
	if want := "Value '" + strings.Repeat("日", 85) + "...' at 'tags.1.member.key'"; !strings.Contains(msg, want) {
		t.Fatalf("Message=%q, want it to contain %q", msg, want)
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "abc..."},
		{"ééé", 4, "éé..."},
		{"éé", 3, "é..."},
		{"日本", 2, "..."},
		{"\xff\xfe\xfd", 2, "\xff\xfe..."}, // invalid bytes count one each
	}
	for _, tt := range tests {
		if got := truncate(tt.s, tt.n); got != tt.want {
			t.Errorf("truncate(%q, %d)=%q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}
