package store

import (
	"container/list"
	"context"
	"database/sql/driver"
	"fmt"

	"modernc.org/sqlite"
)

// maxCachedStatements bounds the prepared statements one SQLite
// connection keeps: the store's fixed statements are a few hundred, and
// lookups build theirs from the caller's attributes, so the least
// recently used one makes room for a new one.
const maxCachedStatements = 256

// cachingConnector opens SQLite connections that keep their prepared
// statements (cachingConn). Parsing SQL was a fifth of an audited call's
// CPU, on the one write connection, because database/sql prepares and
// finalizes every statement run without an explicit *sql.Stmt.
type cachingConnector struct{ driver.Connector }

func newCachingConnector(dsn string) (driver.Connector, error) {
	base, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return cachingConnector{base}, nil
}

func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return newCachingConn(conn)
}

// sqliteConn is what every connection of the modernc driver implements
// and database/sql uses: a wrapper that hid one of these would make it
// fall back to the context-free methods.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachingConn is a SQLite connection that runs each statement text from
// a prepared statement it keeps, parsed once per connection (SQLite
// prepares it again by itself if the schema changes). database/sql calls
// a connection, and closes its rows, under the connection's lock, so
// cachingConn needs none of its own.
type cachingConn struct {
	sqliteConn
	stmts map[string]*list.Element // of *cachedStmt
	// lru holds the statements, the most recently used first.
	lru *list.List
}

// preparedStmt is what every statement of the modernc driver implements.
type preparedStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

type cachedStmt struct {
	query string
	stmt  preparedStmt
	// busy is set while rows of the statement are open: it cannot run
	// again (nor be finalized) until they close.
	busy bool
}

func newCachingConn(conn driver.Conn) (*cachingConn, error) {
	c, ok := conn.(sqliteConn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("sqlite connection %T lacks the context methods", conn)
	}
	return &cachingConn{sqliteConn: c, stmts: map[string]*list.Element{}, lru: list.New()}, nil
}

// Unwrap returns the driver's connection (the driver's Limit sees
// through wrappers this way).
func (c *cachingConn) Unwrap() driver.Conn { return c.sqliteConn }

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s, err := c.statement(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.sqliteConn.ExecContext(ctx, query, args)
	}
	return s.stmt.ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, err := c.statement(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	rows, err := s.stmt.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	s.busy = true
	return &cachedRows{Rows: rows, stmt: s}, nil
}

// statement returns the prepared statement of query, preparing it on a
// miss, or nil when the cached one is busy: then the caller runs query
// the uncached way (a statement run again while its rows are open).
func (c *cachingConn) statement(ctx context.Context, query string) (*cachedStmt, error) {
	if e, ok := c.stmts[query]; ok {
		s := e.Value.(*cachedStmt)
		if s.busy {
			return nil, nil
		}
		c.lru.MoveToFront(e)
		return s, nil
	}
	prepared, err := c.sqliteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	stmt, ok := prepared.(preparedStmt)
	if !ok {
		prepared.Close()
		return nil, fmt.Errorf("sqlite statement %T lacks the context methods", prepared)
	}
	s := &cachedStmt{query: query, stmt: stmt}
	c.stmts[query] = c.lru.PushFront(s)
	c.evict()
	return s, nil
}

// evict finalizes the least recently used statements that are not busy
// while the cache holds more than maxCachedStatements. Finalizing always
// frees a statement; its error only repeats the statement's last failure,
// long since reported, so it is not one.
func (c *cachingConn) evict() {
	for e := c.lru.Back(); e != nil && c.lru.Len() > maxCachedStatements; {
		prev := e.Prev()
		if s := e.Value.(*cachedStmt); !s.busy {
			c.lru.Remove(e)
			delete(c.stmts, s.query)
			s.stmt.Close()
		}
		e = prev
	}
}

// Close finalizes the cached statements (their errors are no one's, as
// in evict), then closes the connection.
func (c *cachingConn) Close() error {
	for e := c.lru.Front(); e != nil; e = e.Next() {
		e.Value.(*cachedStmt).stmt.Close()
	}
	c.stmts, c.lru = nil, list.New()
	return c.sqliteConn.Close()
}

// cachedRows are the rows of a cached statement, which they free (reset,
// not finalize: the driver's rows of a prepared statement) when closed.
type cachedRows struct {
	driver.Rows
	stmt *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.stmt.busy = false
	return err
}
