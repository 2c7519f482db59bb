package apptest_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

func TestOrganizationsCrossAccount(t *testing.T) {
	srv := apptest.Start(t)
	mgmt := srv.Account()
	orgs := srv.Organizations(srv.Root)

	_, err := orgs.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	wantCode(t, err, "AWSOrganizationsNotInUseException")
	org, err := orgs.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll})
	fatalIf(t, err)
	if aws.ToString(org.Organization.MasterAccountId) != mgmt {
		t.Fatalf("MasterAccountId=%s, want %s", aws.ToString(org.Organization.MasterAccountId), mgmt)
	}
	created, err := orgs.CreateAccount(ctx, &organizations.CreateAccountInput{Email: aws.String("ops@example.com"), AccountName: aws.String("ops")})
	fatalIf(t, err)
	member := aws.ToString(created.CreateAccountStatus.AccountId)
	if created.CreateAccountStatus.State != orgtypes.CreateAccountStateSucceeded || len(member) != 12 || member == mgmt {
		t.Fatalf("CreateAccountStatus=%+v", created.CreateAccountStatus)
	}
	list, err := orgs.ListAccounts(ctx, &organizations.ListAccountsInput{})
	fatalIf(t, err)
	if len(list.Accounts) != 2 {
		t.Fatalf("ListAccounts=%d accounts, want 2", len(list.Accounts))
	}

	admin := newUser(t, srv, "admin", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	roleARN := "arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole"
	out, err := srv.STS(admin).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("ops")})
	fatalIf(t, err)
	inMember := fromSTS(out)
	id, err := srv.STS(inMember).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	fatalIf(t, err)
	if aws.ToString(id.Account) != member || aws.ToString(id.Arn) != "arn:aws:sts::"+member+":assumed-role/OrganizationAccountAccessRole/ops" {
		t.Fatalf("identity in member=%s %s", aws.ToString(id.Account), aws.ToString(id.Arn))
	}

	t.Run("AccountsAreIsolated", func(t *testing.T) {
		noErr(t)(srv.IAM(inMember).CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("member-only")}))
		_, err := srv.IAM(srv.Root).GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("member-only")})
		wantCode(t, err, "NoSuchEntity")
		users, err := srv.IAM(inMember).ListUsers(ctx, &awsiam.ListUsersInput{})
		fatalIf(t, err)
		if len(users.Users) != 1 || aws.ToString(users.Users[0].UserName) != "member-only" {
			t.Fatalf("member sees %v", users.Users)
		}
	})
	t.Run("MemberCannotManageTheOrganization", func(t *testing.T) {
		_, err := srv.Organizations(inMember).CreateAccount(ctx, &organizations.CreateAccountInput{Email: aws.String("x@example.com"), AccountName: aws.String("x")})
		wantCode(t, err, "AccessDeniedException")
	})
	t.Run("NoWayInWithoutTheRole", func(t *testing.T) {
		// A role in the member account that trusts only its own account.
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + member + `:root"},"Action":"sts:AssumeRole"}]}`
		noErr(t)(srv.IAM(inMember).CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("internal"), AssumeRolePolicyDocument: aws.String(trust)}))
		_, err := srv.STS(admin).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + member + ":role/internal"), RoleSessionName: aws.String("x1")})
		wantCode(t, err, "AccessDenied")
	})
}
