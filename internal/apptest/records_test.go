package apptest_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

// orgMember makes an organization with one member account and returns
// the member's id and the OrganizationAccountAccessRole's ARN.
func orgMember(tb testing.TB, srv *apptest.Server) (member, roleARN string) {
	tb.Helper()
	orgs := srv.Organizations(srv.Root)
	noErr(tb)(orgs.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}))
	created, err := orgs.CreateAccount(ctx, &organizations.CreateAccountInput{Email: aws.String("ops@example.com"), AccountName: aws.String("ops")})
	fatalIf(tb, err)
	member = aws.ToString(created.CreateAccountStatus.AccountId)
	return member, "arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole"
}

// assumeRoleEvents returns the AssumeRole events of the account c signs
// for, newest first.
func assumeRoleEvents(tb testing.TB, srv *apptest.Server, c apptest.Creds) []cttypes.Event {
	tb.Helper()
	return lookup(tb, srv.CloudTrail(c), &cloudtrail.LookupEventsInput{LookupAttributes: attrs("EventName", "AssumeRole")})
}

// roleResources is the resources array of an AssumeRole record.
func roleResources(roleARN, owner string) []any {
	return []any{map[string]any{"ARN": roleARN, "accountId": owner, "type": "AWS::IAM::Role"}}
}

// TestRecords_CrossAccountAssumeRole: an admin of the management account
// opens a session into a member account. Each account has the event
// (spec §10.4): its own eventID and recipientAccountId, the same
// sharedEventID and requestID, and the role with its owner as resource;
// the member's copy shows the caller as another account (AWSAccount), not
// its ARN or access key. A denied attempt reaches the member account as
// well.
func TestRecords_CrossAccountAssumeRole(t *testing.T) {
	srv := apptest.Start(t)
	mgmt := srv.Account()
	member, roleARN := orgMember(t, srv)
	admin := newUser(t, srv, "admin", adminPolicy)
	out, err := srv.STS(admin).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("ops")})
	fatalIf(t, err)
	inMember := fromSTS(out)

	inMgmt, inOwner := assumeRoleEvents(t, srv, srv.Root), assumeRoleEvents(t, srv, inMember)
	if len(inMgmt) != 1 || len(inOwner) != 1 {
		t.Fatalf("AssumeRole events: %d in the caller's account, %d in the role's, want 1 each", len(inMgmt), len(inOwner))
	}
	caller, owner := record(t, inMgmt[0]), record(t, inOwner[0])
	shared, _ := caller["sharedEventID"].(string)
	if len(shared) != 36 || owner["sharedEventID"] != shared {
		t.Errorf("sharedEventID=%v and %v, want the same UUID", caller["sharedEventID"], owner["sharedEventID"])
	}
	if caller["eventID"] == owner["eventID"] || aws.ToString(inMgmt[0].EventId) == aws.ToString(inOwner[0].EventId) {
		t.Errorf("eventID=%v in both accounts, want one per copy", caller["eventID"])
	}
	if caller["recipientAccountId"] != mgmt || owner["recipientAccountId"] != member {
		t.Errorf("recipientAccountId=%v, %v, want %s, %s", caller["recipientAccountId"], owner["recipientAccountId"], mgmt, member)
	}
	if caller["requestID"] != owner["requestID"] || caller["requestID"] != requestID(t, out.ResultMetadata) {
		t.Errorf("requestID=%v, %v, want the call's", caller["requestID"], owner["requestID"])
	}
	for _, rec := range []map[string]any{caller, owner} {
		if diff := cmp.Diff(roleResources(roleARN, member), rec["resources"]); diff != "" {
			t.Errorf("resources of the copy for %v (-want +got):\n%s", rec["recipientAccountId"], diff)
		}
	}
	adminID := caller["userIdentity"].(map[string]any)["principalId"]
	wantOwnerView := map[string]any{"type": "AWSAccount", "principalId": adminID, "accountId": mgmt}
	if diff := cmp.Diff(wantOwnerView, owner["userIdentity"]); diff != "" {
		t.Errorf("the member's copy shows the caller as (-want +got):\n%s", diff)
	}
	if strings.Contains(aws.ToString(inOwner[0].CloudTrailEvent), admin.AccessKeyID) || aws.ToString(inOwner[0].AccessKeyId) != "" {
		t.Errorf("the member's copy reveals the caller's access key: %s", aws.ToString(inOwner[0].CloudTrailEvent))
	}
	for _, e := range []cttypes.Event{inMgmt[0], inOwner[0]} {
		if !slices.ContainsFunc(e.Resources, func(r cttypes.Resource) bool {
			return aws.ToString(r.ResourceType) == "AWS::IAM::Role" && aws.ToString(r.ResourceName) == roleARN
		}) {
			t.Errorf("LookupEvents Resources=%v, want the role", e.Resources)
		}
	}

	t.Run("DeniedAttempt", func(t *testing.T) {
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + member + `:root"},"Action":"sts:AssumeRole"}]}`
		noErr(t)(srv.IAM(inMember).CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("internal"), AssumeRolePolicyDocument: aws.String(trust)}))
		_, err := srv.STS(admin).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + member + ":role/internal"), RoleSessionName: aws.String("probe")})
		wantCode(t, err, "AccessDenied")
		got := assumeRoleEvents(t, srv, inMember)
		if len(got) != 2 {
			t.Fatalf("member has %d AssumeRole events, want the denied one too", len(got))
		}
		if rec := record(t, got[0]); rec["errorCode"] != "AccessDenied" || rec["recipientAccountId"] != member || rec["sharedEventID"] == nil {
			t.Errorf("denied attempt in the member account: %v", rec)
		}
	})
	t.Run("UnknownAccountGetsNoCopy", func(t *testing.T) {
		_, err := srv.STS(admin).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::999999999999:role/nobody"), RoleSessionName: aws.String("probe")})
		wantCode(t, err, "AccessDenied")
		rec := record(t, assumeRoleEvents(t, srv, srv.Root)[0])
		if rec["errorCode"] != "AccessDenied" || rec["sharedEventID"] != nil {
			t.Errorf("attempt on an account this server does not have: %v, want the caller's record alone", rec)
		}
		if diff := cmp.Diff(roleResources("arn:aws:iam::999999999999:role/nobody", "999999999999"), rec["resources"]); diff != "" {
			t.Errorf("resources (-want +got):\n%s", diff)
		}
	})
}

// TestRecords_SameAccountAssumeRole: a role of the caller's own account
// is one event, listing the role, without sharedEventID.
func TestRecords_SameAccountAssumeRole(t *testing.T) {
	srv := apptest.Start(t)
	acct := srv.Account()
	alice := newUser(t, srv, "alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:user/alice"},"Action":"sts:AssumeRole"}]}`
	role, err := srv.IAM(srv.Root).CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("reader"), AssumeRolePolicyDocument: aws.String(trust)})
	fatalIf(t, err)
	roleARN := aws.ToString(role.Role.Arn)
	noErr(t)(srv.STS(alice).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("same")}))

	evs := assumeRoleEvents(t, srv, srv.Root)
	if len(evs) != 1 {
		t.Fatalf("AssumeRole events=%d, want 1", len(evs))
	}
	rec := record(t, evs[0])
	if _, ok := rec["sharedEventID"]; ok || rec["recipientAccountId"] != acct {
		t.Errorf("record=%v, want no sharedEventID and recipient %s", rec, acct)
	}
	if diff := cmp.Diff(roleResources(roleARN, acct), rec["resources"]); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
}

// tlsDetailsOf returns the tlsDetails of the newest event named name in
// the account c signs for, nil when it has none.
func tlsDetailsOf(tb testing.TB, c *cloudtrail.Client, name string) map[string]any {
	tb.Helper()
	evs := lookup(tb, c, &cloudtrail.LookupEventsInput{LookupAttributes: attrs("EventName", name)})
	if len(evs) == 0 {
		tb.Fatalf("no %s event", name)
	}
	d, _ := record(tb, evs[0])["tlsDetails"].(map[string]any)
	return d
}

// TestRecords_TLSDetails: a call over TLS 1.3 and one over TLS 1.2, made
// by the SDK trusting the server's self-signed certificate, carry
// tlsDetails: version, the cipher suite by its OpenSSL name, the Host
// header the client sent and the key exchange (spec §2.2).
func TestRecords_TLSDetails(t *testing.T) {
	srv := apptest.Start(t, apptest.WithTLS(t))
	host := strings.TrimPrefix(srv.URL, "https://")
	ct := srv.CloudTrail(srv.Root)

	noErr(t)(srv.IAM(srv.Root).ListUsers(ctx, &awsiam.ListUsersInput{}))
	got := tlsDetailsOf(t, ct, "ListUsers")
	want := map[string]any{"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
		"clientProvidedHostHeader": host, "keyExchange": "X25519MLKEM768"}
	if diff := cmp.Diff(want, got, tls13Suites); diff != "" {
		t.Errorf("tlsDetails over TLS 1.3 (-want +got):\n%s", diff)
	}

	noErr(t)(awsiam.NewFromConfig(srv.ConfigTLS12(srv.Root)).ListRoles(ctx, &awsiam.ListRolesInput{}))
	got = tlsDetailsOf(t, ct, "ListRoles")
	if got["tlsVersion"] != "TLSv1.2" || got["clientProvidedHostHeader"] != host || got["keyExchange"] != "x25519" ||
		!slices.Contains([]any{"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305"}, got["cipherSuite"]) {
		t.Errorf("tlsDetails over TLS 1.2=%v, want TLSv1.2, an OpenSSL ECDHE-RSA suite name, host %s, x25519", got, host)
	}
}

// tls13Suites accepts any TLS 1.3 suite Go may pick (AES-GCM with AES
// hardware, ChaCha20 without): their OpenSSL and IANA names agree.
var tls13Suites = cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == `["cipherSuite"]` },
	cmp.Comparer(func(a, b any) bool {
		ok := func(v any) bool {
			return slices.Contains([]any{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}, v)
		}
		return ok(a) && ok(b)
	}))

// TestRecords_PlainHTTPHasNoTLSDetails: over plain HTTP a record has no
// tlsDetails at all.
func TestRecords_PlainHTTPHasNoTLSDetails(t *testing.T) {
	srv := apptest.Start(t)
	noErr(t)(srv.IAM(srv.Root).ListUsers(ctx, &awsiam.ListUsersInput{}))
	if got := tlsDetailsOf(t, srv.CloudTrail(srv.Root), "ListUsers"); got != nil {
		t.Errorf("tlsDetails=%v over plain HTTP, want none", got)
	}
}

// TestRecords_OrganizationsNames: Organizations' records name members as
// AWS's do, in lowerCamel (CreateAccount's createAccountStatus), with the
// e-mail address and account name hidden.
func TestRecords_OrganizationsNames(t *testing.T) {
	srv := apptest.Start(t)
	member, _ := orgMember(t, srv)
	evs := lookup(t, srv.CloudTrail(srv.Root), &cloudtrail.LookupEventsInput{LookupAttributes: attrs("EventName", "CreateAccount")})
	if len(evs) != 1 {
		t.Fatalf("CreateAccount events=%d, want 1", len(evs))
	}
	r := rec(record(t, evs[0]))
	const hidden = "HIDDEN_DUE_TO_SECURITY_REASONS"
	if r.str("requestParameters.email") != hidden || r.str("requestParameters.accountName") != hidden {
		t.Errorf("requestParameters=%v, want email and accountName hidden", r["requestParameters"])
	}
	if r.str("responseElements.createAccountStatus.accountId") != member || r.str("responseElements.createAccountStatus.state") != "SUCCEEDED" ||
		!r.has("responseElements.createAccountStatus.requestedTimestamp") {
		t.Errorf("responseElements=%v, want createAccountStatus of account %s", r["responseElements"], member)
	}
	if strings.Contains(aws.ToString(evs[0].CloudTrailEvent), "ops@example.com") {
		t.Errorf("record shows the e-mail address: %s", aws.ToString(evs[0].CloudTrailEvent))
	}
}
