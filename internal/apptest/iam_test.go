package apptest_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

func TestRootIdentity(t *testing.T) {
	srv := apptest.Start(t)
	out, err := srv.STS(srv.Root).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	fatalIf(t, err)
	acct := srv.Account()
	if aws.ToString(out.Arn) != "arn:aws:iam::"+acct+":root" || aws.ToString(out.Account) != acct || aws.ToString(out.UserId) != acct {
		t.Fatalf("identity=%s/%s/%s, want root of %s", aws.ToString(out.Arn), aws.ToString(out.Account), aws.ToString(out.UserId), acct)
	}
	if len(acct) != 12 || !strings.HasPrefix(srv.Root.AccessKeyID, "AKIA") || len(srv.Root.AccessKeyID) != 20 || len(srv.Root.SecretAccessKey) != 40 {
		t.Fatalf("account %q key %q: not in AWS format", acct, srv.Root.AccessKeyID)
	}
}

func TestUserPolicies(t *testing.T) {
	srv := apptest.Start(t)
	acct := srv.Account()
	alice := newUser(t, srv, "alice", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["iam:List*","iam:GetUser","iam:DeleteUser"],"Resource":"*"},
		{"Effect":"Deny","Action":"iam:DeleteUser","Resource":"arn:aws:iam::*:user/root-only-*"}]}`)
	c := srv.IAM(alice)

	t.Run("Allowed", func(t *testing.T) {
		out, err := c.ListUsers(ctx, &awsiam.ListUsersInput{})
		fatalIf(t, err)
		if len(out.Users) != 1 || aws.ToString(out.Users[0].UserName) != "alice" {
			t.Fatalf("Users=%v, want alice", out.Users)
		}
		me, err := c.GetUser(ctx, &awsiam.GetUserInput{})
		fatalIf(t, err)
		if got := aws.ToString(me.User.Arn); got != "arn:aws:iam::"+acct+":user/alice" {
			t.Fatalf("GetUser Arn=%s", got)
		}
	})
	t.Run("ImplicitDeny", func(t *testing.T) {
		_, err := c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("bob")})
		msg := wantCode(t, err, "AccessDenied")
		want := "User: arn:aws:iam::" + acct + ":user/alice is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::" + acct + ":user/bob because no identity-based policy allows the iam:CreateUser action"
		if msg != want {
			t.Fatalf("message=%q, want %q", msg, want)
		}
		if _, err := srv.IAM(srv.Root).GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("bob")}); err == nil {
			t.Fatalf("denied CreateUser created bob")
		}
	})
	t.Run("ExplicitDenyBeatsAllow", func(t *testing.T) {
		noErr(t)(srv.IAM(srv.Root).CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("root-only-x")}))
		_, err := c.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("root-only-x")})
		if msg := wantCode(t, err, "AccessDenied"); !strings.HasSuffix(msg, "with an explicit deny in an identity-based policy") {
			t.Fatalf("message=%q", msg)
		}
	})
	t.Run("GroupAndManagedPolicy", func(t *testing.T) {
		root := srv.IAM(srv.Root)
		noErr(t)(root.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("admins")}))
		noErr(t)(root.AttachGroupPolicy(ctx, &awsiam.AttachGroupPolicyInput{GroupName: aws.String("admins"), PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMFullAccess")}))
		noErr(t)(root.AddUserToGroup(ctx, &awsiam.AddUserToGroupInput{GroupName: aws.String("admins"), UserName: aws.String("alice")}))
		noErr(t)(c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("carol")}))
		noErr(t)(root.RemoveUserFromGroup(ctx, &awsiam.RemoveUserFromGroupInput{GroupName: aws.String("admins"), UserName: aws.String("alice")}))
		_, err := c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("dave")})
		wantCode(t, err, "AccessDenied")
	})
}

func TestIAMEntities(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.IAM(srv.Root)
	acct := srv.Account()

	t.Run("UserLifecycle", func(t *testing.T) {
		u, err := c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("Erin"), Path: aws.String("/ops/"),
			Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("red")}}})
		fatalIf(t, err)
		if id := aws.ToString(u.User.UserId); !strings.HasPrefix(id, "AIDA") || len(id) != 21 {
			t.Fatalf("UserId=%s", id)
		}
		if arn := aws.ToString(u.User.Arn); arn != "arn:aws:iam::"+acct+":user/ops/Erin" {
			t.Fatalf("Arn=%s", arn)
		}
		_, err = c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("erin")})
		wantCode(t, err, "EntityAlreadyExists") // names are case-insensitive
		noErr(t)(c.UpdateUser(ctx, &awsiam.UpdateUserInput{UserName: aws.String("Erin"), NewUserName: aws.String("Erin2")}))
		_, err = c.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("Erin")})
		if msg := wantCode(t, err, "NoSuchEntity"); msg != "The user with name Erin cannot be found." {
			t.Fatalf("message=%q", msg)
		}
		tags, err := c.ListUserTags(ctx, &awsiam.ListUserTagsInput{UserName: aws.String("Erin2")})
		fatalIf(t, err)
		if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "red" {
			t.Fatalf("Tags=%v", tags.Tags)
		}
	})
	t.Run("DeleteConflict", func(t *testing.T) {
		noErr(t)(c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("frank")}))
		k, err := c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("frank")})
		fatalIf(t, err)
		_, err = c.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("frank")})
		wantCode(t, err, "DeleteConflict")
		noErr(t)(c.DeleteAccessKey(ctx, &awsiam.DeleteAccessKeyInput{UserName: aws.String("frank"), AccessKeyId: k.AccessKey.AccessKeyId}))
		noErr(t)(c.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("frank")}))
	})
	t.Run("AccessKeyQuota", func(t *testing.T) {
		noErr(t)(c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("gina")}))
		for i := 0; i < 2; i++ {
			noErr(t)(c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("gina")}))
		}
		_, err := c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("gina")})
		wantCode(t, err, "LimitExceeded")
		keys, err := c.ListAccessKeys(ctx, &awsiam.ListAccessKeysInput{UserName: aws.String("gina")})
		fatalIf(t, err)
		if len(keys.AccessKeyMetadata) != 2 {
			t.Fatalf("keys=%d, want 2", len(keys.AccessKeyMetadata))
		}
	})
	t.Run("Validation", func(t *testing.T) {
		_, err := c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("bad name!")})
		msg := wantCode(t, err, "ValidationError")
		if !strings.Contains(msg, "at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern") {
			t.Fatalf("message=%q", msg)
		}
		_, err = c.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String("gina"), PolicyName: aws.String("x"), PolicyDocument: aws.String(`{"Statement":[{"Effect":"Allow"}]}`)})
		wantCode(t, err, "MalformedPolicyDocument")
	})
	t.Run("TrustPolicyNamesExistingPrincipals", func(t *testing.T) {
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:user/nobody"},"Action":"sts:AssumeRole"}]}`
		_, err := c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust)})
		if msg := wantCode(t, err, "MalformedPolicyDocument"); !strings.Contains(msg, "Invalid principal in policy") {
			t.Fatalf("message=%q", msg)
		}
	})
	t.Run("RootGetUser", func(t *testing.T) {
		out, err := c.GetUser(ctx, &awsiam.GetUserInput{})
		fatalIf(t, err)
		if aws.ToString(out.User.Arn) != "arn:aws:iam::"+acct+":root" || aws.ToString(out.User.UserId) != acct {
			t.Fatalf("root GetUser=%s %s", aws.ToString(out.User.Arn), aws.ToString(out.User.UserId))
		}
	})
	t.Run("RoleAndManagedPolicyVersions", func(t *testing.T) {
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codedeploy.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
		r, err := c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("deployer"), AssumeRolePolicyDocument: aws.String(trust)})
		fatalIf(t, err)
		if got := decodeDoc(t, r.Role.AssumeRolePolicyDocument); got != trust {
			t.Fatalf("trust policy=%s", got)
		}
		p, err := c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("deploy"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"codedeploy:*","Resource":"*"}]}`)})
		fatalIf(t, err)
		arn := aws.ToString(p.Policy.Arn)
		if arn != "arn:aws:iam::"+acct+":policy/deploy" || aws.ToString(p.Policy.DefaultVersionId) != "v1" {
			t.Fatalf("policy=%s %s", arn, aws.ToString(p.Policy.DefaultVersionId))
		}
		noErr(t)(c.CreatePolicyVersion(ctx, &awsiam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), SetAsDefault: true,
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"codedeploy:Get*","Resource":"*"}]}`)}))
		noErr(t)(c.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("deployer"), PolicyArn: aws.String(arn)}))
		_, err = c.DeletePolicy(ctx, &awsiam.DeletePolicyInput{PolicyArn: aws.String(arn)})
		wantCode(t, err, "DeleteConflict")
		ents, err := c.ListEntitiesForPolicy(ctx, &awsiam.ListEntitiesForPolicyInput{PolicyArn: aws.String(arn)})
		fatalIf(t, err)
		if len(ents.PolicyRoles) != 1 || aws.ToString(ents.PolicyRoles[0].RoleName) != "deployer" {
			t.Fatalf("PolicyRoles=%v", ents.PolicyRoles)
		}
		v, err := c.GetPolicyVersion(ctx, &awsiam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v2")})
		fatalIf(t, err)
		if !v.PolicyVersion.IsDefaultVersion || !strings.Contains(decodeDoc(t, v.PolicyVersion.Document), "codedeploy:Get*") {
			t.Fatalf("v2=%+v", v.PolicyVersion)
		}
	})
	t.Run("Pagination", func(t *testing.T) {
		for _, n := range []string{"p1", "p2", "p3", "p4", "p5"} {
			noErr(t)(c.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String(n)}))
		}
		var names []string
		pager := awsiam.NewListGroupsPaginator(c, &awsiam.ListGroupsInput{MaxItems: aws.Int32(2)})
		pages := 0
		for pager.HasMorePages() {
			out, err := pager.NextPage(ctx)
			fatalIf(t, err)
			pages++
			for _, g := range out.Groups {
				names = append(names, aws.ToString(g.GroupName))
			}
		}
		if strings.Join(names, ",") != "p1,p2,p3,p4,p5" || pages != 3 {
			t.Fatalf("names=%v in %d pages", names, pages)
		}
	})
	t.Run("LoginProfile", func(t *testing.T) {
		_, err := c.CreateLoginProfile(ctx, &awsiam.CreateLoginProfileInput{UserName: aws.String("gina"), Password: aws.String("short")})
		wantCode(t, err, "PasswordPolicyViolation")
		noErr(t)(c.CreateLoginProfile(ctx, &awsiam.CreateLoginProfileInput{UserName: aws.String("gina"), Password: aws.String("Corr3ct-Horse")}))
		lp, err := c.GetLoginProfile(ctx, &awsiam.GetLoginProfileInput{UserName: aws.String("gina")})
		fatalIf(t, err)
		if aws.ToString(lp.LoginProfile.UserName) != "gina" {
			t.Fatalf("LoginProfile=%+v", lp.LoginProfile)
		}
		if strings.Contains(srv.Logs(), "Corr3ct-Horse") {
			t.Fatalf("the password reached the log")
		}
	})
}
