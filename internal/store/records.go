package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
)

// Records stored whole as JSON documents in a data column, with the
// columns lookups need beside them (CodeDeploy resources, trails).

// one reads a single record's data into a new T; sql.ErrNoRows when
// there is none (each repository maps it to its domain's ErrNotFound).
func one[T any](ctx context.Context, q querier, query string, args ...any) (*T, error) {
	var data string
	if err := q.QueryRowContext(ctx, query, args...).Scan(&data); err != nil {
		return nil, err
	}
	return decode[T](data)
}

// all reads every record's data of a query.
func all[T any](ctx context.Context, q querier, query string, args ...any) ([]*T, error) {
	return collect(ctx, q, func(r rowScanner) (*T, error) {
		var data string
		if err := r.Scan(&data); err != nil {
			return nil, err
		}
		return decode[T](data)
	}, query, args...)
}

// decode reads a record's data into a new T.
func decode[T any](data string) (*T, error) {
	v := new(T)
	if err := json.Unmarshal([]byte(data), v); err != nil {
		return nil, fmt.Errorf("decode record: %w", err)
	}
	return v, nil
}

// stmt is one SQL statement with its arguments.
type stmt struct {
	query string
	args  []any
}

// exec runs statements in order in the transaction of ctx, or in one of
// their own, stopping at the first error: they commit together or not
// at all.
func (db *DB) exec(ctx context.Context, stmts ...stmt) error {
	return db.Tx(ctx, func(ctx context.Context) error {
		for _, st := range stmts {
			if _, err := db.w(ctx).ExecContext(ctx, st.query, st.args...); err != nil {
				return err
			}
		}
		return nil
	})
}

// exec1 runs one statement in the transaction of ctx, or in one of its
// own, and returns its result: a store method's single write commits
// through Tx like any other.
func (db *DB) exec1(ctx context.Context, query string, args ...any) (res sql.Result, err error) {
	err = db.Tx(ctx, func(ctx context.Context) error {
		res, err = db.w(ctx).ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

// exec1Try is exec1 for a statement whose failure (a unique violation)
// the caller answers and then goes on in the same transaction (see wTry).
func (db *DB) exec1Try(ctx context.Context, query string, args ...any) (res sql.Result, err error) {
	err = db.Tx(ctx, func(ctx context.Context) error {
		res, err = db.wTry(ctx).ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

func doc(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
