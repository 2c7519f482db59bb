package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrail/deploytrail/internal/store/storetest"
)

// TestSchemasMatch migrates a SQLite and a PostgreSQL database and
// compares what the store relies on: the tables, their columns in order
// with type, nullability and primary key, and the indexes by name with
// their columns and condition. The types are mapped by the store's rule
// (INTEGER is BIGINT, BLOB is BYTEA).
func TestSchemasMatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.sqlite")
	storetest.OpenTB(t, path)
	url := storetest.PostgresURL(t)
	storetest.OpenTB(t, url)
	lite, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	pg, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	want, got := sqliteSchema(t, lite), postgresSchema(t, pg)
	if len(want["table events"]) < 12 || len(want["index events_time"]) != 1 {
		t.Fatalf("the SQLite schema reads as %v: the catalog queries are broken", want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("schemas differ (-sqlite +postgres):\n%s", diff)
	}
}

// schema maps "table" to its column lines and "index name" to its line.
type schema map[string][]string

func column(name, typ string, notNull, pk bool) string {
	return fmt.Sprintf("%s %s notnull=%v pk=%v", name, typ, notNull || pk, pk)
}

var sqliteTypes = map[string]string{"INTEGER": "bigint", "BIGINT": "bigint", "TEXT": "text", "BLOB": "bytea"}

func sqliteSchema(t *testing.T, db *sql.DB) schema {
	out := schema{}
	tables := strings.Fields(queryString(t, db, `SELECT group_concat(name, ' ') FROM sqlite_master
		WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`))
	for _, table := range tables {
		rows := queryRows(t, db, `SELECT name, type, "notnull", pk FROM pragma_table_info(?) ORDER BY cid`, table)
		for _, r := range rows {
			out["table "+table] = append(out["table "+table], column(r[0], sqliteTypes[r[1]], r[2] == "1", r[3] != "0"))
		}
	}
	for _, r := range queryRows(t, db, `SELECT m.name, m.tbl_name, group_concat(i.name, ', '), m.sql
		FROM sqlite_master m, pragma_index_info(m.name) i WHERE m.type = 'index' AND m.sql IS NOT NULL GROUP BY m.name`) {
		where := ""
		if _, cond, ok := strings.Cut(r[3], " WHERE "); ok {
			where = " WHERE " + strings.TrimSpace(cond)
		}
		cols := r[2]
		if rowKeyIsSeq[r[1]] && !strings.HasSuffix(cols, ", seq") {
			cols += ", seq"
		}
		out["index "+r[0]] = []string{r[1] + "(" + cols + ")" + where}
	}
	return out
}

// rowKeyIsSeq are the tables whose every SQLite index ends in seq without
// naming it: events' rowid is seq, and event_resources' primary key
// starts with it. PostgreSQL's lookup indexes name it (migration 0021).
var rowKeyIsSeq = map[string]bool{"events": true, "event_resources": true}

func postgresSchema(t *testing.T, db *sql.DB) schema {
	out := schema{}
	for _, r := range queryRows(t, db, `SELECT c.table_name, c.column_name, c.data_type, c.is_nullable,
			EXISTS (SELECT 1 FROM information_schema.table_constraints tc
				JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name)
				WHERE tc.constraint_type = 'PRIMARY KEY' AND k.table_name = c.table_name AND k.column_name = c.column_name)
		FROM information_schema.columns c WHERE c.table_schema = current_schema()
		ORDER BY c.table_name, c.ordinal_position`) {
		out["table "+r[0]] = append(out["table "+r[0]], column(r[1], r[2], r[3] == "NO", r[4] == "true"))
	}
	for _, r := range queryRows(t, db, `SELECT i.relname, t.relname,
			(SELECT string_agg(a.attname, ', ' ORDER BY k.n) FROM unnest(x.indkey) WITH ORDINALITY k(attnum, n)
				JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum),
			COALESCE(pg_get_expr(x.indpred, x.indrelid), '')
		FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace
		WHERE n.nspname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)`) {
		where := ""
		if r[3] != "" {
			where = " WHERE " + postgresPredicate(r[3])
		}
		out["index "+r[0]] = []string{r[1] + "(" + r[2] + ")" + where}
	}
	return out
}

// postgresPredicate undoes PostgreSQL's rendering of a partial index's
// condition ("(category = 'Management'::text)", "(status = ANY
// (ARRAY['a'::text, 'b'::text]))") into the form written ("status IN
// ('a', 'b')").
func postgresPredicate(p string) string {
	p = strings.ReplaceAll(p, "::text", "")
	for strings.HasPrefix(p, "(") && strings.HasSuffix(p, ")") {
		p = p[1 : len(p)-1]
	}
	if col, list, ok := strings.Cut(p, " = ANY (ARRAY["); ok {
		p = col + " IN (" + strings.TrimSuffix(list, "])") + ")"
	}
	return p
}

func queryString(t *testing.T, db *sql.DB, query string) string {
	var s sql.NullString
	if err := db.QueryRowContext(context.Background(), query).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s.String
}

// queryRows returns every row of query, each column as text.
func queryRows(t *testing.T, db *sql.DB, query string, args ...any) [][]string {
	rows, err := db.QueryContext(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%v: %s", err, query)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = v.String
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
