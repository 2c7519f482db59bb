package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

// openCaching opens a SQLite file through the caching connector, on one
// connection, so that the test sees that connection's cache.
func openCaching(t *testing.T) (*sql.DB, func() *cachingConn) {
	t.Helper()
	connector, err := newCachingConnector("file:" + filepath.Join(t.TempDir(), "db.sqlite") + "?_pragma=temp_store(MEMORY)")
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	mustExec(t, db, `CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)`)
	cache := func() *cachingConn {
		conn, err := db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var c *cachingConn
		conn.Raw(func(dc any) error { c = dc.(*cachingConn); return nil })
		return c
	}
	return db, cache
}

func mustExec(t *testing.T, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func count(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM kv`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestStatementCache_ReusesOneStatementPerText(t *testing.T) {
	db, cache := openCaching(t)
	for i := range 100 {
		mustExec(t, db, `INSERT INTO kv (k, v) VALUES (?, ?)`, fmt.Sprint("k", i), i)
	}
	if n := count(t, db); n != 100 {
		t.Fatalf("rows = %d, want 100", n)
	}
	c := cache()
	// CREATE TABLE, the INSERT and the COUNT: one statement each.
	if len(c.stmts) != 3 || c.lru.Len() != 3 {
		t.Fatalf("cached %d statements (%d in order), want 3", len(c.stmts), c.lru.Len())
	}
	if _, ok := c.stmts[`INSERT INTO kv (k, v) VALUES (?, ?)`]; !ok {
		t.Fatal("the INSERT is not cached")
	}
}

func TestStatementCache_FailedStatementRunsAgain(t *testing.T) {
	db, _ := openCaching(t)
	insert := `INSERT INTO kv (k, v) VALUES (?, ?)`
	mustExec(t, db, insert, "a", 1)
	if _, err := db.Exec(insert, "a", 2); !isUnique(err) {
		t.Fatalf("duplicate insert: err = %v, want a uniqueness violation", err)
	}
	mustExec(t, db, insert, "b", 2)
	var v int
	if err := db.QueryRow(`SELECT v FROM kv WHERE k = ?`, "a").Scan(&v); err != nil || v != 1 {
		t.Fatalf("a = %d, %v; want 1 (the failed insert changed nothing)", v, err)
	}
	if n := count(t, db); n != 2 {
		t.Fatalf("rows = %d, want 2", n)
	}
}

// A statement run again while its own rows are still open (a nested
// query of the same text) cannot reuse the busy statement: it runs
// uncached, and both give their rows.
func TestStatementCache_SameQueryNestedInItsRows(t *testing.T) {
	db, _ := openCaching(t)
	for i := range 3 {
		mustExec(t, db, `INSERT INTO kv (k, v) VALUES (?, ?)`, fmt.Sprint("k", i), i)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	query := `SELECT k, v FROM kv WHERE v >= ? ORDER BY v`
	outer, err := tx.Query(query, 0)
	if err != nil {
		t.Fatal(err)
	}
	var pairs []string
	for outer.Next() {
		var k string
		var v int
		if err := outer.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		var inner int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM (`+query+`)`, v).Scan(&inner); err != nil {
			t.Fatal(err)
		}
		var again string
		if err := tx.QueryRow(query, v).Scan(&again, new(int)); err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, fmt.Sprintf("%s:%d:%s", k, inner, again))
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	outer.Close()
	if got, want := fmt.Sprint(pairs), "[k0:3:k0 k1:2:k1 k2:1:k2]"; got != want {
		t.Fatalf("rows = %s, want %s", got, want)
	}
}

// Past maxCachedStatements the least recently used statement goes; the
// cache stays bounded and every statement still runs.
func TestStatementCache_Bounded(t *testing.T) {
	db, cache := openCaching(t)
	for i := range maxCachedStatements + 50 {
		mustExec(t, db, fmt.Sprintf(`INSERT INTO kv (k, v) VALUES ('k%d', %d)`, i, i))
	}
	if n := count(t, db); n != maxCachedStatements+50 {
		t.Fatalf("rows = %d, want %d", n, maxCachedStatements+50)
	}
	c := cache()
	if len(c.stmts) != maxCachedStatements || c.lru.Len() != maxCachedStatements {
		t.Fatalf("cached %d statements (%d in order), want %d", len(c.stmts), c.lru.Len(), maxCachedStatements)
	}
	if _, ok := c.stmts[`SELECT COUNT(*) FROM kv`]; !ok {
		t.Fatal("the most recent statement was evicted")
	}
	if _, ok := c.stmts[`INSERT INTO kv (k, v) VALUES ('k0', 0)`]; ok {
		t.Fatal("the least recent statement is still cached")
	}
}

// A cached statement sees a later schema change (SQLite prepares it
// again by itself).
func TestStatementCache_SchemaChange(t *testing.T) {
	db, _ := openCaching(t)
	query := `SELECT * FROM kv WHERE k = ?`
	mustExec(t, db, `INSERT INTO kv (k, v) VALUES ('a', 1)`)
	cols := func() []string {
		rows, err := db.Query(query, "a")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		names, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		return names
	}
	if got := fmt.Sprint(cols()); got != "[k v]" {
		t.Fatalf("columns = %s, want [k v]", got)
	}
	mustExec(t, db, `ALTER TABLE kv ADD COLUMN note TEXT`)
	if got := fmt.Sprint(cols()); got != "[k v note]" {
		t.Fatalf("columns after ALTER TABLE = %s, want [k v note]", got)
	}
}

// The store's SQLite connections, the writer's and the readers', keep
// temporary data (the savepoints' statement journal) in memory.
func TestSQLite_TempStoreInMemory(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var read, write int
	if err := db.q(context.Background()).QueryRowContext(context.Background(), `PRAGMA temp_store`).Scan(&read); err != nil {
		t.Fatal(err)
	}
	err = db.Tx(context.Background(), func(ctx context.Context) error {
		return db.w(ctx).QueryRowContext(ctx, `PRAGMA temp_store`).Scan(&write)
	})
	if err != nil {
		t.Fatal(err)
	}
	if read != 2 || write != 2 { // 2 is MEMORY
		t.Fatalf("temp_store: readers %d, writer %d; want 2 (MEMORY)", read, write)
	}
}

// A migration runs with temporary storage in files (an index over a large
// table would otherwise sort it in RAM), and the connection returns to
// MEMORY after it.
func TestSQLite_MigrationTempStoreInFiles(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var during, after int
	err = db.Tx(context.Background(), func(ctx context.Context) error {
		if err := db.execMigration(ctx, `CREATE TABLE probe AS SELECT temp_store FROM pragma_temp_store`); err != nil {
			return err
		}
		if err := db.w(ctx).QueryRowContext(ctx, `SELECT temp_store FROM probe`).Scan(&during); err != nil {
			return err
		}
		return db.w(ctx).QueryRowContext(ctx, `PRAGMA temp_store`).Scan(&after)
	})
	if err != nil {
		t.Fatal(err)
	}
	if during != 1 || after != 2 { // 1 is FILE, 2 is MEMORY
		t.Fatalf("temp_store during a migration %d, after %d; want 1 (FILE), then 2 (MEMORY)", during, after)
	}
}
