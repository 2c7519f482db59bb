package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestS3CLI drives the S3 API of the real binary with the AWS CLI: the
// high-level `aws s3` commands and `aws s3api` for each operation, on a
// bucket that `deploytrail buckets create` made and on ones made over S3.
func TestS3CLI(t *testing.T) {
	requireAWSCLI(t)
	dir := t.TempDir()
	runBinary(t, "buckets", "create", "--init", "--data", dir, "trail-logs")
	p := startBinary(t, dir)
	work := t.TempDir()
	src := filepath.Join(work, "src")
	writeFiles(t, src, map[string]string{"one.txt": "1", "sub/two.txt": "22", "sub/deeper/three.txt": "333"})

	p.aws(t, "s3", "mb", "s3://cli-bucket")
	if out := p.aws(t, "s3", "ls"); !strings.Contains(out, " cli-bucket") || !strings.Contains(out, " trail-logs") {
		t.Errorf("aws s3 ls: %s", out)
	}
	p.aws(t, "s3", "cp", filepath.Join(src, "one.txt"), "s3://cli-bucket/one.txt")
	// Keys travel URL-encoded, in paths and (encoding-type=url) listings.
	p.aws(t, "s3", "cp", filepath.Join(src, "one.txt"), "s3://cli-bucket/notes/with space+plus.txt")
	if out := p.aws(t, "s3", "ls", "s3://cli-bucket/notes/"); !strings.HasSuffix(out, " 1 with space+plus.txt") {
		t.Errorf("aws s3 ls of an encoded key: %q", out)
	}
	if out := p.aws(t, "s3", "cp", "s3://cli-bucket/notes/with space+plus.txt", "-"); out != "1" {
		t.Errorf("aws s3 cp of an encoded key: %q", out)
	}
	p.aws(t, "s3", "rm", "s3://cli-bucket/notes/with space+plus.txt")
	p.aws(t, "s3", "sync", src, "s3://cli-bucket/synced/")
	if out := p.aws(t, "s3", "ls", "s3://cli-bucket/synced/"); !strings.Contains(out, "PRE sub/") || !strings.Contains(out, " 1 one.txt") {
		t.Errorf("aws s3 ls of a prefix: %s", out)
	}
	if out := p.aws(t, "s3", "ls", "--recursive", "s3://cli-bucket"); strings.Count(out, "\n") != 3 || !strings.Contains(out, "synced/sub/deeper/three.txt") {
		t.Errorf("aws s3 ls --recursive: %s", out)
	}
	// A second sync finds everything in place and copies nothing.
	if out := p.aws(t, "s3", "sync", src, "s3://cli-bucket/synced/"); out != "" {
		t.Errorf("second sync: %q", out)
	}
	back := filepath.Join(work, "back")
	p.aws(t, "s3", "sync", "s3://cli-bucket/synced/", back)
	if b, err := os.ReadFile(filepath.Join(back, "sub", "deeper", "three.txt")); err != nil || string(b) != "333" {
		t.Errorf("sync down: %q, %v", b, err)
	}
	if out := p.aws(t, "s3", "cp", "s3://cli-bucket/one.txt", "-"); out != "1" {
		t.Errorf("aws s3 cp to stdout: %q", out)
	}
	p.aws(t, "s3", "rm", "--recursive", "s3://cli-bucket/synced/")
	p.aws(t, "s3", "rm", "s3://cli-bucket/one.txt")
	p.aws(t, "s3", "rb", "s3://cli-bucket")
	if out := p.aws(t, "s3", "ls"); strings.Contains(out, "cli-bucket") {
		t.Errorf("after rb: %s", out)
	}
	testS3API(t, p, src)
	testS3Presign(t, p, work)
	testDeployPush(t, p, work)
	// The bucket made offline is the management account's, served too.
	p.aws(t, "s3", "cp", filepath.Join(src, "one.txt"), "s3://trail-logs/notes/one.txt")
	if out := runBinary(t, "buckets", "list", "--data", dir); out != "presigned\nrevisions\ntrail-logs\n" {
		t.Errorf("deploytrail buckets list: %q", out)
	}
}

// testS3API calls each operation through `aws s3api` and checks what it
// answers.
func testS3API(t *testing.T, p *process, src string) {
	t.Helper()
	var loc struct{ Location string }
	decodeOut(t, p.aws(t, "s3api", "create-bucket", "--bucket", "api-bucket"), &loc)
	if loc.Location != "/api-bucket" {
		t.Errorf("create-bucket Location=%q", loc.Location)
	}
	p.aws(t, "s3api", "head-bucket", "--bucket", "api-bucket")
	p.aws(t, "s3api", "get-bucket-location", "--bucket", "api-bucket")
	var put struct{ ETag, ServerSideEncryption string }
	decodeOut(t, p.aws(t, "s3api", "put-object", "--bucket", "api-bucket", "--key", "k1", "--body", filepath.Join(src, "sub", "two.txt"),
		"--content-type", "text/plain", "--metadata", "team=ops"), &put)
	if put.ETag != `"b6d767d2f8ed5d21a44b0e5886680cb9"` || put.ServerSideEncryption != "AES256" {
		t.Errorf("put-object: %+v", put)
	}
	var head struct {
		ContentLength int
		ContentType   string
		Metadata      map[string]string
	}
	decodeOut(t, p.aws(t, "s3api", "head-object", "--bucket", "api-bucket", "--key", "k1"), &head)
	if head.ContentLength != 2 || head.ContentType != "text/plain" || head.Metadata["team"] != "ops" {
		t.Errorf("head-object: %+v", head)
	}
	out := filepath.Join(t.TempDir(), "got")
	var got struct{ ContentRange string }
	decodeOut(t, p.aws(t, "s3api", "get-object", "--bucket", "api-bucket", "--key", "k1", "--range", "bytes=1-1", out), &got)
	if b, _ := os.ReadFile(out); string(b) != "2" || got.ContentRange != "bytes 1-1/2" {
		t.Errorf("get-object with a range: %q %q", b, got.ContentRange)
	}
	p.aws(t, "s3api", "copy-object", "--bucket", "api-bucket", "--key", "k2", "--copy-source", "api-bucket/k1")
	var v2 struct {
		KeyCount int
		Contents []struct{ Key string }
	}
	decodeOut(t, p.aws(t, "s3api", "list-objects-v2", "--bucket", "api-bucket", "--no-paginate"), &v2)
	if v2.KeyCount != 2 || len(v2.Contents) != 2 {
		t.Errorf("list-objects-v2: %+v", v2)
	}
	var v1 struct{ Contents []struct{ Key string } }
	decodeOut(t, p.aws(t, "s3api", "list-objects", "--bucket", "api-bucket", "--prefix", "k2"), &v1)
	if len(v1.Contents) != 1 || v1.Contents[0].Key != "k2" {
		t.Errorf("list-objects: %+v", v1)
	}
	var dels struct{ Deleted []struct{ Key string } }
	decodeOut(t, p.aws(t, "s3api", "delete-objects", "--bucket", "api-bucket", "--delete", `{"Objects":[{"Key":"k1"}]}`), &dels)
	if len(dels.Deleted) != 1 {
		t.Errorf("delete-objects: %+v", dels)
	}
	p.aws(t, "s3api", "delete-object", "--bucket", "api-bucket", "--key", "k2")
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::api-bucket/secret/*"}]}`
	p.aws(t, "s3api", "put-bucket-policy", "--bucket", "api-bucket", "--policy", policy)
	var pol struct{ Policy string }
	decodeOut(t, p.aws(t, "s3api", "get-bucket-policy", "--bucket", "api-bucket"), &pol)
	if pol.Policy != policy {
		t.Errorf("get-bucket-policy: %s", pol.Policy)
	}
	p.aws(t, "s3api", "delete-bucket-policy", "--bucket", "api-bucket")
	var list struct{ Buckets []struct{ Name string } }
	decodeOut(t, p.aws(t, "s3api", "list-buckets"), &list)
	if len(list.Buckets) != 2 {
		t.Errorf("list-buckets: %+v", list)
	}
	p.aws(t, "s3api", "delete-bucket", "--bucket", "api-bucket")
	cmd := exec.Command("aws", "s3api", "head-bucket", "--bucket", "api-bucket")
	cmd.Env = append(os.Environ(), p.env...)
	if b, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(b), "404") {
		t.Errorf("head-bucket of a deleted bucket: %v %s", err, b)
	}
}

// testS3Presign checks `aws s3 presign` with SigV4 (the CLI v1 presigns
// with SigV2 unless the profile says s3v4; deploytrail serves SigV4 only).
func testS3Presign(t *testing.T, p *process, work string) {
	t.Helper()
	p.aws(t, "s3", "mb", "s3://presigned")
	p.aws(t, "s3", "cp", "-", "s3://presigned/hello.txt")
	conf := filepath.Join(work, "config-s3v4")
	if err := os.WriteFile(conf, []byte("[profile deploytrail]\nregion = us-east-1\ns3 =\n    signature_version = s3v4\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	v4 := &process{env: append(append([]string{}, p.env...), "AWS_CONFIG_FILE="+conf)}
	url := v4.aws(t, "s3", "presign", "s3://presigned/hello.txt", "--expires-in", "60")
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Errorf("GET of a presigned URL: %s %s", resp.Status, b)
	}
}

// testDeployPush: `aws deploy push` zips a revision, puts it in a bucket
// of deploytrail's and registers it, with the object's ETag.
func testDeployPush(t *testing.T, p *process, work string) {
	t.Helper()
	rev := filepath.Join(work, "rev")
	writeFiles(t, rev, map[string]string{"appspec.yml": "version: 0.0\nos: linux\n", "index.html": "hello"})
	p.aws(t, "deploy", "create-application", "--application-name", "pushapp")
	p.aws(t, "s3", "mb", "s3://revisions")
	out := p.aws(t, "deploy", "push", "--application-name", "pushapp", "--s3-location", "s3://revisions/pushapp.zip", "--source", rev)
	var head struct{ ETag string }
	decodeOut(t, p.aws(t, "s3api", "head-object", "--bucket", "revisions", "--key", "pushapp.zip"), &head)
	if want := "bucket=revisions,key=pushapp.zip,bundleType=zip,eTag=" + strings.Trim(head.ETag, `"`); !strings.Contains(out, want) {
		t.Errorf("aws deploy push: %s; want %s", out, want)
	}
	var revs struct {
		Revisions []struct{ S3Location struct{ Bucket, Key string } }
	}
	decodeOut(t, p.aws(t, "deploy", "list-application-revisions", "--application-name", "pushapp"), &revs)
	if len(revs.Revisions) != 1 || revs.Revisions[0].S3Location.Key != "pushapp.zip" {
		t.Errorf("registered revisions: %+v", revs)
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func decodeOut(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("decode %q: %v", out, err)
	}
}

// The AWS CLI uploads files of 8 MiB and more in parts: a 20 MiB file
// goes up as a multipart upload (S3's -N ETag) and comes back byte for
// byte.
func TestS3CLI_Multipart(t *testing.T) {
	requireAWSCLI(t)
	dir := t.TempDir()
	runBinary(t, "buckets", "create", "--init", "--data", dir, "trail-logs")
	p := startBinary(t, dir)
	work := t.TempDir()
	big := make([]byte, 20<<20)
	rand.Read(big)
	up, down := filepath.Join(work, "big.bin"), filepath.Join(work, "back.bin")
	if err := os.WriteFile(up, big, 0o600); err != nil {
		t.Fatal(err)
	}
	p.aws(t, "s3", "mb", "s3://cli-parts")
	p.aws(t, "s3", "cp", up, "s3://cli-parts/big.bin")
	if out := p.aws(t, "s3api", "head-object", "--bucket", "cli-parts", "--key", "big.bin", "--query", "ETag", "--output", "text"); !strings.HasSuffix(strings.TrimSpace(out), `-3"`) {
		t.Errorf("ETag of the CLI's upload: %s, want S3's multipart form for 3 parts of 8 MiB", out)
	}
	p.aws(t, "s3", "cp", "s3://cli-parts/big.bin", down)
	if got, err := os.ReadFile(down); err != nil || !bytes.Equal(got, big) {
		t.Errorf("the file back: %d bytes, %v; want the 20 MiB sent", len(got), err)
	}
	if out := p.aws(t, "s3api", "list-multipart-uploads", "--bucket", "cli-parts", "--output", "json"); strings.Contains(out, "UploadId") {
		t.Errorf("uploads left after the copy: %s", out)
	}
}
