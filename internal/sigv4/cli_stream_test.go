package sigv4

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestVerifyStream_AWSCLI has the AWS CLI (botocore) upload over HTTPS,
// where it sends STREAMING-UNSIGNED-PAYLOAD-TRAILER in 1 MiB chunks with a
// CRC trailer, and over HTTP, where it signs the body's SHA-256.
func TestVerifyStream_AWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI is not installed")
	}
	data := payloadData(3<<20 + 17)
	file := filepath.Join(t.TempDir(), "object")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		tls     bool
		payload string
	}{
		{"HTTPS", true, StreamingUnsignedTrailer},
		{"HTTP", false, hashHex(data)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, got := s3Server(t, tt.tls)
			cmd := exec.Command("aws", "--endpoint-url", srv.URL, "--no-verify-ssl", "--region", "us-east-1",
				"s3api", "put-object", "--bucket", "bucket", "--key", "dir/a key.bin", "--body", file)
			cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+testCreds.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+testCreds.SecretAccessKey,
				"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "PYTHONWARNINGS=ignore")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("aws s3api put-object: %v\n%s", err, out)
			}
			u := <-got
			if u.err != nil || u.payload != tt.payload || !bytes.Equal(u.body, data) {
				t.Fatalf("server: payload %q, %d bytes, err %v; want %q, the file, nil", u.payload, len(u.body), u.err, tt.payload)
			}
			if tt.tls && len(u.trailer) != 1 {
				t.Fatalf("Trailer=%v, want the CLI's checksum", u.trailer)
			}
		})
	}
}
