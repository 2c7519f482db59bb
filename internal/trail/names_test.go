package trail_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// TestBuild_AWSNames pins whole records of the calls issue 11 names, as
// AWS writes them: CloudTrail's and Organizations' members in lowerCamel
// (requestParameters.name of StopLogging is what "trail stopped"
// detections key on), and the credentials STS's GetSessionToken and
// GetFederationToken issued, their secrets hidden.
func TestBuild_AWSNames(t *testing.T) {
	for _, tt := range []struct {
		name     string
		svc      *awsproto.Service
		op, body string
		output   string
	}{
		{"StopLogging", cloudtrailSvc, "StopLogging", `{"Name": "main"}`, `{}`},
		{"DeleteTrail", cloudtrailSvc, "DeleteTrail", `{"Name": "arn:aws:cloudtrail:eu-west-1:111122223333:trail/main"}`, `{}`},
		{"GetTrailStatus", cloudtrailSvc, "GetTrailStatus", `{"Name": "main"}`, `{"IsLogging": true}`},
		{"CreateTrail", cloudtrailSvc, "CreateTrail",
			`{"Name": "main", "S3BucketName": "logs", "S3KeyPrefix": "p", "IsMultiRegionTrail": true, "EnableLogFileValidation": true}`,
			`{"Name": "main", "S3BucketName": "logs", "S3KeyPrefix": "p", "IncludeGlobalServiceEvents": true, "IsMultiRegionTrail": true,
			  "TrailARN": "arn:aws:cloudtrail:eu-west-1:111122223333:trail/main", "LogFileValidationEnabled": true, "IsOrganizationTrail": false}`},
		{"LookupEvents", cloudtrailSvc, "LookupEvents", `{"MaxResults": 50}`, `{"Events": []}`},
		{"CreateAccount", orgsSvc, "CreateAccount", `{"Email": "ops@example.com", "AccountName": "ops"}`,
			`{"CreateAccountStatus": {"Id": "car-0123456789abcdef0123456789abcdef", "AccountName": "ops", "State": "SUCCEEDED",
			  "RequestedTimestamp": "2025-01-02T03:04:05Z", "CompletedTimestamp": "2025-01-02T03:04:05Z", "AccountId": "444455556666"}}`},
		{"GetSessionToken", stsSvc, "GetSessionToken", "DurationSeconds=900",
			`{"Credentials": {"AccessKeyId": "ASIAEXAMPLEEXAMPLE12", "SecretAccessKey": "wJalrXUtnFEMI", "SessionToken": "FwoGZXIvYXdz", "Expiration": "2025-01-02T03:19:05Z"}}`},
		{"GetFederationToken", stsSvc, "GetFederationToken", "Name=bob&DurationSeconds=900",
			`{"Credentials": {"AccessKeyId": "ASIAEXAMPLEEXAMPLE34", "SecretAccessKey": "wJalrXUtnFEMI", "SessionToken": "FwoGZXIvYXdz", "Expiration": "2025-01-02T03:19:05Z"},
			  "FederatedUser": {"FederatedUserId": "111122223333:bob", "Arn": "arn:aws:sts::111122223333:federated-user/bob"}, "PackedPolicySize": 0}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := input(t, tt.svc, tt.op, tt.body)
			in.Output = tree(t, tt.output)
			got := mustMarshal(t, trail.Build(in))
			checkKeyOrder(t, got)
			checkGolden(t, filepath.Join("testdata", "names-"+tt.name+".golden.json"), got)
			for _, secret := range []string{"wJalrXUtnFEMI", "FwoGZXIvYXdz"} {
				if bytes.Contains(got, []byte(secret)) {
					t.Errorf("record shows a secret: %s", got)
				}
			}
		})
	}
}

// checkGolden compares got with the golden file, rewriting it with -update.
func checkGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
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
}
