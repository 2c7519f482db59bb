package apptest_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/deploytrail/deploytrail/internal/apptest"
	cd "github.com/deploytrail/deploytrail/internal/codedeploy"
)

func TestCodeDeployApplications(t *testing.T) {
	_, c := startCodeDeploy(t)
	start := time.Now().Add(-time.Second)
	id := newApp(t, c, "web", "")

	t.Run("Get", func(t *testing.T) {
		out, err := c.GetApplication(ctx, &codedeploy.GetApplicationInput{ApplicationName: aws.String("web")})
		fatalIf(t, err)
		a := out.Application
		if aws.ToString(a.ApplicationId) != id || aws.ToString(a.ApplicationName) != "web" || a.ComputePlatform != types.ComputePlatformServer || a.LinkedToGitHub {
			t.Fatalf("application=%+v, want web (%s) on Server, not linked to GitHub", a, id)
		}
		if ct := aws.ToTime(a.CreateTime); ct.Before(start) || ct.After(time.Now()) {
			t.Fatalf("CreateTime=%v, want about now", ct)
		}
	})
	t.Run("Lambda", func(t *testing.T) {
		newApp(t, c, "fn", types.ComputePlatformLambda)
		out, err := c.GetApplication(ctx, &codedeploy.GetApplicationInput{ApplicationName: aws.String("fn")})
		fatalIf(t, err)
		if out.Application.ComputePlatform != types.ComputePlatformLambda {
			t.Fatalf("ComputePlatform=%v, want Lambda", out.Application.ComputePlatform)
		}
	})
	t.Run("CreateErrors", func(t *testing.T) {
		tests := []struct {
			name string
			in   codedeploy.CreateApplicationInput
			code string
		}{
			{"Exists", codedeploy.CreateApplicationInput{ApplicationName: aws.String("web")}, "ApplicationAlreadyExistsException"},
			{"NameRequired", codedeploy.CreateApplicationInput{ApplicationName: aws.String("")}, "ApplicationNameRequiredException"},
			{"BadName", codedeploy.CreateApplicationInput{ApplicationName: aws.String("my app")}, "InvalidApplicationNameException"},
			{"BadPlatform", codedeploy.CreateApplicationInput{ApplicationName: aws.String("x"), ComputePlatform: "Mainframe"}, "InvalidComputePlatformException"},
			{"ReservedTag", codedeploy.CreateApplicationInput{ApplicationName: aws.String("x"),
				Tags: []types.Tag{{Key: aws.String("aws:owner"), Value: aws.String("me")}}}, "InvalidTagsToAddException"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := c.CreateApplication(ctx, &tt.in)
				msg := wantCode(t, err, tt.code)
				if tt.name == "Exists" && msg != "Application already exists: web" {
					t.Fatalf("message=%q, want %q", msg, "Application already exists: web")
				}
			})
		}
	})
	t.Run("GetUnknown", func(t *testing.T) {
		_, err := c.GetApplication(ctx, &codedeploy.GetApplicationInput{ApplicationName: aws.String("nope")})
		wantCode(t, err, "ApplicationDoesNotExistException")
	})
	t.Run("BatchGet", func(t *testing.T) {
		out, err := c.BatchGetApplications(ctx, &codedeploy.BatchGetApplicationsInput{ApplicationNames: []string{"web", "fn", "web"}})
		fatalIf(t, err)
		var names []string
		for _, a := range out.ApplicationsInfo {
			names = append(names, aws.ToString(a.ApplicationName))
		}
		if !slices.Equal(names, []string{"web", "fn"}) {
			t.Fatalf("names=%v, want [web fn]", names)
		}
	})
	t.Run("BatchGetErrors", func(t *testing.T) {
		tests := []struct {
			name  string
			names []string
			code  string
		}{
			{"Empty", []string{}, "ApplicationNameRequiredException"},
			{"TooMany", make([]string, 101), "BatchLimitExceededException"},
			{"Unknown", []string{"web", "nope"}, "ApplicationDoesNotExistException"},
			{"Invalid", []string{"web", "no way"}, "InvalidApplicationNameException"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := c.BatchGetApplications(ctx, &codedeploy.BatchGetApplicationsInput{ApplicationNames: tt.names})
				wantCode(t, err, tt.code)
			})
		}
	})
}

func TestCodeDeployListApplications(t *testing.T) {
	_, c := startCodeDeploy(t)
	var want []string
	for i := range 230 {
		name := fmt.Sprintf("app-%03d", (i*7)%230) // created out of order
		newApp(t, c, name, "")
		want = append(want, name)
	}
	slices.Sort(want)

	got, pages := allPages(t, codedeploy.NewListApplicationsPaginator(c, &codedeploy.ListApplicationsInput{}),
		func(out *codedeploy.ListApplicationsOutput) []string { return out.Applications })
	if pages != 3 || !slices.Equal(got, want) {
		t.Fatalf("pages=%d names=%v, want 3 pages of %v", pages, got, want)
	}

	first, err := c.ListApplications(ctx, &codedeploy.ListApplicationsInput{})
	fatalIf(t, err)
	for _, token := range []string{"garbage", aws.ToString(first.NextToken) + "x", "YXBwLTE1MA.AAAAAAAAAAAAAAAAAAAAAA"} {
		_, err := c.ListApplications(ctx, &codedeploy.ListApplicationsInput{NextToken: aws.String(token)})
		wantCode(t, err, "InvalidNextTokenException")
	}
}

func TestCodeDeployApplicationLimit(t *testing.T) {
	srv := apptest.Start(t)
	db, scope := codeDeployStore(srv)
	for i := range 1000 {
		a := &cd.Application{Scope: scope, Info: cd.ApplicationInfo{ApplicationID: fmt.Sprintf("id-%d", i),
			ApplicationName: fmt.Sprintf("app-%d", i), ComputePlatform: cd.PlatformServer}}
		fatalIf(t, db.InsertApplication(ctx, a))
	}
	_, err := srv.CodeDeploy(srv.Root).CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("one-more")})
	wantCode(t, err, "ApplicationLimitExceededException")
}

func TestCodeDeployUpdateApplication(t *testing.T) {
	_, c := startCodeDeploy(t)
	id := newApp(t, c, "old", "")
	newApp(t, c, "taken", "")

	t.Run("Errors", func(t *testing.T) {
		tests := []struct {
			name, from, to, code string
		}{
			{"Taken", "old", "taken", "ApplicationAlreadyExistsException"},
			{"NoName", "", "new", "ApplicationNameRequiredException"},
			{"NoNewName", "old", "", "ApplicationNameRequiredException"},
			{"BadNewName", "old", "new name", "InvalidApplicationNameException"},
			{"Unknown", "nope", "new", "ApplicationDoesNotExistException"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := c.UpdateApplication(ctx, &codedeploy.UpdateApplicationInput{ApplicationName: aws.String(tt.from), NewApplicationName: aws.String(tt.to)})
				wantCode(t, err, tt.code)
			})
		}
	})
	t.Run("Rename", func(t *testing.T) {
		noErr(t)(c.UpdateApplication(ctx, &codedeploy.UpdateApplicationInput{ApplicationName: aws.String("old"), NewApplicationName: aws.String("new")}))
		out, err := c.GetApplication(ctx, &codedeploy.GetApplicationInput{ApplicationName: aws.String("new")})
		fatalIf(t, err)
		if got := aws.ToString(out.Application.ApplicationId); got != id {
			t.Fatalf("ApplicationId=%s, want %s", got, id)
		}
		_, err = c.GetApplication(ctx, &codedeploy.GetApplicationInput{ApplicationName: aws.String("old")})
		wantCode(t, err, "ApplicationDoesNotExistException")
	})
}

func TestCodeDeployDeleteApplication(t *testing.T) {
	srv, c := startCodeDeploy(t)
	db, _ := codeDeployStore(srv)
	id := newApp(t, c, "web", "")
	registerS3Revision(t, c, "web", "b", "k.zip", "")
	fatalIf(t, db.InsertDeploymentGroup(ctx, &cd.DeploymentGroup{AppID: id, Info: cd.DeploymentGroupInfo{
		ApplicationName: "web", DeploymentGroupID: "dg-1", DeploymentGroupName: "dg", DeploymentConfigName: cd.DefaultConfigName}}))

	noErr(t)(c.DeleteApplication(ctx, &codedeploy.DeleteApplicationInput{ApplicationName: aws.String("web")}))
	_, err := c.GetApplication(ctx, &codedeploy.GetApplicationInput{ApplicationName: aws.String("web")})
	wantCode(t, err, "ApplicationDoesNotExistException")
	if groups, err := db.DeploymentGroups(ctx, id); err != nil || len(groups) != 0 {
		t.Fatalf("groups=%v err=%v, want none left", groups, err)
	}
	if revs, err := db.Revisions(ctx, id); err != nil || len(revs) != 0 {
		t.Fatalf("revisions=%v err=%v, want none left", revs, err)
	}

	t.Run("Idempotent", func(t *testing.T) {
		noErr(t)(c.DeleteApplication(ctx, &codedeploy.DeleteApplicationInput{ApplicationName: aws.String("web")}))
	})
	t.Run("NameRequired", func(t *testing.T) {
		_, err := c.DeleteApplication(ctx, &codedeploy.DeleteApplicationInput{ApplicationName: aws.String("")})
		wantCode(t, err, "ApplicationNameRequiredException")
	})
}

func TestCodeDeployApplicationsAccess(t *testing.T) {
	srv := apptest.Start(t)
	newApp(t, srv.CodeDeploy(srv.Root), "web", "")
	reader := srv.CodeDeploy(newUser(t, srv, "reader", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["codedeploy:Get*","codedeploy:List*"],"Resource":"*"}]}`))

	noErr(t)(reader.GetApplication(ctx, &codedeploy.GetApplicationInput{ApplicationName: aws.String("web")}))
	_, err := reader.CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("mine")})
	msg := wantCode(t, err, "AccessDeniedException")
	want := "arn:aws:codedeploy:us-east-1:" + srv.Account() + ":application:mine"
	if !strings.Contains(msg, want) {
		t.Fatalf("message=%q, want it to name %s", msg, want)
	}
	_, err = reader.DeleteApplication(ctx, &codedeploy.DeleteApplicationInput{ApplicationName: aws.String("web")})
	wantCode(t, err, "AccessDeniedException")
}
