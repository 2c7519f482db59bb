package awsproto

import (
	"fmt"
	"testing"
	"time"
)

func BenchmarkDecodeQuery(b *testing.B) {
	shape := inputOf(b, "iam", "CreateUser")
	form := mustForm(b, botoCreateUser)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeQuery(shape, form, "ValidationError"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeJSON(b *testing.B) {
	shape := inputOf(b, "organizations", "CreateAccount")
	body := []byte(`{"Email": "a@example.com", "AccountName": "acct", "RoleName": "OrganizationAccountAccessRole",
		"IamUserAccessToBilling": "ALLOW", "Tags": [{"Key": "team", "Value": "core"}, {"Key": "env", "Value": "prod"}]}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeJSON(shape, body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	shape := inputOf(b, "iam", "CreateUser")
	p, err := DecodeQuery(shape, mustForm(b, botoCreateUser), "ValidationError")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := Validate(shape, p, "ValidationError"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeQueryResponse encodes a full ListUsers page (100 users).
func BenchmarkEncodeQueryResponse(b *testing.B) {
	iam := MustLoadModel("iam")
	op := iam.Operations["ListUsers"]
	out := testListUsersOutput{IsTruncated: true, Marker: "AAEAAQ=="}
	for i := range 100 {
		out.Users = append(out.Users, testUser{
			Path:       "/",
			UserName:   fmt.Sprintf("user%03d", i),
			UserId:     fmt.Sprintf("AIDAEXAMPLE%09d", i),
			Arn:        fmt.Sprintf("arn:aws:iam::123456789012:user/user%03d", i),
			CreateDate: time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC),
			Tags:       []testTag{{"team", "core"}},
		})
	}
	tree := mustTree(b, out)
	b.ReportAllocs()
	for b.Loop() {
		body := EncodeQueryResponse(iam, op, tree, "b6f1c6a8-7d43-4ce5-9d44-3c2a5e7f0a11")
		b.SetBytes(int64(len(body)))
	}
}
