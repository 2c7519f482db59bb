package store

import (
	"context"
	"fmt"
)

// EnsureSetting stores value under key unless the key has a value, and
// returns the value kept: servers starting together on one database agree
// on it (a server-wide secret such as the pagination key must be one).
func (db *DB) EnsureSetting(ctx context.Context, key, value string) (string, error) {
	if _, err := db.exec1(ctx, `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, key, value); err != nil {
		return "", fmt.Errorf("store setting %s: %w", key, err)
	}
	var kept string
	if err := db.q(ctx).QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&kept); err != nil {
		return "", fmt.Errorf("read setting %s: %w", key, err)
	}
	return kept, nil
}
