package delivery_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/bucketpolicy"
	"github.com/deploytrail/deploytrail/internal/cloudtrail"
	"github.com/deploytrail/deploytrail/internal/delivery"
	"github.com/deploytrail/deploytrail/internal/iam"
	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/objstore/mem"
	"github.com/deploytrail/deploytrail/internal/organizations"
	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/trail"
)

const (
	acct    = "111122223333"
	member  = "444455556666"
	bucket  = "trail-logs"
	east    = "us-east-1"
	west    = "us-west-2"
	orgID   = "o-exampleorgid"
	cdSrc   = "codedeploy.amazonaws.com"
	iamSrc  = "iam.amazonaws.com"
	testDay = "2026-03-04T05:06:07Z"
)

// env is a store on a temporary SQLite database and a bucket provider
// with bucket created.
type env struct {
	tb       testing.TB
	db       *store.DB
	dbPath   string
	buckets  objstore.Provider
	policies *bucketpolicy.Policies
	now      time.Time
}

// openPolicy lets CloudTrail write anywhere in bucket, for every account's
// trails, so that these tests exercise delivery rather than policies.
const openPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
	"Action":["s3:GetBucketAcl","s3:PutObject"],"Resource":["arn:aws:s3:::` + bucket + `","arn:aws:s3:::` + bucket + `/*"]}]}`

func newEnv(tb testing.TB, buckets objstore.Provider) *env {
	tb.Helper()
	dbPath := filepath.Join(tb.TempDir(), "deploytrail.db")
	db, err := store.Open(context.Background(), dbPath)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	if buckets == nil {
		buckets = mem.New()
	}
	b, err := buckets.Bucket(bucket)
	if err != nil {
		tb.Fatal(err)
	}
	if err := b.Create(context.Background()); err != nil {
		tb.Fatal(err)
	}
	// The record names owner and policy, so no account lookups are needed.
	policies := bucketpolicy.New(store.BucketPolicies{DB: db}, nil)
	if err := policies.Put(context.Background(), &bucketpolicy.Record{Bucket: bucket, Owner: acct, Policy: openPolicy}); err != nil {
		tb.Fatal(err)
	}
	now, _ := time.Parse(time.RFC3339, testDay)
	return &env{tb: tb, db: db, dbPath: dbPath, buckets: buckets, policies: policies, now: now}
}

// record stores an event and returns its eventID.
func (e *env) record(account, region, source, name string, readOnly bool) string {
	e.tb.Helper()
	ev := &trail.Event{EventVersion: trail.EventVersion, EventTime: testDay, EventSource: source, EventName: name,
		AWSRegion: region, SourceIPAddress: "127.0.0.1", RequestID: trail.NewEventID(), EventID: trail.NewEventID(),
		ReadOnly: &readOnly, EventType: trail.EventTypeAPICall, RecipientAccountID: account, EventCategory: trail.CategoryManagement}
	ctx := context.Background()
	err := e.db.Tx(ctx, func(ctx context.Context) error { return store.Events{DB: e.db}.Record(ctx, ev) })
	if err != nil {
		e.tb.Fatalf("record: %v", err)
	}
	return ev.EventID
}

// trail creates a trail of acct in east logging to bucket, changed by
// mod, and starts its logging.
func (e *env) trail(name string, mod func(*cloudtrail.Trail)) *cloudtrail.Trail {
	e.tb.Helper()
	t := &cloudtrail.Trail{ARN: cloudtrail.ARN(east, acct, name), Account: acct, HomeRegion: east, Created: e.now,
		Config: cloudtrail.TrailConfig{Name: name, S3BucketName: bucket, IncludeGlobalServiceEvents: true}}
	if mod != nil {
		mod(t)
	}
	ct := store.CloudTrail{Events: store.Events{DB: e.db}}
	if err := ct.InsertTrail(context.Background(), t); err != nil {
		e.tb.Fatalf("insert trail: %v", err)
	}
	e.setLogging(t, true)
	return t
}

func (e *env) setLogging(t *cloudtrail.Trail, on bool) {
	e.tb.Helper()
	e.now = e.now.Add(time.Second)
	t.Status.IsLogging = on
	if on {
		t.Status.StartLoggingTime = e.now
	} else {
		t.Status.StopLoggingTime = e.now
	}
	ct := store.CloudTrail{Events: store.Events{DB: e.db}}
	if err := ct.UpdateTrail(context.Background(), t); err != nil {
		e.tb.Fatalf("update trail: %v", err)
	}
}

// status is the trail's delivery status as GetTrailStatus sees it.
func (e *env) status(t *cloudtrail.Trail) cloudtrail.DeliveryStatus {
	e.tb.Helper()
	got, err := store.CloudTrail{Events: store.Events{DB: e.db}}.Trail(context.Background(), t.ARN)
	if err != nil {
		e.tb.Fatalf("read trail: %v", err)
	}
	return got.Status.Delivery
}

// org makes acct the management account of orgID, with member.
func (e *env) org() {
	e.tb.Helper()
	ctx, s := context.Background(), store.Organizations{DB: e.db}
	account := func(id, org string) *iam.Account {
		return &iam.Account{ID: id, Name: id, Email: id + "@example.com", Status: "ACTIVE", JoinedMethod: "CREATED", Created: e.now, OrgID: org}
	}
	if err := s.InsertAccount(ctx, account(acct, "")); err != nil {
		e.tb.Fatalf("insert account: %v", err)
	}
	if err := s.InsertOrg(ctx, &organizations.Org{ID: orgID, ManagementAccount: acct, FeatureSet: "ALL", Created: e.now}); err != nil {
		e.tb.Fatalf("insert org: %v", err)
	}
	if err := s.InsertAccount(ctx, account(member, orgID)); err != nil {
		e.tb.Fatalf("insert member: %v", err)
	}
}

// deliverer delivers e's trails at e.now, retrying failures at once.
func (e *env) deliverer() *delivery.Deliverer {
	d := delivery.New(store.Delivery{DB: e.db}, e.buckets, e.policies)
	d.Now = func() time.Time { return e.now }
	d.MinBackoff = 0
	return d
}

func (e *env) deliver(d *delivery.Deliverer) {
	e.tb.Helper()
	if err := d.Deliver(context.Background()); err != nil {
		e.tb.Fatalf("Deliver: %v", err)
	}
}

// logFile is a delivered file, decoded.
type logFile struct {
	Key     string
	Info    objstore.ObjectInfo
	Records []map[string]any
}

// files returns every object in the bucket, checking that each is one
// gzip member of {"Records":[…]}.
func (e *env) files() []logFile {
	e.tb.Helper()
	ctx := context.Background()
	b, err := e.buckets.Bucket(bucket)
	if err != nil {
		e.tb.Fatal(err)
	}
	list, err := b.List(ctx, "", "", 0)
	if err != nil {
		e.tb.Fatalf("list: %v", err)
	}
	var out []logFile
	for _, o := range list {
		obj, err := b.Get(ctx, o.Key)
		if err != nil {
			e.tb.Fatalf("get %s: %v", o.Key, err)
		}
		out = append(out, logFile{Key: o.Key, Info: obj.ObjectInfo, Records: decode(e.tb, obj.Body)})
	}
	return out
}

// decode gunzips a log file: exactly one member, nothing after it.
func decode(tb testing.TB, body []byte) []map[string]any {
	tb.Helper()
	br := bytes.NewReader(body)
	zr, err := gzip.NewReader(br)
	if err != nil {
		tb.Fatalf("gzip: %v", err)
	}
	zr.Multistream(false)
	raw, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatalf("gunzip: %v", err)
	}
	if br.Len() != 0 {
		tb.Fatalf("%d bytes after the gzip member", br.Len())
	}
	var doc struct{ Records []map[string]any }
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		tb.Fatalf("decode %s: %v", raw, err)
	}
	if len(doc.Records) == 0 {
		tb.Fatalf("file without records")
	}
	return doc.Records
}

// eventIDs counts the eventIDs of files.
func eventIDs(files []logFile) map[string]int {
	n := map[string]int{}
	for _, f := range files {
		for _, r := range f.Records {
			n[r["eventID"].(string)]++
		}
	}
	return n
}

// wantOnce checks that files hold exactly the events ids, each once.
func wantOnce(tb testing.TB, files []logFile, ids ...string) {
	tb.Helper()
	got := eventIDs(files)
	for _, id := range ids {
		if got[id] != 1 {
			tb.Errorf("event %s delivered %d times, want once", id, got[id])
		}
		delete(got, id)
	}
	for id, n := range got {
		tb.Errorf("event %s delivered %d times, want never", id, n)
	}
}
