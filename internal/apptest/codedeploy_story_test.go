package apptest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

const codeDeployTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codedeploy.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// TestStoryOfADeployment reads, from the delivered log files alone, the
// story of a deployment that failed: who started it, that CodeDeploy used
// the group's service role for it, announced it through the group's
// trigger, and why and how it rolled back.
func TestStoryOfADeployment(t *testing.T) {
	srv := apptest.Start(t, apptest.WithDeliveryInterval(time.Second))
	createBucket(t, srv, trailBucket)
	ct := srv.CloudTrail(srv.Root)
	createTrail(t, ct, "main", false)
	noErr(t)(ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")}))
	role, err := srv.IAM(srv.Root).CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("CodeDeployServiceRole"),
		AssumeRolePolicyDocument: aws.String(codeDeployTrust)})
	fatalIf(t, err)
	roleARN := aws.ToString(role.Role.Arn)
	topic, sub := triggerTopic(t, srv, "deploys")

	deployer := srv.CodeDeploy(newUser(t, srv, "deployer", adminPolicy))
	newApp(t, deployer, "app", "")
	_, err = deployer.CreateDeploymentGroup(ctx, &codedeploy.CreateDeploymentGroupInput{ApplicationName: aws.String("app"),
		DeploymentGroupName: aws.String("dg"), ServiceRoleArn: aws.String(roleARN),
		OnPremisesInstanceTagFilters: []types.TagFilter{{Key: aws.String("env"), Value: aws.String("prod"), Type: types.TagFilterTypeKeyAndValue}},
		AutoRollbackConfiguration:    &types.AutoRollbackConfiguration{Enabled: true, Events: []types.AutoRollbackEvent{types.AutoRollbackEventDeploymentFailure}},
		TriggerConfigurations: []types.TriggerConfig{{TriggerName: aws.String("ops"), TriggerTargetArn: aws.String(topic),
			TriggerEvents: []types.TriggerEventType{"DeploymentFailure", "DeploymentRollback"}}}})
	fatalIf(t, err)
	registerTagged(t, deployer, testTags("env", "prod"), "web-1")
	simulatedHosts(t, srv, "web-1")
	fatalIf(t, waitSucceeded(deployer, createDep(t, deployer, depInput())))
	bad := depInput()
	bad.Revision = s3Revision("bucket", "bad.zip")
	failed := createDep(t, deployer, bad)
	waitSucceeded(deployer, failed) // fails: the waiter's error is expected
	rollback := aws.ToString(getDep(t, deployer, failed).RollbackInfo.RollbackDeploymentId)
	fatalIf(t, waitSucceeded(deployer, rollback))
	sub.notifications(t, 2)

	var story map[string]map[string]any // what happened → its record
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && len(story) < 5; time.Sleep(300 * time.Millisecond) {
		story = readStory(t, srv, failed, rollback)
	}
	wantIdentity(t, story, "started", "IAMUser", "")
	if arn, _ := story["started"]["userIdentity"].(map[string]any)["arn"].(string); !strings.HasSuffix(arn, ":user/deployer") {
		t.Errorf("the deployment was started by %v, want deployer", arn)
	}
	wantIdentity(t, story, "service role", "AWSService", "codedeploy.amazonaws.com")
	if req, _ := story["service role"]["requestParameters"].(map[string]any); req["roleArn"] != roleARN {
		t.Errorf("AssumeRole requestParameters=%v, want the group's role %s", req, roleARN)
	}
	wantIdentity(t, story, "failure announced", "AWSService", "codedeploy.amazonaws.com")
	wantIdentity(t, story, "rollback announced", "AWSService", "codedeploy.amazonaws.com")
	wantIdentity(t, story, "rolled back", "AWSService", "codedeploy.amazonaws.com")
}

// readStory sorts the delivered records about deployment failed and its
// rollback by what they tell.
func readStory(t *testing.T, srv *apptest.Server, failed, rollback string) map[string]map[string]any {
	story := map[string]map[string]any{}
	eachDeliveredRecord(t, srv, func(_ string, r map[string]any) {
		req, _ := r["requestParameters"].(map[string]any)
		resp, _ := r["responseElements"].(map[string]any)
		message, _ := req["message"].(string)
		switch {
		case r["eventName"] == "CreateDeployment" && resp["deploymentId"] == failed:
			story["started"] = r
		case r["eventName"] == "AssumeRole" && req["roleSessionName"] == failed:
			story["service role"] = r
		case r["eventName"] == "Publish" && strings.Contains(message, `"deploymentId":"`+failed+`"`) &&
			strings.Contains(message, `"ErrorCode":"HEALTH_CONSTRAINTS"`) && strings.Contains(message, `"eventTriggerName":"ops"`):
			if story["failure announced"] == nil {
				story["failure announced"] = r
			} else {
				story["rollback announced"] = r // DeploymentFailure, then DeploymentRollback
			}
		case r["eventName"] == "CreateDeployment" && resp["deploymentId"] == rollback:
			story["rolled back"] = r
		}
	})
	return story
}

func wantIdentity(t *testing.T, story map[string]map[string]any, what, typ, invokedBy string) {
	t.Helper()
	r := story[what]
	if r == nil {
		t.Fatalf("no delivered record tells %q", what)
	}
	id, _ := r["userIdentity"].(map[string]any)
	if id["type"] != typ || (invokedBy != "" && id["invokedBy"] != invokedBy) || r["errorCode"] != nil {
		t.Errorf("%s: record %v, want %s identity invoked by %q, no error", what, r, typ, invokedBy)
	}
}
