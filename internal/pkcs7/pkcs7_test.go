package pkcs7

import (
	"bytes"
	"errors"
	"io/fs"
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
	s, err := NewSigner("deploytrail test")
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
	other, _ := NewSigner("other")
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

// TestReadFiles reads back what an earlier version kept in a data
// directory, and refuses a certificate that is not the key's.
func TestReadFiles(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := ReadFiles(dir, "spec"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadFiles of nothing: %v, want fs.ErrNotExist", err)
	}
	keyPEM, certPEM, err := Generate("deploytrail test")
	if err != nil {
		t.Fatal(err)
	}
	keyPath, certPath := Files(dir, "spec")
	os.WriteFile(keyPath, keyPEM, 0o600)
	os.WriteFile(certPath, certPEM, 0o600)
	k, c, err := ReadFiles(dir, "spec")
	if err != nil || !bytes.Equal(k, keyPEM) || !bytes.Equal(c, certPEM) {
		t.Fatalf("ReadFiles = %v, want the files' PEM", err)
	}
	_, otherCert, _ := Generate("other")
	if _, err := Parse(keyPEM, otherCert); err == nil {
		t.Fatal("Parse accepted another key's certificate")
	}
}
