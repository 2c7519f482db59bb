package trail_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/trail"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fieldOrder is the key order of spec §2.2.
var fieldOrder = []string{
	"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
	"sourceIPAddress", "userAgent", "errorCode", "errorMessage", "requestParameters",
	"responseElements", "additionalEventData", "requestID", "eventID", "readOnly", "resources",
	"eventType", "apiVersion", "managementEvent", "recipientAccountId", "serviceEventDetails",
	"sharedEventID", "vpcEndpointId", "vpcEndpointAccountId", "eventCategory", "addendum",
	"sessionCredentialFromConsole", "edgeDeviceDetails", "tlsDetails", "eventContext",
	"insightDetails", "annotation",
}

// specCreateDeployment is the input behind spec §5.3's first record: an
// IAM user's CreateDeployment over TLS 1.3.
func specCreateDeployment(t *testing.T) trail.Input {
	in := input(t, codedeploySvc, "CreateDeployment", `{"applicationName": "MyApp", "deploymentGroupName": "MyDG",
		"revision": {"revisionType": "S3", "s3Location": {"bucket": "my-bucket", "key": "app.zip", "bundleType": "zip"}},
		"ignoreApplicationStopFailures": false, "updateOutdatedInstancesOnly": false}`)
	in.Call.RequestID = "b2220b1d-9a07-477f-b747-8bb1661a421f"
	in.Call.Region = "us-east-1"
	in.Call.UserAgent = "aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0 exe/x86_64 command/deploy.create-deployment"
	in.Call.TLS = &awsproto.TLSDetails{Version: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256",
		Host: "codedeploy.us-east-1.amazonaws.com"}
	in.Output = tree(t, `{"deploymentId": "d-4L9QHV1RX"}`)
	in.EventID = "e5bc95e4-4695-40dc-b4eb-14e1156f2a22"
	return in
}

// specDeniedDelete is the input behind spec §5.3's second record: an
// assumed-role session denied DeleteDeploymentGroup.
func specDeniedDelete(t *testing.T) trail.Input {
	in := input(t, codedeploySvc, "DeleteDeploymentGroup", `{"applicationName": "MyApp", "deploymentGroupName": "MyDG"}`)
	session := "arn:aws:sts::111122223333:assumed-role/ci-deployer/ci-session"
	in.Call.Principal = &awsproto.Principal{
		Type: awsproto.PrincipalAssumedRole, PrincipalID: "AROAIDPPEZS35WEXAMPLE:ci-session", ARN: session,
		AccountID: "111122223333", AccessKeyID: "ASIAIOSFODNN7EXAMPLE",
		Session: &awsproto.Session{
			CreationDate: time.Date(2025, 1, 2, 2, 58, 11, 0, time.UTC),
			Issuer: &awsproto.SessionIssuer{Type: "Role", PrincipalID: "AROAIDPPEZS35WEXAMPLE",
				ARN: "arn:aws:iam::111122223333:role/ci-deployer", AccountID: "111122223333", UserName: "ci-deployer"},
		},
	}
	in.Call.RequestID = "0f6e2c0a-6a11-4b7e-9f0e-3d3c2f1a9b77"
	in.Call.Region = "us-east-1"
	in.Call.SourceIP = "198.51.100.7"
	in.Call.UserAgent = "aws-sdk-go-v2/1.30.0 os/linux lang/go#1.22 md/GOOS#linux md/GOARCH#amd64 api/codedeploy#1.25.0"
	in.Call.TLS = &awsproto.TLSDetails{Version: "TLSv1.2", CipherSuite: "ECDHE-RSA-AES128-GCM-SHA256",
		Host: "codedeploy.us-east-1.amazonaws.com"}
	in.Err = awserr.New(awserr.CodeAccessDenied, "User: "+session+" is not authorized to perform: "+
		"codedeploy:DeleteDeploymentGroup on resource: arn:aws:codedeploy:us-east-1:111122223333:deploymentgroup:MyApp/MyDG "+
		"because no identity-based policy allows the codedeploy:DeleteDeploymentGroup action")
	in.ErrCode = awserr.CodeAccessDenied
	in.Done = time.Date(2025, 1, 2, 3, 4, 7, 0, time.UTC)
	in.EventID = "3b9a6c52-8f9d-4b8e-a3a4-5c7d1e2f3a4b"
	return in
}

// TestBuild_Spec reproduces the records of spec §5.3 field by field: the
// golden file pins our bytes, the spec's copy pins the content.
func TestBuild_Spec(t *testing.T) {
	for _, tt := range []struct {
		name  string
		input func(*testing.T) trail.Input
	}{
		{"CreateDeployment", specCreateDeployment},
		{"DeleteDeploymentGroup-denied", specDeniedDelete},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := mustMarshal(t, trail.Build(tt.input(t)))
			golden := filepath.Join("testdata", tt.name+".golden.json")
			if *update {
				if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, bytes.TrimSpace(want)) {
				t.Errorf("record differs from %s:\n got %s\nwant %s", golden, got, want)
			}
			spec, err := os.ReadFile(filepath.Join("testdata", "spec-"+tt.name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var specRecord any
			if err := json.Unmarshal(spec, &specRecord); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(specRecord, decoded(t, json.RawMessage(got))); diff != "" {
				t.Errorf("record differs from spec §5.3 (-spec +got):\n%s", diff)
			}
			checkKeyOrder(t, got)
			checkKeyOrder(t, spec) // the spec's own examples follow its table
		})
	}
}

// TestEvent_KeyOrder checks that every field, set, marshals in spec §2.2
// order.
func TestEvent_KeyOrder(t *testing.T) {
	e := trail.Build(specCreateDeployment(t))
	e.ErrorCode, e.ErrorMessage = "X", "y"
	e.AdditionalEventData = map[string]any{"k": "v"}
	e.Resources = []trail.Resource{{ARN: "arn:aws:codedeploy:us-east-1:111122223333:application:MyApp"}}
	e.ServiceEventDetails = map[string]any{"k": "v"}
	e.SharedEventID, e.VPCEndpointID, e.VPCEndpointAccountID = "s", "vpce-1", "111122223333"
	e.Addendum = &trail.Addendum{Reason: "DELIVERY_DELAY"}
	e.SessionCredentialFromConsole = "true"
	keys := checkKeyOrder(t, mustMarshal(t, e))
	if len(keys) != 28 {
		t.Errorf("keys=%d %v, want all 28 fields we model", len(keys), keys)
	}
}

// checkKeyOrder fails unless the top-level keys of a record follow spec
// §2.2, and returns them.
func checkKeyOrder(t *testing.T, record []byte) []string {
	t.Helper()
	rank := map[string]int{}
	for i, k := range fieldOrder {
		rank[k] = i + 1
	}
	dec := json.NewDecoder(bytes.NewReader(record))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	last := 0
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		key := tok.(string)
		keys = append(keys, key)
		if rank[key] <= last {
			t.Errorf("key %q out of spec §2.2 order (or unknown) in %v", key, keys)
		}
		last = rank[key]
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}
