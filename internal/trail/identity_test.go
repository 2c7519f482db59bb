package trail_test

import (
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/trail"
)

func TestBuild_UserIdentity(t *testing.T) {
	created := time.Date(2025, 1, 2, 2, 58, 11, 0, time.FixedZone("CET", 3600)) // recorded in UTC
	role := &awsproto.SessionIssuer{Type: "Role", PrincipalID: "AROAIDPPEZS35WEXAMPLE",
		ARN: "arn:aws:iam::111122223333:role/ci-deployer", AccountID: "111122223333", UserName: "ci-deployer"}
	user := &awsproto.SessionIssuer{Type: "IAMUser", PrincipalID: "AIDAJ45Q7YFFAREXAMPLE",
		ARN: "arn:aws:iam::111122223333:user/alice", AccountID: "111122223333", UserName: "alice"}
	root := &awsproto.SessionIssuer{Type: "Root", PrincipalID: "111122223333",
		ARN: "arn:aws:iam::111122223333:root", AccountID: "111122223333"}
	for _, tt := range []struct {
		name string
		p    *awsproto.Principal
		want string
	}{
		{"Root", &awsproto.Principal{Type: "Root", PrincipalID: "111122223333", ARN: "arn:aws:iam::111122223333:root",
			AccountID: "111122223333", AccessKeyID: "AKIAROOT"},
			`{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333","accessKeyId":"AKIAROOT"}`},
		{"RootWithAlias", &awsproto.Principal{Type: "Root", PrincipalID: "111122223333", ARN: "arn:aws:iam::111122223333:root",
			AccountID: "111122223333", AccessKeyID: "AKIAROOT", UserName: "my-alias"},
			`{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333","accessKeyId":"AKIAROOT","userName":"my-alias"}`},
		{"IAMUser", alice,
			`{"type":"IAMUser","principalId":"AIDAJ45Q7YFFAREXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAIOSFODNN7EXAMPLE","userName":"alice"}`},
		{"IAMUserSession", &awsproto.Principal{Type: "IAMUser", PrincipalID: "AIDAJ45Q7YFFAREXAMPLE",
			ARN: "arn:aws:iam::111122223333:user/alice", AccountID: "111122223333", AccessKeyID: "ASIAUSER", UserName: "alice",
			Session: &awsproto.Session{CreationDate: created, MFA: true}},
			`{"type":"IAMUser","principalId":"AIDAJ45Q7YFFAREXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"ASIAUSER","userName":"alice","sessionContext":{"attributes":{"creationDate":"2025-01-02T01:58:11Z","mfaAuthenticated":"true"}}}`},
		{"AssumedRoleMFASourceIdentity", &awsproto.Principal{Type: "AssumedRole", PrincipalID: "AROAIDPPEZS35WEXAMPLE:ci",
			ARN: "arn:aws:sts::111122223333:assumed-role/ci-deployer/ci", AccountID: "111122223333", AccessKeyID: "ASIAROLE",
			UserName: "ignored", Session: &awsproto.Session{Issuer: role, CreationDate: created, MFA: true, SourceIdentity: "alice@example.com"}},
			`{"type":"AssumedRole","principalId":"AROAIDPPEZS35WEXAMPLE:ci","arn":"arn:aws:sts::111122223333:assumed-role/ci-deployer/ci","accountId":"111122223333","accessKeyId":"ASIAROLE","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAIDPPEZS35WEXAMPLE","arn":"arn:aws:iam::111122223333:role/ci-deployer","accountId":"111122223333","userName":"ci-deployer"},"webIdFederationData":{},"attributes":{"creationDate":"2025-01-02T01:58:11Z","mfaAuthenticated":"true"},"sourceIdentity":"alice@example.com"}}`},
		{"FederatedUserFromUser", &awsproto.Principal{Type: "FederatedUser", PrincipalID: "111122223333:bob",
			ARN: "arn:aws:sts::111122223333:federated-user/bob", AccountID: "111122223333", AccessKeyID: "ASIAFED",
			Session: &awsproto.Session{Issuer: user, CreationDate: created}},
			`{"type":"FederatedUser","principalId":"111122223333:bob","arn":"arn:aws:sts::111122223333:federated-user/bob","accountId":"111122223333","accessKeyId":"ASIAFED","sessionContext":{"sessionIssuer":{"type":"IAMUser","principalId":"AIDAJ45Q7YFFAREXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"},"webIdFederationData":{},"attributes":{"creationDate":"2025-01-02T01:58:11Z","mfaAuthenticated":"false"}}}`},
		{"FederatedUserFromRoot", &awsproto.Principal{Type: "FederatedUser", PrincipalID: "111122223333:ops",
			ARN: "arn:aws:sts::111122223333:federated-user/ops", AccountID: "111122223333", AccessKeyID: "ASIAFED",
			Session: &awsproto.Session{Issuer: root, CreationDate: created}},
			`{"type":"FederatedUser","principalId":"111122223333:ops","arn":"arn:aws:sts::111122223333:federated-user/ops","accountId":"111122223333","accessKeyId":"ASIAFED","sessionContext":{"sessionIssuer":{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"},"webIdFederationData":{},"attributes":{"creationDate":"2025-01-02T01:58:11Z","mfaAuthenticated":"false"}}}`},
		{"AWSService", &awsproto.Principal{Type: "AWSService", AccountID: "111122223333", InvokedBy: "codedeploy.amazonaws.com"},
			`{"type":"AWSService","invokedBy":"codedeploy.amazonaws.com"}`},
		{"Nil", nil, `{"type":"Unknown"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := input(t, codedeploySvc, "CreateApplication", `{"applicationName": "MyApp"}`)
			in.Call.Principal = tt.p
			in.Call.TLS = &awsproto.TLSDetails{Version: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", Host: "localhost"}
			e := trail.Build(in)
			if got := string(mustMarshal(t, e.UserIdentity)); got != tt.want {
				t.Errorf("userIdentity=%s\nwant %s", got, tt.want)
			}
			if tt.p != nil && e.RecipientAccountID != tt.p.AccountID {
				t.Errorf("recipientAccountId=%q, want %q", e.RecipientAccountID, tt.p.AccountID)
			}
			if tt.p == nil || tt.p.Type != awsproto.PrincipalAWSService {
				if e.SourceIPAddress != "203.0.113.10" || e.UserAgent != "aws-cli/2.15.0" || e.TLSDetails == nil {
					t.Errorf("source=%q agent=%q tls=%v, want the call's", e.SourceIPAddress, e.UserAgent, e.TLSDetails)
				}
			}
		})
	}
}

// TestBuild_InvokedBy checks calls a service made for the customer: the
// service's name as source and agent, never tlsDetails.
func TestBuild_InvokedBy(t *testing.T) {
	for _, tt := range []struct {
		name string
		p    *awsproto.Principal
		want string
	}{
		{"AWSService", &awsproto.Principal{Type: "AWSService", AccountID: "111122223333", InvokedBy: "codedeploy.amazonaws.com"},
			"codedeploy.amazonaws.com"},
		{"AWSServiceUnnamed", &awsproto.Principal{Type: "AWSService", AccountID: "111122223333"}, "AWS Internal"},
		{"ServiceRoleSession", &awsproto.Principal{Type: "AssumedRole", AccountID: "111122223333",
			PrincipalID: "AROAEXAMPLE:codedeploy", InvokedBy: "codedeploy.amazonaws.com"}, "codedeploy.amazonaws.com"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := input(t, codedeploySvc, "CreateDeployment", `{"applicationName": "MyApp"}`)
			in.Call.Principal = tt.p
			in.Call.TLS = &awsproto.TLSDetails{Version: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", Host: "localhost"}
			e := trail.Build(in)
			if e.SourceIPAddress != tt.want || e.UserAgent != tt.want {
				t.Errorf("sourceIPAddress=%q userAgent=%q, want %q", e.SourceIPAddress, e.UserAgent, tt.want)
			}
			if e.UserIdentity.InvokedBy != tt.want {
				t.Errorf("invokedBy=%q, want %q", e.UserIdentity.InvokedBy, tt.want)
			}
			if e.TLSDetails != nil {
				t.Errorf("tlsDetails=%+v, want none", e.TLSDetails)
			}
			if e.RecipientAccountID != "111122223333" {
				t.Errorf("recipientAccountId=%q, want the customer's", e.RecipientAccountID)
			}
		})
	}
}
