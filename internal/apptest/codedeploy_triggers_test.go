package apptest_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

// codeDeployTopicPolicy lets CodeDeploy publish to topic for the
// account's deployment groups.
func codeDeployTopicPolicy(topic, account string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codedeploy.amazonaws.com"},
		"Action":"SNS:Publish","Resource":"` + topic + `","Condition":{"StringEquals":{"aws:SourceAccount":"` + account + `"}}}]}`
}

// triggerTopic creates a topic CodeDeploy may publish to, with a
// confirmed HTTP subscriber.
func triggerTopic(t *testing.T, srv *apptest.Server, name string) (string, *subscriber) {
	t.Helper()
	c := srv.SNS(srv.Root)
	topic := createTopic(t, c, name)
	_, err := c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: aws.String(topic), AttributeName: aws.String("Policy"),
		AttributeValue: aws.String(codeDeployTopicPolicy(topic, srv.Account()))})
	fatalIf(t, err)
	sub := newSubscriber(t, 0)
	subscribeConfirmed(t, c, topic, sub)
	return topic, sub
}

// notification is one trigger message a subscriber received.
type notification struct {
	subject string
	msg     map[string]any
}

// notifications waits until the subscriber got n notifications and
// returns them decoded.
func (s *subscriber) notifications(t *testing.T, n int) []notification {
	t.Helper()
	var out []notification
	for len(out) < n {
		p := s.wait(t, "Notification")
		verifySignature(t, p.env)
		var m map[string]any
		if err := json.Unmarshal([]byte(p.env["Message"].(string)), &m); err != nil {
			t.Fatalf("trigger message %v: %v", p.env["Message"], err)
		}
		subject, _ := p.env["Subject"].(string)
		out = append(out, notification{subject: subject, msg: m})
	}
	return out
}

// TestTriggers runs a deployment that succeeds and one that fails on two
// simulated hosts; the group's triggers publish §13's messages for the
// events they list, and the trail records each publish as CodeDeploy's.
func TestTriggers(t *testing.T) {
	srv, c := startCodeDeploy(t)
	topic, sub := triggerTopic(t, srv, "deploys")
	failures, failSub := triggerTopic(t, srv, "failures")
	newApp(t, c, "app", "")
	newProdGroup(t, c, "dg")
	_, err := c.UpdateDeploymentGroup(ctx, &codedeploy.UpdateDeploymentGroupInput{ApplicationName: aws.String("app"),
		CurrentDeploymentGroupName: aws.String("dg"), TriggerConfigurations: []types.TriggerConfig{
			{TriggerName: aws.String("all"), TriggerTargetArn: aws.String(topic), TriggerEvents: []types.TriggerEventType{
				"DeploymentStart", "DeploymentSuccess", "DeploymentFailure", "InstanceStart", "InstanceSuccess", "InstanceFailure"}},
			{TriggerName: aws.String("failures"), TriggerTargetArn: aws.String(failures), TriggerEvents: []types.TriggerEventType{"DeploymentFailure"}}}})
	fatalIf(t, err)
	hosts := []string{"web-1", "web-2"}
	registerTagged(t, c, testTags("env", "prod"), hosts...)
	simulatedHosts(t, srv, hosts...)

	good := createDep(t, c, depInput())
	fatalIf(t, waitSucceeded(c, good))
	got := sub.notifications(t, 6) // SNS delivers them in any order
	checkDeploymentMessage(t, srv, withStatus(t, got, "status", "IN_PROGRESS"), good, "all", "IN_PROGRESS")
	checkDeploymentMessage(t, srv, withStatus(t, got, "status", "SUCCEEDED"), good, "all", "SUCCEEDED")
	checkInstanceMessages(t, got, good, "Succeeded", 2)

	bad := depInput()
	bad.Revision = s3Revision("bucket", "bad.zip")
	failed := createDep(t, c, bad)
	if err := waitSucceeded(c, failed); err == nil {
		t.Fatalf("waiting on a failing deployment: err=nil, want the waiter's failure")
	}
	got = sub.notifications(t, 4) // OneAtATime: the second host never starts
	checkDeploymentMessage(t, srv, withStatus(t, got, "status", "IN_PROGRESS"), failed, "all", "IN_PROGRESS")
	checkInstanceMessages(t, got, failed, "Failed", 1)
	last := checkDeploymentMessage(t, srv, withStatus(t, got, "status", "FAILED"), failed, "all", "FAILED")
	info, _ := last["errorInformation"].(map[string]any)
	if info["ErrorCode"] != "HEALTH_CONSTRAINTS" || info["ErrorMessage"] == "" {
		t.Errorf("DeploymentFailure errorInformation=%v, want ErrorCode HEALTH_CONSTRAINTS and a message", last["errorInformation"])
	}
	onlyFailure := failSub.notifications(t, 1)
	checkDeploymentMessage(t, srv, onlyFailure[0], failed, "failures", "FAILED")
	time.Sleep(300 * time.Millisecond)
	if extra := len(sub.got) + len(failSub.got); extra != 0 {
		t.Errorf("%d notifications beyond the triggers' events", extra)
	}
	checkPublishEvents(t, srv, topic, failures, 10+1)
}

// checkDeploymentMessage checks a deployment event's subject and §13
// fields, and returns the message.
func checkDeploymentMessage(t *testing.T, srv *apptest.Server, n notification, id, trigger, status string) map[string]any {
	t.Helper()
	m := n.msg
	if m["deploymentId"] != id || m["eventTriggerName"] != trigger || m["status"] != status || m["region"] != apptest.Region ||
		m["accountId"] != srv.Account() || m["applicationName"] != "app" || m["deploymentGroupName"] != "dg" {
		t.Fatalf("deployment message=%v, want %s of %s by trigger %s", m, status, id, trigger)
	}
	if want := status + ": AWS CodeDeploy " + id + " in " + apptest.Region + " to app"; n.subject != want {
		t.Errorf("Subject=%q, want %q", n.subject, want)
	}
	if _, err := time.Parse("Mon Jan 02 15:04:05 MST 2006", m["createTime"].(string)); err != nil {
		t.Errorf("createTime %v: %v", m["createTime"], err)
	}
	var overview map[string]string
	if err := json.Unmarshal([]byte(m["deploymentOverview"].(string)), &overview); err != nil || overview["Succeeded"] == "" {
		t.Errorf("deploymentOverview=%v (%v), want a JSON string of string counts", m["deploymentOverview"], err)
	}
	if status != "IN_PROGRESS" {
		if _, err := time.Parse("Mon Jan 02 15:04:05 MST 2006", m["completeTime"].(string)); err != nil {
			t.Errorf("completeTime %v: %v", m["completeTime"], err)
		}
	}
	return m
}

// withStatus returns the one notification whose key (status,
// instanceStatus) is status.
func withStatus(t *testing.T, ns []notification, key, status string) notification {
	t.Helper()
	var found []notification
	for _, n := range ns {
		if n.msg[key] == status {
			found = append(found, n)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d notifications with %s %s, want 1", len(found), key, status)
	}
	return found[0]
}

// checkInstanceMessages checks that each of n instances got an
// InstanceStart and then an end of status end.
func checkInstanceMessages(t *testing.T, ns []notification, id, end string, n int) {
	t.Helper()
	starts, ends := map[any]map[string]any{}, map[any]map[string]any{}
	for _, x := range ns {
		switch m := x.msg; m["instanceStatus"] {
		case "InProgress":
			starts[m["instanceId"]] = m
		case end:
			ends[m["instanceId"]] = m
		}
	}
	if len(starts) != n || len(ends) != n {
		t.Fatalf("%d InstanceStart and %d %s messages, want %d each", len(starts), len(ends), end, n)
	}
	for arn, start := range starts {
		done := ends[arn]
		if s, _ := arn.(string); start["deploymentId"] != id || !strings.Contains(s, ":instance/web-") || done == nil {
			t.Fatalf("InstanceStart message=%v, want an instance ARN of %s that also ended %s", start, id, end)
		}
		if done["deploymentId"] != id || done["eventTriggerName"] != "all" {
			t.Fatalf("instance end message=%v, want %s of %s", done, end, arn)
		}
		events, _ := done["lifecycleEvents"].([]any)
		if len(events) != 7 {
			t.Fatalf("lifecycleEvents=%v, want 7", done["lifecycleEvents"])
		}
		last, _ := events[6].(map[string]any)
		if last["LifecycleEvent"] != "ValidateService" || last["LifecycleEventStatus"] != end || last["EndTime"] == "" {
			t.Errorf("ValidateService=%v, want %s with an EndTime", last, end)
		}
	}
}

// checkPublishEvents checks that the trail holds n SNS Publish calls made
// by CodeDeploy on the customer's behalf to the two topics.
func checkPublishEvents(t *testing.T, srv *apptest.Server, topic, failures string, n int) {
	t.Helper()
	evs := lookup(t, srv.CloudTrail(srv.Root), &cloudtrail.LookupEventsInput{LookupAttributes: attrs("EventName", "Publish")})
	seen := 0
	for _, e := range evs {
		rec := record(t, e)
		id, _ := rec["userIdentity"].(map[string]any)
		req, _ := rec["requestParameters"].(map[string]any)
		resp, _ := rec["responseElements"].(map[string]any)
		if rec["eventSource"] != "sns.amazonaws.com" || id["type"] != "AWSService" || id["invokedBy"] != "codedeploy.amazonaws.com" ||
			rec["sourceIPAddress"] != "codedeploy.amazonaws.com" || !slices.Contains([]any{topic, failures}, req["topicArn"]) ||
			resp["messageId"] == nil || rec["errorCode"] != nil {
			t.Fatalf("Publish record=%v, want SNS Publish by AWSService invoked by codedeploy.amazonaws.com", rec)
		}
		seen++
	}
	if seen != n {
		t.Errorf("%d Publish events, want %d", seen, n)
	}
}

// TestTriggers_RefusedPublish: a topic whose policy does not let
// CodeDeploy publish gets nothing, the trail records the refused
// Publish with SNS's error, and the deployment is not held back.
func TestTriggers_RefusedPublish(t *testing.T) {
	srv, c := startCodeDeploy(t)
	topic := createTopic(t, srv.SNS(srv.Root), "closed")
	newApp(t, c, "app", "")
	newProdGroup(t, c, "dg")
	_, err := c.UpdateDeploymentGroup(ctx, &codedeploy.UpdateDeploymentGroupInput{ApplicationName: aws.String("app"),
		CurrentDeploymentGroupName: aws.String("dg"), TriggerConfigurations: []types.TriggerConfig{{TriggerName: aws.String("start"),
			TriggerTargetArn: aws.String(topic), TriggerEvents: []types.TriggerEventType{"DeploymentStart"}}}})
	fatalIf(t, err)
	registerTagged(t, c, testTags("env", "prod"), "web-1")
	simulatedHosts(t, srv, "web-1")
	fatalIf(t, waitSucceeded(c, createDep(t, c, depInput())))
	rec := lookupOne(t, srv, "Publish")
	id, _ := rec["userIdentity"].(map[string]any)
	if rec["errorCode"] != "AuthorizationError" || id["invokedBy"] != "codedeploy.amazonaws.com" || rec["responseElements"] != nil {
		t.Fatalf("refused Publish record=%v, want AuthorizationError by codedeploy.amazonaws.com", rec)
	}
}
