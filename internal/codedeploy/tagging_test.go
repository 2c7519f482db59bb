package codedeploy

import (
	"context"
	"strings"
	"testing"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// callIn returns a context of a call by account 111122223333 in us-east-1.
func callIn() context.Context {
	return awsproto.NewContext(context.Background(), &awsproto.Call{Region: "us-east-1",
		Principal: &awsproto.Principal{AccountID: "111122223333"}})
}

// code is err's AWS error code, "" for nil.
func code(err error) string {
	if err == nil {
		return ""
	}
	if e := awserr.As(err); e != nil {
		return e.Code
	}
	return "internal: " + err.Error()
}

func TestTaggableARN(t *testing.T) {
	const p = "arn:aws:codedeploy:us-east-1:111122223333:"
	tests := []struct {
		name, arn, code, kind, res string
	}{
		{"Application", p + "application:MyApp", "", arnApplication, "MyApp"},
		{"Group", p + "deploymentgroup:MyApp/MyDG", "", arnGroup, "MyApp/MyDG"},
		{"Config", p + "deploymentconfig:Cfg", "", arnConfig, "Cfg"},
		{"Missing", "", CodeResourceArnRequired, "", ""},
		{"NotAnARN", "MyApp", CodeInvalidArn, "", ""},
		{"TooFewParts", "arn:aws:codedeploy:us-east-1", CodeInvalidArn, "", ""},
		{"NoResource", p + "application:", CodeInvalidArn, "", ""},
		{"GroupWithoutSlash", p + "deploymentgroup:MyApp", CodeInvalidArn, "", ""},
		{"BadName", p + "application:bad name", CodeInvalidArn, "", ""},
		{"SlashForm", "arn:aws:codedeploy:us-east-1:111122223333:application/MyApp", CodeInvalidArn, "", ""},
		{"GroupSlashForm", "arn:aws:codedeploy:us-east-1:111122223333:deploymentgroup/MyApp/MyDG", CodeInvalidArn, "", ""},
		{"OtherService", "arn:aws:s3:::bucket", CodeArnNotSupported, "", ""},
		{"OtherPartition", "arn:aws-cn:codedeploy:us-east-1:111122223333:application:MyApp", CodeArnNotSupported, "", ""},
		{"Instance", p + "instance/host_AbCdEfGhIj", CodeArnNotSupported, "", ""},
		{"Predefined", p + "deploymentconfig:CodeDeployDefault.OneAtATime", CodeArnNotSupported, "", ""},
		{"OtherAccount", "arn:aws:codedeploy:us-east-1:999999999999:application:MyApp", CodeArnNotSupported, "", ""},
		{"OtherRegion", "arn:aws:codedeploy:eu-west-1:111122223333:application:MyApp", CodeArnNotSupported, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, res, err := taggableARN(callIn(), tt.arn)
			if got := code(err); got != tt.code {
				t.Fatalf("code=%q, want %q", got, tt.code)
			}
			if kind != tt.kind || res != tt.res {
				t.Fatalf("kind, name=%q, %q, want %q, %q", kind, res, tt.kind, tt.res)
			}
		})
	}
}

func TestCheckTagsToAdd(t *testing.T) {
	many := make([]Tag, maxResourceTags+1)
	for i := range many {
		many[i] = Tag{Key: "k" + strings.Repeat("x", i)}
	}
	tests := []struct {
		name string
		tags []Tag
		code string
	}{
		{"None", nil, ""},
		{"OK", []Tag{{Key: "env", Value: "prod"}, {Key: "team:owner", Value: "a@b.example"}, {Key: "empty"}}, ""},
		{"Unicode", []Tag{{Key: "Größe", Value: "groß 1"}}, ""},
		{"EmptyKey", []Tag{{Value: "v"}}, CodeInvalidTagsToAdd},
		{"LongKey", []Tag{{Key: strings.Repeat("k", 129)}}, CodeInvalidTagsToAdd},
		{"LongValue", []Tag{{Key: "k", Value: strings.Repeat("v", 257)}}, CodeInvalidTagsToAdd},
		{"Reserved", []Tag{{Key: "AWS:cloudformation:stack-name"}}, CodeInvalidTagsToAdd},
		{"BadCharacter", []Tag{{Key: "a*b"}}, CodeInvalidTagsToAdd},
		{"Repeated", []Tag{{Key: "k", Value: "1"}, {Key: "k", Value: "2"}}, CodeInvalidTagsToAdd},
		{"TooMany", many, CodeInvalidTagsToAdd},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := code(checkTagsToAdd(tt.tags)); got != tt.code {
				t.Fatalf("code=%q, want %q", got, tt.code)
			}
		})
	}
}

func TestMergeTags(t *testing.T) {
	old := []Tag{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}}
	got := mergeTags(old, []Tag{{Key: "b", Value: "3"}, {Key: "c", Value: "4"}})
	want := []Tag{{Key: "a", Value: "1"}, {Key: "b", Value: "3"}, {Key: "c", Value: "4"}}
	if len(got) != len(want) {
		t.Fatalf("merged=%v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("merged=%v, want %v", got, want)
		}
	}
	if old[1].Value != "2" {
		t.Fatalf("old=%v, want it unchanged", old)
	}
}
