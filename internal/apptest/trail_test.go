package apptest_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"

	"github.com/deploytrail/deploytrail/internal/apptest"
	"github.com/deploytrail/deploytrail/internal/store"
)

// records returns the newest records of an account in a region, decoded.
func records(t *testing.T, srv *apptest.Server, account, region string) []map[string]any {
	t.Helper()
	raw, err := store.Events{DB: srv.App.DB}.Latest(ctx, account, region, 100)
	fatalIf(t, err)
	out := make([]map[string]any, len(raw))
	for i, r := range raw {
		fatalIf(t, json.Unmarshal([]byte(r), &out[i]))
	}
	return out
}

// find returns the record of a request id.
func find(t *testing.T, recs []map[string]any, requestID string) map[string]any {
	t.Helper()
	for _, r := range recs {
		if r["requestID"] == requestID {
			return r
		}
	}
	t.Fatalf("no record for request %s", requestID)
	return nil
}

func requestID(t *testing.T, md middleware.Metadata) string {
	t.Helper()
	id, ok := awsmw.GetRequestIDMetadata(md)
	if !ok {
		t.Fatal("no request id in the response")
	}
	return id
}

// TestCaptureAssumedRoleCreateDeploymentGroup reproduces the record of
// spec §5.3's scenario, an assumed role creating a deployment group, and
// a denied call by the same session.
func TestCaptureAssumedRoleCreateDeploymentGroup(t *testing.T) {
	srv := apptest.Start(t)
	acct := srv.Account()
	root := srv.IAM(srv.Root)
	ci := newUser(t, srv, "ci", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:user/ci"},"Action":"sts:AssumeRole"}]}`
	role, err := root.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("ci-deployer"), AssumeRolePolicyDocument: aws.String(trust)})
	fatalIf(t, err)
	noErr(t)(root.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String("ci-deployer"), PolicyName: aws.String("deploy"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["codedeploy:Create*","codedeploy:Get*"],"Resource":"*"}]}`)}))
	out, err := srv.STS(ci).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("ci-session")})
	fatalIf(t, err)
	session := fromSTS(out)
	cd := srv.CodeDeploy(session)
	noErr(t)(cd.CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("MyApp")}))
	created, err := cd.CreateDeploymentGroup(ctx, &codedeploy.CreateDeploymentGroupInput{ApplicationName: aws.String("MyApp"),
		DeploymentGroupName: aws.String("MyDG"), ServiceRoleArn: role.Role.Arn})
	fatalIf(t, err)
	_, deleteErr := cd.DeleteDeploymentGroup(ctx, &codedeploy.DeleteDeploymentGroupInput{ApplicationName: aws.String("MyApp"), DeploymentGroupName: aws.String("MyDG")})
	wantCode(t, deleteErr, "AccessDeniedException")

	recs := records(t, srv, acct, apptest.Region)
	rec := find(t, recs, requestID(t, created.ResultMetadata))
	id := rec["userIdentity"].(map[string]any)
	issuer := id["sessionContext"].(map[string]any)["sessionIssuer"].(map[string]any)
	checks := map[string]any{
		"eventVersion": "1.11", "eventSource": "codedeploy.amazonaws.com", "eventName": "CreateDeploymentGroup",
		"awsRegion": "us-east-1", "sourceIPAddress": "127.0.0.1", "readOnly": false, "eventType": "AwsApiCall",
		"managementEvent": true, "recipientAccountId": acct, "eventCategory": "Management",
	}
	for k, want := range checks {
		if rec[k] != want {
			t.Errorf("%s=%v, want %v", k, rec[k], want)
		}
	}
	if id["type"] != "AssumedRole" || id["arn"] != "arn:aws:sts::"+acct+":assumed-role/ci-deployer/ci-session" ||
		id["principalId"] != aws.ToString(role.Role.RoleId)+":ci-session" || id["accessKeyId"] != session.AccessKeyID ||
		issuer["type"] != "Role" || issuer["arn"] != aws.ToString(role.Role.Arn) || issuer["userName"] != "ci-deployer" {
		t.Errorf("userIdentity=%v", id)
	}
	if rp := rec["requestParameters"].(map[string]any); rp["applicationName"] != "MyApp" || rp["deploymentGroupName"] != "MyDG" {
		t.Errorf("requestParameters=%v", rp)
	}
	if re := rec["responseElements"].(map[string]any); re["deploymentGroupId"] == "" || re["deploymentGroupId"] == nil {
		t.Errorf("responseElements=%v", re)
	}
	if ua, _ := rec["userAgent"].(string); !strings.Contains(ua, "aws-sdk-go-v2") {
		t.Errorf("userAgent=%q", ua)
	}

	denied := recs[0] // the newest
	if denied["eventName"] != "DeleteDeploymentGroup" || denied["errorCode"] != "AccessDeniedException" || denied["responseElements"] != nil ||
		!strings.Contains(denied["errorMessage"].(string), "is not authorized to perform: codedeploy:DeleteDeploymentGroup on resource: arn:aws:codedeploy:us-east-1:"+acct+":deploymentgroup:MyApp/MyDG") {
		t.Errorf("denied record=%v", denied)
	}
}

func TestCaptureRules(t *testing.T) {
	srv := apptest.Start(t)
	acct := srv.Account()
	c := srv.IAM(srv.Root)

	t.Run("GlobalServicesInUsEast1AndSecretsHidden", func(t *testing.T) {
		noErr(t)(c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("bob")}))
		k, err := c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("bob")})
		fatalIf(t, err)
		rec := find(t, records(t, srv, acct, "us-east-1"), requestID(t, k.ResultMetadata))
		raw, _ := json.Marshal(rec)
		if strings.Contains(string(raw), aws.ToString(k.AccessKey.SecretAccessKey)) || !strings.Contains(string(raw), "HIDDEN_DUE_TO_SECURITY_REASONS") {
			t.Fatalf("CreateAccessKey record shows the secret: %s", raw)
		}
		if rec["requestParameters"].(map[string]any)["userName"] != "bob" {
			t.Fatalf("IAM requestParameters not lowerCamel: %v", rec["requestParameters"])
		}
	})
	t.Run("ValidationFailureRecorded", func(t *testing.T) {
		_, err := c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("bad name!")})
		wantCode(t, err, "ValidationError")
		if rec := records(t, srv, acct, "us-east-1")[0]; rec["errorCode"] != "ValidationError" || rec["eventName"] != "CreateUser" {
			t.Fatalf("newest record=%v", rec)
		}
	})
	t.Run("UnauthenticatedNotRecorded", func(t *testing.T) {
		before := len(records(t, srv, acct, "us-east-1"))
		bad := apptest.Creds{AccessKeyID: srv.Root.AccessKeyID, SecretAccessKey: strings.Repeat("x", 40)}
		_, err := srv.IAM(bad).ListUsers(ctx, &awsiam.ListUsersInput{})
		wantCode(t, err, "SignatureDoesNotMatch")
		if after := len(records(t, srv, acct, "us-east-1")); after != before {
			t.Fatalf("records %d → %d after a call that failed authentication", before, after)
		}
	})
	t.Run("NoChangeWithoutItsEvent", func(t *testing.T) {
		db := srv.SQL(t)
		refuse, allow := `CREATE TRIGGER refuse_events BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk full'); END`, `DROP TRIGGER refuse_events`
		if srv.OnPostgres() {
			refuse = `CREATE FUNCTION refuse_events() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$;
				CREATE TRIGGER refuse_events BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse_events()`
			allow = `DROP TRIGGER refuse_events ON events; DROP FUNCTION refuse_events()`
		}
		_, err := db.Exec(refuse)
		fatalIf(t, err)
		_, err = c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("unaudited")})
		wantCode(t, err, "InternalFailure")
		_, err = db.Exec(allow)
		fatalIf(t, err)
		_, err = c.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("unaudited")})
		wantCode(t, err, "NoSuchEntity")
	})
}
