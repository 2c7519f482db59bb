package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// StopDeployment against deployments running on real agents (AWS's and
// `deploytrail agent`), through the AWS CLI: the tests deploy a revision
// whose BeforeInstall hook holds until the test releases it, stop the
// deployment while the hook runs, and check what a user sees (spec §4.5,
// §6.9): the stop waits for the running event, the deployment ends
// Stopped and rolls back to the group's last successful revision, and the
// trail tells who stopped it and what CodeDeploy did because of it.

// holdScript is a hook that holds its lifecycle event until release
// exists (at most 60 s, so a failing test does not wait out the event's
// timeout), then appends "released <deployment>" to markerDir/released.
// markerDir is written into the script as given (e.g. "$MARKERS").
func holdScript(release, markerDir string) string {
	return "#!/bin/sh\nfor i in $(seq 600); do [ -e '" + release + "' ] && break; sleep 0.1; done\n" +
		"echo \"released $DEPLOYMENT_ID\" >> " + markerDir + "/released\n"
}

// deploymentInfo is what the tests read of `aws deploy get-deployment`.
type deploymentInfo struct {
	Status           string
	Creator          string
	ErrorInformation *struct{ Code, Message string }
	RollbackInfo     *struct {
		RollbackDeploymentId, RollbackTriggeringDeploymentId, RollbackMessage string
	}
	DeploymentOverview map[string]int
}

func getDeployment(t *testing.T, p *process, id string) deploymentInfo {
	t.Helper()
	var d deploymentInfo
	if err := json.Unmarshal([]byte(p.aws(t, "deploy", "get-deployment", "--deployment-id", id, "--query", "deploymentInfo")), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// lifecycleEvent is one event of `aws deploy get-deployment-target`.
type lifecycleEvent struct {
	LifecycleEventName, Status string
	StartTime, EndTime         any
}

// instanceTarget reads one target of a deployment through the CLI.
func instanceTarget(t *testing.T, p *process, id, target string) (status string, events []lifecycleEvent) {
	t.Helper()
	var out struct {
		Status          string
		LifecycleEvents []lifecycleEvent
	}
	raw := p.aws(t, "deploy", "get-deployment-target", "--deployment-id", id, "--target-id", target, "--query", "deploymentTarget.instanceTarget")
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatalf("get-deployment-target: %v\n%s", err, raw)
	}
	return out.Status, out.LifecycleEvents
}

// waitEnded polls a deployment until it ends and returns its status; logs
// says what the agents did, for a failure.
func waitEnded(t *testing.T, p *process, id string, logs func() string) string {
	t.Helper()
	for range 240 {
		if s := p.aws(t, "deploy", "get-deployment", "--deployment-id", id, "--query", "deploymentInfo.status", "--output", "text"); s == "Failed" || s == "Succeeded" || s == "Stopped" {
			return s
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("deployment %s did not end:\n%s\n%s", id, p.aws(t, "deploy", "get-deployment", "--deployment-id", id), logs())
	return ""
}

// waitHeld polls each target until its BeforeInstall is InProgress.
func waitHeld(t *testing.T, p *process, id string, targets []string, logs func() string) {
	t.Helper()
	for _, target := range targets {
		for i := 0; ; i++ {
			_, events := instanceTarget(t, p, id, target)
			if eventStatus(events, "BeforeInstall") == "InProgress" {
				break
			}
			if i == 120 {
				t.Fatalf("%s: BeforeInstall never InProgress: %+v\n%s", target, events, logs())
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
}

func eventStatus(events []lifecycleEvent, name string) string {
	for _, e := range events {
		if e.LifecycleEventName == name {
			return e.Status
		}
	}
	return ""
}

// stopHeld stops deployment id, held in BeforeInstall on targets, with
// `aws deploy stop-deployment --auto-rollback-enabled`, releases the hooks
// and checks the stop as a user sees it; it returns the rollback
// deployment's id.
func stopHeld(t *testing.T, p *process, id string, targets []string, release string, logs func() string) string {
	t.Helper()
	waitHeld(t, p, id, targets, logs)
	var stop struct{ Status, StatusMessage string }
	out := p.aws(t, "deploy", "stop-deployment", "--deployment-id", id, "--auto-rollback-enabled")
	// An acknowledged event is running: the stop waits for it (spec §4.5).
	if err := json.Unmarshal([]byte(out), &stop); err != nil || stop.Status != "Pending" || stop.StatusMessage == "" {
		t.Fatalf("stop-deployment answered %s (%v), want Pending while BeforeInstall runs", out, err)
	}
	if d := getDeployment(t, p, id); d.Status != "InProgress" {
		t.Fatalf("while its hooks still run the stopping deployment is %s, want InProgress", d.Status)
	}
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if s := waitEnded(t, p, id, logs); s != "Stopped" {
		t.Fatalf("stopped deployment ended %s\n%s", s, logs())
	}
	d := getDeployment(t, p, id)
	if d.ErrorInformation == nil || d.ErrorInformation.Code != "MANUAL_STOP" || d.ErrorInformation.Message == "" ||
		d.RollbackInfo == nil || d.RollbackInfo.RollbackDeploymentId == "" || d.DeploymentOverview["Failed"] != len(targets) {
		t.Fatalf("stopped deployment %+v, want MANUAL_STOP, a rollback and its %d targets Failed", d, len(targets))
	}
	for _, target := range targets {
		checkStoppedTarget(t, p, id, target)
	}
	rollback := getDeployment(t, p, d.RollbackInfo.RollbackDeploymentId)
	if rollback.Creator != "codeDeployRollback" || rollback.RollbackInfo == nil || rollback.RollbackInfo.RollbackTriggeringDeploymentId != id {
		t.Fatalf("rollback deployment %+v, want creator codeDeployRollback triggered by %s", rollback, id)
	}
	return d.RollbackInfo.RollbackDeploymentId
}

// checkStoppedTarget: the held event ran to its end (its result counts),
// the events after it were cancelled (Skipped: an end time, never
// started), and the partly deployed instance is Failed.
func checkStoppedTarget(t *testing.T, p *process, id, target string) {
	t.Helper()
	status, events := instanceTarget(t, p, id, target)
	want := map[string]string{"ApplicationStop": "Succeeded", "DownloadBundle": "Succeeded", "BeforeInstall": "Succeeded",
		"Install": "Skipped", "AfterInstall": "Skipped", "ApplicationStart": "Skipped", "ValidateService": "Skipped"}
	ok := status == "Failed" && len(events) == len(want)
	for _, e := range events {
		ok = ok && e.Status == want[e.LifecycleEventName] && e.EndTime != nil && (e.Status != "Skipped" || e.StartTime == nil)
	}
	if !ok {
		t.Fatalf("%s of the stopped deployment: %s %+v, want Failed, BeforeInstall Succeeded and the later events Skipped", target, status, events)
	}
}

// checkStopTrail finds in LookupEvents the caller's StopDeployment of
// stopped and the CreateDeployment of its rollback made by CodeDeploy on
// the caller's behalf.
func checkStopTrail(t *testing.T, p *process, acct, stopped, rollback string) {
	t.Helper()
	stop := lookupRecord(t, p, "StopDeployment", func(r trailRecord) bool { return r.RequestParameters["deploymentId"] == stopped })
	if stop.UserIdentity.Type != "Root" || stop.UserIdentity.ARN != "arn:aws:iam::"+acct+":root" ||
		stop.RequestParameters["autoRollbackEnabled"] != true || stop.ErrorCode != "" {
		t.Errorf("StopDeployment record %+v, want root's call with autoRollbackEnabled", stop)
	}
	create := lookupRecord(t, p, "CreateDeployment", func(r trailRecord) bool { return r.ResponseElements["deploymentId"] == rollback })
	if create.UserIdentity.Type != "AWSService" || create.UserIdentity.InvokedBy != "codedeploy.amazonaws.com" || create.ErrorCode != "" {
		t.Errorf("rollback's CreateDeployment record %+v, want AWSService invoked by codedeploy.amazonaws.com", create)
	}
}

// trailRecord is what the tests read of a CloudTrail record.
type trailRecord struct {
	UserIdentity struct {
		Type, InvokedBy string
		ARN             string `json:"arn"`
	}
	RequestParameters, ResponseElements map[string]any
	ErrorCode                           string
}

// lookupRecord returns the record of the event named name that match
// picks, through `aws cloudtrail lookup-events`.
func lookupRecord(t *testing.T, p *process, name string, match func(trailRecord) bool) trailRecord {
	t.Helper()
	var raw []string
	out := p.aws(t, "cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=EventName,AttributeValue="+name,
		"--query", "Events[].CloudTrailEvent")
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("lookup-events: %v\n%s", err, out)
	}
	for _, s := range raw {
		var r trailRecord
		if err := json.Unmarshal([]byte(s), &r); err != nil {
			t.Fatal(err)
		}
		if match(r) {
			return r
		}
	}
	t.Fatalf("no matching %s among %d records:\n%s", name, len(raw), strings.Join(raw, "\n"))
	return trailRecord{}
}
