package apptest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/deploytrail/deploytrail/internal/apptest"
	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/sigv4"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// dataEvents is a data event filter that selects the events of the
// buckets it names, and remembers every event it was asked about.
type dataEvents struct {
	mu     sync.Mutex
	want   map[string]bool // bucket ARN → selected
	asked  []*trail.Event
	failed bool
}

func (d *dataEvents) Wanted(_ context.Context, ev *trail.Event) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.asked = append(d.asked, ev)
	if d.failed {
		return false, errors.New("selectors cannot be read")
	}
	for _, r := range ev.Resources {
		if r.Type == "AWS::S3::Bucket" && d.want[r.ARN] {
			return true, nil
		}
	}
	return false, nil
}

func (d *dataEvents) events() []*trail.Event {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]*trail.Event(nil), d.asked...)
}

func TestS3_Buckets(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.S3(srv.Root)
	noErr(t)(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("alpha")}))
	noErr(t)(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("beta")}))
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("alpha")})
	wantCode(t, err, "BucketAlreadyOwnedByYou")
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("Bad_Name")})
	wantCode(t, err, "InvalidBucketName")
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("gamma"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: "eu-west-1"}})
	wantCode(t, err, "IllegalLocationConstraintException")
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("gamma"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: "us-east-1"}})
	wantCode(t, err, "InvalidLocationConstraint")

	list, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	fatalIf(t, err)
	var names []string
	for _, b := range list.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	if strings.Join(names, ",") != "alpha,beta" {
		t.Errorf("ListBuckets=%v, want alpha,beta", names)
	}
	noErr(t)(c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("alpha")}))
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("nope-bucket")})
	wantCode(t, err, "NotFound")
	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("alpha")})
	fatalIf(t, err)
	if loc.LocationConstraint != "" {
		t.Errorf("LocationConstraint=%q, want empty (us-east-1)", loc.LocationConstraint)
	}

	put(t, c, "beta", "k", "v")
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("beta")})
	wantCode(t, err, "BucketNotEmpty")
	noErr(t)(c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("beta"), Key: aws.String("k")}))
	noErr(t)(c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("beta")}))
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("beta")})
	wantCode(t, err, "NoSuchBucket")

	// Bucket-level calls are management events, in the event history.
	ev := lookupOne(t, srv, "CreateBucket")
	if ev["eventSource"] != "s3.amazonaws.com" || ev["managementEvent"] != true || ev["readOnly"] != false {
		t.Errorf("CreateBucket record: %v", ev)
	}
	if p, _ := ev["requestParameters"].(map[string]any); p["bucketName"] == nil || p["Host"] == nil {
		t.Errorf("requestParameters=%v, want bucketName and Host", ev["requestParameters"])
	}
	del := lookupOne(t, srv, "DeleteBucket")
	if del["errorCode"] != nil {
		t.Errorf("newest DeleteBucket record: %v, want the successful one", del)
	}
}

// put writes an object, failing the test on error.
func put(tb testing.TB, c *s3.Client, bucket, key, body string) *s3.PutObjectOutput {
	tb.Helper()
	out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)})
	fatalIf(tb, err)
	return out
}

func get(tb testing.TB, c *s3.Client, in *s3.GetObjectInput) (string, *s3.GetObjectOutput) {
	tb.Helper()
	out, err := c.GetObject(ctx, in)
	fatalIf(tb, err)
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	fatalIf(tb, err)
	return string(b), out
}

func TestS3_Objects(t *testing.T) {
	filter := &dataEvents{want: map[string]bool{"arn:aws:s3:::watched": true}}
	srv := apptest.Start(t, apptest.WithDataEvents(filter))
	c := srv.S3(srv.Root)
	noErr(t)(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("docs")}))
	out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("docs"), Key: aws.String("dir/a.txt"),
		Body: strings.NewReader("hello, world"), ContentType: aws.String("text/plain"),
		Metadata: map[string]string{"signature": "abc"}, ChecksumAlgorithm: s3types.ChecksumAlgorithmSha256})
	fatalIf(t, err)
	if aws.ToString(out.ETag) != `"e4d7f1b4ed2e42d15898f4b27b019da4"` || out.ServerSideEncryption != s3types.ServerSideEncryptionAes256 {
		t.Errorf("PutObject: ETag=%s SSE=%s", aws.ToString(out.ETag), out.ServerSideEncryption)
	}
	body, got := get(t, c, &s3.GetObjectInput{Bucket: aws.String("docs"), Key: aws.String("dir/a.txt")})
	if body != "hello, world" || aws.ToString(got.ContentType) != "text/plain" || got.Metadata["signature"] != "abc" {
		t.Errorf("GetObject: %q %s %v", body, aws.ToString(got.ContentType), got.Metadata)
	}
	body, got = get(t, c, &s3.GetObjectInput{Bucket: aws.String("docs"), Key: aws.String("dir/a.txt"), Range: aws.String("bytes=7-"),
		ResponseContentType: aws.String("application/x-test")})
	if body != "world" || aws.ToString(got.ContentRange) != "bytes 7-11/12" || aws.ToString(got.ContentType) != "application/x-test" {
		t.Errorf("ranged GetObject: %q %s %s", body, aws.ToString(got.ContentRange), aws.ToString(got.ContentType))
	}
	if body, _ = get(t, c, &s3.GetObjectInput{Bucket: aws.String("docs"), Key: aws.String("dir/a.txt"), Range: aws.String("bytes=-5")}); body != "world" {
		t.Errorf("suffix range: %q", body)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("docs"), Key: aws.String("dir/a.txt"), Range: aws.String("bytes=50-")})
	wantCode(t, err, "InvalidRange")
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("docs"), Key: aws.String("dir/a.txt"), IfMatch: aws.String(`"0000"`)})
	wantCode(t, err, "PreconditionFailed")
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("docs"), Key: aws.String("dir/a.txt"), IfNoneMatch: out.ETag})
	wantCode(t, err, "NotModified")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("docs"), Key: aws.String("dir/a.txt"), IfModifiedSince: aws.Time(time.Now().Add(time.Hour))})
	wantCode(t, err, "NotModified")
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("docs"), Key: aws.String("dir/a.txt")})
	fatalIf(t, err)
	if aws.ToInt64(head.ContentLength) != 12 || aws.ToString(head.ETag) != aws.ToString(out.ETag) {
		t.Errorf("HeadObject: %d %s", aws.ToInt64(head.ContentLength), aws.ToString(head.ETag))
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("docs"), Key: aws.String("missing")})
	wantCode(t, err, "NoSuchKey")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("docs"), Key: aws.String("missing")})
	wantCode(t, err, "NotFound")

	// A body that does not match its Content-MD5 is not stored.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("docs"), Key: aws.String("bad"), Body: strings.NewReader("x"),
		ContentMD5: aws.String("1B2M2Y8AsgTpgAmY7PhCfg==")})
	wantCode(t, err, "BadDigest")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("docs"), Key: aws.String("bad")})
	wantCode(t, err, "NotFound")

	// CopyObject keeps the properties (COPY) or takes the request's.
	noErr(t)(c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("docs"), Key: aws.String("copy.txt"), CopySource: aws.String("docs/dir/a.txt")}))
	if body, got = get(t, c, &s3.GetObjectInput{Bucket: aws.String("docs"), Key: aws.String("copy.txt")}); body != "hello, world" || got.Metadata["signature"] != "abc" {
		t.Errorf("copy: %q %v", body, got.Metadata)
	}
	noErr(t)(c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("docs"), Key: aws.String("copy.txt"), CopySource: aws.String("docs/copy.txt"),
		MetadataDirective: s3types.MetadataDirectiveReplace, Metadata: map[string]string{"x": "y"}}))
	if _, got = get(t, c, &s3.GetObjectInput{Bucket: aws.String("docs"), Key: aws.String("copy.txt")}); got.Metadata["x"] != "y" || got.Metadata["signature"] != "" {
		t.Errorf("copy with REPLACE: metadata %v", got.Metadata)
	}
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("docs"), Key: aws.String("copy.txt"), CopySource: aws.String("docs/copy.txt")})
	wantCode(t, err, "InvalidRequest")

	testS3Listing(t, c)

	dels, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("docs"), Delete: &s3types.Delete{
		Objects: []s3types.ObjectIdentifier{{Key: aws.String("copy.txt")}, {Key: aws.String("never-was")}}}})
	fatalIf(t, err)
	if len(dels.Deleted) != 2 || len(dels.Errors) != 0 {
		t.Errorf("DeleteObjects: deleted %d, errors %v", len(dels.Deleted), dels.Errors)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("docs"), Key: aws.String("copy.txt")})
	wantCode(t, err, "NotFound")

	// Object calls are data events: asked about, stored only when
	// selected, never in the event history.
	noErr(t)(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("watched")}))
	put(t, c, "watched", "w", "data")
	var sawGet, sawWatched bool
	for _, ev := range filter.events() {
		if ev.EventCategory != "Data" || ev.ManagementEvent == nil || *ev.ManagementEvent || ev.EventSource != "s3.amazonaws.com" {
			t.Errorf("data event %s: category %s, managementEvent %v", ev.EventName, ev.EventCategory, ev.ManagementEvent)
		}
		if ev.EventName == "GetObject" && *ev.ReadOnly && len(ev.Resources) == 2 && ev.Resources[0].ARN == "arn:aws:s3:::docs/dir/a.txt" &&
			ev.Resources[1].AccountID == srv.Account() {
			sawGet = true
		}
		sawWatched = sawWatched || ev.EventName == "PutObject" && ev.RequestParameters["bucketName"] == "watched"
	}
	if !sawGet || !sawWatched {
		t.Errorf("the filter saw GetObject as the spec records it: %v; PutObject in watched: %v", sawGet, sawWatched)
	}
	if n := storedEvents(t, srv, "PutObject"); n != 1 {
		t.Errorf("%d stored PutObject events, want 1 (the watched bucket's)", n)
	}
	if evs := lookup(t, srv.CloudTrail(srv.Root), &cloudtrail.LookupEventsInput{LookupAttributes: attrs("EventName", "PutObject")}); len(evs) > 0 &&
		!strings.Contains(aws.ToString(evs[0].CloudTrailEvent), `"eventCategory":"Data"`) {
		t.Errorf("LookupEvents returned a PutObject that is not a data event")
	}
}

// storedEvents counts the stored records of eventName, data events
// included, reading the database directly (the store's own reads leave
// data events out).
func storedEvents(tb testing.TB, srv *apptest.Server, eventName string) int {
	tb.Helper()
	var n int
	fatalIf(tb, srv.SQL(tb).QueryRowContext(ctx, `SELECT count(*) FROM events WHERE name = $1`, eventName).Scan(&n))
	return n
}

// swapBodyAfterSigning sends body instead of the one the request was
// signed with.
func swapBodyAfterSigning(body string) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("swapBody", func(ctx context.Context, in middleware.FinalizeInput,
			next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			req := in.Request.(*smithyhttp.Request)
			swapped, err := req.SetStream(strings.NewReader(body))
			if err != nil {
				return middleware.FinalizeOutput{}, middleware.Metadata{}, err
			}
			in.Request = swapped
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
	}
}

func testS3Listing(t *testing.T, c *s3.Client) {
	t.Helper()
	for _, k := range []string{"dir/b.txt", "dir/sub/c.txt", "dir/sub/d.txt", "e.txt", "f/g.txt"} {
		put(t, c, "docs", k, k)
	}
	// Keys: copy.txt dir/a.txt dir/b.txt dir/sub/c.txt dir/sub/d.txt e.txt f/g.txt
	v2, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("docs"), Delimiter: aws.String("/")})
	fatalIf(t, err)
	if got := listed(v2.Contents, v2.CommonPrefixes); got != "copy.txt e.txt | dir/ f/" {
		t.Errorf("delimited listing: %s", got)
	}
	v2, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("docs"), Prefix: aws.String("dir/"), Delimiter: aws.String("/")})
	fatalIf(t, err)
	if got := listed(v2.Contents, v2.CommonPrefixes); got != "dir/a.txt dir/b.txt | dir/sub/" {
		t.Errorf("listing under dir/: %s", got)
	}
	var all []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("docs"), MaxKeys: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		fatalIf(t, err)
		pages++
		for _, o := range page.Contents {
			all = append(all, aws.ToString(o.Key))
		}
	}
	if strings.Join(all, " ") != "copy.txt dir/a.txt dir/b.txt dir/sub/c.txt dir/sub/d.txt e.txt f/g.txt" || pages != 4 {
		t.Errorf("paginated listing in %d pages: %v", pages, all)
	}
	v1, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("docs"), Marker: aws.String("dir/sub/d.txt")})
	fatalIf(t, err)
	if got := listed(v1.Contents, v1.CommonPrefixes); got != "e.txt f/g.txt |" {
		t.Errorf("ListObjects after a marker: %s", got)
	}
	v1, err = c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("docs"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(2)})
	fatalIf(t, err)
	if got := listed(v1.Contents, v1.CommonPrefixes); got != "copy.txt | dir/" || !aws.ToBool(v1.IsTruncated) || aws.ToString(v1.NextMarker) != "dir/" {
		t.Errorf("ListObjects page: %s truncated=%v next=%s", got, aws.ToBool(v1.IsTruncated), aws.ToString(v1.NextMarker))
	}
	v1, err = c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("docs"), Delimiter: aws.String("/"), Marker: v1.NextMarker})
	fatalIf(t, err)
	if got := listed(v1.Contents, v1.CommonPrefixes); got != "e.txt | f/" {
		t.Errorf("ListObjects next page: %s", got)
	}
}

func listed(objs []s3types.Object, prefixes []s3types.CommonPrefix) string {
	var keys, cps []string
	for _, o := range objs {
		keys = append(keys, aws.ToString(o.Key))
	}
	for _, p := range prefixes {
		cps = append(cps, aws.ToString(p.Prefix))
	}
	return strings.TrimSpace(strings.Join(keys, " ") + " | " + strings.Join(cps, " "))
}

func TestS3_Presigned(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.S3(srv.Root)
	noErr(t)(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("shared")}))
	pre := s3.NewPresignClient(c)
	putReq, err := pre.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("shared"), Key: aws.String("up.bin")}, s3.WithPresignExpires(time.Minute))
	fatalIf(t, err)
	req, _ := http.NewRequest(putReq.Method, putReq.URL, bytes.NewReader([]byte("presigned body")))
	resp, err := http.DefaultClient.Do(req)
	fatalIf(t, err)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("presigned PUT: %s", resp.Status)
	}
	getReq, err := pre.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("shared"), Key: aws.String("up.bin")})
	fatalIf(t, err)
	resp, err = http.Get(getReq.URL)
	fatalIf(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "presigned body" {
		t.Errorf("presigned GET: %s %q", resp.Status, b)
	}
	// A tampered URL and an anonymous request are refused in S3's XML.
	resp, err = http.Get(strings.Replace(getReq.URL, "up.bin", "other.bin", 1))
	fatalIf(t, err)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(b), "<Code>SignatureDoesNotMatch</Code>") {
		t.Errorf("tampered presigned URL: %s %s", resp.Status, b)
	}
	resp, err = http.Get(srv.URL + "/shared/up.bin")
	fatalIf(t, err)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(b), "<Code>AccessDenied</Code>") || resp.Header.Get("X-Amz-Request-Id") == "" {
		t.Errorf("anonymous GET: %s %s", resp.Status, b)
	}
}

func TestS3_Authorization(t *testing.T) {
	srv := apptest.Start(t)
	root := srv.S3(srv.Root)
	noErr(t)(root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("team")}))
	put(t, root, "team", "report.txt", "numbers")

	reader := srv.S3(newUser(t, srv, "reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::team/*"}]}`))
	body, _ := get(t, reader, &s3.GetObjectInput{Bucket: aws.String("team"), Key: aws.String("report.txt")})
	if body != "numbers" {
		t.Errorf("reader got %q", body)
	}
	_, err := reader.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("team"), Key: aws.String("x"), Body: strings.NewReader("x")})
	msg := wantCode(t, err, "AccessDenied")
	if !strings.Contains(msg, "s3:PutObject on resource: arn:aws:s3:::team/x") {
		t.Errorf("denial message %q", msg)
	}
	// DeleteObjects authorizes each key on its own.
	put(t, root, "team", "drafts/a", "a")
	put(t, root, "team", "b", "b")
	janitor := srv.S3(newUser(t, srv, "janitor", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::team/drafts/*"}]}`))
	dels, err := janitor.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("team"), Delete: &s3types.Delete{
		Objects: []s3types.ObjectIdentifier{{Key: aws.String("drafts/a")}, {Key: aws.String("b")}}}})
	fatalIf(t, err)
	if len(dels.Deleted) != 1 || aws.ToString(dels.Deleted[0].Key) != "drafts/a" || len(dels.Errors) != 1 ||
		aws.ToString(dels.Errors[0].Code) != "AccessDenied" || aws.ToString(dels.Errors[0].Key) != "b" {
		t.Errorf("DeleteObjects by a user who may delete drafts/*: deleted %+v, errors %+v", dels.Deleted, dels.Errors)
	}
	// The bucket policy's explicit Deny wins over the identity's Allow.
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::team/report.txt"}]}`
	noErr(t)(root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("team"), Policy: aws.String(deny)}))
	_, err = reader.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("team"), Key: aws.String("report.txt")})
	wantCode(t, err, "AccessDenied")
	got, err := root.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("team")})
	fatalIf(t, err)
	if aws.ToString(got.Policy) != deny {
		t.Errorf("GetBucketPolicy=%s", aws.ToString(got.Policy))
	}
	_, err = root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("team"), Policy: aws.String(`{"Statement":[]}`)})
	wantCode(t, err, "MalformedPolicy")
	noErr(t)(root.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("team")}))
	if body, _ = get(t, reader, &s3.GetObjectInput{Bucket: aws.String("team"), Key: aws.String("report.txt")}); body != "numbers" {
		t.Errorf("after DeleteBucketPolicy reader got %q", body)
	}

	// Another account needs the bucket policy's Allow besides its own.
	member, inMember := memberSession(t, srv, "s3-reader")
	other := srv.S3(inMember)
	_, err = other.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("team"), Key: aws.String("report.txt")})
	wantCode(t, err, "AccessDenied")
	allow := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + member + `:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::team/*"}]}`
	noErr(t)(root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("team"), Policy: aws.String(allow)}))
	if body, _ = get(t, other, &s3.GetObjectInput{Bucket: aws.String("team"), Key: aws.String("report.txt")}); body != "numbers" {
		t.Errorf("cross-account GetObject got %q", body)
	}
	_, err = other.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("team")})
	wantCode(t, err, "BucketAlreadyExists")
	list, err := other.ListBuckets(ctx, &s3.ListBucketsInput{})
	fatalIf(t, err)
	if len(list.Buckets) != 0 {
		t.Errorf("the member account lists %d buckets, want none of the management account's", len(list.Buckets))
	}
}

func TestS3_AuthErrors(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.S3(srv.Root)
	noErr(t)(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("guarded")}))
	wrong := srv.Root
	wrong.SecretAccessKey = "not-the-secret"
	_, err := srv.S3(wrong).ListBuckets(ctx, &s3.ListBucketsInput{})
	wantCode(t, err, "SignatureDoesNotMatch")
	_, err = srv.S3(apptest.Creds{AccessKeyID: "AKIAUNKNOWNUNKNOWN00", SecretAccessKey: "x"}).ListBuckets(ctx, &s3.ListBucketsInput{})
	wantCode(t, err, "InvalidAccessKeyId")
	// A body that is not the one whose hash was signed is not stored.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("guarded"), Key: aws.String("k"), Body: strings.NewReader("real")},
		s3.WithAPIOptions(swapBodyAfterSigning("fake")))
	wantCode(t, err, "XAmzContentSHA256Mismatch")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("guarded"), Key: aws.String("k")})
	wantCode(t, err, "NotFound")
	// UploadPartCopy is refused clearly, not mistaken for an UploadPart.
	_, err = c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("guarded"), Key: aws.String("big"),
		UploadId: aws.String("any"), PartNumber: aws.Int32(1), CopySource: aws.String("guarded/k")})
	wantCode(t, err, "NotImplemented")
	noErr(t)(c.ListBuckets(ctx, &s3.ListBucketsInput{}))
	rec := lookupOne(t, srv, "ListBuckets")
	if rec["eventSource"] != "s3.amazonaws.com" || rec["readOnly"] != true || rec["errorCode"] != nil {
		t.Errorf("ListBuckets record: %v", rec)
	}
	js, _ := json.Marshal(rec["additionalEventData"])
	if !strings.Contains(string(js), `"SignatureVersion":"SigV4"`) {
		t.Errorf("additionalEventData=%s", js)
	}
}

// signedS3 sends a request signed for S3 with an unsigned payload of
// the declared length (the body may be shorter: the server must answer
// from the headers).
func signedS3(t *testing.T, srv *apptest.Server, method, path string, length int64, body io.Reader, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, body)
	fatalIf(t, err)
	req.ContentLength = length
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	fatalIf(t, sigv4.Sign(req, nil, sigv4.Credentials{AccessKeyID: srv.Root.AccessKeyID, SecretAccessKey: srv.Root.SecretAccessKey},
		apptest.Region, "s3", time.Now()))
	resp, err := http.DefaultClient.Do(req)
	fatalIf(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Sizes are refused from the headers, before a byte is read; keys the
// buckets cannot hold are refused by name.
func TestS3_Bounds(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.S3(srv.Root)
	noErr(t)(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bounded")}))
	stalled, stop := io.Pipe() // a body that never comes
	defer stop.Close()
	status, body := signedS3(t, srv, "PUT", "/bounded/huge", 5<<40, stalled, nil)
	if status != 400 || !strings.Contains(body, "<Code>EntityTooLarge</Code>") {
		t.Errorf("a 5 TB PutObject: %d %s", status, body)
	}
	status, body = signedS3(t, srv, "PUT", "/bounded/a/../b", 1, strings.NewReader("x"), nil)
	if status != 400 || !strings.Contains(body, "<Code>InvalidArgument</Code>") {
		t.Errorf("a key with ..: %d %s", status, body)
	}
	status, body = signedS3(t, srv, "PUT", "/bounded/k", 1, strings.NewReader("x"), http.Header{"X-Amz-Content-Sha256": nil,
		"Content-Encoding": {"aws-chunked"}})
	if status != 200 {
		t.Errorf("an unsigned-payload PutObject: %d %s", status, body)
	}
	status, body = signedS3(t, srv, "POST", "/bounded?delete", 46, strings.NewReader(`<Delete><Object><Key>k</Key></Object></Delete>`), nil)
	if status != 400 || !strings.Contains(body, "Content-MD5") {
		t.Errorf("DeleteObjects without Content-MD5: %d %s", status, body)
	}
	_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bounded"), MaxKeys: aws.Int32(-1)})
	wantCode(t, err, "InvalidArgument")
	for _, k := range []string{"huge", "b"} {
		_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bounded"), Key: aws.String(k)})
		wantCode(t, err, "NotFound")
	}
}

// With a configured domain, buckets are named in the Host.
func TestS3_VirtualHosted(t *testing.T) {
	srv := apptest.Start(t, apptest.WithS3Domain("s3.localhost"))
	noErr(t)(srv.S3(srv.Root).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("vhost")}))
	cfg := srv.Config(srv.Root)
	c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(strings.Replace(srv.URL, "127.0.0.1", "s3.localhost", 1))
		o.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, strings.TrimPrefix(srv.URL, "http://"))
		}}}
	})
	put(t, c, "vhost", "hello.txt", "virtual")
	body, _ := get(t, srv.S3(srv.Root), &s3.GetObjectInput{Bucket: aws.String("vhost"), Key: aws.String("hello.txt")})
	if body != "virtual" {
		t.Errorf("path-style read of a virtual-hosted write: %q", body)
	}
	ev := lookupOne(t, srv, "CreateBucket")
	if p, _ := ev["requestParameters"].(map[string]any); p["bucketName"] != "vhost" {
		t.Errorf("CreateBucket record: %v", ev["requestParameters"])
	}
}

// The directory store cannot hold a key that another key's prefix is a
// directory of; it says so with S3's InvalidArgument, not a failure.
func TestS3_KeyClash(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.S3(srv.Root)
	noErr(t)(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("clash")}))
	put(t, c, "clash", "a/b", "x")
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("clash"), Key: aws.String("a"), Body: strings.NewReader("y")})
	if msg := wantCode(t, err, "InvalidArgument"); !strings.Contains(msg, `other keys start with "a/"`) {
		t.Errorf("message %q", msg)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("clash"), Key: aws.String("a")})
	wantCode(t, err, "NoSuchKey")
}

// A write whose event cannot be recorded fails and leaves nothing: the
// staged object is discarded, the old one stays.
func TestS3_NoWriteWithoutItsEvent(t *testing.T) {
	filter := &dataEvents{want: map[string]bool{"arn:aws:s3:::kept": true}}
	srv := apptest.Start(t, apptest.WithDataEvents(filter))
	c := srv.S3(srv.Root)
	noErr(t)(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("kept")}))
	put(t, c, "kept", "doc", "old")
	filter.mu.Lock()
	filter.failed = true
	filter.mu.Unlock()
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("kept"), Key: aws.String("doc"), Body: strings.NewReader("new")})
	wantCode(t, err, "InternalError")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("kept"), Key: aws.String("fresh"), Body: strings.NewReader("new")})
	wantCode(t, err, "InternalError")
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("kept"), Key: aws.String("doc")})
	wantCode(t, err, "InternalError")
	filter.mu.Lock()
	filter.failed = false
	filter.mu.Unlock()
	if body, _ := get(t, c, &s3.GetObjectInput{Bucket: aws.String("kept"), Key: aws.String("doc")}); body != "old" {
		t.Errorf("after failed writes the object reads %q, want the old one", body)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("kept"), Key: aws.String("fresh")})
	wantCode(t, err, "NotFound")
}

// A KMS trail's log files (written by delivery with SSE-KMS) read back
// over S3 naming their key, as S3 answers.
func TestS3_KMSObjectNamesItsKey(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.S3(srv.Root)
	noErr(t)(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("logs")}))
	b, err := srv.App.Buckets.Bucket("logs")
	fatalIf(t, err)
	key := "arn:aws:kms:us-east-1:" + srv.Account() + ":alias/trails"
	fatalIf(t, b.Put(ctx, "AWSLogs/x.json.gz", []byte("log"), objstore.PutOptions{
		Encryption: objstore.Encryption{Mode: objstore.SSEKMS, KMSKeyID: key}}))
	out, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("logs"), Key: aws.String("AWSLogs/x.json.gz")})
	fatalIf(t, err)
	if out.ServerSideEncryption != s3types.ServerSideEncryptionAwsKms || aws.ToString(out.SSEKMSKeyId) != key {
		t.Errorf("HeadObject: SSE=%s key=%q, want aws:kms and %s", out.ServerSideEncryption, aws.ToString(out.SSEKMSKeyId), key)
	}
}
