package apptest_test

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

var ctx = context.Background()

// apiError returns the AWS error code and message of err.
func apiError(tb testing.TB, err error) (code, message string) {
	tb.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		tb.Fatalf("err=%v, want an AWS API error", err)
	}
	return ae.ErrorCode(), ae.ErrorMessage()
}

// wantCode fails unless err is an AWS error with code.
func wantCode(tb testing.TB, err error, code string) string {
	tb.Helper()
	if err == nil {
		tb.Fatalf("err=nil, want %s", code)
	}
	got, msg := apiError(tb, err)
	if got != code {
		tb.Fatalf("code=%s (%s), want %s", got, msg, code)
	}
	return msg
}

// noErr fails the test if a call whose result is not needed fails:
// noErr(t)(client.Op(ctx, in)).
func noErr(tb testing.TB) func(any, error) {
	return func(_ any, err error) {
		tb.Helper()
		fatalIf(tb, err)
	}
}

func fatalIf(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("err=%v", err)
	}
}

// newUser creates a user with an inline policy and an access key.
func newUser(tb testing.TB, srv *apptest.Server, name, policy string) apptest.Creds {
	tb.Helper()
	c := srv.IAM(srv.Root)
	noErr(tb)(c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String(name)}))
	if policy != "" {
		noErr(tb)(c.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(policy)}))
	}
	k, err := c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String(name)})
	fatalIf(tb, err)
	return apptest.Creds{AccessKeyID: *k.AccessKey.AccessKeyId, SecretAccessKey: *k.AccessKey.SecretAccessKey}
}

func decodeDoc(tb testing.TB, s *string) string {
	tb.Helper()
	d, err := url.QueryUnescape(aws.ToString(s))
	if err != nil {
		tb.Fatalf("policy document %q is not URL-encoded: %v", aws.ToString(s), err)
	}
	return d
}
