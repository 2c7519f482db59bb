package apptest_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	cd "github.com/deploytrail/deploytrail/internal/codedeploy"
)

// getTestRevision returns a registered revision's information.
func getTestRevision(tb testing.TB, c *codedeploy.Client, app string, rev *types.RevisionLocation) *codedeploy.GetApplicationRevisionOutput {
	tb.Helper()
	out, err := c.GetApplicationRevision(ctx, &codedeploy.GetApplicationRevisionInput{ApplicationName: aws.String(app), Revision: rev})
	fatalIf(tb, err)
	return out
}

func TestCodeDeployRegisterRevision(t *testing.T) {
	_, c := startCodeDeploy(t)
	newApp(t, c, "web", "")
	registerS3Revision(t, c, "web", "bundles", "web/v1.zip", "first")
	first := getTestRevision(t, c, "web", s3Revision("bundles", "web/v1.zip"))

	t.Run("Get", func(t *testing.T) {
		info := first.RevisionInfo
		if aws.ToString(first.ApplicationName) != "web" || aws.ToString(info.Description) != "first" || info.RegisterTime == nil ||
			info.FirstUsedTime != nil || len(info.DeploymentGroups) != 0 {
			t.Fatalf("revision=%+v info=%+v, want web's unused revision described first", first, info)
		}
		if l := first.Revision.S3Location; aws.ToString(l.Bucket) != "bundles" || aws.ToString(l.Key) != "web/v1.zip" || l.BundleType != types.BundleTypeZip {
			t.Fatalf("s3Location=%+v, want bundles/web/v1.zip zip", l)
		}
	})
	t.Run("Reregister", func(t *testing.T) {
		time.Sleep(5 * time.Millisecond) // so that a new registerTime would show
		registerS3Revision(t, c, "web", "bundles", "web/v1.zip", "second")
		info := getTestRevision(t, c, "web", s3Revision("bundles", "web/v1.zip")).RevisionInfo
		if aws.ToString(info.Description) != "second" || !aws.ToTime(info.RegisterTime).Equal(aws.ToTime(first.RevisionInfo.RegisterTime)) {
			t.Fatalf("info=%+v, want description second and registerTime %v", info, first.RevisionInfo.RegisterTime)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		json := s3Revision("bundles", "appspec.json")
		json.S3Location.BundleType = types.BundleTypeJson
		tests := []struct {
			name, app, description string
			rev                    *types.RevisionLocation
			code                   string
		}{
			{"UnknownApplication", "nope", "", s3Revision("b", "k"), "ApplicationDoesNotExistException"},
			{"NoApplication", "", "", s3Revision("b", "k"), "ApplicationNameRequiredException"},
			{"NoRevision", "web", "", &types.RevisionLocation{}, "RevisionRequiredException"},
			{"NoKey", "web", "", &types.RevisionLocation{RevisionType: types.RevisionLocationTypeS3, S3Location: &types.S3Location{Bucket: aws.String("b")}}, "InvalidRevisionException"},
			{"WrongPlatform", "web", "", json, "InvalidRevisionException"},
			{"LongDescription", "web", strings.Repeat("d", 257), s3Revision("b", "k"), "DescriptionTooLongException"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := c.RegisterApplicationRevision(ctx, &codedeploy.RegisterApplicationRevisionInput{ApplicationName: aws.String(tt.app),
					Revision: tt.rev, Description: aws.String(tt.description)})
				wantCode(t, err, tt.code)
			})
		}
	})
	t.Run("GetUnknown", func(t *testing.T) {
		unknown := s3Revision("bundles", "web/v1.zip")
		unknown.S3Location.Version = aws.String("v9") // the version is part of the identity
		_, err := c.GetApplicationRevision(ctx, &codedeploy.GetApplicationRevisionInput{ApplicationName: aws.String("web"), Revision: unknown})
		wantCode(t, err, "RevisionDoesNotExistException")
	})
}

func TestCodeDeployAppSpecContentRevision(t *testing.T) {
	_, c := startCodeDeploy(t)
	newApp(t, c, "fn", types.ComputePlatformLambda)
	const content = "version: 0.0\nResources: []\n"
	rev := &types.RevisionLocation{RevisionType: types.RevisionLocationTypeAppSpecContent, AppSpecContent: &types.AppSpecContent{Content: aws.String(content)}}
	noErr(t)(c.RegisterApplicationRevision(ctx, &codedeploy.RegisterApplicationRevisionInput{ApplicationName: aws.String("fn"), Revision: rev}))

	got := getTestRevision(t, c, "fn", rev).Revision.AppSpecContent
	sum := sha256.Sum256([]byte(content))
	if aws.ToString(got.Content) != content || aws.ToString(got.Sha256) != hex.EncodeToString(sum[:]) {
		t.Fatalf("appSpecContent=%+v, want the content and its sha256", got)
	}
	list, err := c.ListApplicationRevisions(ctx, &codedeploy.ListApplicationRevisionsInput{ApplicationName: aws.String("fn")})
	fatalIf(t, err)
	if len(list.Revisions) != 1 || list.Revisions[0].AppSpecContent.Content != nil || aws.ToString(list.Revisions[0].AppSpecContent.Sha256) != aws.ToString(got.Sha256) {
		t.Fatalf("listed=%+v, want the sha256 without the content", list.Revisions)
	}
	_, err = c.RegisterApplicationRevision(ctx, &codedeploy.RegisterApplicationRevisionInput{ApplicationName: aws.String("fn"), Revision: s3Revision("b", "k.zip")})
	wantCode(t, err, "InvalidRevisionException")
}

func TestCodeDeployRevisionGroups(t *testing.T) {
	srv, c := startCodeDeploy(t)
	id := newApp(t, c, "web", "")
	registerS3Revision(t, c, "web", "b", "live.zip", "")
	registerS3Revision(t, c, "web", "b", "old.zip", "")
	// Deployments set a group's target revision; here the store does.
	db, _ := codeDeployStore(srv)
	target := &cd.RevisionLocation{RevisionType: "S3", S3Location: &cd.S3Location{Bucket: "b", Key: "live.zip", BundleType: "zip"}}
	for _, name := range []string{"prod", "staging"} {
		fatalIf(t, db.InsertDeploymentGroup(ctx, &cd.DeploymentGroup{AppID: id, Info: cd.DeploymentGroupInfo{ApplicationName: "web",
			DeploymentGroupID: "id-" + name, DeploymentGroupName: name, DeploymentConfigName: cd.DefaultConfigName, TargetRevision: target}}))
	}

	groups := getTestRevision(t, c, "web", s3Revision("b", "live.zip")).RevisionInfo.DeploymentGroups
	if !slices.Equal(groups, []string{"prod", "staging"}) {
		t.Fatalf("deploymentGroups=%v, want [prod staging]", groups)
	}
	for deployed, want := range map[types.ListStateFilterAction][]string{"include": {"live.zip"}, "exclude": {"old.zip"}, "ignore": {"live.zip", "old.zip"}} {
		if got := listRevisionKeys(t, c, &codedeploy.ListApplicationRevisionsInput{ApplicationName: aws.String("web"), Deployed: deployed}); !slices.Equal(got, want) {
			t.Fatalf("deployed=%s: keys=%v, want %v", deployed, got, want)
		}
	}

	t.Run("BatchGet", func(t *testing.T) {
		out, err := c.BatchGetApplicationRevisions(ctx, &codedeploy.BatchGetApplicationRevisionsInput{ApplicationName: aws.String("web"),
			Revisions: []types.RevisionLocation{*s3Revision("b", "live.zip"), *s3Revision("b", "missing.zip"), *s3Revision("b", "old.zip")}})
		fatalIf(t, err)
		if len(out.Revisions) != 2 || aws.ToString(out.Revisions[0].RevisionLocation.S3Location.Key) != "live.zip" ||
			!slices.Equal(out.Revisions[0].GenericRevisionInfo.DeploymentGroups, []string{"prod", "staging"}) ||
			aws.ToString(out.Revisions[1].RevisionLocation.S3Location.Key) != "old.zip" {
			t.Fatalf("revisions=%+v, want live.zip (prod, staging) and old.zip", out.Revisions)
		}
		if msg := aws.ToString(out.ErrorMessage); !strings.Contains(msg, "missing.zip") {
			t.Fatalf("errorMessage=%q, want it to name missing.zip", msg)
		}
	})
	t.Run("BatchGetErrors", func(t *testing.T) {
		tests := []struct {
			name string
			revs []types.RevisionLocation
			code string
		}{
			{"Empty", []types.RevisionLocation{}, "RevisionRequiredException"},
			{"TooMany", slices.Repeat([]types.RevisionLocation{*s3Revision("b", "k.zip")}, 26), "BatchLimitExceededException"},
			{"Invalid", []types.RevisionLocation{*s3Revision("b", "live.zip"), {RevisionType: types.RevisionLocationTypeGitHub}}, "InvalidRevisionException"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := c.BatchGetApplicationRevisions(ctx, &codedeploy.BatchGetApplicationRevisionsInput{ApplicationName: aws.String("web"), Revisions: tt.revs})
				wantCode(t, err, tt.code)
			})
		}
	})
}

// listRevisionKeys lists revisions with the paginator and returns their
// S3 keys in order.
func listRevisionKeys(tb testing.TB, c *codedeploy.Client, in *codedeploy.ListApplicationRevisionsInput) []string {
	tb.Helper()
	revs, _ := allPages(tb, codedeploy.NewListApplicationRevisionsPaginator(c, in),
		func(out *codedeploy.ListApplicationRevisionsOutput) []types.RevisionLocation { return out.Revisions })
	keys := []string{}
	for _, r := range revs {
		keys = append(keys, aws.ToString(r.S3Location.Key))
	}
	return keys
}

func TestCodeDeployListRevisions(t *testing.T) {
	_, c := startCodeDeploy(t)
	newApp(t, c, "web", "")
	var early, late []string
	for i := range 70 {
		early = append(early, fmt.Sprintf("early/%02d.zip", i))
		registerS3Revision(t, c, "web", "bundles", early[i], "")
	}
	time.Sleep(5 * time.Millisecond) // every late revision is registered after every early one
	for i := range 70 {
		late = append(late, fmt.Sprintf("late/%02d.zip", i))
		registerS3Revision(t, c, "web", "bundles", late[i], "")
	}
	registerS3Revision(t, c, "web", "other", "early/x.zip", "")
	list := func(in codedeploy.ListApplicationRevisionsInput) []string {
		in.ApplicationName = aws.String("web")
		return listRevisionKeys(t, c, &in)
	}

	t.Run("Descending", func(t *testing.T) {
		got := list(codedeploy.ListApplicationRevisionsInput{SortBy: types.ApplicationRevisionSortByRegisterTime, SortOrder: types.SortOrderDescending,
			S3Bucket: aws.String("bundles")})
		if len(got) != 140 || !slices.Equal(sortedCopy(got[:70]), late) || !slices.Equal(sortedCopy(got[70:]), early) {
			t.Fatalf("keys=%v, want the 70 late ones before the 70 early ones", got)
		}
	})
	t.Run("Ascending", func(t *testing.T) {
		got := list(codedeploy.ListApplicationRevisionsInput{SortBy: types.ApplicationRevisionSortByRegisterTime, S3Bucket: aws.String("bundles")})
		if len(got) != 140 || !slices.Equal(sortedCopy(got[:70]), early) || !slices.Equal(sortedCopy(got[70:]), late) {
			t.Fatalf("keys=%v, want the 70 early ones before the 70 late ones", got)
		}
	})
	t.Run("Unsorted", func(t *testing.T) {
		if got := list(codedeploy.ListApplicationRevisionsInput{}); len(got) != 141 || len(slices.Compact(sortedCopy(got))) != 141 {
			t.Fatalf("%d keys, want 141 different ones", len(got))
		}
	})
	t.Run("Prefix", func(t *testing.T) {
		got := list(codedeploy.ListApplicationRevisionsInput{S3Bucket: aws.String("bundles"), S3KeyPrefix: aws.String("late/")})
		if !slices.Equal(sortedCopy(got), late) {
			t.Fatalf("keys=%v, want the late ones", got)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		tests := []struct {
			name string
			in   codedeploy.ListApplicationRevisionsInput
			code string
		}{
			{"SortBy", codedeploy.ListApplicationRevisionsInput{SortBy: "name"}, "InvalidSortByException"},
			{"SortOrder", codedeploy.ListApplicationRevisionsInput{SortOrder: "up"}, "InvalidSortOrderException"},
			{"Deployed", codedeploy.ListApplicationRevisionsInput{Deployed: "maybe"}, "InvalidDeployedStateFilterException"},
			{"PrefixWithoutBucket", codedeploy.ListApplicationRevisionsInput{S3KeyPrefix: aws.String("late/")}, "BucketNameFilterRequiredException"},
			{"BadBucket", codedeploy.ListApplicationRevisionsInput{S3Bucket: aws.String("a")}, "InvalidBucketNameFilterException"},
			{"Token", codedeploy.ListApplicationRevisionsInput{NextToken: aws.String("bm9wZQ.AAAA")}, "InvalidNextTokenException"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.in.ApplicationName = aws.String("web")
				_, err := c.ListApplicationRevisions(ctx, &tt.in)
				wantCode(t, err, tt.code)
			})
		}
	})
	t.Run("TokenOfAnotherSort", func(t *testing.T) {
		in := &codedeploy.ListApplicationRevisionsInput{ApplicationName: aws.String("web"), SortBy: types.ApplicationRevisionSortByRegisterTime}
		out, err := c.ListApplicationRevisions(ctx, in)
		fatalIf(t, err)
		in.SortOrder, in.NextToken = types.SortOrderDescending, out.NextToken
		_, err = c.ListApplicationRevisions(ctx, in)
		wantCode(t, err, "InvalidNextTokenException")
	})
}

func sortedCopy(list []string) []string {
	out := slices.Clone(list)
	slices.Sort(out)
	return out
}
