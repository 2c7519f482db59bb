package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgconn"
)

// dialect is what differs between the SQL backends. The store's SQL is
// written once, in the subset both engines run (see the package doc);
// the dialect adapts each statement on its way to the driver.
type dialect struct {
	name string // "sqlite" or "postgres"
	// numbered makes placeholders $1, $2, …: PostgreSQL's form of ?.
	numbered bool
	// rebound caches each query's numbered form, up to maxRebound
	// queries: the store's fixed queries are a few hundred, but lookups
	// build theirs from the caller's attributes.
	rebound      sync.Map
	reboundCount atomic.Int64
	// batchLock, when set, is the first statement of every commit batch.
	batchLock string
	// tableExists counts the tables named by its one argument.
	tableExists string
	// primaryKeyScan follows a table's name in FROM to make the planner
	// walk the table by its primary key rather than by an index.
	primaryKeyScan string
	// groupIndex follows cd_deployments in FROM to make the planner read
	// a deployment group's deployments by the group's index.
	groupIndex string
}

// BatchLockKey is the PostgreSQL advisory lock every committer batch (and
// the migrations) holds: one writer at a time across every node on the
// database, as SQLite has within one (pg_locks shows who waits for it).
// The value is arbitrary; it is "deplytrl" in ASCII, unlikely to meet
// another application's key.
const BatchLockKey = 0x6465706c7974726c

// maxRebound bounds the cache of rebound queries; past it, a new query is
// rebound each time it runs (a scan of its text, microseconds).
const maxRebound = 4096

var sqliteDialect = &dialect{
	name:           "sqlite",
	tableExists:    `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`,
	primaryKeyScan: " NOT INDEXED",
	groupIndex:     " INDEXED BY cd_deployments_group",
}

func newPostgresDialect() *dialect {
	return &dialect{
		name:      "postgres",
		numbered:  true,
		batchLock: "SELECT pg_advisory_xact_lock(" + strconv.FormatInt(BatchLockKey, 10) + ")",
		tableExists: `SELECT COUNT(*) FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_name = ?`,
	}
}

// rebind rewrites query's ? placeholders for the dialect.
func (d *dialect) rebind(query string) string {
	if !d.numbered {
		return query
	}
	if q, ok := d.rebound.Load(query); ok {
		return q.(string)
	}
	q := numberPlaceholders(query)
	if d.reboundCount.Add(1) <= maxRebound {
		d.rebound.Store(query, q)
	}
	return q
}

// numberPlaceholders turns each ? that is a placeholder into $1, $2, …:
// not those inside string literals, quoted identifiers or comments.
func numberPlaceholders(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		case c == '\'' || c == '"':
			end := closing(query, i+1, c)
			b.WriteString(query[i:end])
			i = end - 1
			continue
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			end := strings.IndexByte(query[i:], '\n')
			if end < 0 {
				end = len(query) - i
			}
			b.WriteString(query[i : i+end])
			i += end - 1
			continue
		case c == '/' && strings.HasPrefix(query[i:], "/*"):
			end := strings.Index(query[i+2:], "*/")
			if end < 0 {
				end = len(query) - i
			} else {
				end += 4
			}
			b.WriteString(query[i : i+end])
			i += end - 1
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// closing returns the index just past the quote that closes the literal
// opened before from; a doubled quote is an escaped one, not the end.
func closing(query string, from int, quote byte) int {
	for i := from; i < len(query); i++ {
		if query[i] != quote {
			continue
		}
		if i+1 < len(query) && query[i+1] == quote {
			i++
			continue
		}
		return i + 1
	}
	return len(query)
}

// args adapts arguments to the dialect: PostgreSQL's integer columns take
// no Go bool, and the store keeps flags as 0/1 integers on every backend.
// The caller's slice is copied before the first change, never written.
func (d *dialect) args(args []any) []any {
	if !d.numbered {
		return args
	}
	var out []any
	for i, a := range args {
		if v, ok := a.(bool); ok {
			if out == nil {
				out = append([]any(nil), args...)
			}
			out[i] = boolInt(v)
		}
	}
	if out == nil {
		return args
	}
	return out
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}

// groupedKey is ", key" on PostgreSQL and nothing on SQLite, for a GROUP
// BY whose select list takes columns of the table key is the primary key
// of: PostgreSQL accepts those only when the key is in the group, and the
// key changes SQLite's plan (it sorts, rather than walking an index).
func (d *dialect) groupedKey(key string) string {
	if d.name == "postgres" {
		return ", " + key
	}
	return ""
}

// keyText makes s storable in a TEXT key column (the key of a revision,
// whose fields are joined by NUL bytes). PostgreSQL's text holds no NUL,
// so there NUL and \x01 become \x01\x01 and \x01\x02: distinct keys stay
// distinct and keep their order. SQLite stores s as it is, as it always
// has.
func (d *dialect) keyText(s string) string {
	if d.name != "postgres" || !strings.ContainsAny(s, "\x00\x01") {
		return s
	}
	return nulEscaper.Replace(s)
}

var nulEscaper = strings.NewReplacer("\x00", "\x01\x01", "\x01", "\x01\x02")

// wrap returns q applying the dialect to each statement.
func (d *dialect) wrap(q querier) querier {
	if !d.numbered {
		return q
	}
	return dialectQuerier{q: q, d: d}
}

// dialectQuerier is a querier that rebinds each statement and its
// arguments for its dialect.
type dialectQuerier struct {
	q querier
	d *dialect
}

func (x dialectQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return x.q.ExecContext(ctx, x.d.rebind(query), x.d.args(args)...)
}

func (x dialectQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return x.q.QueryContext(ctx, x.d.rebind(query), x.d.args(args)...)
}

func (x dialectQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return x.q.QueryRowContext(ctx, x.d.rebind(query), x.d.args(args)...)
}

// isUnique reports whether err is a uniqueness violation, on either
// backend: SQLite's message, or PostgreSQL's SQLSTATE 23505.
func isUnique(err error) bool {
	if err == nil {
		return false
	}
	if code, ok := sqlState(err); ok {
		return code == "23505"
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// sqlState returns the SQLSTATE of a PostgreSQL server error in err.
func sqlState(err error) (string, bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code, true
	}
	return "", false
}

// retryable reports whether a batch that failed with err certainly did
// not commit and may run again from the start: PostgreSQL's serialization
// failure and deadlock (the server rolled the transaction back), the
// server ending the session, and a connection lost before COMMIT was
// sent (the server rolls back a transaction whose client is gone). It is
// never asked about an error of COMMIT itself unless that error is a
// server's verdict (see committer.attempt).
func (d *dialect) retryable(err error) bool {
	if !d.numbered || err == nil {
		return false
	}
	if code, ok := sqlState(err); ok {
		switch {
		case code == "40001", code == "40P01": // serialization_failure, deadlock_detected
			return true
		case strings.HasPrefix(code, "08"): // connection_exception
			return true
		case code == "57P01", code == "57P02", code == "57P03": // the server shut the session down
			return true
		}
		return false
	}
	return lostConnection(err)
}

// lostConnection reports whether err is a broken or refused connection
// rather than an answer from the server.
func lostConnection(err error) bool {
	var netErr net.Error
	var connectErr *pgconn.ConnectError
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.As(err, &netErr) || errors.As(err, &connectErr) ||
		pgconn.SafeToRetry(err) || strings.Contains(err.Error(), "conn closed")
}

// serverRolledBack reports whether a COMMIT that failed with err is known
// to have rolled back: the server said so (a serialization failure or a
// deadlock found at commit). Any other failure of COMMIT, above all a
// lost connection, leaves the outcome unknown.
func (d *dialect) serverRolledBack(err error) bool {
	code, ok := sqlState(err)
	return ok && (code == "40001" || code == "40P01")
}

// savepointQuerier runs each Exec in a savepoint of its own, rolled back
// if the statement fails (see DB.wTry). Queries pass through.
type savepointQuerier struct{ querier }

func (q savepointQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if _, err := q.querier.ExecContext(ctx, `SAVEPOINT statement`); err != nil {
		return nil, err
	}
	res, err := q.querier.ExecContext(ctx, query, args...)
	if err != nil {
		_, rbErr := q.querier.ExecContext(ctx, `ROLLBACK TO SAVEPOINT statement`)
		if rbErr != nil {
			return nil, errors.Join(err, rbErr)
		}
	}
	if _, relErr := q.querier.ExecContext(ctx, `RELEASE SAVEPOINT statement`); relErr != nil {
		return nil, errors.Join(err, relErr)
	}
	return res, err
}
