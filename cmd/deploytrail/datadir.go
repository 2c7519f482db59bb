package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/deploytrail/deploytrail/internal/app"
	"github.com/deploytrail/deploytrail/internal/objstore"
)

// The files that tell a deploytrail data directory: the server's database,
// and the buckets directory `buckets create --init` makes before any
// server ran.
const (
	databaseFile = "deploytrail.db"
	bucketsDir   = "buckets"
	lockFile     = "deploytrail.lock"
)

// errNoState refuses a data directory that holds no deploytrail state, so
// that an offline command run in the wrong directory does not quietly
// make a fresh, empty one.
type errNoState struct{ dir string }

func (e *errNoState) Error() string {
	return fmt.Sprintf("%s holds no deploytrail state (no %s, no %s/): name the server's directory with --data or DEPLOYTRAIL_DATA, or create a new one with `deploytrail buckets create --init`",
		e.dir, databaseFile, bucketsDir)
}

// checkDataDir returns nil when dir holds deploytrail state, or when
// create is set (the directory is then made, mode 0700).
func checkDataDir(dir string, create bool) error {
	if create {
		return os.MkdirAll(dir, 0o700)
	}
	for _, name := range []string{databaseFile, bucketsDir} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return &errNoState{dir: dir}
}

// openBuckets opens the buckets of an offline command. The file backend
// lives in the data directory, which must hold deploytrail state unless
// create is set; an S3 backend needs no data directory.
func openBuckets(cfg app.Config, create bool) (objstore.Provider, error) {
	if cfg.S3Endpoint == "" {
		if err := checkDataDir(cfg.Data, create); err != nil {
			return nil, err
		}
	}
	return app.OpenBuckets(cfg)
}
