package apptest_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

// logKey is spec §7.1's log file key under the bucket directory.
var logKey = regexp.MustCompile(`^AWSLogs/\d{12}/CloudTrail/us-east-1/\d{4}/\d{2}/\d{2}/\d{12}_CloudTrail_us-east-1_\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$`)

func TestDelivery(t *testing.T) {
	srv := apptest.Start(t, apptest.WithDeliveryInterval(time.Second))
	createBucket(t, srv, trailBucket)
	ct := srv.CloudTrail(srv.Root)
	createTrail(t, ct, "main", false)
	want := map[string]string{} // requestID → eventName
	sent := func(name string, md middleware.Metadata) {
		t.Helper()
		id, ok := awsmw.GetRequestIDMetadata(md)
		if !ok {
			t.Fatalf("%s: no request id", name)
		}
		want[id] = name
	}
	started, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")})
	fatalIf(t, err)
	sent("StartLogging", started.ResultMetadata)
	app, err := srv.CodeDeploy(srv.Root).CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("web")})
	fatalIf(t, err)
	sent("CreateApplication", app.ResultMetadata)
	list, err := srv.CodeDeploy(srv.Root).ListApplications(ctx, &codedeploy.ListApplicationsInput{})
	fatalIf(t, err)
	sent("ListApplications", list.ResultMetadata)
	user, err := srv.IAM(srv.Root).CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("alice")})
	fatalIf(t, err)
	sent("CreateUser", user.ResultMetadata)
	who, err := srv.STS(srv.Root).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	fatalIf(t, err)
	sent("GetCallerIdentity", who.ResultMetadata)

	var got map[string][]string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		got = deliveredRequests(t, srv)
		if len(got) >= len(want) {
			break
		}
	}
	for id, name := range want {
		if names := got[id]; len(names) != 1 || names[0] != name {
			t.Errorf("request %s (%s) delivered as %v, want once", id, name, names)
		}
	}
	checkEncryptedAtRest(t, srv)
	// The files are written before the delivery is marked done, so the
	// status may trail them by a moment.
	var st *cloudtrail.GetTrailStatusOutput
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		st, err = ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("main")})
		fatalIf(t, err)
		if st.LatestDeliveryTime != nil || time.Now().After(deadline) {
			break
		}
	}
	if st.LatestDeliveryTime == nil || aws.ToString(st.LatestDeliveryError) != "" || aws.ToString(st.LatestDeliveryAttemptTime) == "" {
		t.Errorf("status: LatestDeliveryTime=%v LatestDeliveryError=%q LatestDeliveryAttemptTime=%q, want a delivery",
			st.LatestDeliveryTime, aws.ToString(st.LatestDeliveryError), aws.ToString(st.LatestDeliveryAttemptTime))
	}
}

// deliveredRequests reads every log file of the trail bucket and returns
// the eventNames delivered per requestID.
func deliveredRequests(tb testing.TB, srv *apptest.Server) map[string][]string {
	tb.Helper()
	got := map[string][]string{}
	eachDeliveredFile(tb, srv, func(key string, body []byte) {
		if !logKey.MatchString(key) {
			tb.Errorf("unexpected key %s", key)
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		fatalIf(tb, err)
		zr.Multistream(false)
		plain, err := io.ReadAll(zr)
		fatalIf(tb, err)
		var doc struct {
			Records []struct {
				RequestID string `json:"requestID"`
				EventName string `json:"eventName"`
			}
		}
		fatalIf(tb, json.Unmarshal(plain, &doc))
		for _, r := range doc.Records {
			got[r.RequestID] = append(got[r.RequestID], r.EventName)
		}
	})
	return got
}

// checkEncryptedAtRest: the files the delivered logs are kept in are not
// the log files (gzip) but their ciphertext.
func checkEncryptedAtRest(tb testing.TB, srv *apptest.Server) {
	tb.Helper()
	checked := 0
	eachDeliveredFile(tb, srv, func(key string, body []byte) {
		raw, err := os.ReadFile(filepath.Join(srv.Data, "buckets", trailBucket, filepath.FromSlash(key)))
		fatalIf(tb, err)
		if bytes.HasPrefix(raw, []byte{0x1f, 0x8b}) || bytes.Contains(raw, body) || len(raw) <= len(body) {
			tb.Errorf("%s: the file on disk (%d bytes) holds the log file (%d bytes) in the clear", key, len(raw), len(body))
		}
		checked++
	})
	if checked == 0 {
		tb.Errorf("no delivered file to check")
	}
}
