package trail_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// TestBuild_Elements checks how requestParameters and responseElements
// render: lowerCamel names for every service but CodeDeploy, which keeps
// its model's (names.go), Java-style dates, secrets hidden, and the
// credentials STS's Get*Token calls issued.
func TestBuild_Elements(t *testing.T) {
	for _, tt := range []struct {
		name, op, body, output string
		svc                    *awsproto.Service // CodeDeploy when nil
		wantParams, wantResp   string
	}{
		{name: "IAMCreateUser", svc: iamSvc, op: "CreateUser",
			body:       "UserName=bob&Path=%2F&Tags.member.1.Key=team&Tags.member.1.Value=core&Tags.member.2.Key=env&Tags.member.2.Value=prod",
			output:     `{"User": {"Path": "/", "UserName": "bob", "UserId": "AIDAEXAMPLEBOB", "Arn": "arn:aws:iam::111122223333:user/bob", "CreateDate": "2023-10-05T13:22:33Z", "Internal": "x"}}`,
			wantParams: `{"userName":"bob","path":"/","tags":[{"key":"team","value":"core"},{"key":"env","value":"prod"}]}`,
			wantResp:   `{"user":{"path":"/","userName":"bob","userId":"AIDAEXAMPLEBOB","arn":"arn:aws:iam::111122223333:user/bob","createDate":"Oct 5, 2023, 1:22:33 PM"}}`},
		{name: "IAMPutUserPolicy", svc: iamSvc, op: "PutUserPolicy",
			body:       "UserName=bob&PolicyName=p&PolicyDocument=%7B%22Version%22%3A%222012-10-17%22%7D",
			wantParams: `{"userName":"bob","policyName":"p","policyDocument":"{\"Version\":\"2012-10-17\"}"}`,
			wantResp:   `null`},
		{name: "STSAssumeRole", svc: stsSvc, op: "AssumeRole",
			body: "RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fci&RoleSessionName=s&DurationSeconds=3600",
			output: `{"Credentials": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "wJalr", "SessionToken": "FwoG", "Expiration": "2021-01-05T03:46:55Z"},
				"AssumedRoleUser": {"AssumedRoleId": "AROAEXAMPLE:s", "Arn": "arn:aws:sts::111122223333:assumed-role/ci/s"}}`,
			wantParams: `{"roleArn":"arn:aws:iam::111122223333:role/ci","roleSessionName":"s","durationSeconds":3600}`,
			wantResp: `{"credentials":{"accessKeyId":"ASIAEXAMPLE","secretAccessKey":"HIDDEN_DUE_TO_SECURITY_REASONS","sessionToken":"HIDDEN_DUE_TO_SECURITY_REASONS","expiration":"Jan 5, 2021, 3:46:55 AM"},` +
				`"assumedRoleUser":{"assumedRoleId":"AROAEXAMPLE:s","arn":"arn:aws:sts::111122223333:assumed-role/ci/s"}}`},
		{name: "CodeDeployPassthrough", op: "CreateApplication",
			body:       `{"applicationName": "MyApp", "computePlatform": "Server", "tags": [{"Key": "team", "Value": "core"}]}`,
			output:     `{"applicationId": "a1b2"}`,
			wantParams: `{"applicationName":"MyApp","computePlatform":"Server","tags":[{"Key":"team","Value":"core"}]}`,
			wantResp:   `{"applicationId":"a1b2"}`},
		{name: "CodeDeployTimestamps", op: "ListDeployments",
			body:       `{"applicationName": "MyApp", "createTimeRange": {"start": 1696512153, "end": "2023-10-06T00:00:00Z"}}`,
			output:     `{"deployments": ["d-1"]}`,
			wantParams: `{"applicationName":"MyApp","createTimeRange":{"start":"Oct 5, 2023, 1:22:33 PM","end":"Oct 6, 2023, 12:00:00 AM"}}`,
			wantResp:   `null`}, // readOnly
		{name: "CodeDeployEmptyResponse", op: "DeleteApplication",
			body: `{"applicationName": "MyApp"}`, output: `{}`,
			wantParams: `{"applicationName":"MyApp"}`, wantResp: `null`},
		{name: "CodeDeployEmptyRequest", op: "ListApplications", body: `{}`, wantParams: `null`, wantResp: `null`},
		{name: "OrganizationsCreateAccount", svc: orgsSvc, op: "CreateAccount",
			body:       `{"Email": "a@example.com", "AccountName": "acct", "RoleName": "R", "Tags": [{"Key": "k", "Value": "v"}]}`,
			output:     `{"CreateAccountStatus": {"Id": "car-1", "AccountName": "acct", "State": "IN_PROGRESS", "RequestedTimestamp": "2023-10-05T13:22:33Z"}}`,
			wantParams: `{"email":"HIDDEN_DUE_TO_SECURITY_REASONS","accountName":"HIDDEN_DUE_TO_SECURITY_REASONS","roleName":"R","tags":[{"key":"k","value":"v"}]}`,
			wantResp:   `{"createAccountStatus":{"id":"car-1","accountName":"HIDDEN_DUE_TO_SECURITY_REASONS","state":"IN_PROGRESS","requestedTimestamp":"Oct 5, 2023, 1:22:33 PM"}}`},
		{name: "CloudTrailStopLogging", svc: cloudtrailSvc, op: "StopLogging",
			body: `{"Name": "main"}`, output: `{}`, wantParams: `{"name":"main"}`, wantResp: `null`},
		{name: "CloudTrailCreateTrail", svc: cloudtrailSvc, op: "CreateTrail",
			body: `{"Name": "main", "S3BucketName": "logs", "S3KeyPrefix": "p", "SnsTopicName": "t", "IsMultiRegionTrail": true,
				"IncludeGlobalServiceEvents": true, "EnableLogFileValidation": true, "KmsKeyId": "k", "IsOrganizationTrail": false,
				"CloudWatchLogsLogGroupArn": "arn:aws:logs:us-east-1:111122223333:log-group:g:*", "TagsList": [{"Key": "team", "Value": "sec"}]}`,
			output: `{"Name": "main", "S3BucketName": "logs", "S3KeyPrefix": "p", "SnsTopicName": "t", "SnsTopicARN": "arn:aws:sns:us-east-1:111122223333:t",
				"IncludeGlobalServiceEvents": true, "IsMultiRegionTrail": true, "TrailARN": "arn:aws:cloudtrail:us-east-1:111122223333:trail/main",
				"LogFileValidationEnabled": true, "KmsKeyId": "k", "IsOrganizationTrail": false}`,
			wantParams: `{"name":"main","s3BucketName":"logs","s3KeyPrefix":"p","snsTopicName":"t","isMultiRegionTrail":true,
				"includeGlobalServiceEvents":true,"enableLogFileValidation":true,"kmsKeyId":"k","isOrganizationTrail":false,
				"cloudWatchLogsLogGroupArn":"arn:aws:logs:us-east-1:111122223333:log-group:g:*","tagsList":[{"key":"team","value":"sec"}]}`,
			wantResp: `{"name":"main","s3BucketName":"logs","s3KeyPrefix":"p","snsTopicName":"t","snsTopicARN":"arn:aws:sns:us-east-1:111122223333:t",
				"includeGlobalServiceEvents":true,"isMultiRegionTrail":true,"trailARN":"arn:aws:cloudtrail:us-east-1:111122223333:trail/main",
				"logFileValidationEnabled":true,"kmsKeyId":"k","isOrganizationTrail":false}`},
		{name: "CloudTrailLookupEvents", svc: cloudtrailSvc, op: "LookupEvents",
			body:       `{"MaxResults": 5, "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "StopLogging"}], "StartTime": 1696512153}`,
			output:     `{"Events": []}`,
			wantParams: `{"maxResults":5,"lookupAttributes":[{"attributeKey":"EventName","attributeValue":"StopLogging"}],"startTime":"Oct 5, 2023, 1:22:33 PM"}`,
			wantResp:   `null`}, // readOnly
		{name: "STSGetSessionToken", svc: stsSvc, op: "GetSessionToken", body: "DurationSeconds=900",
			output:     `{"Credentials": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "wJalr", "SessionToken": "FwoG", "Expiration": "2023-06-13T20:25:13Z"}}`,
			wantParams: `{"durationSeconds":900}`,
			wantResp:   `{"credentials":{"accessKeyId":"ASIAEXAMPLE","secretAccessKey":"HIDDEN_DUE_TO_SECURITY_REASONS","sessionToken":"HIDDEN_DUE_TO_SECURITY_REASONS","expiration":"Jun 13, 2023, 8:25:13 PM"}}`},
		{name: "STSGetFederationToken", svc: stsSvc, op: "GetFederationToken", body: "Name=bob&Policy=%7B%7D",
			output: `{"Credentials": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "wJalr", "SessionToken": "FwoG", "Expiration": "2023-06-13T20:25:13Z"},
				"FederatedUser": {"FederatedUserId": "111122223333:bob", "Arn": "arn:aws:sts::111122223333:federated-user/bob"}, "PackedPolicySize": 1}`,
			wantParams: `{"name":"bob","policy":"{}"}`,
			wantResp: `{"credentials":{"accessKeyId":"ASIAEXAMPLE","secretAccessKey":"HIDDEN_DUE_TO_SECURITY_REASONS","sessionToken":"HIDDEN_DUE_TO_SECURITY_REASONS","expiration":"Jun 13, 2023, 8:25:13 PM"},` +
				`"federatedUser":{"federatedUserId":"111122223333:bob","arn":"arn:aws:sts::111122223333:federated-user/bob"},"packedPolicySize":1}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			svc := tt.svc
			if svc == nil {
				svc = codedeploySvc
			}
			in := input(t, svc, tt.op, tt.body)
			if tt.output != "" {
				in.Output = tree(t, tt.output)
			}
			e := trail.Build(in)
			checkJSON(t, "requestParameters", e.RequestParameters, tt.wantParams)
			checkJSON(t, "responseElements", e.ResponseElements, tt.wantResp)
		})
	}
}

// checkJSON compares v's JSON to want, ignoring key order.
func checkJSON(t *testing.T, field string, v any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %s: %v", want, err)
	}
	if diff := cmp.Diff(w, decoded(t, v)); diff != "" {
		t.Errorf("%s=%s (-want +got):\n%s", field, mustMarshal(t, v), diff)
	}
}

func TestBuild_Failure(t *testing.T) {
	denied := awserr.New(awserr.CodeAccessDenied, "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:CreateUser")
	for _, tt := range []struct {
		name     string
		err      error
		errCode  string
		wantCode string
		wantMsg  string
	}{
		{"ServiceError", awserr.New("EntityAlreadyExists", "User with name bob already exists."), "",
			"EntityAlreadyExists", "User with name bob already exists."},
		{"RenamedForQuery", denied, "AccessDenied", "AccessDenied", denied.Message},
		{"Internal", errors.New("open /var/lib/deploytrail/db: disk full"), "",
			awserr.CodeInternalFailure, awserr.Internal.Message},
		{"WrappedClientError", errors.Join(errors.New("context"), denied), "", awserr.CodeAccessDenied, denied.Message},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := input(t, iamSvc, "CreateUser", "UserName=bob")
			in.Output = tree(t, `{"User": {"UserName": "bob"}}`) // must not be recorded
			in.Err, in.ErrCode = tt.err, tt.errCode
			e := trail.Build(in)
			if e.ErrorCode != tt.wantCode || e.ErrorMessage != tt.wantMsg {
				t.Errorf("errorCode=%q errorMessage=%q, want %q %q", e.ErrorCode, e.ErrorMessage, tt.wantCode, tt.wantMsg)
			}
			checkJSON(t, "requestParameters", e.RequestParameters, `{"userName":"bob"}`)
			checkJSON(t, "responseElements", e.ResponseElements, `null`)
			if *e.ReadOnly {
				t.Errorf("readOnly=true, want false for a failed CreateUser")
			}
			if strings.Contains(string(mustMarshal(t, e)), "disk full") {
				t.Errorf("record shows the internal error")
			}
		})
	}
}

func TestBuild_Constants(t *testing.T) {
	in := input(t, codedeploySvc, "GetApplication", `{"applicationName": "MyApp"}`)
	in.Output = tree(t, `{"application": {"applicationName": "MyApp"}}`)
	in.Done = time.Date(2025, 1, 2, 4, 4, 5, 999_000_000, time.FixedZone("CET", 3600)) // whole seconds, in UTC
	e := trail.Build(in)
	for _, c := range []struct{ name, got, want string }{
		{"eventVersion", e.EventVersion, "1.11"},
		{"eventTime", e.EventTime, "2025-01-02T03:04:05Z"},
		{"eventSource", e.EventSource, "codedeploy.amazonaws.com"},
		{"eventName", e.EventName, "GetApplication"},
		{"awsRegion", e.AWSRegion, "eu-west-1"},
		{"requestID", e.RequestID, "req-1"},
		{"eventType", e.EventType, "AwsApiCall"},
		{"eventCategory", e.EventCategory, "Management"},
		{"recipientAccountId", e.RecipientAccountID, "111122223333"},
	} {
		if c.got != c.want {
			t.Errorf("%s=%q, want %q", c.name, c.got, c.want)
		}
	}
	if !*e.ReadOnly || !*e.ManagementEvent || e.ResponseElements != nil || e.Resources != nil {
		t.Errorf("readOnly=%v managementEvent=%v responseElements=%v resources=%v, want true true nil nil",
			*e.ReadOnly, *e.ManagementEvent, e.ResponseElements, e.Resources)
	}
	if e.ErrorCode != "" || e.TLSDetails != nil {
		t.Errorf("errorCode=%q tlsDetails=%v, want none", e.ErrorCode, e.TLSDetails)
	}
}

// TestBuild_GlobalRegion checks that IAM, STS and Organizations record in
// us-east-1 whatever region the caller signed for.
func TestBuild_GlobalRegion(t *testing.T) {
	for _, in := range []trail.Input{
		input(t, iamSvc, "GetUser", "UserName=bob"),
		input(t, stsSvc, "GetCallerIdentity", ""),
		input(t, orgsSvc, "DescribeOrganization", "{}"),
	} {
		if got := trail.Build(in).AWSRegion; got != "us-east-1" {
			t.Errorf("%s: awsRegion=%q, want us-east-1", in.Op.Name, got)
		}
	}
}

func TestBuild_Truncate(t *testing.T) {
	in := input(t, codedeploySvc, "GetApplication", `{"applicationName": "MyApp"}`)
	in.Call.UserAgent = strings.Repeat("a", 2000)
	in.Call.RequestID = strings.Repeat("r", 1025)
	in.Err = awserr.New("InvalidApplicationNameException", "x"+strings.Repeat("é", 1000)) // 2001 bytes
	in.ErrCode = strings.Repeat("C", 1500)
	e := trail.Build(in)
	for _, f := range []struct{ name, got string }{
		{"userAgent", e.UserAgent}, {"requestID", e.RequestID}, {"errorCode", e.ErrorCode}, {"errorMessage", e.ErrorMessage},
	} {
		if len(f.got) > 1024 || len(f.got) < 1023 || !utf8.ValidString(f.got) {
			t.Errorf("%s: %d bytes (valid UTF-8 %v), want 1023–1024 valid", f.name, len(f.got), utf8.ValidString(f.got))
		}
	}
	short := input(t, codedeploySvc, "GetApplication", `{}`)
	short.Call.UserAgent = strings.Repeat("a", 1024)
	if got := trail.Build(short).UserAgent; len(got) != 1024 {
		t.Errorf("userAgent of 1024 bytes: %d, want kept whole", len(got))
	}
}

// TestBuild_SizeLimit checks that requestParameters over 100 KB of JSON
// are omitted, and just under are kept.
func TestBuild_SizeLimit(t *testing.T) {
	for _, tt := range []struct {
		name string
		doc  string
		keep bool
	}{
		{"Over", strings.Repeat("a", 100<<10), false},
		{"Escaped", strings.Repeat("<", 20<<10), false}, // 20 KB of raw text, 120 KB as \u003c
		{"Under", strings.Repeat("a", 99<<10), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := input(t, iamSvc, "PutUserPolicy", "UserName=bob&PolicyName=p")
			in.Params["PolicyDocument"] = tt.doc
			e := trail.Build(in)
			if got := e.RequestParameters != nil; got != tt.keep {
				t.Errorf("requestParameters kept=%v, want %v", got, tt.keep)
			}
			if n := len(mustMarshal(t, e.RequestParameters)); n > 100<<10 {
				t.Errorf("requestParameters is %d bytes, want at most 100 KB", n)
			}
		})
	}
}

func TestBuild_UndecodableBody(t *testing.T) {
	in := input(t, codedeploySvc, "CreateApplication", `{}`)
	in.Params = nil
	in.Err = awserr.New(awserr.CodeSerialization, "The request body is not valid JSON.")
	e := trail.Build(in)
	b := mustMarshal(t, e)
	if !strings.Contains(string(b), `"requestParameters":null,"responseElements":null`) {
		t.Errorf("record %s, want null requestParameters and responseElements", b)
	}
}

func TestNewEventID(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := trail.NewEventID()
		if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[14] != '4' || id[18] != '-' || id[23] != '-' ||
			!strings.ContainsRune("89ab", rune(id[19])) {
			t.Fatalf("NewEventID()=%q, want a version 4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("NewEventID()=%q twice", id)
		}
		seen[id] = true
	}
}
