package apptest_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/deploytrail/deploytrail/internal/apptest"
	"github.com/deploytrail/deploytrail/internal/sigv4"
)

// rawCall sends a request signed (or not) by hand and returns the status,
// the error code and the request id header.
type rawResult struct {
	status    int
	code      string
	requestID string
	body      string
}

func rawQuery(t *testing.T, srv *apptest.Server, creds *apptest.Creds, service, form string, at time.Time) rawResult {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+"/", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	return send(t, req, []byte(form), creds, service, at)
}

func rawJSON(t *testing.T, srv *apptest.Server, creds *apptest.Creds, target, body string, at time.Time) rawResult {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	return send(t, req, []byte(body), creds, "organizations", at)
}

func send(t *testing.T, req *http.Request, body []byte, creds *apptest.Creds, service string, at time.Time) rawResult {
	t.Helper()
	if creds != nil {
		c := sigv4.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey, SessionToken: creds.SessionToken}
		if err := sigv4.Sign(req, body, c, apptest.Region, service, at); err != nil {
			t.Fatalf("sign: %v", err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	res := rawResult{status: resp.StatusCode, requestID: resp.Header.Get("X-Amzn-Requestid"), body: string(raw)}
	if resp.Header.Get("Content-Type") == "text/xml" {
		var doc struct {
			Error struct{ Code string } `xml:"Error"`
		}
		xml.Unmarshal(raw, &doc)
		res.code = doc.Error.Code
	} else {
		var doc struct {
			Type string `json:"__type"`
		}
		json.Unmarshal(raw, &doc)
		res.code = doc.Type
	}
	return res
}

func TestAuthenticationErrors(t *testing.T) {
	srv := apptest.Start(t)
	root := srv.Root
	wrongSecret := apptest.Creds{AccessKeyID: root.AccessKeyID, SecretAccessKey: "not-the-secret-not-the-secret-not-the-se"}
	unknown := apptest.Creds{AccessKeyID: "AKIAAAAAAAAAAAAAAAAA", SecretAccessKey: root.SecretAccessKey}
	listUsers := "Action=ListUsers&Version=2010-05-08"
	const listAccounts = "AWSOrganizationsV20161128.ListAccounts"
	now := time.Now()
	tests := []struct {
		name       string
		res        rawResult
		wantStatus int
		wantCode   string
	}{
		{"QueryMissing", rawQuery(t, srv, nil, "iam", listUsers, now), 403, "MissingAuthenticationToken"},
		{"JSONMissing", rawJSON(t, srv, nil, listAccounts, "{}", now), 403, "MissingAuthenticationTokenException"},
		{"QueryBadSignature", rawQuery(t, srv, &wrongSecret, "iam", listUsers, now), 403, "SignatureDoesNotMatch"},
		{"JSONBadSignature", rawJSON(t, srv, &wrongSecret, listAccounts, "{}", now), 403, "InvalidSignatureException"},
		{"QueryUnknownKey", rawQuery(t, srv, &unknown, "iam", listUsers, now), 403, "InvalidClientTokenId"},
		{"JSONUnknownKey", rawJSON(t, srv, &unknown, listAccounts, "{}", now), 403, "UnrecognizedClientException"},
		{"QuerySkew", rawQuery(t, srv, &root, "iam", listUsers, now.Add(-20*time.Minute)), 403, "RequestExpired"},
		{"JSONSkew", rawJSON(t, srv, &root, listAccounts, "{}", now.Add(20*time.Minute)), 403, "InvalidSignatureException"},
		{"QueryWrongServiceScope", rawQuery(t, srv, &root, "codecommit", listUsers, now), 400, "InvalidAction"},
		{"QueryUnknownAction", rawQuery(t, srv, &root, "iam", "Action=Bogus&Version=2010-05-08", now), 400, "InvalidAction"},
		{"JSONUnknownOperation", rawJSON(t, srv, &root, "AWSOrganizationsV20161128.Bogus", "{}", now), 400, "UnknownOperationException"},
		{"JSONMalformedBody", rawJSON(t, srv, &root, listAccounts, "{not json", now), 400, "SerializationException"},
		{"JSONWrongType", rawJSON(t, srv, &root, listAccounts, `{"MaxResults":"ten"}`, now), 400, "SerializationException"},
		{"QueryBadInteger", rawQuery(t, srv, &root, "iam", listUsers+"&MaxItems=ten", now), 400, "ValidationError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.res.status != tt.wantStatus || tt.res.code != tt.wantCode {
				t.Fatalf("got %d %s, want %d %s (%s)", tt.res.status, tt.res.code, tt.wantStatus, tt.wantCode, tt.res.body)
			}
			if len(tt.res.requestID) != 36 {
				t.Fatalf("x-amzn-RequestId=%q, want a UUID", tt.res.requestID)
			}
		})
	}
	if strings.Contains(srv.Logs(), root.SecretAccessKey) {
		t.Fatalf("the root secret reached the log")
	}
}

func TestQueryResponseCarriesRequestID(t *testing.T) {
	srv := apptest.Start(t)
	res := rawQuery(t, srv, &srv.Root, "sts", "Action=GetCallerIdentity&Version=2011-06-15", time.Now())
	if res.status != 200 || !strings.Contains(res.body, "<RequestId>"+res.requestID+"</RequestId>") ||
		!strings.Contains(res.body, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">`) {
		t.Fatalf("response %d: %s", res.status, res.body)
	}
}

func TestOversizedBody(t *testing.T) {
	srv := apptest.Start(t)
	big := "Action=ListUsers&Version=2010-05-08&Pad=" + strings.Repeat("x", 5<<20)
	res := rawQuery(t, srv, &srv.Root, "iam", big, time.Now())
	if res.status != http.StatusRequestEntityTooLarge || res.code != "RequestEntityTooLarge" {
		t.Fatalf("got %d %s", res.status, res.code)
	}
}

func TestHealth(t *testing.T) {
	srv := apptest.Start(t)
	resp, err := http.Get(srv.URL + "/_deploytrail/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("health=%d, want 200", resp.StatusCode)
	}
}

func TestPresignedGetCallerIdentity(t *testing.T) {
	srv := apptest.Start(t)
	presigner := sts.NewPresignClient(srv.STS(srv.Root))
	req, err := presigner.PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	fatalIf(t, err)
	httpReq, _ := http.NewRequest(req.Method, req.URL, bytes.NewReader(nil))
	for k, v := range req.SignedHeader {
		httpReq.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(httpReq)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), ":root</Arn>") {
		t.Fatalf("presigned GetCallerIdentity=%d %s", resp.StatusCode, body)
	}
}

func TestRestartKeepsState(t *testing.T) {
	dir := t.TempDir()
	srv := apptest.StartIn(t, dir)
	root, acct := srv.Root, srv.Account()
	alice := newUser(t, srv, "alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`)
	srv.Stop()

	again := apptest.StartIn(t, dir)
	if again.Account() != acct || again.App.Root.Created {
		t.Fatalf("restart: account %s (created=%v), want %s kept", again.Account(), again.App.Root.Created, acct)
	}
	id, err := again.STS(root).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	fatalIf(t, err)
	if aws.ToString(id.Account) != acct {
		t.Fatalf("root after restart is in %s", aws.ToString(id.Account))
	}
	out, err := again.IAM(alice).ListUsers(ctx, &awsiam.ListUsersInput{})
	fatalIf(t, err)
	if len(out.Users) != 1 {
		t.Fatalf("users after restart=%d, want 1", len(out.Users))
	}
}
