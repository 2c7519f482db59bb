// Package objstoretest is the contract suite every objstore backend runs:
// mem and fs always, s3 against a real MinIO when one is configured. A
// behaviour that matters to CloudTrail delivery (byte-exact gzip bodies,
// digest signature metadata, List order) belongs here, not in one backend's
// tests, so that the backends cannot drift apart.
package objstoretest

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrail/deploytrail/internal/objstore"
)

// KMSKeyID is the KMS key the suite asks SSE-KMS puts to use. A backend with
// a real KMS must know a key by this name: scripts/minio.sh configures
// MinIO's built-in key under it.
const KMSKeyID = "deploytrail-test-key"

// Run runs the contract suite. Each call of newBucket must return a handle
// to a different bucket that does not exist yet; the suite creates it (and
// so tests Exists and Create). The subtests run in parallel; those of
// objstore.Streamer and objstore.Multipart are skipped for backends that
// do not implement them.
func Run(t *testing.T, newBucket func(t *testing.T) objstore.Bucket) {
	RunExcept(t, newBucket, nil)
}

// RunExcept is Run for a backend that lacks a feature on purpose: the
// subtests named in except are skipped with the reason given, so the gap
// shows in every verbose run instead of as a silent pass.
func RunExcept(t *testing.T, newBucket func(t *testing.T) objstore.Bucket, except map[string]string) {
	tests := []struct {
		name string
		fn   func(t *testing.T, newBucket func(t *testing.T) objstore.Bucket)
	}{
		{"MissingBucket", testMissingBucket},
		{"RoundTripGzip", testRoundTripGzip},
		{"Metadata", testMetadata},
		{"Overwrite", testOverwrite},
		{"Head", testHead},
		{"ETag", testETag},
		{"NotFound", testNotFound},
		{"Delete", testDelete},
		{"List", testList},
		{"ListPaging", testListPaging},
		{"Concurrent", testConcurrent},
		{"Encryption", testEncryption},
		{"EncryptionKMS", testEncryptionKMS},
		{"Large", testLarge},
		{"InvalidKey", testInvalidKey},
		{"InvalidOptions", testInvalidOptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if why, ok := except[tt.name]; ok {
				t.Skip(why)
			}
			t.Parallel()
			tt.fn(t, newBucket)
		})
	}
	runOptional(t, newBucket, streamTests)
	runOptional(t, newBucket, multipartTests)
}

// optionalTest is a contract test of an optional interface I of the
// backends' buckets (objstore.Streamer, objstore.Multipart).
type optionalTest[I any] struct {
	name string
	fn   func(t *testing.T, b I)
}

// runOptional runs each test on a new bucket, and skips it for a backend
// whose buckets do not implement I, so the gap shows in a verbose run.
func runOptional[I any](t *testing.T, newBucket func(t *testing.T) objstore.Bucket, tests []optionalTest[I]) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, ok := MustCreate(t, newBucket).(I)
			if !ok {
				t.Skipf("the backend does not implement %v", reflect.TypeFor[I]())
			}
			tt.fn(t, b)
		})
	}
}

// MustCreate returns a new, created bucket from newBucket.
func MustCreate(t *testing.T, newBucket func(t *testing.T) objstore.Bucket) objstore.Bucket {
	t.Helper()
	b := newBucket(t)
	if err := b.Create(t.Context()); err != nil {
		t.Fatalf("Create: %v", err)
	}
	return b
}

// MustPut stores body under key or fails the test.
func MustPut(tb testing.TB, b objstore.Bucket, key string, body []byte, opts objstore.PutOptions) {
	tb.Helper()
	if err := b.Put(tb.Context(), key, body, opts); err != nil {
		tb.Fatalf("Put(%q): %v", key, err)
	}
}

// MustGet returns the object under key or fails the test.
func MustGet(tb testing.TB, b objstore.Bucket, key string) *objstore.Object {
	tb.Helper()
	obj, err := b.Get(tb.Context(), key)
	if err != nil {
		tb.Fatalf("Get(%q): %v", key, err)
	}
	return obj
}

func testMissingBucket(t *testing.T, newBucket func(t *testing.T) objstore.Bucket) {
	ctx := t.Context()
	b := newBucket(t)
	if ok, err := b.Exists(ctx); err != nil || ok {
		t.Fatalf("Exists=%v, %v, want false, nil", ok, err)
	}
	checkErr(t, "Put", b.Put(ctx, "k", []byte("x"), objstore.PutOptions{}), objstore.ErrNoBucket)
	_, err := b.Get(ctx, "k")
	checkErr(t, "Get", err, objstore.ErrNoBucket)
	_, err = b.Head(ctx, "k")
	checkErr(t, "Head", err, objstore.ErrNoBucket)
	_, err = b.List(ctx, "", "", 0)
	checkErr(t, "List", err, objstore.ErrNoBucket)
	checkErr(t, "Delete", b.Delete(ctx, "k"), objstore.ErrNoBucket)

	if err := b.Create(ctx); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if ok, err := b.Exists(ctx); err != nil || !ok {
		t.Fatalf("Exists after Create=%v, %v, want true, nil", ok, err)
	}
	if err := b.Create(ctx); err != nil {
		t.Fatalf("Create of an existing bucket: %v, want nil", err)
	}
	MustPut(t, b, "k", []byte("x"), objstore.PutOptions{})
}

func testRoundTripGzip(t *testing.T, newBucket func(t *testing.T) objstore.Bucket) {
	b := MustCreate(t, newBucket)
	key := "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/23/111122223333_CloudTrail_us-east-1_20261123T0105Z_Mu0KsOhtH1ar15ZZ.json.gz"
	body := gzipBytes(t, []byte(`{"Records":[{"eventVersion":"1.11"}]}`))
	before := time.Now()
	MustPut(t, b, key, body, objstore.PutOptions{ContentType: "application/json", ContentEncoding: "gzip"})
	after := time.Now()

	obj := MustGet(t, b, key)
	if !bytes.Equal(obj.Body, body) {
		t.Fatalf("Body=%x, want the stored gzip bytes %x (a backend must not decode Content-Encoding)", obj.Body, body)
	}
	want := objstore.ObjectInfo{
		Key: key, Size: int64(len(body)), ContentType: "application/json", ContentEncoding: "gzip",
		Encryption: objstore.Encryption{Mode: objstore.SSES3}, ETag: objstore.ETagOf(body),
	}
	checkInfo(t, "Get", &obj.ObjectInfo, &want)
	checkModified(t, obj.Modified, before, after)
}

func testMetadata(t *testing.T, newBucket func(t *testing.T) objstore.Bucket) {
	b := MustCreate(t, newBucket)
	sig := strings.Repeat("0123456789abcdef", 32) // 512 hex chars, an RSA-2048 signature
	MustPut(t, b, "digest.json.gz", []byte("d"), objstore.PutOptions{Metadata: map[string]string{
		"Signature":                     sig,
		"signature-algorithm":           "SHA256withRSA",
		"backfill-generation-timestamp": "2026-11-23T01:05:00Z",
	}})
	want := map[string]string{
		"signature":                     sig,
		"signature-algorithm":           "SHA256withRSA",
		"backfill-generation-timestamp": "2026-11-23T01:05:00Z",
	}
	if diff := cmp.Diff(want, MustGet(t, b, "digest.json.gz").Metadata); diff != "" {
		t.Errorf("Get Metadata (-want +got):\n%s", diff)
	}
	info, err := b.Head(t.Context(), "digest.json.gz")
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	if diff := cmp.Diff(want, info.Metadata); diff != "" {
		t.Errorf("Head Metadata (-want +got):\n%s", diff)
	}
}

func testOverwrite(t *testing.T, newBucket func(t *testing.T) objstore.Bucket) {
	b := MustCreate(t, newBucket)
	MustPut(t, b, "k", []byte("first version"), objstore.PutOptions{
		ContentType: "application/json", ContentEncoding: "gzip", Metadata: map[string]string{"a": "1"},
	})
	MustPut(t, b, "k", []byte("second"), objstore.PutOptions{
		ContentType: "text/plain", Metadata: map[string]string{"b": "2"},
	})
	obj := MustGet(t, b, "k")
	if string(obj.Body) != "second" {
		t.Fatalf("Body=%q, want %q", obj.Body, "second")
	}
	want := objstore.ObjectInfo{
		Key: "k", Size: 6, ContentType: "text/plain", Metadata: map[string]string{"b": "2"},
		Encryption: objstore.Encryption{Mode: objstore.SSES3}, ETag: objstore.ETagOf([]byte("second")),
	}
	checkInfo(t, "Get", &obj.ObjectInfo, &want)
}

func testHead(t *testing.T, newBucket func(t *testing.T) objstore.Bucket) {
	b := MustCreate(t, newBucket)
	MustPut(t, b, "a/b/c.json.gz", []byte("12345"), objstore.PutOptions{
		ContentType: "application/json", ContentEncoding: "gzip", Metadata: map[string]string{"x": "y"},
	})
	info, err := b.Head(t.Context(), "a/b/c.json.gz")
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	obj := MustGet(t, b, "a/b/c.json.gz")
	checkInfo(t, "Head", info, &obj.ObjectInfo)
	if !info.Modified.Equal(obj.Modified) {
		t.Errorf("Head Modified=%v, Get Modified=%v, want equal", info.Modified, obj.Modified)
	}
	if info.Size != 5 {
		t.Errorf("Size=%d, want 5", info.Size)
	}
}

// testETag: Head and Get report S3's single-part ETag (the quoted hex
// MD5 of the body), and an overwrite changes it. CodeDeploy compares it
// with a revision's eTag.
func testETag(t *testing.T, newBucket func(t *testing.T) objstore.Bucket) {
	b := MustCreate(t, newBucket)
	MustPut(t, b, "bundle.zip", []byte("first"), objstore.PutOptions{})
	info, err := b.Head(t.Context(), "bundle.zip")
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	const firstMD5 = `"8b04d5e3775d298e78455efc5ca404d5"` // md5 -s first
	if info.ETag != firstMD5 || objstore.ETagOf([]byte("first")) != firstMD5 {
		t.Errorf("Head ETag=%s, ETagOf=%s, want %s", info.ETag, objstore.ETagOf([]byte("first")), firstMD5)
	}
	if got := MustGet(t, b, "bundle.zip").ETag; got != info.ETag {
		t.Errorf("Get ETag=%s, Head ETag=%s, want equal", got, info.ETag)
	}
	MustPut(t, b, "bundle.zip", []byte("second"), objstore.PutOptions{})
	info, err = b.Head(t.Context(), "bundle.zip")
	if err != nil {
		t.Fatalf("Head after overwrite: %v", err)
	}
	if want := objstore.ETagOf([]byte("second")); info.ETag != want {
		t.Errorf("Head ETag after overwrite=%s, want %s", info.ETag, want)
	}
}

func testNotFound(t *testing.T, newBucket func(t *testing.T) objstore.Bucket) {
	ctx := t.Context()
	b := MustCreate(t, newBucket)
	MustPut(t, b, "dir/obj", []byte("x"), objstore.PutOptions{})
	for _, key := range []string{"missing", "dir", "dir/obj/deeper", "dir/ob"} {
		_, err := b.Get(ctx, key)
		checkErr(t, fmt.Sprintf("Get(%q)", key), err, objstore.ErrNotFound)
		_, err = b.Head(ctx, key)
		checkErr(t, fmt.Sprintf("Head(%q)", key), err, objstore.ErrNotFound)
	}
}

func testDelete(t *testing.T, newBucket func(t *testing.T) objstore.Bucket) {
	ctx := t.Context()
	b := MustCreate(t, newBucket)
	MustPut(t, b, "a/b", []byte("x"), objstore.PutOptions{Metadata: map[string]string{"m": "v"}})
	for i := range 2 {
		if err := b.Delete(ctx, "a/b"); err != nil {
			t.Fatalf("Delete #%d: %v", i+1, err)
		}
	}
	_, err := b.Get(ctx, "a/b")
	checkErr(t, "Get after Delete", err, objstore.ErrNotFound)
	if err := b.Delete(ctx, "never/was"); err != nil {
		t.Fatalf("Delete of a missing object: %v", err)
	}
	if got := listKeys(t, b, "", "", 0); len(got) != 0 {
		t.Fatalf("List after Delete=%q, want empty", got)
	}
	// Metadata must go with the object, not survive into a new one.
	MustPut(t, b, "a/b", []byte("y"), objstore.PutOptions{})
	if md := MustGet(t, b, "a/b").Metadata; len(md) != 0 {
		t.Fatalf("Metadata of a recreated object=%v, want none", md)
	}
}

func testConcurrent(t *testing.T, newBucket func(t *testing.T) objstore.Bucket) {
	b := MustCreate(t, newBucket)
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			key := fmt.Sprintf("concurrent/%02d/f.json.gz", i)
			errs <- b.Put(t.Context(), key, bytes.Repeat([]byte{byte(i)}, 1000+i), objstore.PutOptions{})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Put: %v", err)
		}
	}
	keys := listKeys(t, b, "concurrent/", "", 0)
	if len(keys) != n {
		t.Fatalf("List found %d objects, want %d: %q", len(keys), n, keys)
	}
	for i, key := range keys {
		if obj := MustGet(t, b, key); len(obj.Body) != 1000+i || obj.Body[0] != byte(i) {
			t.Errorf("Get(%q): %d bytes of %d, want %d of %d", key, len(obj.Body), obj.Body[0], 1000+i, i)
		}
	}
}

func testEncryption(t *testing.T, newBucket func(t *testing.T) objstore.Bucket) {
	checkEncryption(t, MustCreate(t, newBucket), []encryptionCase{
		{"Default", objstore.Encryption{}, objstore.SSES3},
		{"SSES3", objstore.Encryption{Mode: objstore.SSES3}, objstore.SSES3},
	})
}

func testEncryptionKMS(t *testing.T, newBucket func(t *testing.T) objstore.Bucket) {
	checkEncryption(t, MustCreate(t, newBucket), []encryptionCase{
		{"SSEKMS", objstore.Encryption{Mode: objstore.SSEKMS, KMSKeyID: KMSKeyID}, objstore.SSEKMS},
	})
}

// encryptionCase is an object put with ask, whose Head and Get must
// report want (and the key asked for, if any).
type encryptionCase struct {
	name string
	ask  objstore.Encryption
	want objstore.SSEMode
}

func checkEncryption(t *testing.T, b objstore.Bucket, tests []encryptionCase) {
	t.Helper()
	for _, tt := range tests {
		MustPut(t, b, tt.name, []byte(tt.name), objstore.PutOptions{Encryption: tt.ask})
		info, err := b.Head(t.Context(), tt.name)
		if err != nil {
			t.Fatalf("Head(%q): %v", tt.name, err)
		}
		for op, got := range map[string]objstore.Encryption{"Head": info.Encryption, "Get": MustGet(t, b, tt.name).Encryption} {
			if got.Mode != tt.want || !strings.HasSuffix(got.KMSKeyID, tt.ask.KMSKeyID) || (tt.ask.KMSKeyID == "") != (got.KMSKeyID == "") {
				t.Errorf("%s: %s Encryption=%+v, want mode %q and a key id ending in %q", tt.name, op, got, tt.want, tt.ask.KMSKeyID)
			}
		}
	}
}

func testLarge(t *testing.T, newBucket func(t *testing.T) objstore.Bucket) {
	b := MustCreate(t, newBucket)
	body := make([]byte, 5<<20)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range body {
		body[i] = byte(r.Uint32())
	}
	MustPut(t, b, "large.bin", body, objstore.PutOptions{})
	obj := MustGet(t, b, "large.bin")
	if !bytes.Equal(obj.Body, body) || obj.Size != int64(len(body)) {
		t.Fatalf("Get: %d bytes (Size %d), want the %d bytes put", len(obj.Body), obj.Size, len(body))
	}
}

func testInvalidKey(t *testing.T, newBucket func(t *testing.T) objstore.Bucket) {
	ctx := t.Context()
	b := MustCreate(t, newBucket)
	for _, key := range []string{"", "/etc/passwd", "../escape", "a/../../escape", "a//b", "a/./b", "trailing/"} {
		checkErr(t, fmt.Sprintf("Put(%q)", key), b.Put(ctx, key, []byte("x"), objstore.PutOptions{}), objstore.ErrInvalidKey)
		_, err := b.Get(ctx, key)
		checkErr(t, fmt.Sprintf("Get(%q)", key), err, objstore.ErrInvalidKey)
		_, err = b.Head(ctx, key)
		checkErr(t, fmt.Sprintf("Head(%q)", key), err, objstore.ErrInvalidKey)
		checkErr(t, fmt.Sprintf("Delete(%q)", key), b.Delete(ctx, key), objstore.ErrInvalidKey)
	}
}

func testInvalidOptions(t *testing.T, newBucket func(t *testing.T) objstore.Bucket) {
	b := MustCreate(t, newBucket)
	opts := objstore.PutOptions{Metadata: map[string]string{"bad key": "v"}}
	checkErr(t, "Put", b.Put(t.Context(), "k", []byte("x"), opts), objstore.ErrInvalidOptions)
	_, err := b.Get(t.Context(), "k")
	checkErr(t, "Get after a refused Put", err, objstore.ErrNotFound)
}

func checkErr(tb testing.TB, op string, err, want error) {
	tb.Helper()
	if !errors.Is(err, want) {
		tb.Errorf("%s err=%v, want %v", op, err, want)
	}
}

// checkInfo compares everything but Modified, which backends store with
// different precision.
func checkInfo(tb testing.TB, op string, got, want *objstore.ObjectInfo) {
	tb.Helper()
	g, w := *got, *want
	g.Modified, w.Modified = time.Time{}, time.Time{}
	if len(g.Metadata) == 0 && len(w.Metadata) == 0 {
		g.Metadata, w.Metadata = nil, nil
	}
	if diff := cmp.Diff(w, g); diff != "" {
		tb.Errorf("%s info (-want +got):\n%s", op, diff)
	}
}

// checkModified allows for second precision (HTTP dates) and clock skew
// between the test and a server.
func checkModified(tb testing.TB, got, before, after time.Time) {
	tb.Helper()
	const slack = 5 * time.Second
	if got.Before(before.Add(-slack)) || got.After(after.Add(slack)) {
		tb.Errorf("Modified=%v, want between %v and %v", got, before, after)
	}
}

func gzipBytes(tb testing.TB, p []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(p); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
