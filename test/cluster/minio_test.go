package cluster_test

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// minioServer is a MinIO of the test's own whose root user is a key
// given to it: the nodes' root key for the trail's bucket (the AWS CLI's
// validate-logs signs CloudTrail and S3 with one key), a host's key for
// that host's bundles (the agent signs its GETs with the host's key).
type minioServer struct {
	addr, user, password string
	cmd                  *exec.Cmd
}

// minioBinary finds MinIO as scripts/minio.sh does, or skips: make test
// builds it before the tests run.
func minioBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("minio"); err == nil {
		return p
	}
	gopath, _ := exec.Command("go", "env", "GOPATH").Output()
	p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "minio")
	if _, err := os.Stat(p); err != nil {
		t.Skip("skipped: no MinIO binary; scripts/minio.sh builds one")
	}
	return p
}

// startMinio runs MinIO on loopback with root user (user, password),
// waits until it is live and stops it when the test ends. Secrets go
// through the environment, never the command line; SSE-S3, which trails
// ask for, needs the KMS key.
func startMinio(t *testing.T, user, password string) *minioServer {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	m := &minioServer{addr: freeAddr(t), user: user, password: password}
	m.cmd = exec.Command(minioBinary(t), "server", "--quiet", "--address", m.addr, "--console-address", freeAddr(t), t.TempDir())
	m.cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+user, "MINIO_ROOT_PASSWORD="+password,
		"MINIO_KMS_SECRET_KEY=deploytrail-test-key:"+base64.StdEncoding.EncodeToString(key), "MINIO_BROWSER=off", "MINIO_UPDATE=off")
	logs := &lockedBuffer{}
	m.cmd.Stdout, m.cmd.Stderr = logs, logs
	if err := m.cmd.Start(); err != nil {
		t.Fatalf("start MinIO: %v", err)
	}
	exited := make(chan struct{})
	go func() { m.cmd.Wait(); close(exited) }()
	t.Cleanup(func() { m.cmd.Process.Kill(); <-exited })
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := healthClient.Get(m.endpoint() + "/minio/health/live"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return m
			}
		}
		select {
		case <-exited:
			t.Fatalf("MinIO exited during startup:\n%s", strings.ReplaceAll(logs.String(), password, "<password>"))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("MinIO not live after 60s")
		}
	}
}

func (m *minioServer) endpoint() string { return "http://" + m.addr }

// client is an S3 client of the root user, path style as MinIO needs.
func (m *minioServer) client() *s3.Client {
	return s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(m.endpoint()), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(m.user, m.password, "")})
}

// createBucket makes a bucket.
func (m *minioServer) createBucket(t *testing.T, name string) {
	t.Helper()
	if _, err := m.client().CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
}

// env is what a node needs to keep its buckets on this MinIO.
func (m *minioServer) env() []string {
	return []string{"DEPLOYTRAIL_S3_ENDPOINT=" + m.endpoint(), "DEPLOYTRAIL_S3_REGION=us-east-1",
		"DEPLOYTRAIL_S3_ACCESS_KEY_ID=" + m.user, "DEPLOYTRAIL_S3_SECRET_ACCESS_KEY=" + m.password}
}
