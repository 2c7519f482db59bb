package policy

import "testing"

func TestEvaluateSession(t *testing.T) {
	allowAll := allowDoc(`"*"`, `"*"`)
	allowGet := allowDoc(`"codedeploy:Get*"`, `"*"`)
	allowCreate := allowDoc(`"codedeploy:CreateDeployment"`, `"*"`)
	denyCreate := `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"codedeploy:CreateDeployment","Resource":"*"}}`
	tests := []struct {
		name       string
		identity   []string
		session    []string // nil: no session policies
		noSession  bool     // session policies present but empty
		want       Decision
		wantReason Reason
	}{
		{name: "NoSessionPoliciesAllowed", identity: []string{allowAll}, want: Allow, wantReason: ReasonAllowed},
		{name: "NoSessionPoliciesNoIdentity", want: ImplicitDeny, wantReason: ReasonNoIdentityAllow},
		{name: "IntersectionAllows", identity: []string{allowAll}, session: []string{allowCreate}, want: Allow, wantReason: ReasonAllowed},
		{name: "SessionNarrows", identity: []string{allowAll}, session: []string{allowGet}, want: ImplicitDeny, wantReason: ReasonNoSessionAllow},
		{name: "SessionCannotWiden", identity: []string{allowGet}, session: []string{allowAll}, want: ImplicitDeny, wantReason: ReasonNoIdentityAllow},
		{name: "EmptySessionSetDenies", identity: []string{allowAll}, noSession: true, want: ImplicitDeny, wantReason: ReasonNoSessionAllow},
		{name: "IdentityExplicitDeny", identity: []string{allowAll, denyCreate}, session: []string{allowAll}, want: ExplicitDeny, wantReason: ReasonIdentityDeny},
		{name: "SessionExplicitDeny", identity: []string{allowAll}, session: []string{allowAll, denyCreate}, want: ExplicitDeny, wantReason: ReasonSessionDeny},
		{name: "SessionDenyBeatsNoIdentityAllow", identity: []string{allowGet}, session: []string{denyCreate}, want: ExplicitDeny, wantReason: ReasonSessionDeny},
		{name: "IdentityDenyFirst", identity: []string{denyCreate}, session: []string{denyCreate}, want: ExplicitDeny, wantReason: ReasonIdentityDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var session []*Document
			if tt.session != nil || tt.noSession {
				session = append([]*Document{}, identity(t, tt.session...)...)
			}
			req := &Request{Action: "codedeploy:CreateDeployment", Resource: dgARN}
			got, reason := EvaluateSession(req, identity(t, tt.identity...), session)
			if got != tt.want || reason != tt.wantReason {
				t.Fatalf("EvaluateSession()=(%v, %v), want (%v, %v)", got, reason, tt.want, tt.wantReason)
			}
		})
	}
}

func TestReason_Phrase(t *testing.T) {
	const action = "codedeploy:CreateDeployment"
	tests := []struct {
		reason     Reason
		wantString string
		wantPhrase string
	}{
		{ReasonAllowed, "Allowed", ""},
		{ReasonIdentityDeny, "IdentityDeny", "with an explicit deny in an identity-based policy"},
		{ReasonSessionDeny, "SessionDeny", "with an explicit deny in a session policy"},
		{ReasonNoIdentityAllow, "NoIdentityAllow", "because no identity-based policy allows the codedeploy:CreateDeployment action"},
		{ReasonNoSessionAllow, "NoSessionAllow", "because no session policy allows the codedeploy:CreateDeployment action"},
		{Reason(42), "Reason(42)", ""},
	}
	for _, tt := range tests {
		t.Run(tt.wantString, func(t *testing.T) {
			if got := tt.reason.String(); got != tt.wantString {
				t.Fatalf("String()=%q, want %q", got, tt.wantString)
			}
			if got := tt.reason.Phrase(action); got != tt.wantPhrase {
				t.Fatalf("Phrase()=%q, want %q", got, tt.wantPhrase)
			}
		})
	}
}
