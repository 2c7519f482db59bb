package digest

import (
	"encoding/base64"
	"os"
	"testing"
	"time"
)

// Appendix C of the spec: a test-only key and the digest it signs.
const (
	vectorPublicKeyB64 = "MIIBCgKCAQEA5/AKo1xh+bfpFPhv4ww64cR4Uuvo7YXUAoSDozmLpueYIhiB93Xtk46WYAr97WsxAowZsr1bC1SXVhNlYbhsqHapW9u73RyYC+exAmZ5aCTIDrrhjXwMui33Azpb8BCnmv03RzNC4LQQ6wRaL4/6msWkBpKLV5Md0AR7+MhKwBX+T/aK85uvS5IHldUS8DO+DDwCfDVHMgoddZdogvQhOovzLUVfK//h6eOWQnB+/lOTOGLZ1BJT5qEw3JciShPSqc6V+Ewliw3jYNA8vHK6zEbedmDws2GCiVxYDX5En9Cv2IAw64qqZ5Na8WpoCkj8O3QohL6ii39YexeTRzs2cwIDAQAB"
	vectorFingerprint  = "f981ba805ddd711eb1bce9e04a675342"
	vectorHash         = "e901a5e2cfac869ebfa58684ed6044ce36b4203f38c099821e42a5ec6e4db4b9"
	vectorSignature    = "1a5b0e48b0ac6629a9e7fb883b0d6f91d648490dff6b6520ac1a8b53785c2cbad08fb39431347d3d3f6b714a9f4635683f743b376c892c1391b966e0104659fd8051b03cb465e8fc9fc1bbd69cb537a5fecee90723924fdef11bbcb956df9b251ace512d0164c353663edb13043ea2740de7d70709dd3aba9d03a9927054f3347888f364d64ae18266cecda0f8015302f5a9e69250b993a0595deb473e1c42788233829657d398e97c0342a2283a1527db4d953e3c151863b1d2d19425d8dd236a2da210b50c755a8553b0f02616f40ae1bcbae0ad4918c2f44fcbf2e64e02faae973990fe95d55548a120a63dcae3e5f46d8e18f375197bf8e50c5c2a54a494"
	vectorDigestKey    = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2025/01/02/111122223333_CloudTrail-Digest_us-east-1_my-trail_us-east-1_20250102T031500Z.json.gz"
	vectorLogKey       = "AWSLogs/111122223333/CloudTrail/us-east-1/2025/01/02/111122223333_CloudTrail_us-east-1_20250102T0305Z_AbCdEfGhIjKlMnOp.json.gz"
	vectorLogHash      = "26a792db36a3afba23b1dd277fcc9f15a7313c4a92e4e4cc0494846af345ecff"
)

const vectorSigningString = "2025-01-02T03:15:00Z\n" +
	"example-bucket/" + vectorDigestKey + "\n" +
	vectorHash + "\n" +
	"null"

// vectorKey loads the Appendix C private key.
func vectorKey(tb testing.TB) *KeyPair {
	tb.Helper()
	k, err := ParseKeyPairPEM(mustRead(tb, "testdata/appendix_c_key.pem"))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func mustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// vectorDigest is the Appendix C digest built field by field.
func vectorDigest() *Digest {
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	return &Digest{
		AccountID:            "111122223333",
		StartTime:            at("2025-01-02T02:15:00Z"),
		EndTime:              at("2025-01-02T03:15:00Z"),
		Bucket:               "example-bucket",
		Object:               vectorDigestKey,
		PublicKeyFingerprint: vectorFingerprint,
		SignatureAlgorithm:   SignatureAlgorithm,
		NewestEventTime:      at("2025-01-02T03:01:00Z"),
		OldestEventTime:      at("2025-01-02T03:00:00Z"),
		LogFiles: []LogFile{{
			Bucket:          "example-bucket",
			Object:          vectorLogKey,
			HashValue:       vectorLogHash,
			HashAlgorithm:   HashAlgorithm,
			NewestEventTime: at("2025-01-02T03:01:00Z"),
			OldestEventTime: at("2025-01-02T03:00:00Z"),
		}},
	}
}

func TestAppendixC(t *testing.T) {
	want := mustRead(t, "testdata/appendix_c_digest.json")
	key := vectorKey(t)

	t.Run("PublicKeyAndFingerprint", func(t *testing.T) {
		if got := base64.StdEncoding.EncodeToString(key.PublicKeyDER()); got != vectorPublicKeyB64 {
			t.Fatalf("PublicKeyDER=%s, want %s", got, vectorPublicKeyB64)
		}
		if got := key.Fingerprint(); got != vectorFingerprint {
			t.Fatalf("Fingerprint=%s, want %s", got, vectorFingerprint)
		}
	})
	t.Run("Marshal", func(t *testing.T) {
		raw, err := Marshal(vectorDigest())
		if err != nil {
			t.Fatal(err)
		}
		if string(raw) != string(want) {
			t.Fatalf("Marshal=\n%s\nwant\n%s", raw, want)
		}
		if got := Hash(raw); got != vectorHash {
			t.Fatalf("Hash=%s, want %s", got, vectorHash)
		}
	})
	t.Run("LogFileHash", func(t *testing.T) {
		if got := LogFileHash([]byte(`{"Records":[]}`)); got != vectorLogHash {
			t.Fatalf("LogFileHash=%s, want %s", got, vectorLogHash)
		}
	})
	t.Run("SigningString", func(t *testing.T) {
		if got := SigningString(vectorDigest(), want); got != vectorSigningString {
			t.Fatalf("SigningString=%q, want %q", got, vectorSigningString)
		}
	})
	t.Run("Seal", func(t *testing.T) {
		s, err := Seal(key, vectorDigest())
		if err != nil {
			t.Fatal(err)
		}
		if s.Signature != vectorSignature {
			t.Fatalf("Signature=%s, want %s", s.Signature, vectorSignature)
		}
		if string(s.Raw) != string(want) {
			t.Fatalf("Raw=%s, want %s", s.Raw, want)
		}
	})
	t.Run("Verify", func(t *testing.T) {
		der, _ := base64.StdEncoding.DecodeString(vectorPublicKeyB64)
		d, raw, err := Parse(Gzip(want))
		if err != nil {
			t.Fatal(err)
		}
		if err := Verify(der, d, raw, vectorSignature); err != nil {
			t.Fatalf("Verify: %v", err)
		}
	})
	t.Run("Key", func(t *testing.T) {
		got := Key(KeyParts{AccountID: "111122223333", Region: "us-east-1", TrailName: "my-trail",
			HomeRegion: "us-east-1", EndTime: vectorDigest().EndTime})
		if got != vectorDigestKey {
			t.Fatalf("Key=%s, want %s", got, vectorDigestKey)
		}
	})
}
