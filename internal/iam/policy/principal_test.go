package policy

import "testing"

// trustDoc returns a trust policy allowing sts:AssumeRole to principal,
// the JSON value of its Principal element.
func trustDoc(principal string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + principal + `,"Action":"sts:AssumeRole"}]}`
}

func TestEvaluate_TrustPrincipals(t *testing.T) {
	const (
		alice     = "arn:aws:iam::111122223333:user/dev/alice"
		bob       = "arn:aws:iam::444455556666:user/bob"
		root      = "arn:aws:iam::111122223333:root"
		otherRoot = "arn:aws:iam::444455556666:root"
		deployer  = "arn:aws:iam::444455556666:role/Deployer"
		session   = "arn:aws:sts::444455556666:assumed-role/Deployer/ci"
		okta      = "arn:aws:iam::111122223333:saml-provider/Okta"
	)
	aliceP := Principal{AWS: []string{alice, root}}
	bobP := Principal{AWS: []string{bob, otherRoot}}
	sessionP := Principal{AWS: []string{session, deployer, otherRoot}}
	svcP := Principal{Service: "codedeploy.amazonaws.com"}
	tests := []struct {
		name      string
		principal string
		who       Principal
		want      Decision
	}{
		{"StarAnyone", `"*"`, svcP, Allow},
		{"StarAnonymous", `"*"`, Principal{}, Allow},
		{"AWSStarUser", `{"AWS":"*"}`, aliceP, Allow},
		{"AWSStarNotService", `{"AWS":"*"}`, svcP, ImplicitDeny},
		{"AccountIDSameAccount", `{"AWS":"111122223333"}`, aliceP, Allow},
		{"AccountIDOtherAccount", `{"AWS":"111122223333"}`, bobP, ImplicitDeny},
		{"RootARNSameAccount", `{"AWS":"arn:aws:iam::111122223333:root"}`, aliceP, Allow},
		{"RootARNOtherAccount", `{"AWS":"arn:aws:iam::111122223333:root"}`, bobP, ImplicitDeny},
		{"AccountIDCallerGivesOnlyID", `{"AWS":"arn:aws:iam::111122223333:root"}`, Principal{AWS: []string{alice, acct}}, Allow},
		{"CrossAccountList", `{"AWS":["111122223333","444455556666"]}`, bobP, Allow},
		{"UserARN", `{"AWS":"` + alice + `"}`, aliceP, Allow},
		{"UserARNOtherUser", `{"AWS":"arn:aws:iam::111122223333:user/dev/mallory"}`, aliceP, ImplicitDeny},
		{"UserARNOtherUserSameAccountWithoutRoot", `{"AWS":"` + alice + `"}`, Principal{AWS: []string{"arn:aws:iam::111122223333:user/bob", root}}, ImplicitDeny},
		{"RoleARNMatchesSession", `{"AWS":"` + deployer + `"}`, sessionP, Allow},
		{"RoleARNNotUser", `{"AWS":"` + deployer + `"}`, bobP, ImplicitDeny},
		{"AssumedRoleARN", `{"AWS":"` + session + `"}`, sessionP, Allow},
		{"Service", `{"Service":"codedeploy.amazonaws.com"}`, svcP, Allow},
		{"ServiceList", `{"Service":["ec2.amazonaws.com","codedeploy.amazonaws.com"]}`, svcP, Allow},
		{"ServiceOther", `{"Service":"ec2.amazonaws.com"}`, svcP, ImplicitDeny},
		{"ServiceNotAWSUser", `{"Service":"codedeploy.amazonaws.com"}`, aliceP, ImplicitDeny},
		{"Federated", `{"Federated":"` + okta + `"}`, Principal{Federated: okta}, Allow},
		{"FederatedOther", `{"Federated":"accounts.google.com"}`, Principal{Federated: okta}, ImplicitDeny},
		{"MixedKeys", `{"AWS":"444455556666","Service":"codedeploy.amazonaws.com"}`, svcP, Allow},
		{"CanonicalUserNeverMatches", `{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}`, aliceP, ImplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := mustParse(t, trustDoc(tt.principal), Trust)
			req := &Request{Action: "sts:AssumeRole", Resource: "arn:aws:iam::111122223333:role/Target", Principal: tt.who}
			if got := Evaluate(req, doc); got != tt.want {
				t.Fatalf("Evaluate()=%v, want %v", got, tt.want)
			}
		})
	}
}

func TestEvaluate_TrustNotPrincipalAndConditions(t *testing.T) {
	doc := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"sts:AssumeRole",
		 "Condition":{"StringEquals":{"sts:ExternalId":"secret"}}},
		{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::444455556666:role/Deployer"},"Action":"sts:AssumeRole"}]}`, Trust)
	deployer := Principal{AWS: []string{"arn:aws:iam::444455556666:role/Deployer", "arn:aws:iam::444455556666:root"}}
	other := Principal{AWS: []string{"arn:aws:iam::444455556666:user/bob", "arn:aws:iam::444455556666:root"}}
	tests := []struct {
		name string
		who  Principal
		ctx  map[string][]string
		want Decision
	}{
		{"DeployerWithExternalID", deployer, ctxOf("sts:ExternalId", "secret"), Allow},
		{"DeployerWrongExternalID", deployer, ctxOf("sts:ExternalId", "guess"), ImplicitDeny},
		{"DeployerNoExternalID", deployer, nil, ImplicitDeny},
		{"OtherPrincipalDenied", other, ctxOf("sts:ExternalId", "secret"), ExplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &Request{Action: "sts:AssumeRole", Principal: tt.who, Context: tt.ctx}
			if got := Evaluate(req, doc); got != tt.want {
				t.Fatalf("Evaluate()=%v, want %v", got, tt.want)
			}
		})
	}
}

func TestParse_PrincipalValues(t *testing.T) {
	tests := []struct {
		name  string
		value string
		ok    bool
	}{
		{"Star", `{"AWS":"*"}`, true},
		{"AccountID", `{"AWS":"111122223333"}`, true},
		{"ShortAccountID", `{"AWS":"11112222333"}`, false},
		{"Root", `{"AWS":"arn:aws:iam::111122223333:root"}`, true},
		{"UserWithPath", `{"AWS":"arn:aws:iam::111122223333:user/a/b/alice"}`, true},
		{"Role", `{"AWS":"arn:aws-cn:iam::111122223333:role/R"}`, true},
		{"AssumedRole", `{"AWS":"arn:aws:sts::111122223333:assumed-role/R/s"}`, true},
		{"FederatedUser", `{"AWS":"arn:aws:sts::111122223333:federated-user/bob"}`, true},
		{"Group", `{"AWS":"arn:aws:iam::111122223333:group/Admins"}`, false},
		{"RoleWildcard", `{"AWS":"arn:aws:iam::111122223333:role/*"}`, false},
		{"UniqueID", `{"AWS":"AIDACKCEVSQ6C2EXAMPLE"}`, true},
		{"Service", `{"Service":"codedeploy.amazonaws.com"}`, true},
		{"ServiceStar", `{"Service":"*"}`, false},
		{"FederatedOIDC", `{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"}`, true},
		{"FederatedHost", `{"Federated":"cognito-identity.amazonaws.com"}`, true},
		{"FederatedBogus", `{"Federated":"arn:aws:iam::111122223333:user/x"}`, false},
		{"CanonicalUserShort", `{"CanonicalUser":"abc"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(trustDoc(tt.value), Trust)
			if ok := err == nil; ok != tt.ok {
				t.Fatalf("Parse(%s) err=%v, want ok=%v", tt.value, err, tt.ok)
			}
		})
	}
}
