package objstoretest

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrail/deploytrail/internal/objstore"
)

// multipartTests run for backends that implement objstore.Multipart; for
// the others they are skipped.
var multipartTests = []optionalTest[objstore.Multipart]{
	{"MultipartComplete", testMultipartComplete},
	{"MultipartErrors", testMultipartErrors},
	{"MultipartListUploads", testMultipartListUploads},
}

// MustCreateUpload starts an upload or fails the test.
func MustCreateUpload(tb testing.TB, b objstore.Multipart, key string, opts objstore.PutOptions) string {
	tb.Helper()
	id, err := b.CreateUpload(tb.Context(), key, opts)
	if err != nil {
		tb.Fatalf("CreateUpload(%q): %v", key, err)
	}
	return id
}

// MustUploadPart uploads part n or fails the test.
func MustUploadPart(tb testing.TB, b objstore.Multipart, key, id string, n int, body []byte) *objstore.Part {
	tb.Helper()
	p, err := b.UploadPart(tb.Context(), key, id, n, bytes.NewReader(body), int64(len(body)))
	if err != nil {
		tb.Fatalf("UploadPart(%d): %v", n, err)
	}
	return p
}

// wantMultipartETag is S3's multipart ETag, computed here independently
// of objstore.MultipartETag.
func wantMultipartETag(parts ...[]byte) string {
	var sums []byte
	for _, p := range parts {
		s := md5.Sum(p)
		sums = append(sums, s[:]...)
	}
	s := md5.Sum(sums)
	return fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(s[:]), len(parts))
}

// testMultipartComplete uploads parts out of order, replaces one, lists
// them and completes: the object is the parts in order, with S3's ETag and
// the properties given at creation, and the upload is gone.
func testMultipartComplete(t *testing.T, b objstore.Multipart) {
	ctx := t.Context()
	const key = "bundles/app.zip"
	opts := objstore.PutOptions{ContentType: "application/zip", Metadata: map[string]string{"m": "v"}}
	id := MustCreateUpload(t, b, key, opts)
	p1, p2, p3 := randomBytes(objstore.MinPartSize), randomBytes(objstore.MinPartSize+1), []byte("the last part")
	MustUploadPart(t, b, key, id, 3, p3)
	MustUploadPart(t, b, key, id, 2, []byte("replaced below"))
	MustUploadPart(t, b, key, id, 1, p1)
	MustUploadPart(t, b, key, id, 2, p2)
	parts, err := b.ListParts(ctx, key, id, 0, 0)
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	var got []string
	for _, p := range parts {
		got = append(got, fmt.Sprintf("%d %s %d", p.Number, p.ETag, p.Size))
	}
	want := []string{
		fmt.Sprintf("1 %s %d", objstore.ETagOf(p1), len(p1)),
		fmt.Sprintf("2 %s %d", objstore.ETagOf(p2), len(p2)),
		fmt.Sprintf("3 %s %d", objstore.ETagOf(p3), len(p3)),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListParts (-want +got):\n%s", diff)
	}
	if page, err := b.ListParts(ctx, key, id, 1, 1); err != nil || len(page) != 1 || page[0].Number != 2 {
		t.Errorf("ListParts after 1, max 1=%+v, %v; want part 2", page, err)
	}
	st, err := b.Complete(ctx, key, id, []objstore.CompletedPart{
		{Number: 1, ETag: objstore.ETagOf(p1)}, {Number: 2, ETag: strings.Trim(objstore.ETagOf(p2), `"`)}, {Number: 3, ETag: objstore.ETagOf(p3)},
	})
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	_, err = b.Head(ctx, key)
	checkErr(t, "Head before Commit", err, objstore.ErrNotFound)
	if err := st.Commit(ctx); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	body := bytes.Join([][]byte{p1, p2, p3}, nil)
	obj := MustGet(t, b, key)
	if !bytes.Equal(obj.Body, body) {
		t.Fatalf("Get: %d bytes, want the %d of the parts in order", len(obj.Body), len(body))
	}
	wantInfo := objstore.ObjectInfo{Key: key, Size: int64(len(body)), ContentType: "application/zip", Metadata: map[string]string{"m": "v"},
		Encryption: objstore.Encryption{Mode: objstore.SSES3}, ETag: wantMultipartETag(p1, p2, p3)}
	checkInfo(t, "Get", &obj.ObjectInfo, &wantInfo)
	checkInfo(t, "Staged Info", st.Info(), &wantInfo)
	_, err = b.ListParts(ctx, key, id, 0, 0)
	checkErr(t, "ListParts after Complete", err, objstore.ErrNoSuchUpload)
	if ups, err := b.ListUploads(ctx, "", "", "", 0); err != nil || len(ups) != 0 {
		t.Errorf("ListUploads after Complete=%+v, %v; want none", ups, err)
	}
}

// testMultipartErrors: every refusal leaves the upload as it was and no
// object behind.
func testMultipartErrors(t *testing.T, b objstore.Multipart) {
	ctx := t.Context()
	const key = "k"
	id := MustCreateUpload(t, b, key, objstore.PutOptions{})
	small, big := []byte("small"), randomBytes(objstore.MinPartSize)
	e1 := MustUploadPart(t, b, key, id, 1, small).ETag
	e2 := MustUploadPart(t, b, key, id, 2, big).ETag
	e3 := MustUploadPart(t, b, key, id, 3, small).ETag
	completes := []struct {
		name  string
		parts []cp
		want  error
	}{
		{"None", nil, objstore.ErrInvalidPart},
		{"Missing", completeList(2, e2, 4, e3), objstore.ErrInvalidPart},
		{"WrongETag", completeList(2, e2, 3, e2), objstore.ErrInvalidPart},
		{"Order", completeList(2, e2, 2, e2), objstore.ErrInvalidPartOrder},
		{"Descending", completeList(3, e3, 2, e2), objstore.ErrInvalidPartOrder},
		{"TooSmall", completeList(1, e1, 2, e2), objstore.ErrEntityTooSmall},
	}
	for _, tt := range completes {
		_, err := b.Complete(ctx, key, id, tt.parts)
		checkErr(t, "Complete "+tt.name, err, tt.want)
	}
	for _, n := range []int{0, objstore.MaxParts + 1} {
		_, err := b.UploadPart(ctx, key, id, n, bytes.NewReader(small), int64(len(small)))
		checkErr(t, fmt.Sprintf("UploadPart(%d)", n), err, objstore.ErrInvalidPart)
	}
	_, err := b.UploadPart(ctx, key, id, 4, strings.NewReader("short"), 6)
	checkErr(t, "UploadPart of a short body", err, objstore.ErrIncompleteBody)
	for _, bad := range []struct{ key, id string }{{key, "NOSUCHUPLOAD234567ABCDEFGH"}, {"other", id}, {key, "../../etc"}} {
		_, err := b.UploadPart(ctx, bad.key, bad.id, 1, bytes.NewReader(small), int64(len(small)))
		checkErr(t, fmt.Sprintf("UploadPart(%q, %q)", bad.key, bad.id), err, objstore.ErrNoSuchUpload)
	}
	if parts, err := b.ListParts(ctx, key, id, 0, 0); err != nil || len(parts) != 3 {
		t.Errorf("ListParts after the refusals=%d parts, %v; want the 3 uploaded", len(parts), err)
	}
	_, err = b.Head(ctx, key)
	checkErr(t, "Head after refused completes", err, objstore.ErrNotFound)

	st, err := b.Complete(ctx, key, id, completeList(2, e2, 3, e3))
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if err := st.Abort(); err != nil {
		t.Fatalf("Abort of the completed stage: %v", err)
	}
	if parts, err := b.ListParts(ctx, key, id, 0, 0); err != nil || len(parts) != 3 {
		t.Errorf("ListParts after an aborted Complete=%d parts, %v; want the upload kept", len(parts), err)
	}
	if err := b.AbortUpload(ctx, key, id); err != nil {
		t.Fatalf("AbortUpload: %v", err)
	}
	_, err = b.ListParts(ctx, key, id, 0, 0)
	checkErr(t, "ListParts after AbortUpload", err, objstore.ErrNoSuchUpload)
	checkErr(t, "AbortUpload again", b.AbortUpload(ctx, key, id), objstore.ErrNoSuchUpload)
}

type cp = objstore.CompletedPart

// completeList lists parts to complete: number, ETag, number, ETag, ...
func completeList(numberETag ...any) []cp {
	var out []cp
	for i := 0; i < len(numberETag); i += 2 {
		out = append(out, cp{Number: numberETag[i].(int), ETag: numberETag[i+1].(string)})
	}
	return out
}

// testMultipartListUploads lists uploads by key, then initiation, with a
// prefix and markers.
func testMultipartListUploads(t *testing.T, b objstore.Multipart) {
	ids := map[string]string{}
	for _, key := range []string{"b/2", "a/1", "b/1", "c"} {
		ids[key] = MustCreateUpload(t, b, key, objstore.PutOptions{})
	}
	second := MustCreateUpload(t, b, "b/1", objstore.PutOptions{})
	keysOf := func(prefix, keyMarker, idMarker string, max int) []string {
		ups, err := b.ListUploads(t.Context(), prefix, keyMarker, idMarker, max)
		if err != nil {
			t.Fatalf("ListUploads: %v", err)
		}
		var out []string
		for _, u := range ups {
			out = append(out, u.Key+" "+u.UploadID)
		}
		return out
	}
	all := []string{"a/1 " + ids["a/1"], "b/1 " + ids["b/1"], "b/1 " + second, "b/2 " + ids["b/2"], "c " + ids["c"]}
	for _, tt := range []struct {
		prefix, keyMarker, idMarker string
		max                         int
		want                        []string
	}{
		{"", "", "", 0, all},
		{"b/", "", "", 0, all[1:4]},
		{"", "", "", 2, all[:2]},
		{"", "b/1", "", 0, all[3:]},
		{"", "b/1", ids["b/1"], 0, all[2:]},
	} {
		if diff := cmp.Diff(tt.want, keysOf(tt.prefix, tt.keyMarker, tt.idMarker, tt.max)); diff != "" {
			t.Errorf("ListUploads(%q, %q, %q, %d) (-want +got):\n%s", tt.prefix, tt.keyMarker, tt.idMarker, tt.max, diff)
		}
	}
}
