package policy

import "testing"

const (
	acct      = "111122223333"
	otherAcct = "444455556666"
	dgARN     = "arn:aws:codedeploy:us-east-1:111122223333:deploymentgroup:MyApp/MyDG"
	appARN    = "arn:aws:codedeploy:us-east-1:111122223333:application:MyApp"
)

// identity parses identity policy documents for a test.
func identity(tb testing.TB, docs ...string) []*Document {
	tb.Helper()
	out := make([]*Document, len(docs))
	for i, d := range docs {
		out[i] = mustParse(tb, d, Identity)
	}
	return out
}

// allowDoc returns an identity policy with one Allow statement.
func allowDoc(action, resource string) string {
	return `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":` + action + `,"Resource":` + resource + `}}`
}

func TestEvaluate(t *testing.T) {
	denyDG := `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"codedeploy:*","Resource":"` + dgARN + `"}}`
	tests := []struct {
		name     string
		docs     []string
		action   string
		resource string
		ctx      map[string][]string
		want     Decision
	}{
		{name: "NoDocuments", action: "codedeploy:GetApplication", resource: appARN, want: ImplicitDeny},
		{name: "Allow", docs: []string{allowDoc(`"codedeploy:GetApplication"`, `"`+appARN+`"`)},
			action: "codedeploy:GetApplication", resource: appARN, want: Allow},
		{name: "ImplicitDenyOtherAction", docs: []string{allowDoc(`"codedeploy:GetApplication"`, `"*"`)},
			action: "codedeploy:DeleteApplication", resource: appARN, want: ImplicitDeny},
		{name: "ImplicitDenyOtherResource", docs: []string{allowDoc(`"codedeploy:*"`, `"`+appARN+`"`)},
			action: "codedeploy:GetDeploymentGroup", resource: dgARN, want: ImplicitDeny},
		{name: "DenyBeatsAllowSameDocument", docs: []string{`{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"*","Resource":"*"},
			{"Effect":"Deny","Action":"codedeploy:CreateDeployment","Resource":"*"}]}`},
			action: "codedeploy:CreateDeployment", resource: dgARN, want: ExplicitDeny},
		{name: "DenyBeatsAllowAcrossDocuments", docs: []string{allowDoc(`"*"`, `"*"`), denyDG},
			action: "codedeploy:CreateDeployment", resource: dgARN, want: ExplicitDeny},
		{name: "DenyFirstAcrossDocuments", docs: []string{denyDG, allowDoc(`"*"`, `"*"`)},
			action: "codedeploy:CreateDeployment", resource: dgARN, want: ExplicitDeny},
		{name: "DenyOtherResourceDoesNotApply", docs: []string{allowDoc(`"*"`, `"*"`), denyDG},
			action: "codedeploy:GetApplication", resource: appARN, want: Allow},

		{name: "ActionStar", docs: []string{allowDoc(`"*"`, `"*"`)}, action: "iam:CreateUser", resource: "*", want: Allow},
		{name: "ActionServiceStar", docs: []string{allowDoc(`"codedeploy:*"`, `"*"`)}, action: "codedeploy:ListApplications", resource: "*", want: Allow},
		{name: "ActionServiceStarOtherService", docs: []string{allowDoc(`"codedeploy:*"`, `"*"`)}, action: "cloudtrail:LookupEvents", resource: "*", want: ImplicitDeny},
		{name: "ActionPrefixCaseInsensitive", docs: []string{allowDoc(`"CodeDeploy:get*"`, `"*"`)}, action: "codedeploy:GetDeployment", resource: "*", want: Allow},
		{name: "ActionExactCaseInsensitive", docs: []string{allowDoc(`"codedeploy:createdeployment"`, `"*"`)}, action: "codedeploy:CreateDeployment", resource: "*", want: Allow},
		{name: "ActionQuestionMark", docs: []string{allowDoc(`"codedeploy:?etApplication"`, `"*"`)}, action: "codedeploy:GetApplication", resource: "*", want: Allow},
		{name: "ActionQuestionMarkOneChar", docs: []string{allowDoc(`"codedeploy:?etApplication"`, `"*"`)}, action: "codedeploy:BatchGetApplication", resource: "*", want: ImplicitDeny},
		{name: "ActionStarMiddle", docs: []string{allowDoc(`"codedeploy:*Deployment*"`, `"*"`)}, action: "codedeploy:StopDeployment", resource: "*", want: Allow},
		{name: "ActionList", docs: []string{allowDoc(`["iam:GetUser","codedeploy:List*"]`, `"*"`)}, action: "codedeploy:ListDeployments", resource: "*", want: Allow},

		{name: "ResourceStarCrossesColonsAndSlashes", docs: []string{allowDoc(`"codedeploy:*"`, `"arn:aws:codedeploy:*"`)},
			action: "codedeploy:GetDeploymentGroup", resource: dgARN, want: Allow},
		{name: "ResourceTrailingStar", docs: []string{allowDoc(`"codedeploy:*"`, `"arn:aws:codedeploy:us-east-1:111122223333:deploymentgroup:MyApp/*"`)},
			action: "codedeploy:GetDeploymentGroup", resource: dgARN, want: Allow},
		{name: "ResourceCaseSensitive", docs: []string{allowDoc(`"codedeploy:*"`, `"arn:aws:codedeploy:us-east-1:111122223333:deploymentgroup:myapp/*"`)},
			action: "codedeploy:GetDeploymentGroup", resource: dgARN, want: ImplicitDeny},
		{name: "ResourceQuestionMark", docs: []string{allowDoc(`"codedeploy:*"`, `"arn:aws:codedeploy:us-east-?:111122223333:*"`)},
			action: "codedeploy:GetDeploymentGroup", resource: dgARN, want: Allow},
		{name: "ResourceOtherRegion", docs: []string{allowDoc(`"codedeploy:*"`, `"arn:aws:codedeploy:eu-west-1:*"`)},
			action: "codedeploy:GetDeploymentGroup", resource: dgARN, want: ImplicitDeny},
		{name: "ResourceStarForResourcelessAction", docs: []string{allowDoc(`"codedeploy:ListApplications"`, `"*"`)},
			action: "codedeploy:ListApplications", resource: "*", want: Allow},
		{name: "ResourceARNDoesNotMatchStarResource", docs: []string{allowDoc(`"codedeploy:ListApplications"`, `"arn:aws:codedeploy:*"`)},
			action: "codedeploy:ListApplications", resource: "*", want: ImplicitDeny},

		{name: "NotActionAllowsOthers", docs: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`},
			action: "codedeploy:CreateDeployment", resource: dgARN, want: Allow},
		{name: "NotActionExcludesListed", docs: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":["iam:*","sts:*"],"Resource":"*"}}`},
			action: "IAM:CreateUser", resource: "*", want: ImplicitDeny},
		{name: "DenyNotActionDeniesOthers", docs: []string{allowDoc(`"*"`, `"*"`),
			`{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":"codedeploy:Get*","Resource":"*"}}`},
			action: "codedeploy:DeleteApplication", resource: appARN, want: ExplicitDeny},
		{name: "NotResourceAllowsOthers", docs: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"codedeploy:*","NotResource":"` + dgARN + `"}}`},
			action: "codedeploy:GetApplication", resource: appARN, want: Allow},
		{name: "NotResourceExcludesListed", docs: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"codedeploy:*","NotResource":"arn:aws:codedeploy:*:*:deploymentgroup:*"}}`},
			action: "codedeploy:GetDeploymentGroup", resource: dgARN, want: ImplicitDeny},

		{name: "VariableUsername", docs: []string{allowDoc(`"iam:*AccessKey*"`, `"arn:aws:iam::111122223333:user/${aws:username}"`)},
			action: "iam:CreateAccessKey", resource: "arn:aws:iam::111122223333:user/alice",
			ctx: map[string][]string{"aws:username": {"alice"}}, want: Allow},
		{name: "VariableOtherUser", docs: []string{allowDoc(`"iam:*AccessKey*"`, `"arn:aws:iam::111122223333:user/${aws:username}"`)},
			action: "iam:CreateAccessKey", resource: "arn:aws:iam::111122223333:user/bob",
			ctx: map[string][]string{"aws:username": {"alice"}}, want: ImplicitDeny},
		{name: "VariableKeyCaseInsensitive", docs: []string{allowDoc(`"iam:*"`, `"arn:aws:iam::${aws:principalaccount}:user/${AWS:UserName}"`)},
			action: "iam:GetUser", resource: "arn:aws:iam::111122223333:user/alice",
			ctx: map[string][]string{"aws:username": {"alice"}, "aws:PrincipalAccount": {acct}}, want: Allow},
		{name: "VariablePrincipalAccountCrossAccount", docs: []string{allowDoc(`"codedeploy:*"`, `"arn:aws:codedeploy:*:${aws:PrincipalAccount}:*"`)},
			action: "codedeploy:GetApplication", resource: appARN,
			ctx: map[string][]string{"aws:PrincipalAccount": {otherAcct}}, want: ImplicitDeny},
		{name: "VariablePrincipalAccountSameAccount", docs: []string{allowDoc(`"codedeploy:*"`, `"arn:aws:codedeploy:*:${aws:PrincipalAccount}:*"`)},
			action: "codedeploy:GetApplication", resource: appARN,
			ctx: map[string][]string{"aws:PrincipalAccount": {acct}}, want: Allow},
		{name: "VariableMissingDoesNotMatch", docs: []string{allowDoc(`"iam:*"`, `"arn:aws:iam::111122223333:user/${aws:username}"`)},
			action: "iam:GetUser", resource: "arn:aws:iam::111122223333:user/", want: ImplicitDeny},
		{name: "VariableDefault", docs: []string{allowDoc(`"s3:*"`, `"arn:aws:s3:::b/${aws:PrincipalTag/team, 'shared'}/*"`)},
			action: "s3:GetObject", resource: "arn:aws:s3:::b/shared/x", want: Allow},
		{name: "VariableValueIsLiteral", docs: []string{allowDoc(`"s3:*"`, `"arn:aws:s3:::b/${aws:userid}"`)},
			action: "s3:GetObject", resource: "arn:aws:s3:::b/AIDAEXAMPLE",
			ctx: map[string][]string{"aws:userid": {"AIDA*"}}, want: ImplicitDeny},
		{name: "VariableEscapeStar", docs: []string{allowDoc(`"s3:*"`, `"arn:aws:s3:::b/${*}"`)},
			action: "s3:GetObject", resource: "arn:aws:s3:::b/*", want: Allow},
		{name: "VariableEscapeStarIsLiteral", docs: []string{allowDoc(`"s3:*"`, `"arn:aws:s3:::b/${*}"`)},
			action: "s3:GetObject", resource: "arn:aws:s3:::b/x", want: ImplicitDeny},
		{name: "VariablesOffIn2008", docs: []string{`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}"}}`},
			action: "s3:GetObject", resource: "arn:aws:s3:::b/${aws:username}",
			ctx: map[string][]string{"aws:username": {"alice"}}, want: Allow},
		{name: "VariablesOffWithoutVersion", docs: []string{`{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}"}}`},
			action: "s3:GetObject", resource: "arn:aws:s3:::b/alice",
			ctx: map[string][]string{"aws:username": {"alice"}}, want: ImplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &Request{Action: tt.action, Resource: tt.resource, Context: tt.ctx}
			if got := Evaluate(req, identity(t, tt.docs...)...); got != tt.want {
				t.Fatalf("Evaluate()=%v, want %v", got, tt.want)
			}
		})
	}
}

func TestEvaluate_NilInputs(t *testing.T) {
	doc := identity(t, allowDoc(`"*"`, `"*"`))[0]
	if got := Evaluate(nil, doc); got != ImplicitDeny {
		t.Fatalf("Evaluate(nil)=%v, want %v", got, ImplicitDeny)
	}
	req := &Request{Action: "s3:GetObject", Resource: "*"}
	if got := Evaluate(req, nil, doc); got != Allow {
		t.Fatalf("Evaluate(nil doc, allow)=%v, want %v", got, Allow)
	}
}

func TestDecision_String(t *testing.T) {
	for d, want := range map[Decision]string{
		ImplicitDeny: "ImplicitDeny", Allow: "Allow", ExplicitDeny: "ExplicitDeny", Decision(9): "Decision(9)",
	} {
		if got := d.String(); got != want {
			t.Fatalf("String()=%q, want %q", got, want)
		}
	}
}
