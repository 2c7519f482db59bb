package pkcs7

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestSignVerifyOpenSSL signs a document, parses it back and, when
// openssl is installed, has OpenSSL verify it as AWS's agent does
// (PKCS7_verify with NOVERIFY: the signature against the embedded
// certificate, no chain).
func TestSignVerifyOpenSSL(t *testing.T) {
	dir := t.TempDir()
	s, err := LoadSigner(dir, "spec-signing", "deploytrail test")
	if err != nil {
		t.Fatal(err)
	}
	content := []byte(`{"DeploymentId":"d-ABCDEFGHI","ApplicationName":"app"}`)
	msg, err := s.Sign(content)
	if err != nil {
		t.Fatal(err)
	}
	got, cert, err := Verify(msg)
	if err != nil || !bytes.Equal(got, content) || !cert.Equal(s.Cert) {
		t.Fatalf("Verify = %q, %v", got, err)
	}
	if info, err := os.Stat(filepath.Join(dir, "spec-signing-key.pem")); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", info, err)
	}
	again, err := LoadSigner(dir, "spec-signing", "deploytrail test")
	if err != nil || !again.Cert.Equal(s.Cert) {
		t.Fatalf("reloaded signer differs: %v", err)
	}

	tampered := bytes.Replace(msg, msg[40:44], []byte("AAAA"), 1)
	if _, _, err := Verify(tampered); err == nil {
		t.Fatal("Verify accepted a tampered message")
	}

	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	in := filepath.Join(dir, "msg.pem")
	os.WriteFile(in, msg, 0o600)
	out, err := exec.Command(openssl, "smime", "-verify", "-noverify", "-inform", "PEM", "-in", in).Output()
	if err != nil {
		t.Fatalf("openssl smime -verify: %v", err)
	}
	if !bytes.Equal(out, content) {
		t.Fatalf("openssl content = %q", out)
	}
	// A changed signature fails OpenSSL's check.
	bad, _ := s.Sign(content)
	other, _ := LoadSigner(t.TempDir(), "x", "other")
	badMsg := forgeSignature(t, bad, other)
	os.WriteFile(in, badMsg, 0o600)
	if err := exec.Command(openssl, "smime", "-verify", "-noverify", "-inform", "PEM", "-in", in).Run(); err == nil {
		t.Fatal("openssl accepted a signature by another key")
	}
}

// forgeSignature signs the content of msg with other's key but keeps the
// original certificate.
func forgeSignature(t *testing.T, msg []byte, other *Signer) []byte {
	t.Helper()
	content, cert, err := Verify(msg)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := (&Signer{Key: other.Key, Cert: cert}).Sign(content)
	if err != nil {
		t.Fatal(err)
	}
	return forged
}
