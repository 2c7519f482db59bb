package cloudtrail

import (
	"testing"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
)

func TestCheckName(t *testing.T) {
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"abc", true}, {"my-trail.v2_x", true}, {"ab", false}, {string(make([]byte, 129)), false},
		{"-trail", false}, {"trail.", false}, {"my-_trail", false}, {"my--trail", false},
		{"192.168.5.4", false}, {"192.168.5", true}, {"my trail", false}, {"trail/x", false},
	} {
		if err := checkName(tt.name); (err == nil) != tt.ok {
			t.Errorf("checkName(%q)=%v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestParseRef(t *testing.T) {
	call := &awsproto.Call{Region: "eu-west-1", Principal: &awsproto.Principal{AccountID: "111122223333"}}
	for _, tt := range []struct {
		in, arn, code string
	}{
		{"main", "arn:aws:cloudtrail:eu-west-1:111122223333:trail/main", ""},
		{"arn:aws:cloudtrail:us-east-1:444455556666:trail/org", "arn:aws:cloudtrail:us-east-1:444455556666:trail/org", ""},
		{"arn:aws:cloudtrail:us-east-1:4444:trail/org", "", CodeARNInvalid},
		{"arn:aws:cloudtrail:us-east-1:444455556666:trail/a", "", CodeARNInvalid},
		{"arn:aws:s3:::bucket", "", CodeARNInvalid},
		{"", "", CodeInvalidTrailName},
		{"a b c", "", CodeInvalidTrailName},
	} {
		r, err := parseRef(call, tt.in)
		if awserr.Code(err) != tt.code && !(tt.code == "" && err == nil) || r.arn != tt.arn {
			t.Errorf("parseRef(%q)=%q, %v; want %q, %s", tt.in, r.arn, err, tt.arn, tt.code)
		}
	}
}

func TestAdvancedSelectors(t *testing.T) {
	f := func(field string, equals ...string) AdvancedFieldSelector {
		return AdvancedFieldSelector{Field: field, Equals: equals}
	}
	sel := func(fs ...AdvancedFieldSelector) []AdvancedEventSelector {
		return []AdvancedEventSelector{{FieldSelectors: fs}}
	}
	for _, tt := range []struct {
		name string
		in   []AdvancedEventSelector
		ok   bool
	}{
		{"Management", sel(f("eventCategory", "Management")), true},
		{"ManagementWrites", sel(f("eventCategory", "Management"), f("readOnly", "false")), true},
		{"ManagementExcludeKMS", sel(f("eventCategory", "Management"), AdvancedFieldSelector{Field: "eventSource", NotEquals: []string{"kms.amazonaws.com"}}), true},
		{"ManagementExcludeS3", sel(f("eventCategory", "Management"), AdvancedFieldSelector{Field: "eventSource", NotEquals: []string{"s3.amazonaws.com"}}), false},
		{"Data", sel(f("eventCategory", "Data"), f("resources.type", "AWS::S3::Object"), AdvancedFieldSelector{Field: "resources.ARN", StartsWith: []string{"arn:aws:s3:::b/"}}), true},
		{"DataWithoutType", sel(f("eventCategory", "Data")), false},
		{"CategoryStartsWith", sel(AdvancedFieldSelector{Field: "eventCategory", StartsWith: []string{"Man"}}), false},
		{"ReadOnlyValue", sel(f("eventCategory", "Management"), f("readOnly", "yes")), false},
		{"DuplicateField", sel(f("eventCategory", "Management"), f("eventCategory", "Management")), false},
		{"EmptyValue", sel(f("eventCategory", "Data"), f("resources.type", "")), false},
		{"NoFields", sel(), false},
		{"None", []AdvancedEventSelector{}, false},
	} {
		if _, err := advancedSelectors(tt.in); (err == nil) != tt.ok {
			t.Errorf("%s: err=%v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}
