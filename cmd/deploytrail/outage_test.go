package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestOutageLosesNoEvent stops the MinIO holding a trail's bucket while
// calls go on, then starts it again on the same port and data. The calls
// must all succeed while it is down (the API does not depend on the
// bucket), the trail must report a delivery error meanwhile and clear it
// afterwards, and every answered call must be delivered exactly once.
func TestOutageLosesNoEvent(t *testing.T) {
	m := newMinio(t)
	m.start(t)
	s3c := m.client()
	const bucket = "outage-logs"
	if _, err := s3c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	p, account := startBinaryEnv(t, t.TempDir(), "DEPLOYTRAIL_DELIVERY_INTERVAL=1s",
		"DEPLOYTRAIL_S3_ENDPOINT="+m.endpoint(), "DEPLOYTRAIL_S3_REGION=us-east-1",
		"DEPLOYTRAIL_S3_ACCESS_KEY_ID="+m.user, "DEPLOYTRAIL_S3_SECRET_ACCESS_KEY="+m.password)
	rec := newRecorder(t)
	createTrail(t, p, bucket)
	ct := rec.cloudTrail(p)
	if _, err := ct.StartLogging(t.Context(), &cloudtrail.StartLoggingInput{Name: aws.String("main")}); err != nil {
		t.Fatalf("StartLogging: %v", err)
	}
	cd := codedeploy.NewFromConfig(rec.config(p))
	read := func() (map[string][]byte, error) { return readBucketS3(t, s3c, bucket) }

	loadFor(t, cd, "before", time.Second)
	want, _ := rec.acknowledged()
	waitDelivered(t, 15*time.Second, read, account, want)
	firstDelivery := status(t, ct).LatestDeliveryTime

	m.kill(t)
	down := time.Now()
	stop := make(chan struct{})
	load := runLoad(t.Context(), t, cd, "down", 4, stop)
	// The error shows once a delivery attempt has failed, which takes the
	// S3 client's own retries; keep the bucket down at least 3s anyway.
	var deliveryError string
	waitFor(t, 30*time.Second, "LatestDeliveryError while MinIO is down", func() bool {
		deliveryError = aws.ToString(status(t, ct).LatestDeliveryError)
		return deliveryError != ""
	})
	time.Sleep(time.Until(down.Add(3 * time.Second)))
	close(stop)
	created := load()
	t.Logf("MinIO down %v: LatestDeliveryError=%s, %d applications created meanwhile", time.Since(down).Round(time.Millisecond), deliveryError, len(created))
	if len(created) == 0 {
		t.Fatalf("no call made while MinIO was down")
	}

	m.start(t)
	loadFor(t, cd, "after", 500*time.Millisecond)
	want, unanswered := rec.acknowledged()
	if unanswered != 0 {
		t.Fatalf("%d calls got no answer; with the bucket down every call must still succeed", unanswered)
	}
	t.Logf("%d calls acknowledged", len(want))
	waitDelivered(t, 40*time.Second, read, account, want)
	// The files are written before the delivery is recorded, so the
	// status may lag them a little.
	waitFor(t, 10*time.Second, "LatestDeliveryError cleared after MinIO is back", func() bool {
		st := status(t, ct)
		return aws.ToString(st.LatestDeliveryError) == "" && st.LatestDeliveryTime != nil && st.LatestDeliveryTime.After(*firstDelivery)
	})
	p.stop(t) // a clean exit, and its final flush delivers the rest
	files, err := read()
	if err != nil {
		t.Fatal(err)
	}
	assertExactlyOnce(t, files, account, want)
}

// loadFor runs four workers for d; every call must be answered.
func loadFor(t *testing.T, cd *codedeploy.Client, prefix string, d time.Duration) {
	stop := make(chan struct{})
	load := runLoad(t.Context(), t, cd, prefix, 4, stop)
	time.Sleep(d)
	close(stop)
	load()
}

func status(t *testing.T, ct *cloudtrail.Client) *cloudtrail.GetTrailStatusOutput {
	t.Helper()
	st, err := ct.GetTrailStatus(t.Context(), &cloudtrail.GetTrailStatusInput{Name: aws.String("main")})
	if err != nil {
		t.Fatalf("GetTrailStatus: %v", err)
	}
	return st
}

// readBucketS3 returns every object of bucket by key.
func readBucketS3(t *testing.T, c *s3.Client, bucket string) (map[string][]byte, error) {
	files := map[string][]byte{}
	pages := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(t.Context())
		if err != nil {
			return nil, err
		}
		for _, o := range page.Contents {
			obj, err := c.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: o.Key})
			if err != nil {
				return nil, err
			}
			raw, err := io.ReadAll(obj.Body)
			obj.Body.Close()
			if err != nil {
				return nil, err
			}
			files[aws.ToString(o.Key)] = raw
		}
	}
	return files, nil
}

// minioServer is a MinIO of this test's own, so that it can be stopped
// and started again on the same address and data directory. The root
// password is generated and never printed.
type minioServer struct {
	bin, dir, addr, consoleAddr string
	user, password, kmsKey      string
	cmd                         *exec.Cmd
	exited                      chan struct{} // closed once cmd has been waited for
}

// newMinio finds the minio binary as scripts/minio.sh does (PATH, then
// GOBIN or GOPATH/bin). Without one it skips, unless the test environment
// promises MinIO (DEPLOYTRAIL_TEST_S3_ENDPOINT, set by make unit).
func newMinio(t *testing.T) *minioServer {
	t.Helper()
	bin, err := exec.LookPath("minio")
	if err != nil {
		bin = goBinMinio()
	}
	if bin == "" {
		if os.Getenv("DEPLOYTRAIL_TEST_S3_ENDPOINT") == "" {
			t.Skip("skipped: no minio binary on PATH or in GOBIN/GOPATH/bin (scripts/minio.sh builds one; make unit runs it)")
		}
		t.Fatal("DEPLOYTRAIL_TEST_S3_ENDPOINT is set but no minio binary is on PATH or in GOBIN/GOPATH/bin")
	}
	key := make([]byte, 32)
	rand.Read(key)
	return &minioServer{bin: bin, dir: t.TempDir(), addr: freeAddr(t), consoleAddr: freeAddr(t),
		user: "deploytrail-" + randomHex(4), password: randomHex(20),
		kmsKey: "deploytrail-test-key:" + base64.StdEncoding.EncodeToString(key)}
}

// goBinMinio is GOBIN/minio or GOPATH/bin/minio if it exists, else "".
func goBinMinio() string {
	dir := ""
	if out, err := exec.Command("go", "env", "GOBIN").Output(); err == nil {
		dir = strings.TrimSpace(string(out))
	}
	if dir == "" {
		out, err := exec.Command("go", "env", "GOPATH").Output()
		if err != nil {
			return ""
		}
		dir = filepath.Join(strings.TrimSpace(strings.Split(string(out), string(os.PathListSeparator))[0]), "bin")
	}
	bin := filepath.Join(dir, "minio")
	if _, err := os.Stat(bin); err != nil {
		return ""
	}
	return bin
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// freeAddr is a loopback address nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (m *minioServer) endpoint() string { return "http://" + m.addr }

// start runs MinIO and waits until it is live. Secrets go through the
// environment, never the command line; SSE-S3, which trails ask for,
// needs the KMS key.
func (m *minioServer) start(t *testing.T) {
	t.Helper()
	cmd := exec.Command(m.bin, "server", "--quiet", "--address", m.addr, "--console-address", m.consoleAddr, filepath.Join(m.dir, "data"))
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+m.user, "MINIO_ROOT_PASSWORD="+m.password,
		"MINIO_KMS_SECRET_KEY="+m.kmsKey, "MINIO_BROWSER=off", "MINIO_UPDATE=off")
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start MinIO: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }() // the only Wait: ProcessState is its alone
	t.Cleanup(func() { cmd.Process.Kill(); <-exited })
	m.cmd, m.exited = cmd, exited
	client := &http.Client{Timeout: 2 * time.Second}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := client.Get(m.endpoint() + "/minio/health/live"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-exited:
			t.Fatalf("MinIO exited during startup:\n%s", m.redact(logs.String()))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("MinIO not live after 60s:\n%s", m.redact(logs.String()))
		}
	}
}

// kill stops MinIO at once, as a crash or a lost host would.
func (m *minioServer) kill(t *testing.T) {
	t.Helper()
	m.cmd.Process.Kill()
	select {
	case <-m.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("MinIO still running 10s after SIGKILL")
	}
}

func (m *minioServer) redact(s string) string {
	return strings.NewReplacer(m.password, "<password>", m.kmsKey, "<kms key>").Replace(s)
}

// client is an S3 client of the root user, path style as MinIO needs.
func (m *minioServer) client() *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(m.user, m.password, ""),
		BaseEndpoint: aws.String(m.endpoint()),
		UsePathStyle: true,
	})
}
