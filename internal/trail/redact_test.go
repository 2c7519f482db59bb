package trail_test

import (
	"strings"
	"testing"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// Secrets planted in the calls below; none may reach a record.
const (
	secretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	token     = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN"
	password  = "Sup3r-Secret-Passw0rd!"
)

func credentials(keyID string) string {
	return `{"AccessKeyId": "` + keyID + `", "SecretAccessKey": "` + secretKey + `", "SessionToken": "` + token +
		`", "Expiration": "2021-01-05T03:46:55Z"}`
}

// TestBuild_Redaction checks that secrets never appear in the JSON of a
// record, on success or failure, while the access key id stays.
func TestBuild_Redaction(t *testing.T) {
	for _, tt := range []struct {
		svc          *awsproto.Service
		op, body     string
		output       string
		wantKeyID    string
		wantInParams bool // the secret is in the request
	}{
		{iamSvc, "CreateAccessKey", "UserName=bob",
			`{"AccessKey": {"UserName": "bob", "AccessKeyId": "AKIAEXAMPLEBOB", "Status": "Active", "SecretAccessKey": "` + secretKey +
				`", "CreateDate": "2023-10-05T13:22:33Z"}}`, "AKIAEXAMPLEBOB", false},
		{stsSvc, "AssumeRole", "RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fci&RoleSessionName=s",
			`{"Credentials": ` + credentials("ASIAEXAMPLEROLE") + `, "AssumedRoleUser": {"AssumedRoleId": "AROAEXAMPLE:s", "Arn": "arn:aws:sts::111122223333:assumed-role/ci/s"}}`,
			"ASIAEXAMPLEROLE", false},
		{stsSvc, "GetSessionToken", "DurationSeconds=900&SerialNumber=arn%3Aaws%3Aiam%3A%3A111122223333%3Amfa%2Falice&TokenCode=123456",
			`{"Credentials": ` + credentials("ASIAEXAMPLESESS") + `}`, "ASIAEXAMPLESESS", false},
		{stsSvc, "GetFederationToken", "Name=bob&DurationSeconds=900",
			`{"Credentials": ` + credentials("ASIAEXAMPLEFED") + `, "FederatedUser": {"FederatedUserId": "111122223333:bob", "Arn": "arn:aws:sts::111122223333:federated-user/bob"}}`,
			"ASIAEXAMPLEFED", false},
		{iamSvc, "CreateLoginProfile", "UserName=bob&Password=" + password + "&PasswordResetRequired=true",
			`{"LoginProfile": {"UserName": "bob", "CreateDate": "2023-10-05T13:22:33Z", "PasswordResetRequired": true}}`, "", true},
		{iamSvc, "UpdateLoginProfile", "UserName=bob&Password=" + password, `{}`, "", true},
	} {
		// GetSessionToken and GetFederationToken are readOnly by name, so
		// their responses are not recorded; forcing readOnly off checks
		// that the credentials would be hidden if they were.
		for _, variant := range []string{"AsServed", "ResponseRecorded", "Failed"} {
			t.Run(tt.op+"/"+variant, func(t *testing.T) {
				in := input(t, tt.svc, tt.op, tt.body)
				in.Output = tree(t, tt.output)
				switch variant {
				case "ResponseRecorded":
					in.Op.ReadOnly = false
				case "Failed":
					in.Err = awserr.New("LimitExceeded", "Cannot exceed quota.")
				}
				e := trail.Build(in)
				record := string(mustMarshal(t, e))
				for _, secret := range []string{secretKey, token, password} {
					if strings.Contains(record, secret) {
						t.Errorf("record shows secret %q: %s", secret, record)
					}
				}
				wantHidden := tt.wantInParams || e.ResponseElements != nil
				if wantHidden != strings.Contains(record, trail.Hidden) {
					t.Errorf("record %s: contains %s=%v, want %v", record, trail.Hidden, !wantHidden, wantHidden)
				}
				if tt.wantKeyID != "" && e.ResponseElements != nil && !strings.Contains(record, `"accessKeyId":"`+tt.wantKeyID+`"`) {
					t.Errorf("record %s lacks accessKeyId %s", record, tt.wantKeyID)
				}
				if variant == "ResponseRecorded" && tt.output != "{}" && e.ResponseElements == nil {
					t.Errorf("responseElements=null, want the redacted response")
				}
			})
		}
	}
}
