package store

import (
	"context"
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

// exec runs statements in order on the writer, stopping at the first
// error; callers wrap it in a Tx when they must commit together.
func (db *DB) exec(ctx context.Context, stmts ...stmt) error {
	for _, st := range stmts {
		if _, err := db.w(ctx).ExecContext(ctx, st.query, st.args...); err != nil {
			return err
		}
	}
	return nil
}

func doc(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
