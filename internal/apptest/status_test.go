package apptest_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/deploytrail/deploytrail/internal/apptest"
	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/awsproto/models"
	"github.com/deploytrail/deploytrail/internal/server"
)

// modelErrors reads the error codes and HTTP statuses a service's model
// (botocore's, trimmed) declares, straight from the embedded file; a code
// without a status is 400, as the SDKs assume.
func modelErrors(t *testing.T, service string) map[string]int {
	t.Helper()
	raw, err := models.FS.ReadFile(service + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Shapes map[string]struct {
			Exception bool
			Error     struct {
				Code           string
				HTTPStatusCode int
			}
		}
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for name, s := range m.Shapes {
		if !s.Exception {
			continue
		}
		code, status := name, s.Error.HTTPStatusCode
		if s.Error.Code != "" {
			code = s.Error.Code
		}
		if status == 0 {
			status = http.StatusBadRequest
		}
		out[code] = status
	}
	return out
}

// TestErrorStatusFollowsModels walks every modelled error of every service
// and checks the status it is answered with, then AWS's common errors,
// which no model declares.
func TestErrorStatusFollowsModels(t *testing.T) {
	srv := apptest.Start(t)
	services := srv.App.Server.Services()
	if len(services) != 8 { // IAM, STS, Organizations, CodeDeploy, CloudTrail, SNS and the two command services
		t.Fatalf("%d services, want 8", len(services))
	}
	for _, svc := range services {
		t.Run(svc.Name, func(t *testing.T) {
			errs := modelErrors(t, svc.Name)
			if len(errs) == 0 {
				t.Fatalf("the %s model declares no errors", svc.Name)
			}
			for code, want := range errs {
				if svc.Name == "sts" && code == "ExpiredTokenException" {
					// AWS answers an expired session token with the
					// common error ExpiredToken (403), not the modelled code.
					continue
				}
				gotCode, got := server.ErrorResponse(svc, awserr.New(code, "m"))
				if gotCode != code || got != want {
					t.Errorf("%s: answered %s %d, want %s %d", code, gotCode, got, code, want)
				}
			}
			for _, tt := range commonErrors(svc) {
				gotCode, got := server.ErrorResponse(svc, tt.err)
				if gotCode != tt.wantCode || got != tt.wantStatus {
					t.Errorf("%v: answered %s %d, want %s %d", tt.err, gotCode, got, tt.wantCode, tt.wantStatus)
				}
			}
		})
	}
}

type commonError struct {
	err        error
	wantCode   string
	wantStatus int
}

// commonErrors is AWS's answer to the errors every service shares, in the
// service's protocol: IAM, STS and SNS deny with 403, JSON services with
// 400 AccessDeniedException.
func commonErrors(svc *awsproto.Service) []commonError {
	internal := commonError{errors.New("a bug"), awserr.CodeInternalFailure, 500}
	if svc.Protocol == awsproto.JSON {
		return []commonError{
			{awserr.New(awserr.CodeAccessDenied, "m"), "AccessDeniedException", 400},
			{awserr.New(awserr.CodeThrottling, "m"), "ThrottlingException", 400},
			{awserr.New("IncompleteSignatureException", "m"), "IncompleteSignatureException", 400},
			internal,
		}
	}
	denied := "AccessDenied"
	if svc.Name == "sns" {
		denied = "AuthorizationError"
	}
	return []commonError{
		{awserr.New(awserr.CodeAccessDenied, "m"), denied, 403},
		{awserr.New(awserr.CodeThrottling, "m"), "Throttling", 400},
		{awserr.New("IncompleteSignature", "m"), "IncompleteSignature", 400},
		internal,
	}
}

// TestAccessDeniedStatus: a user without permissions is refused by every
// service with AWS's code and status, as the SDKs see them.
func TestAccessDeniedStatus(t *testing.T) {
	srv := apptest.Start(t)
	nobody := newUser(t, srv, "nobody", "")
	tests := []struct {
		name       string
		call       func() error
		wantCode   string
		wantStatus int
	}{
		{"iam", func() error { _, err := srv.IAM(nobody).ListUsers(ctx, &awsiam.ListUsersInput{}); return err }, "AccessDenied", 403},
		{"sts", func() error {
			_, err := srv.STS(nobody).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + srv.Account() + ":role/r"), RoleSessionName: aws.String("session")})
			return err
		}, "AccessDenied", 403},
		{"sns", func() error { _, err := srv.SNS(nobody).ListTopics(ctx, &sns.ListTopicsInput{}); return err }, "AuthorizationError", 403},
		{"codedeploy", func() error {
			_, err := srv.CodeDeploy(nobody).ListApplications(ctx, &codedeploy.ListApplicationsInput{})
			return err
		}, "AccessDeniedException", 400},
		{"cloudtrail", func() error {
			_, err := srv.CloudTrail(nobody).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
			return err
		}, "AccessDeniedException", 400},
		{"organizations", func() error {
			_, err := srv.Organizations(nobody).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
			return err
		}, "AccessDeniedException", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			wantCode(t, err, tt.wantCode)
			var re *awshttp.ResponseError
			if !errors.As(err, &re) || re.HTTPStatusCode() != tt.wantStatus {
				t.Fatalf("status=%v, want %d", err, tt.wantStatus)
			}
		})
	}
}

// TestIncompleteSignatureStatus: a malformed Authorization header is a bad
// request (400), not a refused one, in both protocols.
func TestIncompleteSignatureStatus(t *testing.T) {
	srv := apptest.Start(t)
	for _, tt := range []struct{ target, wantCode string }{
		{"", "IncompleteSignature"},
		{"CodeDeploy_20141006.ListApplications", "IncompleteSignatureException"},
	} {
		req, _ := http.NewRequest("POST", srv.URL+"/", strings.NewReader("Action=ListUsers&Version=2010-05-08"))
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=garbage")
		if tt.target != "" {
			req.Header.Set("X-Amz-Target", tt.target)
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		}
		res := send(t, req, nil, nil, "", time.Now())
		if res.status != http.StatusBadRequest || res.code != tt.wantCode {
			t.Errorf("%q: got %d %s, want 400 %s", tt.target, res.status, res.code, tt.wantCode)
		}
	}
}
