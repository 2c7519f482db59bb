package apptest_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/deploytrail/deploytrail/internal/apptest"
	cd "github.com/deploytrail/deploytrail/internal/codedeploy"
	"github.com/deploytrail/deploytrail/internal/store"
)

// The fixtures of the CodeDeploy tests: resources made through the API
// (applications, groups, instances, revisions, deployments), the store
// for what the API cannot set up, and pagination.

// testRole is a well-formed service role ARN.
const testRole = "arn:aws:iam::123456789012:role/CodeDeployServiceRole"

// inPlaceEvents is the lifecycle of an in-place target without traffic
// control.
var inPlaceEvents = []string{"ApplicationStop", "DownloadBundle", "BeforeInstall", "Install", "AfterInstall", "ApplicationStart", "ValidateService"}

// codeDeployStore is the server's CodeDeploy store, for setting up what
// the API cannot (groups with a target revision, limits) and checking
// what it does not show.
func codeDeployStore(srv *apptest.Server) (store.CodeDeploy, cd.Scope) {
	return store.CodeDeploy{DB: srv.App.DB}, cd.Scope{Account: srv.Account(), Region: apptest.Region}
}

// startCodeDeploy starts a server and returns it with a CodeDeploy
// client signed by its root.
func startCodeDeploy(tb testing.TB, opts ...apptest.Option) (*apptest.Server, *codedeploy.Client) {
	tb.Helper()
	srv := apptest.Start(tb, opts...)
	return srv, srv.CodeDeploy(srv.Root)
}

// newApp creates an application ("" platform: Server) and returns its id.
func newApp(tb testing.TB, c *codedeploy.Client, name string, platform types.ComputePlatform) string {
	tb.Helper()
	out, err := c.CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String(name), ComputePlatform: platform})
	fatalIf(tb, err)
	return aws.ToString(out.ApplicationId)
}

// newGroup creates a deployment group with only the required members
// and, if given, on-premises tag filters; it returns the group's id.
func newGroup(tb testing.TB, c *codedeploy.Client, app, name string, filters ...types.TagFilter) string {
	tb.Helper()
	out, err := c.CreateDeploymentGroup(ctx, &codedeploy.CreateDeploymentGroupInput{ApplicationName: aws.String(app),
		DeploymentGroupName: aws.String(name), ServiceRoleArn: aws.String(testRole), OnPremisesInstanceTagFilters: filters})
	fatalIf(tb, err)
	return aws.ToString(out.DeploymentGroupId)
}

func getGroup(tb testing.TB, c *codedeploy.Client, app, name string) *types.DeploymentGroupInfo {
	tb.Helper()
	out, err := c.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String(app), DeploymentGroupName: aws.String(name)})
	fatalIf(tb, err)
	return out.DeploymentGroupInfo
}

// createServerConfig creates a Server config with a HOST_COUNT minimum.
func createServerConfig(tb testing.TB, c *codedeploy.Client, name string, hosts int32) string {
	tb.Helper()
	out, err := c.CreateDeploymentConfig(ctx, &codedeploy.CreateDeploymentConfigInput{DeploymentConfigName: aws.String(name),
		MinimumHealthyHosts: &types.MinimumHealthyHosts{Type: types.MinimumHealthyHostsTypeHostCount, Value: hosts}})
	fatalIf(tb, err)
	return aws.ToString(out.DeploymentConfigId)
}

func tag(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }

// testTags turns k=v pairs into tags.
func testTags(pairs ...string) []types.Tag {
	var tags []types.Tag
	for i := 0; i < len(pairs); i += 2 {
		tags = append(tags, tag(pairs[i], pairs[i+1]))
	}
	return tags
}

// register registers an on-premises instance under an IAM user ARN of
// the same name.
func register(tb testing.TB, c *codedeploy.Client, name string) {
	tb.Helper()
	noErr(tb)(c.RegisterOnPremisesInstance(ctx, &codedeploy.RegisterOnPremisesInstanceInput{InstanceName: aws.String(name),
		IamUserArn: aws.String("arn:aws:iam::123456789012:user/" + name)}))
}

// registerTagged registers on-premises instances and tags them.
func registerTagged(tb testing.TB, c *codedeploy.Client, tags []types.Tag, names ...string) {
	tb.Helper()
	for _, n := range names {
		register(tb, c, n)
	}
	tagInstances(tb, c, tags, names...)
}

// tagInstances adds tags to on-premises instances, ten at a time.
func tagInstances(tb testing.TB, c *codedeploy.Client, tags []types.Tag, names ...string) {
	tb.Helper()
	for chunk := range slices.Chunk(names, 10) {
		noErr(tb)(c.AddTagsToOnPremisesInstances(ctx, &codedeploy.AddTagsToOnPremisesInstancesInput{InstanceNames: chunk, Tags: tags}))
	}
}

func getInstance(tb testing.TB, c *codedeploy.Client, name string) *types.InstanceInfo {
	tb.Helper()
	out, err := c.GetOnPremisesInstance(ctx, &codedeploy.GetOnPremisesInstanceInput{InstanceName: aws.String(name)})
	fatalIf(tb, err)
	return out.InstanceInfo
}

// s3Revision is a zip bundle in a bucket.
func s3Revision(bucket, key string) *types.RevisionLocation {
	return &types.RevisionLocation{RevisionType: types.RevisionLocationTypeS3, S3Location: &types.S3Location{
		Bucket: aws.String(bucket), Key: aws.String(key), BundleType: types.BundleTypeZip}}
}

// registerS3Revision registers a zip bundle with an application.
func registerS3Revision(tb testing.TB, c *codedeploy.Client, app, bucket, key, description string) {
	tb.Helper()
	noErr(tb)(c.RegisterApplicationRevision(ctx, &codedeploy.RegisterApplicationRevisionInput{ApplicationName: aws.String(app),
		Revision: s3Revision(bucket, key), Description: aws.String(description)}))
}

// deployEnv starts a server with application "app" and group "dg", which
// selects the on-premises instances tagged env=prod: the prod ones named
// here, not "dev-box" (env=dev). It runs no deployment engine, so that
// deployments stay as the API left them.
func deployEnv(t *testing.T, prod ...string) (*apptest.Server, *codedeploy.Client) {
	t.Helper()
	srv, c := startCodeDeploy(t, apptest.WithoutEngine())
	newApp(t, c, "app", "")
	newProdGroup(t, c, "dg")
	registerTagged(t, c, testTags("env", "prod"), prod...)
	registerTagged(t, c, testTags("env", "dev"), "dev-box")
	return srv, c
}

// newProdGroup creates a group of app selecting env=prod instances.
func newProdGroup(t *testing.T, c *codedeploy.Client, name string) {
	t.Helper()
	newGroup(t, c, "app", name, types.TagFilter{Key: aws.String("env"), Value: aws.String("prod"), Type: types.TagFilterTypeKeyAndValue})
}

// depInput is a request deploying v1.zip to app/dg.
func depInput() *codedeploy.CreateDeploymentInput {
	return &codedeploy.CreateDeploymentInput{ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("dg"), Revision: s3Revision("bucket", "v1.zip")}
}

func createDep(t *testing.T, c *codedeploy.Client, in *codedeploy.CreateDeploymentInput) string {
	t.Helper()
	out, err := c.CreateDeployment(ctx, in)
	fatalIf(t, err)
	return aws.ToString(out.DeploymentId)
}

func getDep(t *testing.T, c *codedeploy.Client, id string) *types.DeploymentInfo {
	t.Helper()
	out, err := c.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	fatalIf(t, err)
	return out.DeploymentInfo
}

// succeedDep drives a deployment to success through the state machine,
// as the deployment engine will.
func succeedDep(t *testing.T, srv *apptest.Server, id string, targets ...string) {
	t.Helper()
	fatalIf(t, srv.App.CodeDeploy.StartDeployment(ctx, id))
	for _, target := range targets {
		runTarget(t, srv, id, target)
	}
	fatalIf(t, srv.App.CodeDeploy.CompleteDeployment(ctx, id, "Succeeded", nil))
}

// runTarget runs every lifecycle event of a started deployment's target
// to success.
func runTarget(t *testing.T, srv *apptest.Server, id, target string) {
	t.Helper()
	for _, ev := range inPlaceEvents {
		fatalIf(t, srv.App.CodeDeploy.TargetEvent(ctx, id, target, ev, "InProgress", nil))
		fatalIf(t, srv.App.CodeDeploy.TargetEvent(ctx, id, target, ev, "Succeeded", nil))
	}
}

// pager is an SDK paginator.
type pager[Out any] interface {
	HasMorePages() bool
	NextPage(context.Context, ...func(*codedeploy.Options)) (Out, error)
}

// allPages reads every page of p and returns the items of each and the
// number of pages.
func allPages[Out, T any](tb testing.TB, p pager[Out], items func(Out) []T) (all []T, pages int) {
	tb.Helper()
	for ; p.HasMorePages(); pages++ {
		out, err := p.NextPage(ctx)
		fatalIf(tb, err)
		all = append(all, items(out)...)
	}
	return all, pages
}

// pageByToken is allPages for the list operations the SDK has no
// paginator for: list is called with each nextToken until there is none.
func pageByToken[T any](tb testing.TB, list func(next *string) ([]T, *string, error)) (all []T, pages int) {
	tb.Helper()
	var next *string
	for {
		items, token, err := list(next)
		fatalIf(tb, err)
		all, pages, next = append(all, items...), pages+1, token
		if next == nil {
			return all, pages
		}
	}
}
