package apptest_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// startedDep creates a deployment of app/dg over web-1..3, starts it, and
// runs web-1 to success and web-2 into its first event.
func startedDep(t *testing.T) (*codedeploy.Client, string) {
	t.Helper()
	srv, c := deployEnv(t, "web-1", "web-2", "web-3")
	id := createDep(t, c, depInput())
	fatalIf(t, srv.App.CodeDeploy.StartDeployment(ctx, id))
	runTarget(t, srv, id, "web-1")
	fatalIf(t, srv.App.CodeDeploy.TargetEvent(ctx, id, "web-2", "ApplicationStop", "InProgress", nil))
	return c, id
}

// listTargets lists every page of a deployment's target ids.
func listTargets(t *testing.T, c *codedeploy.Client, id string, filters map[string][]string) []string {
	t.Helper()
	ids, _ := pageByToken(t, func(next *string) ([]string, *string, error) {
		out, err := c.ListDeploymentTargets(ctx, &codedeploy.ListDeploymentTargetsInput{DeploymentId: aws.String(id), TargetFilters: filters, NextToken: next})
		if err != nil {
			return nil, nil, err
		}
		return out.TargetIds, out.NextToken, nil
	})
	return ids
}

func TestDeploymentTargetsNotStarted(t *testing.T) {
	_, c := deployEnv(t, "web-1")
	id := aws.String(createDep(t, c, depInput()))
	calls := map[string]func() error{
		"ListDeploymentTargets": func() error {
			_, err := c.ListDeploymentTargets(ctx, &codedeploy.ListDeploymentTargetsInput{DeploymentId: id})
			return err
		},
		"GetDeploymentTarget": func() error {
			_, err := c.GetDeploymentTarget(ctx, &codedeploy.GetDeploymentTargetInput{DeploymentId: id, TargetId: aws.String("web-1")})
			return err
		},
		"BatchGetDeploymentTargets": func() error {
			_, err := c.BatchGetDeploymentTargets(ctx, &codedeploy.BatchGetDeploymentTargetsInput{DeploymentId: id, TargetIds: []string{"web-1"}})
			return err
		},
		"ListDeploymentInstances": func() error {
			_, err := c.ListDeploymentInstances(ctx, &codedeploy.ListDeploymentInstancesInput{DeploymentId: id})
			return err
		},
		"GetDeploymentInstance": func() error {
			_, err := c.GetDeploymentInstance(ctx, &codedeploy.GetDeploymentInstanceInput{DeploymentId: id, InstanceId: aws.String("web-1")})
			return err
		},
		"BatchGetDeploymentInstances": func() error {
			_, err := c.BatchGetDeploymentInstances(ctx, &codedeploy.BatchGetDeploymentInstancesInput{DeploymentId: id, InstanceIds: []string{"web-1"}})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) { wantCode(t, call(), "DeploymentNotStartedException") })
	}
}

func TestListDeploymentTargets(t *testing.T) {
	c, id := startedDep(t)
	tests := []struct {
		name    string
		filters map[string][]string
		want    []string
	}{
		{"all", nil, []string{"web-1", "web-2", "web-3"}},
		{"succeeded", map[string][]string{"TargetStatus": {"Succeeded"}}, []string{"web-1"}},
		{"running or pending", map[string][]string{"TargetStatus": {"InProgress", "Pending"}}, []string{"web-2", "web-3"}},
		{"failed", map[string][]string{"TargetStatus": {"Failed"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := listTargets(t, c, id, tt.filters); !slices.Equal(got, tt.want) {
				t.Fatalf("targetIds=%v, want %v", got, tt.want)
			}
		})
	}
	errs := []struct {
		name    string
		filters map[string][]string
		code    string
	}{
		{"status", map[string][]string{"TargetStatus": {"Sleeping"}}, "InvalidInstanceStatusException"},
		{"label value", map[string][]string{"ServerInstanceLabel": {"Purple"}}, "InvalidInstanceTypeException"},
		{"label in place", map[string][]string{"ServerInstanceLabel": {"Blue"}}, "InvalidDeploymentInstanceTypeException"},
		{"filter name", map[string][]string{"Colour": {"Blue"}}, "InvalidTargetFilterNameException"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.ListDeploymentTargets(ctx, &codedeploy.ListDeploymentTargetsInput{DeploymentId: aws.String(id), TargetFilters: tt.filters})
			wantCode(t, err, tt.code)
		})
	}
}

func TestGetDeploymentTarget(t *testing.T) {
	c, id := startedDep(t)
	get := func(target string) (*types.InstanceTarget, error) {
		out, err := c.GetDeploymentTarget(ctx, &codedeploy.GetDeploymentTargetInput{DeploymentId: aws.String(id), TargetId: aws.String(target)})
		if err != nil {
			return nil, err
		}
		if out.DeploymentTarget.DeploymentTargetType != types.DeploymentTargetTypeInstanceTarget {
			t.Fatalf("DeploymentTargetType=%s, want InstanceTarget", out.DeploymentTarget.DeploymentTargetType)
		}
		return out.DeploymentTarget.InstanceTarget, nil
	}
	it, err := get("web-2")
	fatalIf(t, err)
	if aws.ToString(it.TargetId) != "web-2" || it.Status != types.TargetStatusInProgress || aws.ToString(it.DeploymentId) != id || it.LastUpdatedAt == nil {
		t.Fatalf("target=%s %s %s %v, want web-2 InProgress of %s", aws.ToString(it.TargetId), it.Status, aws.ToString(it.DeploymentId), it.LastUpdatedAt, id)
	}
	arn := aws.ToString(it.TargetArn)
	if !strings.HasPrefix(arn, "arn:aws:codedeploy:us-east-1:") || !strings.Contains(arn, ":instance/web-2_") {
		t.Fatalf("TargetArn=%s, want the instance ARN", arn)
	}
	if len(it.LifecycleEvents) != 7 || it.LifecycleEvents[0].Status != types.LifecycleEventStatusInProgress || it.LifecycleEvents[0].StartTime == nil ||
		it.LifecycleEvents[1].Status != types.LifecycleEventStatusPending {
		t.Fatalf("LifecycleEvents=%+v, want ApplicationStop running, the rest pending", it.LifecycleEvents)
	}
	byARN, err := get(arn)
	fatalIf(t, err)
	if aws.ToString(byARN.TargetId) != "web-2" {
		t.Fatalf("by ARN TargetId=%s, want web-2", aws.ToString(byARN.TargetId))
	}
	done, err := get("web-1")
	fatalIf(t, err)
	if d := done.LifecycleEvents[6].Diagnostics; done.Status != types.TargetStatusSucceeded || d == nil || d.ErrorCode != types.LifecycleErrorCodeSuccess {
		t.Fatalf("web-1=%s with diagnostics %+v, want Succeeded/Success", done.Status, d)
	}
	_, err = get("dev-box")
	wantCode(t, err, "DeploymentTargetDoesNotExistException")
	_, err = get("")
	wantCode(t, err, "DeploymentTargetIdRequiredException")
	_, err = c.GetDeploymentTarget(ctx, &codedeploy.GetDeploymentTargetInput{DeploymentId: aws.String("d-AAAAAAAAA"), TargetId: aws.String("web-1")})
	wantCode(t, err, "DeploymentDoesNotExistException")
}

func TestBatchGetDeploymentTargets(t *testing.T) {
	c, id := startedDep(t)
	batch := func(ids ...string) (*codedeploy.BatchGetDeploymentTargetsOutput, error) {
		return c.BatchGetDeploymentTargets(ctx, &codedeploy.BatchGetDeploymentTargetsInput{DeploymentId: aws.String(id), TargetIds: ids})
	}
	out, err := batch("web-3", "web-1")
	fatalIf(t, err)
	if len(out.DeploymentTargets) != 2 || aws.ToString(out.DeploymentTargets[0].InstanceTarget.TargetId) != "web-3" ||
		out.DeploymentTargets[0].InstanceTarget.Status != types.TargetStatusPending {
		t.Fatalf("DeploymentTargets=%+v, want web-3 (Pending) then web-1", out.DeploymentTargets)
	}
	_, err = batch("web-1", "nope")
	wantCode(t, err, "DeploymentTargetDoesNotExistException")
	_, err = batch([]string{}...)
	wantCode(t, err, "DeploymentTargetIdRequiredException")
	_, err = batch(slices.Repeat([]string{"web-1"}, 26)...)
	wantCode(t, err, "DeploymentTargetListSizeExceededException")
}

func TestDeploymentInstances(t *testing.T) {
	c, id := startedDep(t)
	list, err := c.ListDeploymentInstances(ctx, &codedeploy.ListDeploymentInstancesInput{DeploymentId: aws.String(id),
		InstanceStatusFilter: []types.InstanceStatus{types.InstanceStatusInProgress, types.InstanceStatusSucceeded}})
	fatalIf(t, err)
	if !slices.Equal(list.InstancesList, []string{"web-1", "web-2"}) {
		t.Fatalf("InstancesList=%v, want web-1 web-2", list.InstancesList)
	}
	_, err = c.ListDeploymentInstances(ctx, &codedeploy.ListDeploymentInstancesInput{DeploymentId: aws.String(id), InstanceTypeFilter: []types.InstanceType{types.InstanceTypeGreen}})
	wantCode(t, err, "InvalidDeploymentInstanceTypeException")

	got, err := c.GetDeploymentInstance(ctx, &codedeploy.GetDeploymentInstanceInput{DeploymentId: aws.String(id), InstanceId: aws.String("web-1")})
	fatalIf(t, err)
	s := got.InstanceSummary
	if !strings.Contains(aws.ToString(s.InstanceId), ":instance/web-1_") || s.Status != types.InstanceStatusSucceeded || s.InstanceType != "" || len(s.LifecycleEvents) != 7 {
		t.Fatalf("InstanceSummary=%s %s %q %d events, want the ARN of web-1, Succeeded, no type, 7 events",
			aws.ToString(s.InstanceId), s.Status, s.InstanceType, len(s.LifecycleEvents))
	}
	_, err = c.GetDeploymentInstance(ctx, &codedeploy.GetDeploymentInstanceInput{DeploymentId: aws.String(id), InstanceId: aws.String("dev-box")})
	wantCode(t, err, "InstanceDoesNotExistException")

	batch, err := c.BatchGetDeploymentInstances(ctx, &codedeploy.BatchGetDeploymentInstancesInput{DeploymentId: aws.String(id), InstanceIds: []string{"web-3", "ghost"}})
	fatalIf(t, err)
	if len(batch.InstancesSummary) != 1 || batch.InstancesSummary[0].Status != types.InstanceStatusPending || !strings.Contains(aws.ToString(batch.ErrorMessage), "ghost") {
		t.Fatalf("InstancesSummary=%+v ErrorMessage=%q, want web-3 Pending and ghost reported", batch.InstancesSummary, aws.ToString(batch.ErrorMessage))
	}
	_, err = c.BatchGetDeploymentInstances(ctx, &codedeploy.BatchGetDeploymentInstancesInput{DeploymentId: aws.String(id), InstanceIds: slices.Repeat([]string{"web-1"}, 26)})
	wantCode(t, err, "BatchLimitExceededException")
	_, err = c.BatchGetDeploymentInstances(ctx, &codedeploy.BatchGetDeploymentInstancesInput{DeploymentId: aws.String(id), InstanceIds: []string{}})
	wantCode(t, err, "InstanceIdRequiredException")
}

func TestDeploymentTargetsPaged(t *testing.T) {
	srv, c := deployEnv(t)
	var names []string
	for i := range 101 {
		names = append(names, fmt.Sprintf("host-%03d", i))
	}
	registerTagged(t, c, testTags("env", "prod"), names...)
	id := createDep(t, c, depInput())
	fatalIf(t, srv.App.CodeDeploy.StartDeployment(ctx, id))
	if d := getDep(t, c, id); d.DeploymentOverview.Pending != 101 {
		t.Fatalf("Pending=%d, want 101", d.DeploymentOverview.Pending)
	}
	if got := listTargets(t, c, id, nil); !slices.Equal(got, names) {
		t.Fatalf("listed %d targets, want the 101 hosts in order", len(got))
	}
	var instances []string
	p := codedeploy.NewListDeploymentInstancesPaginator(c, &codedeploy.ListDeploymentInstancesInput{DeploymentId: aws.String(id)})
	for pages := 1; p.HasMorePages(); pages++ {
		out, err := p.NextPage(ctx)
		fatalIf(t, err)
		instances = append(instances, out.InstancesList...)
		if pages == 1 && out.NextToken == nil {
			t.Fatalf("first page of %d has no nextToken", len(out.InstancesList))
		}
	}
	if !slices.Equal(instances, names) {
		t.Fatalf("listed %d instances, want the 101 hosts in order", len(instances))
	}
}
