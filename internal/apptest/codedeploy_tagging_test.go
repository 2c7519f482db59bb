package apptest_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

// listTestTags returns a resource's tags as k=v strings.
func listTestTags(tb testing.TB, c *codedeploy.Client, arn string) []string {
	tb.Helper()
	out, err := c.ListTagsForResource(ctx, &codedeploy.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	fatalIf(tb, err)
	if out.NextToken != nil {
		tb.Fatalf("NextToken=%q, want none for a few tags", aws.ToString(out.NextToken))
	}
	got := []string{}
	for _, t := range out.Tags {
		got = append(got, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
	}
	return got
}

func TestCodeDeployTagging(t *testing.T) {
	srv, c := startCodeDeploy(t)
	arn := "arn:aws:codedeploy:us-east-1:" + srv.Account() + ":"
	noErr(t)(c.CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("web"), Tags: testTags("team", "a", "env", "prod")}))
	noErr(t)(c.CreateDeploymentGroup(ctx, &codedeploy.CreateDeploymentGroupInput{ApplicationName: aws.String("web"), DeploymentGroupName: aws.String("dg"),
		ServiceRoleArn: aws.String("arn:aws:iam::" + srv.Account() + ":role/CodeDeploy"), Tags: testTags("tier", "front")}))
	createServerConfig(t, c, "Cfg", 1)

	resources := []struct {
		name, arn string
		created   []string
	}{
		{"Application", arn + "application:web", []string{"env=prod", "team=a"}},
		{"DeploymentGroup", arn + "deploymentgroup:web/dg", []string{"tier=front"}},
		{"DeploymentConfig", arn + "deploymentconfig:Cfg", []string{}},
	}
	for _, r := range resources {
		t.Run(r.name, func(t *testing.T) {
			if got := listTestTags(t, c, r.arn); !slices.Equal(got, r.created) {
				t.Fatalf("tags=%v, want %v as created", got, r.created)
			}
			noErr(t)(c.TagResource(ctx, &codedeploy.TagResourceInput{ResourceArn: aws.String(r.arn), Tags: testTags("env", "test", "owner", "ops")}))
			noErr(t)(c.UntagResource(ctx, &codedeploy.UntagResourceInput{ResourceArn: aws.String(r.arn), TagKeys: []string{"team", "tier", "absent"}}))
			if got, want := listTestTags(t, c, r.arn), []string{"env=test", "owner=ops"}; !slices.Equal(got, want) {
				t.Fatalf("tags=%v, want %v", got, want)
			}
		})
	}
	t.Run("Errors", func(t *testing.T) {
		tests := []struct {
			name, arn string
			tags      []types.Tag
			code      string
		}{
			{"ArnRequired", "", testTags("k", "v"), "ResourceArnRequiredException"},
			{"NotAnArn", "web", testTags("k", "v"), "InvalidArnException"},
			{"SlashForm", arn + "application/web", testTags("k", "v"), "InvalidArnException"},
			{"OtherService", "arn:aws:s3:::bucket", testTags("k", "v"), "ArnNotSupportedException"},
			{"Instance", arn + "instance/host_AbCdEfGhIj", testTags("k", "v"), "ArnNotSupportedException"},
			{"OtherAccount", "arn:aws:codedeploy:us-east-1:999999999999:application:web", testTags("k", "v"), "ArnNotSupportedException"},
			{"OtherRegion", "arn:aws:codedeploy:eu-west-1:" + srv.Account() + ":application:web", testTags("k", "v"), "ArnNotSupportedException"},
			{"UnknownApplication", arn + "application:nope", testTags("k", "v"), "ApplicationDoesNotExistException"},
			{"UnknownGroup", arn + "deploymentgroup:web/nope", testTags("k", "v"), "DeploymentGroupDoesNotExistException"},
			{"UnknownConfig", arn + "deploymentconfig:Nope", testTags("k", "v"), "DeploymentConfigDoesNotExistException"},
			{"NoTags", arn + "application:web", []types.Tag{}, "TagRequiredException"},
			{"Reserved", arn + "application:web", testTags("aws:k", "v"), "InvalidTagsToAddException"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := c.TagResource(ctx, &codedeploy.TagResourceInput{ResourceArn: aws.String(tt.arn), Tags: tt.tags})
				wantCode(t, err, tt.code)
			})
		}
	})
	t.Run("TooMany", func(t *testing.T) {
		var pairs []string
		for i := range 49 {
			pairs = append(pairs, fmt.Sprintf("k%02d", i), "v")
		}
		_, err := c.TagResource(ctx, &codedeploy.TagResourceInput{ResourceArn: aws.String(arn + "application:web"), Tags: testTags(pairs...)})
		wantCode(t, err, "InvalidTagsToAddException") // 49 new ones and the 2 it has
	})
	t.Run("UntagErrors", func(t *testing.T) {
		_, err := c.UntagResource(ctx, &codedeploy.UntagResourceInput{ResourceArn: aws.String(arn + "application:web"), TagKeys: []string{}})
		wantCode(t, err, "TagRequiredException")
		_, err = c.UntagResource(ctx, &codedeploy.UntagResourceInput{ResourceArn: aws.String(arn + "deploymentconfig:CodeDeployDefault.AllAtOnce"), TagKeys: []string{"k"}})
		wantCode(t, err, "ArnNotSupportedException")
	})
	t.Run("ListToken", func(t *testing.T) {
		_, err := c.ListTagsForResource(ctx, &codedeploy.ListTagsForResourceInput{ResourceArn: aws.String(arn + "application:web"), NextToken: aws.String("ZW52.AAAA")})
		wantCode(t, err, "InvalidNextTokenException")
	})
	t.Run("RenameKeepsTags", func(t *testing.T) {
		noErr(t)(c.UpdateApplication(ctx, &codedeploy.UpdateApplicationInput{ApplicationName: aws.String("web"), NewApplicationName: aws.String("site")}))
		if got, want := listTestTags(t, c, arn+"application:site"), []string{"env=test", "owner=ops"}; !slices.Equal(got, want) {
			t.Fatalf("tags=%v, want %v", got, want)
		}
	})
}

func TestCodeDeployTaggingAccess(t *testing.T) {
	srv := apptest.Start(t)
	arn := "arn:aws:codedeploy:us-east-1:" + srv.Account() + ":application:"
	for _, name := range []string{"mine", "theirs"} {
		newApp(t, srv.CodeDeploy(srv.Root), name, "")
	}
	c := srv.CodeDeploy(newUser(t, srv, "tagger", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["codedeploy:TagResource","codedeploy:ListTagsForResource"],"Resource":"`+arn+`mine"}]}`))

	noErr(t)(c.TagResource(ctx, &codedeploy.TagResourceInput{ResourceArn: aws.String(arn + "mine"), Tags: testTags("k", "v")}))
	_, err := c.TagResource(ctx, &codedeploy.TagResourceInput{ResourceArn: aws.String(arn + "theirs"), Tags: testTags("k", "v")})
	wantCode(t, err, "AccessDeniedException")
	_, err = c.UntagResource(ctx, &codedeploy.UntagResourceInput{ResourceArn: aws.String(arn + "mine"), TagKeys: []string{"k"}})
	wantCode(t, err, "AccessDeniedException")
}
