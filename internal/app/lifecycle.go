package app

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/deploytrail/deploytrail/internal/lifecycle"
	"github.com/deploytrail/deploytrail/internal/store"
)

// lifecycleRules returns the buckets' lifecycle rules kept in db, shared
// by every node, after moving in once the rules an earlier version kept in
// <data>/lifecycle (lifecycle.Import).
func lifecycleRules(ctx context.Context, db *store.DB, data string) (lifecycle.Rules, error) {
	rules := store.Lifecycle{DB: db}
	if _, err := lifecycle.Import(ctx, lifecycle.NewStore(lifecycle.Dir(data)), rules); err != nil {
		return nil, fmt.Errorf("import lifecycle rules: %w", err)
	}
	return rules, nil
}

// OpenLifecycleRules opens the store of cfg's data directory for the
// buckets' lifecycle rules, for commands run without a server (`deploytrail
// buckets lifecycle`); close the DB after.
func OpenLifecycleRules(ctx context.Context, cfg Config) (lifecycle.Rules, *store.DB, error) {
	db, err := store.Open(ctx, filepath.Join(cfg.Data, "deploytrail.db"))
	if err != nil {
		return nil, nil, err
	}
	rules, err := lifecycleRules(ctx, db, cfg.Data)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return rules, db, nil
}
