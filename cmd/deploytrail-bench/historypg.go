package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/deploytrail/deploytrail/internal/app"
	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// historyLoad is how a history was put into the database.
type historyLoad struct {
	Backend         string  `json:"backend"`
	Events          int     `json:"events"`
	Seconds         float64 `json:"seconds"`
	EventsPerSecond float64 `json:"events_per_second"`
	AnalyzeSeconds  float64 `json:"analyze_seconds,omitempty"`
	DatabaseMB      float64 `json:"database_mb"`
}

// bulkHistoryReport is workload 5's lookups over a history bulk-loaded
// with Events.Import: into PostgreSQL (issue 15, --only history-postgres)
// or into SQLite at 10 M events (issue 16, history-10m).
type bulkHistoryReport struct {
	// Load is null when the run timed lookups on an earlier run's
	// database (--history-database).
	Load *historyLoad `json:"load"`
	*historyReport
}

// runHistoryPostgres imports s.PostgresEvents events of workload 5's
// history into a fresh PostgreSQL database (Events.Import: the rows
// Record writes, in bulk), analyzes it and times workload 5's lookups
// against a server on it.
func runHistoryPostgres(ctx context.Context, e *env, s settings) (*bulkHistoryReport, error) {
	url := s.HistoryDatabase
	if url == "" {
		pg, stopPG, err := postgres(ctx, e)
		if err != nil {
			return nil, err
		}
		defer stopPG()
		if url, err = pg.database(ctx, "history"); err != nil {
			return nil, err
		}
	}
	dir, err := e.mkdir("history-postgres")
	if err != nil {
		return nil, err
	}
	p, err := openApp(ctx, dir, func(c *app.Config) { c.DatabaseURL, c.DeliveryInterval = url, time.Hour })
	if err != nil {
		return nil, err
	}
	defer p.close()
	var load *historyLoad
	var ids []string
	if s.HistoryDatabase != "" {
		ids = sampleHistory(s.PostgresEvents)
	} else {
		load = &historyLoad{Backend: "postgres", Events: s.PostgresEvents}
		if ids, err = importHistory(ctx, p.app.DB, s.PostgresEvents, load); err != nil {
			return nil, err
		}
		if err := analyze(ctx, url, load); err != nil {
			return nil, err
		}
	}
	return timeBulkHistory(ctx, p, s, s.PostgresEvents, load, ids)
}

// timeBulkHistory times workload 5's lookups on p's bulk-loaded history
// of n events.
func timeBulkHistory(ctx context.Context, p *inproc, s settings, n int, load *historyLoad, ids []string) (*bulkHistoryReport, error) {
	hs := s
	hs.Events = n
	h, err := runHistory(ctx, p, hs, ids)
	if err != nil {
		return nil, err
	}
	return &bulkHistoryReport{Load: load, historyReport: h}, nil
}

// historySQLiteFile is the database of a data directory.
const historySQLiteFile = "deploytrail.db"

// runHistory10M imports s.PostgresEvents events (10 M by default) of
// workload 5's history into a fresh SQLite data directory, the default
// backend, and times workload 5's lookups on it. With --history-database
// DIR it keeps the data directory at DIR: it loads DIR when DIR holds no
// database yet, else times the lookups on what an earlier run loaded
// there with the same --events (no load, Load null).
func runHistory10M(ctx context.Context, e *env, s settings) (*bulkHistoryReport, error) {
	dir, keep := s.HistoryDatabase, s.HistoryDatabase != ""
	if !keep {
		var err error
		if dir, err = e.mkdir("history-10m"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	_, statErr := os.Stat(filepath.Join(dir, historySQLiteFile))
	loaded := keep && statErr == nil
	p, err := openApp(ctx, dir, func(c *app.Config) { c.DeliveryInterval = time.Hour })
	if err != nil {
		return nil, err
	}
	defer p.close()
	if !keep {
		// 10 M events take about 20 GB: give the disk back at once.
		defer os.RemoveAll(dir)
	}
	var load *historyLoad
	var ids []string
	if loaded {
		ids = sampleHistory(s.PostgresEvents)
	} else {
		load = &historyLoad{Backend: "sqlite", Events: s.PostgresEvents}
		if ids, err = importHistory(ctx, p.app.DB, s.PostgresEvents, load); err != nil {
			return nil, err
		}
		if load.DatabaseMB, err = sqliteSize(dir); err != nil {
			return nil, err
		}
	}
	return timeBulkHistory(ctx, p, s, s.PostgresEvents, load, ids)
}

// sqliteSize is the size in MB of the database in dir with its WAL.
func sqliteSize(dir string) (float64, error) {
	var size int64
	for _, name := range []string{historySQLiteFile, historySQLiteFile + "-wal"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return 0, err
		}
		size += fi.Size()
	}
	return round(float64(size) / 1e6), nil
}

// importHistory loads n events of workload 5's history with
// Events.Import, store.MaxImport at a time, and returns the sample of
// event ids for lookups.
func importHistory(ctx context.Context, db *store.DB, n int, load *historyLoad) ([]string, error) {
	gen := historyGenerator(n)
	var ids []string
	log.Printf("bulk history: importing %d events", n)
	t0 := time.Now()
	batch := make([]*trail.Event, 0, store.MaxImport)
	for start := 0; start < n; start += store.MaxImport {
		batch = batch[:0]
		for i := start; i < min(n, start+store.MaxImport); i++ {
			ev := gen(i)
			if lookupSample(i, ev) {
				ids = append(ids, ev.EventID)
			}
			batch = append(batch, ev)
		}
		if err := (store.Events{DB: db}).Import(ctx, batch); err != nil {
			return nil, fmt.Errorf("import events %d-%d: %w", start, start+len(batch), err)
		}
		if done := start + len(batch); done%1_000_000 == 0 {
			log.Printf("bulk history: %d events in %s", done, time.Since(t0).Round(time.Second))
		}
	}
	d := time.Since(t0)
	load.Seconds = round(d.Seconds())
	load.EventsPerSecond = round(float64(n) / d.Seconds())
	return ids, nil
}

// sampleHistory returns importHistory's sample of event ids of a history
// of n events without storing it (the generator is deterministic), for
// timing lookups again on a database an earlier run loaded.
func sampleHistory(n int) []string {
	gen := historyGenerator(n)
	var ids []string
	for i := range n {
		if ev := gen(i); lookupSample(i, ev) {
			ids = append(ids, ev.EventID)
		}
	}
	return ids
}

// analyze runs ANALYZE on the database at url (as autovacuum would, in
// time, after a bulk load) and measures its size.
func analyze(ctx context.Context, url string, load *historyLoad) error {
	t0 := time.Now()
	if out, err := exec.CommandContext(ctx, "psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", "ANALYZE").CombinedOutput(); err != nil {
		return fmt.Errorf("analyze: %v: %s", err, out)
	}
	load.AnalyzeSeconds = round(time.Since(t0).Seconds())
	out, err := exec.CommandContext(ctx, "psql", "-At", url, "-c", "SELECT pg_database_size(current_database())").Output()
	if err != nil {
		return fmt.Errorf("database size: %w", err)
	}
	size, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		return fmt.Errorf("database size %q: %w", out, err)
	}
	load.DatabaseMB = round(size / 1e6)
	return nil
}
