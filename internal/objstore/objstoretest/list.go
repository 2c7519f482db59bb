package objstoretest

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrail/deploytrail/internal/objstore"
)

// listFixture is a CloudTrail-shaped tree plus keys whose byte order differs
// from a naive directory walk: '-' and '.' sort before '/' (so CloudTrail-Digest/
// comes before CloudTrail/), upper case before lower case. No key is also a
// "directory" of another ("a/b" and "a/b/c"): S3 allows that, the fs backend
// cannot store it, and CloudTrail never writes it.
var listFixture = []string{
	"AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/23/111122223333_CloudTrail_us-east-1_20261123T0105Z_Mu0KsOhtH1ar15ZZ.json.gz",
	"AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/23/111122223333_CloudTrail_us-east-1_20261123T0110Z_9nYN7gp2eWAJHIfT.json.gz",
	"AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/111122223333_CloudTrail_us-east-1_20261124T0000Z_LnPgDQnpkSKEsppV.json.gz",
	"AWSLogs/111122223333/CloudTrail/us-east-2/2026/11/23/111122223333_CloudTrail_us-east-2_20261123T0105Z_aaaaaaaaaaaaaaaa.json.gz",
	"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/23/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20261123T010500Z.json.gz",
	"AWSLogs/222233334444/CloudTrail/us-east-1/2026/11/23/222233334444_CloudTrail_us-east-1_20261123T0105Z_bbbbbbbbbbbbbbbb.json.gz",
	"a-c",
	"a.d",
	"a/b",
	"a/c/d",
	"aB",
	"top",
}

func testList(t *testing.T, newBucket func(t *testing.T) objstore.Bucket) {
	b := MustCreate(t, newBucket)
	for _, key := range listFixture {
		MustPut(t, b, key, []byte(key), objstore.PutOptions{})
	}
	all := slices.Sorted(slices.Values(listFixture))
	const ct = "AWSLogs/111122223333/CloudTrail/"
	tests := []struct {
		name               string
		prefix, startAfter string
		max                int
		want               []string
	}{
		{"All", "", "", 0, all},
		{"Max", "", "", 3, all[:3]},
		{"StartAfter", "", all[4], 0, all[5:]},
		{"StartAfterMissingKey", "", "a/a", 0, all[8:]},
		{"StartAfterLast", "", "top", 0, nil},
		{"StartAfterDir", "", "a/c", 0, all[9:]},
		{"StartAfterInsideDir", "", "a/c/d", 0, all[10:]},
		{"PrefixDir", ct, "", 0, all[1:5]},
		{"PrefixNoSlash", "AWSLogs/111122223333/CloudTrail", "", 0, all[:5]},
		{"PrefixPartialSegment", ct + "us-east-1/2026/11/2", "", 0, all[1:4]},
		{"PrefixDay", ct + "us-east-1/2026/11/23/", "", 0, all[1:3]},
		{"PrefixStartAfterMax", ct, all[1], 2, all[2:4]},
		{"PrefixIsKey", "a/b", "", 0, []string{"a/b"}},
		{"PrefixShortName", "a", "", 0, all[6:11]},
		{"StartAfterBeforePrefix", "a/", "AWSLogs", 0, all[8:10]},
		{"NoMatch", "zzz", "", 0, nil},
	}
	for _, tt := range tests {
		got, err := b.List(t.Context(), tt.prefix, tt.startAfter, tt.max)
		if err != nil {
			t.Fatalf("%s: List: %v", tt.name, err)
		}
		var keys []string
		for _, o := range got {
			keys = append(keys, o.Key)
			if o.Size != int64(len(o.Key)) || o.Modified.IsZero() {
				t.Errorf("%s: %q has Size %d, Modified %v; want %d and a time", tt.name, o.Key, o.Size, o.Modified, len(o.Key))
			}
		}
		if diff := cmp.Diff(tt.want, keys); diff != "" {
			t.Errorf("%s: List(%q, %q, %d) keys (-want +got):\n%s", tt.name, tt.prefix, tt.startAfter, tt.max, diff)
		}
	}
}

// testListPaging pages through a bucket the way delivery's consumers do:
// startAfter = the last key seen.
func testListPaging(t *testing.T, newBucket func(t *testing.T) objstore.Bucket) {
	b := MustCreate(t, newBucket)
	for _, key := range listFixture {
		MustPut(t, b, key, nil, objstore.PutOptions{})
	}
	var got []string
	for after := ""; ; {
		page := listKeys(t, b, "", after, 5)
		if len(page) == 0 {
			break
		}
		if len(page) > 5 {
			t.Fatalf("page of %d, want at most 5", len(page))
		}
		got = append(got, page...)
		after = page[len(page)-1]
	}
	if diff := cmp.Diff(slices.Sorted(slices.Values(listFixture)), got); diff != "" {
		t.Fatalf("paged keys (-want +got):\n%s", diff)
	}
	if md := MustGet(t, b, "top"); len(md.Body) != 0 || md.Size != 0 {
		t.Fatalf("empty object came back with %d bytes, Size %d", len(md.Body), md.Size)
	}
}

func listKeys(tb testing.TB, b objstore.Bucket, prefix, startAfter string, max int) []string {
	tb.Helper()
	objs, err := b.List(tb.Context(), prefix, startAfter, max)
	if err != nil {
		tb.Fatalf("List(%q, %q, %d): %v", prefix, startAfter, max, err)
	}
	keys := make([]string, 0, len(objs))
	for _, o := range objs {
		keys = append(keys, o.Key)
	}
	return keys
}
