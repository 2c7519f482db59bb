package awsproto

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Bodies as botocore 1.43 serializes them (Action and Version included, as
// the server passes them on).
const (
	botoCreateUser = "Action=CreateUser&Version=2010-05-08&UserName=alice&Path=%2Feng%2F" +
		"&PermissionsBoundary=arn%3Aaws%3Aiam%3A%3A123456789012%3Apolicy%2Fb" +
		"&Tags.member.1.Key=team&Tags.member.1.Value=core&Tags.member.2.Key=env&Tags.member.2.Value=prod"
	botoUntagUserEmpty = "Action=UntagUser&Version=2010-05-08&UserName=alice&TagKeys="
	botoUntagUser      = "Action=UntagUser&Version=2010-05-08&UserName=alice&TagKeys.member.1=a&TagKeys.member.2=b"
	botoListUsers      = "Action=ListUsers&Version=2010-05-08&PathPrefix=%2F&MaxItems=10&Marker=abc"
	botoPutUserPolicy  = "Action=PutUserPolicy&Version=2010-05-08&UserName=alice&PolicyName=p" +
		"&PolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D"
	botoCreateLoginProfile = "Action=CreateLoginProfile&Version=2010-05-08&UserName=alice&Password=p&PasswordResetRequired=true"
	botoAssumeRole         = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr" +
		"&RoleSessionName=sess&DurationSeconds=900&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess" +
		"&Tags.member.1.Key=k&Tags.member.1.Value=v&TransitiveTagKeys.member.1=k" +
		"&ProvidedContexts.member.1.ProviderArn=arn%3Aaws%3Aiam%3A%3Aaws%3AcontextProvider%2FIdentityCenter" +
		"&ProvidedContexts.member.1.ContextAssertion=abcd"
	botoEcho = "Action=Echo&Version=2020-01-01&Name=n&AliasName=a" +
		"&Attributes.entry.1.key=a&Attributes.entry.1.value=x&Attributes.entry.2.key=b&Attributes.entry.2.value=y" +
		"&Label.1.K=k1&Label.1.V=v1&Item.1=i1&Item.2=i2&Names.Name.1=n1" +
		"&Matrix.member.1.member.1=a&Matrix.member.2.member.1=b&Matrix.member.2.member.2=c&Matrix.member.3=" +
		"&Nested.Id=i&Nested.Tags.entry.1.key=k&Nested.Tags.entry.1.value=v" +
		"&When=2023-11-14T22%3A13%3A20Z&Ratio=0.5&Count=3&Data=aGVsbG8%3D&Flag=true"
)

func tag(k, v string) map[string]any { return map[string]any{"Key": k, "Value": v} }

func TestDecodeQuery_IAM(t *testing.T) {
	tests := []struct {
		name, svc, op, body string
		want                Params
	}{
		{"CreateUser", "iam", "CreateUser", botoCreateUser, Params{
			"UserName": "alice", "Path": "/eng/", "PermissionsBoundary": "arn:aws:iam::123456789012:policy/b",
			"Tags": []any{tag("team", "core"), tag("env", "prod")},
		}},
		{"empty list as Name=", "iam", "UntagUser", botoUntagUserEmpty, Params{"UserName": "alice", "TagKeys": []any{}}},
		{"list of strings", "iam", "UntagUser", botoUntagUser, Params{"UserName": "alice", "TagKeys": []any{"a", "b"}}},
		{"empty marker with members", "iam", "UntagUser", "TagKeys=&TagKeys.member.1=a", Params{"TagKeys": []any{"a"}}},
		{"list order is by index", "iam", "UntagUser", "TagKeys.member.2=b&TagKeys.member.1=a", Params{"TagKeys": []any{"a", "b"}}},
		{"gap ends the list", "iam", "UntagUser", "TagKeys.member.1=a&TagKeys.member.3=c", Params{"TagKeys": []any{"a"}}},
		{"list not starting at 1 is absent", "iam", "UntagUser", "TagKeys.member.2=b&TagKeys.member.0=z", Params{}},
		{"leading zero index ignored", "iam", "UntagUser", "TagKeys.member.01=a", Params{}},
		{"flattened spelling of a non-flattened list ignored", "iam", "UntagUser", "TagKeys.1=a", Params{}},
		{"structure member missing", "iam", "TagUser", "Tags.member.1.Key=k", Params{"Tags": []any{map[string]any{"Key": "k"}}}},
		{"structure with only unknown members", "iam", "TagUser", "Tags.member.1.Bogus=x", Params{"Tags": []any{map[string]any{}}}},
		{"empty list of structures", "iam", "TagUser", "UserName=u&Tags=", Params{"UserName": "u", "Tags": []any{}}},
		{"integer", "iam", "ListUsers", botoListUsers, Params{"PathPrefix": "/", "MaxItems": json.Number("10"), "Marker": "abc"}},
		{"integer sign and zeros normalized", "iam", "ListUsers", "MaxItems=%2B007", Params{"MaxItems": json.Number("7")}},
		{"negative integer kept for Validate", "iam", "ListUsers", "MaxItems=-1", Params{"MaxItems": json.Number("-1")}},
		{"policy document", "iam", "PutUserPolicy", botoPutUserPolicy, Params{
			"UserName": "alice", "PolicyName": "p", "PolicyDocument": `{"Version":"2012-10-17","Statement":[]}`,
		}},
		{"boolean true", "iam", "CreateLoginProfile", botoCreateLoginProfile, Params{"UserName": "alice", "Password": "p", "PasswordResetRequired": true}},
		{"boolean false", "iam", "CreateLoginProfile", "PasswordResetRequired=false", Params{"PasswordResetRequired": false}},
		{"first of repeated values", "iam", "CreateUser", "UserName=a&UserName=b", Params{"UserName": "a"}},
		{"empty string is present", "iam", "CreateUser", "UserName=", Params{"UserName": ""}},
		{"names are case-sensitive", "iam", "CreateUser", "username=a&tags.member.1.Key=k", Params{}},
		{"unknown fields ignored", "iam", "ListUsers", "Action=ListUsers&Version=2010-05-08&Foo=bar&X-Amz-Date=1", Params{}},
		{"no members", "sts", "GetCallerIdentity", "Action=GetCallerIdentity&Version=2011-06-15", Params{}},
		{"AssumeRole", "sts", "AssumeRole", botoAssumeRole, Params{
			"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "sess",
			"DurationSeconds":   json.Number("900"),
			"PolicyArns":        []any{map[string]any{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}},
			"Tags":              []any{tag("k", "v")},
			"TransitiveTagKeys": []any{"k"},
			"ProvidedContexts": []any{map[string]any{
				"ProviderArn": "arn:aws:iam::aws:contextProvider/IdentityCenter", "ContextAssertion": "abcd",
			}},
		}},
		{"PolicyArns member name is lower-case", "sts", "AssumeRole", "PolicyArns.member.1.Arn=x", Params{"PolicyArns": []any{map[string]any{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeQuery(inputOf(t, tt.svc, tt.op), mustForm(t, tt.body), "ValidationError")
			if err != nil {
				t.Fatalf("DecodeQuery: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("Params mismatch (-want +got):\n%s", diff)
			}
			// Bind and the trail marshal the tree; every accepted value must survive.
			if _, err := json.Marshal(got); err != nil {
				t.Fatalf("json.Marshal(%v): %v", got, err)
			}
		})
	}
}

func TestDecodeQuery_Synthetic(t *testing.T) {
	shape := loadSynth(t).Operations["Echo"].InputShape()
	tests := []struct {
		name, body string
		want       Params
	}{
		{"botocore body", botoEcho, Params{
			"Name": "n", "Alias": "a",
			"Attributes": map[string]any{"a": "x", "b": "y"},
			"Labels":     map[string]any{"k1": "v1"},
			"Items":      []any{"i1", "i2"},
			"Names":      []any{"n1"},
			"Matrix":     []any{[]any{"a"}, []any{"b", "c"}, []any{}},
			"Nested":     map[string]any{"Id": "i", "Tags": map[string]any{"k": "v"}},
			"When":       time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC),
			"Ratio":      json.Number("0.5"),
			"Count":      json.Number("3"),
			"Data":       "aGVsbG8=",
			"Flag":       true,
		}},
		{"member name is not the wire name", "Alias=a&Items.1=x&Labels.1.K=k&Labels.1.V=v", Params{}},
		{"map entry without value", "Attributes.entry.1.key=a", Params{"Attributes": map[string]any{"a": nil}}},
		{"map value without key ends the map", "Attributes.entry.1.value=x", Params{}},
		{"map gap ends the map", "Attributes.entry.1.key=a&Attributes.entry.1.value=x&Attributes.entry.3.key=c&Attributes.entry.3.value=z",
			Params{"Attributes": map[string]any{"a": "x"}}},
		{"duplicate map key keeps last", "Attributes.entry.1.key=a&Attributes.entry.1.value=x&Attributes.entry.2.key=a&Attributes.entry.2.value=y",
			Params{"Attributes": map[string]any{"a": "y"}}},
		{"nested structure without members", "Nested.Bogus=1", Params{"Nested": map[string]any{}}},
		{"ISO timestamp with offset", "When=2023-11-15T00%3A13%3A20.5%2B02%3A00", Params{"When": time.Date(2023, 11, 14, 22, 13, 20, 5e8, time.UTC)}},
		{"double normalized", "Ratio=5E-1", Params{"Ratio": json.Number("0.5")}},
		{"long bounds", "Count=-9223372036854775808", Params{"Count": json.Number("-9223372036854775808")}},
		{"blob is not checked", "Data=not%20base64", Params{"Data": "not base64"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeQuery(shape, mustForm(t, tt.body), "ValidationError")
			if err != nil {
				t.Fatalf("DecodeQuery: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("Params mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeQuery_BadInput(t *testing.T) {
	synth := loadSynth(t).Operations["Echo"].InputShape()
	long := strings.Repeat("9", 70)
	tests := []struct {
		name  string
		shape *Shape
		body  string
		code  string
		msg   string
	}{
		{"integer", inputOf(t, "iam", "ListUsers"), "MaxItems=abc", "ValidationError",
			"Value 'abc' for parameter MaxItems is invalid. It must be a valid integer."},
		{"fractional integer", inputOf(t, "iam", "ListUsers"), "MaxItems=1.5", "ValidationError",
			"Value '1.5' for parameter MaxItems is invalid. It must be a valid integer."},
		{"empty integer", inputOf(t, "iam", "ListUsers"), "MaxItems=", "ValidationError",
			"Value '' for parameter MaxItems is invalid. It must be a valid integer."},
		{"integer overflows 32 bits", inputOf(t, "iam", "ListUsers"), "MaxItems=2147483648", "ValidationError",
			"Value '2147483648' for parameter MaxItems is invalid. It must be a valid integer."},
		{"long value truncated", inputOf(t, "iam", "ListUsers"), "MaxItems=" + long, "ValidationError",
			"Value '" + long[:64] + "...' for parameter MaxItems is invalid. It must be a valid integer."},
		{"boolean", inputOf(t, "iam", "CreateLoginProfile"), "PasswordResetRequired=yes", "ValidationError",
			"Value 'yes' for parameter PasswordResetRequired is invalid. It must be a valid boolean."},
		{"boolean is case-sensitive", inputOf(t, "iam", "CreateLoginProfile"), "PasswordResetRequired=True", "ValidationError",
			"Value 'True' for parameter PasswordResetRequired is invalid. It must be a valid boolean."},
		{"boolean 1", inputOf(t, "iam", "CreateLoginProfile"), "PasswordResetRequired=1", "ValidationError", ""},
		{"STS integer with custom code", inputOf(t, "sts", "AssumeRole"), "DurationSeconds=1h", "InvalidParameterValue",
			"Value '1h' for parameter DurationSeconds is invalid. It must be a valid integer."},
		{"integer inside a list", inputOf(t, "iam", "TagUser"), "Tags.member.1.Key=k", "", ""}, // control: no error
		{"nested key in message", synth, "Matrix.member.1.member.1=a&Nested.Tags.entry.1.key=k&Nested.Tags.entry.1.value=v&Count=x", "ValidationError",
			"Value 'x' for parameter Count is invalid. It must be a valid integer."},
		{"double", synth, "Ratio=half", "ValidationError", "Value 'half' for parameter Ratio is invalid. It must be a valid number."},
		{"double NaN", synth, "Ratio=NaN", "ValidationError", "Value 'NaN' for parameter Ratio is invalid. It must be a valid number."},
		{"double infinity", synth, "Ratio=-Inf", "ValidationError", "Value '-Inf' for parameter Ratio is invalid. It must be a valid number."},
		{"timestamp", synth, "When=1700000000", "ValidationError",
			"Value '1700000000' for parameter When is invalid. It must be a valid timestamp."},
		{"timestamp out of range", synth, "When=0000-01-01T00%3A00%3A00%2B01%3A00", "ValidationError", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeQuery(tt.shape, mustForm(t, tt.body), tt.code)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("DecodeQuery: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("DecodeQuery=%v, want an error", got)
			}
			checkErr(t, err, tt.code, tt.msg)
		})
	}
}

func TestDecodeQuery_TooManyFields(t *testing.T) {
	shape := inputOf(t, "iam", "UntagUser")
	form := url.Values{"UserName": {"alice"}}
	for i := 1; len(form) < maxQueryParams; i++ {
		form.Set("TagKeys.member."+strconv.Itoa(i), "k"+strconv.Itoa(i))
	}
	p, err := DecodeQuery(shape, form, "ValidationError")
	if err != nil {
		t.Fatalf("DecodeQuery with %d fields: %v", len(form), err)
	}
	if n := len(p["TagKeys"].([]any)); n != maxQueryParams-1 {
		t.Fatalf("len(TagKeys)=%d, want %d", n, maxQueryParams-1)
	}
	form.Set("One", "more")
	_, err = DecodeQuery(shape, form, "ValidationError")
	checkErr(t, err, "ValidationError", "The request has more than 2000 parameters.")
	// The bound holds even when the operation takes no input.
	_, err = DecodeQuery(nil, form, "InvalidInput")
	checkErr(t, err, "InvalidInput", "")
}

// TestDecodeQuery_EmptyValues covers url.Values built by hand rather than
// by url.ParseQuery: a key with no values is treated as absent.
func TestDecodeQuery_EmptyValues(t *testing.T) {
	shape := loadSynth(t).Operations["Echo"].InputShape()
	form := url.Values{"Name": {}, "Items": {}, "Attributes.entry.1.key": {}, "Attributes.entry.1.value": {"x"}}
	got, err := DecodeQuery(shape, form, "ValidationError")
	if err != nil {
		t.Fatalf("DecodeQuery: %v", err)
	}
	if len(got) != 0 {
		t.Fatalf("Params=%v, want empty", got)
	}
}

func TestDecodeQuery_NoShape(t *testing.T) {
	got, err := DecodeQuery(nil, mustForm(t, "Action=GetCallerIdentity"), "ValidationError")
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("DecodeQuery(nil)=%v, %v; want empty Params", got, err)
	}
}
