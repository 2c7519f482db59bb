package lifecycle

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/deploytrail/deploytrail/internal/awserr"
)

func TestParse(t *testing.T) {
	cfg, err := Parse([]byte(`{"Rules":[
		{"ID":"logs","Status":"Enabled","Filter":{"Prefix":"AWSLogs/"},
		 "Expiration":{"Days":365},"Transitions":[{"Days":30,"StorageClass":"GLACIER"},{"Days":90,"StorageClass":"DEEP_ARCHIVE"}]},
		{"Status":"Disabled","Prefix":"tmp/","Expiration":{"Date":"2030-01-01T00:00:00Z"}},
		{"ID":"all","Status":"Enabled","Filter":{},"Transitions":[{"Days":0,"StorageClass":"GLACIER"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Rules) != 3 || cfg.Rules[0].prefix() != "AWSLogs/" || cfg.Rules[1].prefix() != "tmp/" || cfg.Rules[2].prefix() != "" {
		t.Fatalf("Rules=%+v", cfg.Rules)
	}
	if got := *cfg.Rules[0].Transitions[1].Days; got != 90 {
		t.Fatalf("Transitions[1].Days=%d, want 90", got)
	}
}

func TestParse_Invalid(t *testing.T) {
	tooMany := `{"Rules":[` + strings.Repeat(`{"Status":"Enabled","Prefix":"","Expiration":{"Days":1}},`, maxRules) +
		`{"Status":"Enabled","Prefix":"","Expiration":{"Days":1}}]}`
	tests := []struct {
		name, json, code, message string
	}{
		{"NotJSON", `{"Rules":`, CodeMalformedXML, "not well-formed"},
		{"TrailingData", `{"Rules":[{"Status":"Enabled","Prefix":"","Expiration":{"Days":1}}]} {}`, CodeMalformedXML, "data after"},
		{"UnknownField", `{"Rules":[{"Status":"Enabled","Filter":{"Tag":{"Key":"a","Value":"b"}},"Expiration":{"Days":1}}]}`, CodeMalformedXML, `unknown field "Tag"`},
		{"NoRules", `{"Rules":[]}`, CodeMalformedXML, "at least one Rule"},
		{"TooManyRules", tooMany, CodeInvalidArgument, "allowed limit of 1000 rules"},
		{"NoStatus", `{"Rules":[{"Prefix":"","Expiration":{"Days":1}}]}`, CodeMalformedXML, "Status is required"},
		{"BadStatus", `{"Rules":[{"Status":"enabled","Prefix":"","Expiration":{"Days":1}}]}`, CodeMalformedXML, "Enabled or Disabled"},
		{"LongID", `{"Rules":[{"ID":"` + strings.Repeat("x", 256) + `","Status":"Enabled","Prefix":"","Expiration":{"Days":1}}]}`, CodeInvalidArgument, "ID length should not exceed allowed limit of 255"},
		{"DuplicateID", `{"Rules":[{"ID":"a","Status":"Enabled","Prefix":"x","Expiration":{"Days":1}},{"ID":"a","Status":"Enabled","Prefix":"y","Expiration":{"Days":1}}]}`, CodeInvalidArgument, "Rule ID must be unique"},
		{"FilterAndPrefix", `{"Rules":[{"Status":"Enabled","Prefix":"","Filter":{},"Expiration":{"Days":1}}]}`, CodeMalformedXML, "not both"},
		{"NoFilter", `{"Rules":[{"Status":"Enabled","Expiration":{"Days":1}}]}`, CodeMalformedXML, "needs a Filter or a Prefix"},
		{"NoAction", `{"Rules":[{"Status":"Enabled","Prefix":""}]}`, CodeInvalidRequest, "At least one action"},
		{"ZeroDays", `{"Rules":[{"Status":"Enabled","Prefix":"","Expiration":{"Days":0}}]}`, CodeInvalidArgument, "'Days' for Expiration action must be a positive integer"},
		{"NegativeDays", `{"Rules":[{"Status":"Enabled","Prefix":"","Expiration":{"Days":-3}}]}`, CodeInvalidArgument, "positive integer"},
		{"NoExpirationTime", `{"Rules":[{"Status":"Enabled","Prefix":"","Expiration":{}}]}`, CodeMalformedXML, "Days or Date"},
		{"DaysAndDate", `{"Rules":[{"Status":"Enabled","Prefix":"","Expiration":{"Days":1,"Date":"2030-01-01T00:00:00Z"}}]}`, CodeMalformedXML, "not both"},
		{"DateNotMidnight", `{"Rules":[{"Status":"Enabled","Prefix":"","Expiration":{"Date":"2030-01-01T12:00:00Z"}}]}`, CodeInvalidArgument, "midnight GMT"},
		{"NoStorageClass", `{"Rules":[{"Status":"Enabled","Prefix":"","Transitions":[{"Days":1}]}]}`, CodeMalformedXML, "StorageClass"},
		{"BadStorageClass", `{"Rules":[{"Status":"Enabled","Prefix":"","Transitions":[{"Days":1,"StorageClass":"tape drawer"}]}]}`, CodeMalformedXML, `"tape drawer"`},
		{"NegativeTransition", `{"Rules":[{"Status":"Enabled","Prefix":"","Transitions":[{"Days":-1,"StorageClass":"GLACIER"}]}]}`, CodeInvalidArgument, "nonnegative"},
		{"EarlyIA", `{"Rules":[{"Status":"Enabled","Prefix":"","Transitions":[{"Days":10,"StorageClass":"STANDARD_IA"}]}]}`, CodeInvalidArgument, "greater than or equal to 30"},
		{"SameClassTwice", `{"Rules":[{"Status":"Enabled","Prefix":"","Transitions":[{"Days":1,"StorageClass":"GLACIER"},{"Days":2,"StorageClass":"GLACIER"}]}]}`, CodeInvalidArgument, "'StorageClass' must be different"},
		{"TransitionAfterExpiration", `{"Rules":[{"Status":"Enabled","Filter":{"Prefix":"AWSLogs/"},"Expiration":{"Days":30},"Transitions":[{"Days":30,"StorageClass":"GLACIER"}]}]}`, CodeInvalidArgument, "filter '(prefix=AWSLogs/)' must be greater than 'Days' in the Transition action"},
		{"MixedDaysAndDate", `{"Rules":[{"Status":"Enabled","Prefix":"","Expiration":{"Days":30},"Transitions":[{"Date":"2030-01-01T00:00:00Z","StorageClass":"GLACIER"}]}]}`, CodeInvalidRequest, "mixed 'Date' and 'Days'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.json))
			e := awserr.As(err)
			if e == nil {
				t.Fatalf("Parse error=%v, want %s", err, tt.code)
			}
			if e.Code != tt.code || !strings.Contains(e.Message, tt.message) {
				t.Fatalf("Parse error=%s: %s, want %s containing %q", e.Code, e.Message, tt.code, tt.message)
			}
		})
	}
}

// FuzzParse checks that Parse never panics and that what it accepts
// survives a round trip.
func FuzzParse(f *testing.F) {
	f.Add(`{"Rules":[{"ID":"a","Status":"Enabled","Filter":{"Prefix":"AWSLogs/"},"Expiration":{"Days":3},"Transitions":[{"Days":1,"StorageClass":"GLACIER"}]}]}`)
	f.Add(`{"Rules":[{"Status":"Disabled","Prefix":"x","Expiration":{"Date":"2030-01-01T00:00:00Z"}}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		cfg, err := Parse([]byte(s))
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("a parsed configuration does not validate: %v", err)
		}
		data, err := json.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(data); err != nil {
			t.Fatalf("Parse(%s): %v", data, err)
		}
	})
}
