package store_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/deploytrail/deploytrail/internal/codedeploy"
	"github.com/deploytrail/deploytrail/internal/iam"
	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/store/storetest"
)

// TestDialect_Placeholders: a ? inside a string literal, a quoted
// identifier or a comment is text, not a parameter, on both backends;
// a Go bool argument is 0/1.
func TestDialect_Placeholders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var got string
		var flag int
		err := store.QueryRow(ctx, db, `SELECT 'lit ? ''q?''' || ? /* ? */ || "c?", ? + 0 -- ?
			FROM (SELECT ? AS "c?") t`, "-arg1-", true, "arg3").Scan(&got, &flag)
		if err != nil || got != "lit ? 'q?'-arg1-arg3" || flag != 1 {
			t.Fatalf("got %q, %d, %v; want \"lit ? 'q?'-arg1-arg3\", 1", got, flag, err)
		}
	})
}

// TestUniqueViolation: a second row under a unique key is the domain's
// "already exists", from either engine's error, and changes nothing.
func TestUniqueViolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.CodeDeploy{DB: db}
		app := func(id string) *codedeploy.Application {
			return &codedeploy.Application{Scope: codedeploy.Scope{Account: "111122223333", Region: "us-east-1"},
				Info: codedeploy.ApplicationInfo{ApplicationID: id, ApplicationName: "web"}}
		}
		if err := s.InsertApplication(ctx, app("a1")); err != nil {
			t.Fatal(err)
		}
		if err := s.InsertApplication(ctx, app("a2")); !errors.Is(err, codedeploy.ErrExists) {
			t.Fatalf("second application named web: err=%v, want ErrExists", err)
		}
		if _, err := s.ApplicationByID(ctx, "a2"); !errors.Is(err, codedeploy.ErrNotFound) {
			t.Fatalf("the refused application: err=%v, want ErrNotFound", err)
		}
	})
}

// TestGroupCommit runs many concurrent transactions, some failing and some
// panicking, so that batches carry units that roll back beside units that
// commit: exactly the successful ones are committed, and their after
// hooks run once, the others' never.
func TestGroupCommit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		settings := store.IAM{DB: db}
		const n = 200
		var wg sync.WaitGroup
		errs := make([]error, n)
		hooks := make([]atomic.Int32, n)
		for i := range n {
			wg.Go(func() {
				errs[i] = db.Tx(ctx, func(ctx context.Context) error {
					if err := settings.PutSetting(ctx, strconv.Itoa(i), "v"); err != nil {
						return err
					}
					store.AfterCommit(ctx, func() { hooks[i].Add(1) })
					switch i % 10 {
					case 3:
						return errors.New("refused")
					case 7:
						panic("bug")
					}
					return nil
				})
			})
		}
		wg.Wait()
		for i, err := range errs {
			_, getErr := settings.Setting(ctx, strconv.Itoa(i))
			committed := getErr == nil
			wantOK := i%10 != 3 && i%10 != 7
			if (err == nil) != wantOK || committed != wantOK || (hooks[i].Load() == 1) != wantOK || hooks[i].Load() > 1 {
				t.Fatalf("unit %d: err=%v committed=%v hooks=%d, want ok=%v", i, err, committed, hooks[i].Load(), wantOK)
			}
		}
	})
}

// TestRetriedBatch: a batch whose connection is lost before COMMIT runs
// again from the start on a new one; the unit commits once, and its after
// hook runs once, for the attempt that committed. (PostgreSQL only: a
// SQLite connection is not lost.)
func TestRetriedBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if db.Dialect() != "postgres" {
			t.Skip("a SQLite connection cannot be lost")
		}
		ctx := context.Background()
		var attempts, hooks atomic.Int32
		err := db.Tx(ctx, func(ctx context.Context) error {
			if err := (store.IAM{DB: db}).PutSetting(ctx, "retried", fmt.Sprint(attempts.Add(1))); err != nil {
				return err
			}
			store.AfterCommit(ctx, func() { hooks.Add(1) })
			if attempts.Load() == 1 {
				// The server ends this session: the transaction is gone.
				_, err := store.Exec(ctx, db, `SELECT pg_terminate_backend(pg_backend_pid())`)
				return err
			}
			return nil
		})
		v, getErr := store.IAM{DB: db}.Setting(ctx, "retried")
		if err != nil || attempts.Load() != 2 || hooks.Load() != 1 || v != "2" || getErr != nil {
			t.Fatalf("Tx=%v attempts=%d hooks=%d value=%q (%v); want nil, 2 attempts, 1 hook, value 2",
				err, attempts.Load(), hooks.Load(), v, getErr)
		}
	})
}

// TestTwoNodes: two stores on one database (two nodes of a cluster)
// commit concurrently, each unit a read-modify-write of one counter and
// one event of its own. The batch lock makes their batches take turns, so
// no increment is lost and every event is stored once.
func TestTwoNodes(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		nodes := []*store.DB{storetest.OpenTB(t, dsn), storetest.OpenTB(t, dsn)}
		const perNode = 60
		var wg sync.WaitGroup
		var failed atomic.Int32
		for n, db := range nodes {
			for i := range perNode {
				wg.Go(func() {
					if err := increment(ctx, db, fmt.Sprintf("n%d-%d", n, i)); err != nil {
						t.Errorf("node %d unit %d: %v", n, i, err)
						failed.Add(1)
					}
				})
			}
		}
		wg.Wait()
		if failed.Load() > 0 {
			return
		}
		v, err := store.IAM{DB: nodes[1]}.Setting(ctx, "counter")
		var events, distinct int
		qErr := store.QueryRow(ctx, nodes[0], `SELECT COUNT(*), COUNT(DISTINCT value) FROM settings WHERE key LIKE 'event-%'`).Scan(&events, &distinct)
		if err != nil || qErr != nil || v != strconv.Itoa(2*perNode) || events != 2*perNode || distinct != 2*perNode {
			t.Fatalf("counter=%q (%v), rows %d distinct %d (%v); want %d of each", v, err, events, distinct, qErr, 2*perNode)
		}
	})
}

// increment adds one to the counter setting, reading it in the same
// transaction, and records a row of its own named id.
func increment(ctx context.Context, db *store.DB, id string) error {
	settings := store.IAM{DB: db}
	return db.Tx(ctx, func(ctx context.Context) error {
		v, err := settings.Setting(ctx, "counter")
		if err != nil && !errors.Is(err, iam.ErrNotFound) {
			return err
		}
		n, _ := strconv.Atoi(v)
		if err := settings.PutSetting(ctx, "counter", strconv.Itoa(n+1)); err != nil {
			return err
		}
		return settings.PutSetting(ctx, "event-"+id, id)
	})
}

// TestRevisionKeysWithNUL: a revision's key joins its location's fields
// with NUL bytes, which PostgreSQL's text cannot hold; on both backends
// such keys are stored, found, kept apart and listed in key order.
func TestRevisionKeysWithNUL(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.CodeDeploy{DB: db}
		if err := s.InsertApplication(ctx, &codedeploy.Application{Scope: codedeploy.Scope{Account: "111122223333", Region: "us-east-1"},
			Info: codedeploy.ApplicationInfo{ApplicationID: "app", ApplicationName: "web"}}); err != nil {
			t.Fatal(err)
		}
		keys := []string{"S3\x00b\x00k", "S3\x00b\x01k", "S3\x00b\x00k\x00v2", "S3\x00bk"}
		for _, k := range keys {
			if err := s.PutRevision(ctx, &codedeploy.Revision{AppID: "app", Key: k}); err != nil {
				t.Fatalf("put %q: %v", k, err)
			}
		}
		for _, k := range keys {
			if r, err := s.Revision(ctx, "app", k); err != nil || r.Key != k {
				t.Fatalf("revision %q: %+v, %v", k, r, err)
			}
		}
		revs, err := s.Revisions(ctx, "app")
		want := []string{"S3\x00b\x00k", "S3\x00b\x00k\x00v2", "S3\x00b\x01k", "S3\x00bk"}
		var got []string
		for _, r := range revs {
			got = append(got, r.Key)
		}
		if err != nil || fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
			t.Fatalf("revisions %q, %v; want %q", got, err, want)
		}
	})
}

// TestGoesOnAfterExists: a call that meets "already exists" may answer it
// and go on in the same transaction (SNS's CreateTopic returns the topic
// there is). PostgreSQL aborts a transaction at its first failed
// statement, SQLite does not; the store makes both behave as SQLite.
func TestGoesOnAfterExists(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.CodeDeploy{DB: db}
		app := &codedeploy.Application{Scope: codedeploy.Scope{Account: "111122223333", Region: "us-east-1"},
			Info: codedeploy.ApplicationInfo{ApplicationID: "a1", ApplicationName: "web"}}
		if err := s.InsertApplication(ctx, app); err != nil {
			t.Fatal(err)
		}
		err := db.Tx(ctx, func(ctx context.Context) error {
			if err := s.InsertApplication(ctx, app); !errors.Is(err, codedeploy.ErrExists) {
				return fmt.Errorf("second insert: %v, want ErrExists", err)
			}
			return store.IAM{DB: db}.PutSetting(ctx, "after-exists", "v")
		})
		v, getErr := store.IAM{DB: db}.Setting(ctx, "after-exists")
		if err != nil || getErr != nil || v != "v" {
			t.Fatalf("Tx=%v, the write after ErrExists: %q, %v; want it committed", err, v, getErr)
		}
	})
}
