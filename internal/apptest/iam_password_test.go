package apptest_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

// ChangePassword changes the calling user's own console password; root
// has none to change.
func TestChangePassword(t *testing.T) {
	srv := apptest.Start(t)
	root := srv.IAM(srv.Root)
	_, err := root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("alice")})
	fatalIf(t, err)
	_, err = root.CreateLoginProfile(ctx, &awsiam.CreateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("Old-Passw0rd"),
		PasswordResetRequired: true})
	fatalIf(t, err)
	_, err = root.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("alice"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMUserChangePassword")})
	fatalIf(t, err)
	key, err := root.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("alice")})
	fatalIf(t, err)
	alice := srv.IAM(apptest.Creds{AccessKeyID: aws.ToString(key.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(key.AccessKey.SecretAccessKey)})
	_, err = alice.ChangePassword(ctx, &awsiam.ChangePasswordInput{OldPassword: aws.String("Old-Passw0rd"), NewPassword: aws.String("New-Passw0rd")})
	fatalIf(t, err)
	lp, err := root.GetLoginProfile(ctx, &awsiam.GetLoginProfileInput{UserName: aws.String("alice")})
	fatalIf(t, err)
	if lp.LoginProfile.PasswordResetRequired {
		t.Error("PasswordResetRequired still set after ChangePassword")
	}
	_, err = alice.ChangePassword(ctx, &awsiam.ChangePasswordInput{OldPassword: aws.String("Old-Passw0rd"), NewPassword: aws.String("Other-Passw0rd")})
	wantCode(t, err, "InvalidUserType")
	_, err = root.ChangePassword(ctx, &awsiam.ChangePasswordInput{OldPassword: aws.String("x"), NewPassword: aws.String("Other-Passw0rd")})
	wantCode(t, err, "InvalidUserType")
}
