package trail_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// TestLookupResources builds real records (requestParameters rendered as
// the server renders them) and checks the resources LookupEvents indexes.
func TestLookupResources(t *testing.T) {
	type r = trail.LookupResource
	const (
		dgARN   = "arn:aws:codedeploy:eu-west-1:111122223333:deploymentgroup:MyApp/MyDG"
		roleARN = "arn:aws:iam::111122223333:role/ci"
		polARN  = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	)
	for _, tt := range []struct {
		name, op, body, output string
		svc                    *awsproto.Service // CodeDeploy when nil
		fail                   bool
		want                   []r
	}{
		{name: "CreateDeployment", op: "CreateDeployment",
			body:   `{"applicationName": "MyApp", "deploymentGroupName": "MyDG", "deploymentConfigName": "CodeDeployDefault.OneAtATime"}`,
			output: `{"deploymentId": "d-4L9QHV1RX"}`,
			want: []r{{trail.TypeApplication, "MyApp"}, {trail.TypeDeploymentGroup, "MyDG"},
				{trail.TypeDeploymentConfig, "CodeDeployDefault.OneAtATime"}, {trail.TypeDeployment, "d-4L9QHV1RX"}}},
		{name: "FailedCallKeepsRequestResources", op: "CreateDeployment", fail: true,
			body: `{"applicationName": "MyApp", "deploymentGroupName": "MyDG"}`,
			want: []r{{trail.TypeApplication, "MyApp"}, {trail.TypeDeploymentGroup, "MyDG"}}},
		{name: "UpdateDeploymentGroupCurrentName", op: "UpdateDeploymentGroup",
			body: `{"applicationName": "MyApp", "currentDeploymentGroupName": "Old", "newDeploymentGroupName": "New"}`,
			want: []r{{trail.TypeApplication, "MyApp"}, {trail.TypeDeploymentGroup, "Old"}}},
		{name: "GetDeployment", op: "GetDeployment", body: `{"deploymentId": "d-1"}`,
			want: []r{{trail.TypeDeployment, "d-1"}}},
		{name: "BatchGetDeploymentsDeduplicated", op: "BatchGetDeployments", body: `{"deploymentIds": ["d-1", "d-2", "d-1"]}`,
			want: []r{{trail.TypeDeployment, "d-1"}, {trail.TypeDeployment, "d-2"}}},
		{name: "BatchGetApplicationsHasNone", op: "BatchGetApplications", body: `{"applicationNames": ["A", "B"]}`},
		{name: "InstanceNames", op: "AddTagsToOnPremisesInstances",
			body: `{"tags": [{"Key": "env", "Value": "prod"}], "instanceNames": ["web-1", "web-2"]}`,
			want: []r{{trail.TypeOnPremisesInstance, "web-1"}, {trail.TypeOnPremisesInstance, "web-2"}}},
		{name: "RegisterOnPremisesInstance", op: "RegisterOnPremisesInstance",
			body: `{"instanceName": "web-1", "iamUserArn": "arn:aws:iam::111122223333:user/web-1"}`,
			want: []r{{trail.TypeOnPremisesInstance, "web-1"}}},
		{name: "TagResourceByARN", op: "TagResource",
			body: `{"ResourceArn": "` + dgARN + `", "Tags": [{"Key": "k", "Value": "v"}]}`,
			want: []r{{trail.TypeDeploymentGroup, dgARN}}},
		{name: "ListTagsForResource", op: "ListTagsForResource",
			body: `{"ResourceArn": "arn:aws:codedeploy:eu-west-1:111122223333:application:MyApp"}`,
			want: []r{{trail.TypeApplication, "arn:aws:codedeploy:eu-west-1:111122223333:application:MyApp"}}},
		{name: "IAMAttachUserPolicy", svc: iamSvc, op: "AttachUserPolicy",
			body: "UserName=bob&PolicyArn=" + polARN,
			want: []r{{trail.TypeIAMUser, "bob"}, {trail.TypeIAMPolicy, polARN}}},
		{name: "IAMAddUserToGroup", svc: iamSvc, op: "AddUserToGroup", body: "GroupName=devs&UserName=bob",
			want: []r{{trail.TypeIAMUser, "bob"}, {trail.TypeIAMGroup, "devs"}}},
		{name: "IAMCreateRole", svc: iamSvc, op: "CreateRole", body: "RoleName=ci&AssumeRolePolicyDocument=%7B%7D",
			want: []r{{trail.TypeIAMRole, "ci"}}},
		{name: "IAMListUsersHasNone", svc: iamSvc, op: "ListUsers", body: ""},
		{name: "STSAssumeRoleByARN", svc: stsSvc, op: "AssumeRole", body: "RoleArn=" + roleARN + "&RoleSessionName=s",
			want: []r{{trail.TypeIAMRole, roleARN}}},
		{name: "STSGetCallerIdentityHasNone", svc: stsSvc, op: "GetCallerIdentity", body: ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			svc := tt.svc
			if svc == nil {
				svc = codedeploySvc
			}
			in := input(t, svc, tt.op, tt.body)
			if tt.output != "" {
				in.Output = tree(t, tt.output)
			}
			if tt.fail {
				in.Err = awserr.New("DeploymentLimitExceededException", "busy")
			}
			got := trail.Build(in).LookupResources()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("LookupResources (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLookupResources_ResourcesArray(t *testing.T) {
	e := &trail.Event{EventSource: "iam.amazonaws.com", RequestParameters: map[string]any{"userName": "bob"},
		Resources: []trail.Resource{{ARN: "arn:aws:iam::111122223333:user/bob", Type: trail.TypeIAMUser}}}
	want := []trail.LookupResource{{trail.TypeIAMUser, "arn:aws:iam::111122223333:user/bob"}, {trail.TypeIAMUser, "bob"}}
	if diff := cmp.Diff(want, e.LookupResources()); diff != "" {
		t.Fatalf("LookupResources (-want +got):\n%s", diff)
	}
}

func TestARNResourceType(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:codedeploy:us-east-1:111122223333:application:MyApp":          trail.TypeApplication,
		"arn:aws:codedeploy:us-east-1:111122223333:deploymentgroup:MyApp/MyDG": trail.TypeDeploymentGroup,
		"arn:aws:codedeploy:us-east-1:111122223333:deploymentconfig:Custom":    trail.TypeDeploymentConfig,
		"arn:aws:codedeploy:us-east-1:111122223333:instance:web-1":             trail.TypeOnPremisesInstance,
		"arn:aws:iam::111122223333:user/team/bob":                              trail.TypeIAMUser,
		"arn:aws:iam::111122223333:role/ci":                                    trail.TypeIAMRole,
		"arn:aws:iam::aws:policy/ReadOnlyAccess":                               trail.TypeIAMPolicy,
		"arn:aws:s3:::bucket":                                                  "",
		"arn:aws:codedeploy:us-east-1:111122223333":                            "",
		"not-an-arn": "",
		"arn:aws:codedeploy:us-east-1:111122223333:unknownthing:MyApp":            "",
		"arn:aws-cn:codedeploy:cn-north-1:111122223333:application:MyApp":         trail.TypeApplication,
		"arn:aws:codedeploy:us-east-1:111122223333:deploymentgroup:A/B/extra:bit": trail.TypeDeploymentGroup,
	} {
		if got := trail.ARNResourceType(arn); got != want {
			t.Errorf("ARNResourceType(%q)=%q, want %q", arn, got, want)
		}
	}
}
