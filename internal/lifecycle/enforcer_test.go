package lifecycle

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/objstore/fs"
)

// fixture is a data directory with an fs bucket store, a lifecycle store
// and an enforcer on a fixed clock.
type fixture struct {
	data     string
	bucket   objstore.Bucket
	store    *Store
	enforcer *Enforcer
}

const testBucket = "trail-logs"

func newFixture(t *testing.T, rules string) *fixture {
	t.Helper()
	data := t.TempDir()
	buckets, err := fs.Open(filepath.Join(data, "buckets"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { buckets.Close() })
	b, err := buckets.Bucket(testBucket)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Create(t.Context()); err != nil {
		t.Fatal(err)
	}
	f := &fixture{data: data, bucket: b, store: NewStore(filepath.Join(data, "lifecycle"))}
	cfg, err := Parse([]byte(rules))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.Put(t.Context(), testBucket, cfg); err != nil {
		t.Fatal(err)
	}
	f.enforcer = NewEnforcer(f.store, buckets, filepath.Join(data, "archive"))
	f.enforcer.Now = func() time.Time { return testNow }
	return f
}

// put stores an object and backdates its file by age days.
func (f *fixture) put(t *testing.T, key string, age int) {
	t.Helper()
	if err := f.bucket.Put(t.Context(), key, []byte("body of "+key), objstore.PutOptions{ContentEncoding: "gzip"}); err != nil {
		t.Fatal(err)
	}
	mtime := testNow.AddDate(0, 0, -age)
	if err := os.Chtimes(filepath.Join(f.data, "buckets", testBucket, key), mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) keys(t *testing.T) []string {
	t.Helper()
	objs, err := f.bucket.List(t.Context(), "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range objs {
		keys = append(keys, o.Key)
	}
	return keys
}

func (f *fixture) enforce(t *testing.T) *Result {
	t.Helper()
	res, err := f.enforcer.Enforce(t.Context(), testBucket)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

const testRules = `{"Rules":[
	{"ID":"logs","Status":"Enabled","Filter":{"Prefix":"AWSLogs/1/CloudTrail/"},
	 "Expiration":{"Days":30},"Transitions":[{"Days":10,"StorageClass":"GLACIER"}]},
	{"ID":"tmp","Status":"Enabled","Prefix":"tmp/","Expiration":{"Days":1}},
	{"ID":"off","Status":"Disabled","Filter":{},"Expiration":{"Days":1}}]}`

func TestEnforcer_Enforce(t *testing.T) {
	f := newFixture(t, testRules)
	f.put(t, "AWSLogs/1/CloudTrail/a-old.json.gz", 40)
	f.put(t, "AWSLogs/1/CloudTrail/b-mid.json.gz", 15)
	f.put(t, "AWSLogs/1/CloudTrail/c-new.json.gz", 2)
	f.put(t, "AWSLogs/1/CloudTrail-Digest/d.json.gz", 400) // no enabled rule covers digests
	f.put(t, "other/x", 100)                               // only the disabled rule matches
	f.put(t, "tmp/y", 3)

	res := f.enforce(t)
	if want := []string{"AWSLogs/1/CloudTrail/a-old.json.gz", "tmp/y"}; !slices.Equal(res.Expired, want) {
		t.Errorf("Expired=%q, want %q", res.Expired, want)
	}
	if want := []string{"AWSLogs/1/CloudTrail/b-mid.json.gz"}; !slices.Equal(res.Archived, want) {
		t.Errorf("Archived=%q, want %q", res.Archived, want)
	}
	wantKeys := []string{"AWSLogs/1/CloudTrail-Digest/d.json.gz", "AWSLogs/1/CloudTrail/c-new.json.gz", "other/x"}
	if got := f.keys(t); !slices.Equal(got, wantKeys) {
		t.Fatalf("keys left=%q, want %q", got, wantKeys)
	}
	f.checkArchived(t, "AWSLogs/1/CloudTrail/b-mid.json.gz", 15)

	t.Run("RerunIsNoop", func(t *testing.T) {
		res := f.enforce(t)
		if len(res.Expired)+len(res.Archived) != 0 {
			t.Fatalf("second run removed %+v", res)
		}
		if got := f.keys(t); !slices.Equal(got, wantKeys) {
			t.Fatalf("keys left=%q, want %q", got, wantKeys)
		}
		f.checkArchived(t, "AWSLogs/1/CloudTrail/b-mid.json.gz", 15)
	})
}

// checkArchived checks the archive copy: same bytes, 0600 in 0700
// directories, the original modification time.
func (f *fixture) checkArchived(t *testing.T, key string, age int) {
	t.Helper()
	p := filepath.Join(f.data, "archive", testBucket, key)
	body, err := os.ReadFile(p)
	if err != nil || string(body) != "body of "+key {
		t.Fatalf("archive copy of %s: %q, %v", key, body, err)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("archive file mode=%v, want 0600", st.Mode().Perm())
	}
	if want := testNow.AddDate(0, 0, -age); !st.ModTime().Equal(want) {
		t.Errorf("archive file mtime=%v, want %v", st.ModTime(), want)
	}
	for d := filepath.Dir(p); d != filepath.Join(f.data, "archive"); d = filepath.Dir(d) {
		if st, err := os.Stat(d); err != nil || st.Mode().Perm() != 0o700 {
			t.Errorf("archive directory %s: %v, %v, want 0700", d, st.Mode().Perm(), err)
		}
	}
}

// TestEnforcer_CrashBetweenCopyAndDelete: a run that stopped after copying
// an object to the archive but before deleting it is finished by the next.
func TestEnforcer_CrashBetweenCopyAndDelete(t *testing.T) {
	f := newFixture(t, testRules)
	const key = "AWSLogs/1/CloudTrail/b-mid.json.gz"
	f.put(t, key, 15)
	obj, err := f.bucket.Get(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.enforcer.writeArchive(testBucket, key, obj); err != nil { // the copy, without the delete
		t.Fatal(err)
	}
	res := f.enforce(t)
	if !slices.Equal(res.Archived, []string{key}) {
		t.Fatalf("Archived=%q, want [%q]", res.Archived, key)
	}
	if got := f.keys(t); len(got) != 0 {
		t.Fatalf("keys left=%q, want none", got)
	}
	f.checkArchived(t, key, 15)
}

// TestEnforcer_StaleArchiveCopy: an archive file with other bytes (a torn
// copy by hand, an older object) is replaced, never trusted.
func TestEnforcer_StaleArchiveCopy(t *testing.T) {
	f := newFixture(t, testRules)
	const key = "AWSLogs/1/CloudTrail/b-mid.json.gz"
	f.put(t, key, 15)
	p := filepath.Join(f.data, "archive", testBucket, key)
	os.MkdirAll(filepath.Dir(p), 0o700)
	if err := os.WriteFile(p, []byte("body of"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.enforce(t)
	f.checkArchived(t, key, 15)
}

func TestEnforcer_NoConfiguration(t *testing.T) {
	f := newFixture(t, testRules)
	f.put(t, "tmp/y", 3)
	if err := f.store.Delete(t.Context(), testBucket); err != nil {
		t.Fatal(err)
	}
	if res := f.enforce(t); len(res.Expired)+len(res.Archived) != 0 {
		t.Fatalf("without a configuration: %+v", res)
	}
}

// TestEnforcer_Run checks that Run applies the rules at once and on its
// interval, and stops when its context ends.
func TestEnforcer_Run(t *testing.T) {
	f := newFixture(t, testRules)
	f.put(t, "tmp/y", 3)
	f.enforcer.Interval = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- f.enforcer.Run(ctx) }()
	waitFor(t, func() bool { return len(f.keys(t)) == 0 })
	f.put(t, "tmp/z", 3)
	waitFor(t, func() bool { return len(f.keys(t)) == 0 })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run=%v, want nil", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("timed out")
}
