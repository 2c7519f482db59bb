package apptest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

func fromSTS(c *sts.AssumeRoleOutput) apptest.Creds {
	return apptest.Creds{AccessKeyID: *c.Credentials.AccessKeyId, SecretAccessKey: *c.Credentials.SecretAccessKey, SessionToken: *c.Credentials.SessionToken}
}

func TestAssumeRole(t *testing.T) {
	srv := apptest.Start(t)
	acct := srv.Account()
	root := srv.IAM(srv.Root)
	alice := newUser(t, srv, "alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	bob := newUser(t, srv, "bob", "")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:user/alice"},"Action":"sts:AssumeRole"}]}`
	role, err := root.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("reader"), AssumeRolePolicyDocument: aws.String(trust)})
	fatalIf(t, err)
	noErr(t)(root.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}`)}))
	roleARN := aws.ToString(role.Role.Arn)

	t.Run("AssumedRoleIdentity", func(t *testing.T) {
		out, err := srv.STS(alice).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("ci-session")})
		fatalIf(t, err)
		creds := fromSTS(out)
		if !strings.HasPrefix(creds.AccessKeyID, "ASIA") {
			t.Fatalf("AccessKeyId=%s, want ASIA…", creds.AccessKeyID)
		}
		id, err := srv.STS(creds).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		fatalIf(t, err)
		wantARN := "arn:aws:sts::" + acct + ":assumed-role/reader/ci-session"
		if aws.ToString(id.Arn) != wantARN || aws.ToString(id.UserId) != aws.ToString(role.Role.RoleId)+":ci-session" {
			t.Fatalf("identity=%s %s, want %s", aws.ToString(id.Arn), aws.ToString(id.UserId), wantARN)
		}
		noErr(t)(srv.IAM(creds).ListUsers(ctx, &awsiam.ListUsersInput{}))
		_, err = srv.IAM(creds).CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("x")})
		if msg := wantCode(t, err, "AccessDenied"); !strings.HasPrefix(msg, "User: "+wantARN+" is not authorized") {
			t.Fatalf("message=%q", msg)
		}
	})
	t.Run("SessionPolicyNarrows", func(t *testing.T) {
		out, err := srv.STS(alice).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("narrow"),
			Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)})
		fatalIf(t, err)
		_, err = srv.IAM(fromSTS(out)).ListUsers(ctx, &awsiam.ListUsersInput{})
		if msg := wantCode(t, err, "AccessDenied"); !strings.HasSuffix(msg, "because no session policy allows the iam:ListUsers action") {
			t.Fatalf("message=%q", msg)
		}
	})
	t.Run("TrustRefusesOthers", func(t *testing.T) {
		_, err := srv.STS(bob).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1")})
		wantCode(t, err, "AccessDenied")
		_, err = srv.STS(srv.Root).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1")})
		if msg := wantCode(t, err, "AccessDenied"); msg != "Roles may not be assumed by root accounts." {
			t.Fatalf("message=%q", msg)
		}
	})
	t.Run("DurationBounds", func(t *testing.T) {
		_, err := srv.STS(alice).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(7200)})
		wantCode(t, err, "ValidationError")
		_, err = srv.STS(alice).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(60)})
		wantCode(t, err, "ValidationError")
	})
	t.Run("ExpiredCredentials", func(t *testing.T) {
		out, err := srv.STS(alice).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("short"), DurationSeconds: aws.Int32(900)})
		fatalIf(t, err)
		srv.App.IAM.Now = func() time.Time { return time.Now().Add(16 * time.Minute) }
		defer func() { srv.App.IAM.Now = time.Now }()
		_, err = srv.IAM(fromSTS(out)).ListUsers(ctx, &awsiam.ListUsersInput{})
		wantCode(t, err, "ExpiredToken")
	})
	t.Run("WrongSessionToken", func(t *testing.T) {
		out, err := srv.STS(alice).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("tok")})
		fatalIf(t, err)
		creds := fromSTS(out)
		creds.SessionToken = "forged"
		_, err = srv.STS(creds).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		wantCode(t, err, "InvalidClientTokenId")
	})
}

func TestSessionAndFederationTokens(t *testing.T) {
	srv := apptest.Start(t)
	acct := srv.Account()
	alice := newUser(t, srv, "alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:List*","sts:GetFederationToken"],"Resource":"*"}]}`)

	st, err := srv.STS(alice).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	fatalIf(t, err)
	sess := apptest.Creds{AccessKeyID: *st.Credentials.AccessKeyId, SecretAccessKey: *st.Credentials.SecretAccessKey, SessionToken: *st.Credentials.SessionToken}
	if d := time.Until(aws.ToTime(st.Credentials.Expiration)); d < 11*time.Hour || d > 13*time.Hour {
		t.Fatalf("session lasts %v, want the default 12h", d)
	}
	id, err := srv.STS(sess).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	fatalIf(t, err)
	if aws.ToString(id.Arn) != "arn:aws:iam::"+acct+":user/alice" {
		t.Fatalf("session identity=%s", aws.ToString(id.Arn))
	}
	noErr(t)(srv.IAM(sess).ListUsers(ctx, &awsiam.ListUsersInput{}))
	_, err = srv.STS(sess).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	wantCode(t, err, "AccessDenied")

	ft, err := srv.STS(alice).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("bob"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`)})
	fatalIf(t, err)
	fed := apptest.Creds{AccessKeyID: *ft.Credentials.AccessKeyId, SecretAccessKey: *ft.Credentials.SecretAccessKey, SessionToken: *ft.Credentials.SessionToken}
	if got := aws.ToString(ft.FederatedUser.Arn); got != "arn:aws:sts::"+acct+":federated-user/bob" {
		t.Fatalf("FederatedUser.Arn=%s", got)
	}
	noErr(t)(srv.IAM(fed).ListUsers(ctx, &awsiam.ListUsersInput{}))
	_, err = srv.IAM(fed).ListGroups(ctx, &awsiam.ListGroupsInput{})
	wantCode(t, err, "AccessDenied") // allowed to alice, not by the federation policy

	bare, err := srv.STS(alice).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("nobody")})
	fatalIf(t, err)
	nobody := apptest.Creds{AccessKeyID: *bare.Credentials.AccessKeyId, SecretAccessKey: *bare.Credentials.SecretAccessKey, SessionToken: *bare.Credentials.SessionToken}
	_, err = srv.IAM(nobody).ListUsers(ctx, &awsiam.ListUsersInput{})
	wantCode(t, err, "AccessDenied") // no policy passed: no permissions
}
