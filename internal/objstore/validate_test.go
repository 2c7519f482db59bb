package objstore_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrail/deploytrail/internal/objstore"
)

func TestValidateBucketName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"my-bucket", true},
		{"abc", true},
		{"logs.example.com", true},
		{"a1-b2.c3", true},
		{strings.Repeat("a", 63), true},
		{"ab", false},
		{strings.Repeat("a", 64), false},
		{"My-Bucket", false},
		{"my_bucket", false},
		{"-bucket", false},
		{"bucket-", false},
		{".bucket", false},
		{"my..bucket", false},
		{"192.168.5.4", false},
		{"xn--bucket", false},
		{"sthree-bucket", false},
		{"bucket-s3alias", false},
		{"bucket--ol-s3", false},
		{"", false},
		{"../etc", false},
		{"a/b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := objstore.ValidateBucketName(tt.name)
			if got := err == nil; got != tt.ok {
				t.Fatalf("ValidateBucketName(%q)=%v, want ok=%v", tt.name, err, tt.ok)
			}
			if err != nil && !errors.Is(err, objstore.ErrInvalidBucketName) {
				t.Fatalf("err=%v, want ErrInvalidBucketName", err)
			}
		})
	}
}

func TestValidateKey(t *testing.T) {
	tests := []struct {
		key string
		ok  bool
	}{
		{"a", true},
		{"AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/23/111122223333_CloudTrail_us-east-1_20261123T0105Z_Mu0KsOhtH1ar15ZZ.json.gz", true},
		{"dir/.hidden", true},
		{"a..b", true},
		{"", false},
		{"/a", false},
		{"a/", false},
		{"a//b", false},
		{"..", false},
		{"../a", false},
		{"a/../b", false},
		{"a/./b", false},
		{"a\x00b", false},
		{"\xff", false},
		{strings.Repeat("k", objstore.MaxKeyLen+1), false},
	}
	for _, tt := range tests {
		err := objstore.ValidateKey(tt.key)
		if got := err == nil; got != tt.ok {
			t.Errorf("ValidateKey(%q)=%v, want ok=%v", tt.key, err, tt.ok)
		}
		if err != nil && !errors.Is(err, objstore.ErrInvalidKey) {
			t.Errorf("ValidateKey(%q)=%v, want ErrInvalidKey", tt.key, err)
		}
	}
}

func TestNormalizePut(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		in := objstore.PutOptions{
			ContentType: "application/json",
			Metadata:    map[string]string{"Signature": "ab12", "signature-algorithm": "SHA256withRSA"},
		}
		got, err := objstore.NormalizePut("k", in)
		if err != nil {
			t.Fatal(err)
		}
		want := objstore.PutOptions{
			ContentType: "application/json",
			Metadata:    map[string]string{"signature": "ab12", "signature-algorithm": "SHA256withRSA"},
			Encryption:  objstore.Encryption{Mode: objstore.SSES3},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("NormalizePut (-want +got):\n%s", diff)
		}
		if _, ok := in.Metadata["Signature"]; !ok {
			t.Fatal("NormalizePut changed the caller's metadata map")
		}
	})
	bad := map[string]objstore.PutOptions{
		"KeyNotToken":      {Metadata: map[string]string{"a b": "x"}},
		"ValueNonASCII":    {Metadata: map[string]string{"a": "é"}},
		"ValueNewline":     {Metadata: map[string]string{"a": "x\ny"}},
		"ValueSpaces":      {Metadata: map[string]string{"a": " x"}},
		"DuplicateKey":     {Metadata: map[string]string{"A": "x", "a": "y"}},
		"TooLarge":         {Metadata: map[string]string{"a": strings.Repeat("x", 2048)}},
		"KMSKeyWithoutKMS": {Encryption: objstore.Encryption{Mode: objstore.SSES3, KMSKeyID: "k"}},
		"UnknownMode":      {Encryption: objstore.Encryption{Mode: "rot13"}},
	}
	for name, opts := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := objstore.NormalizePut("k", opts); !errors.Is(err, objstore.ErrInvalidOptions) {
				t.Fatalf("err=%v, want ErrInvalidOptions", err)
			}
		})
	}
}
