package lifecycle

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/objstore"
)

// ErrNoSuchConfiguration is returned by [Store.Get] for a bucket without
// a lifecycle configuration (S3's NoSuchLifecycleConfiguration).
var ErrNoSuchConfiguration = awserr.New(CodeNoSuchLifecycleConfiguration, msgNoSuchLifecycleConfiguration)

const (
	fileMode = 0o600
	dirMode  = 0o700
	ext      = ".json"
)

// Rules keeps each bucket's lifecycle configuration. The server keeps
// them in its database (store.Lifecycle), shared by every node; Store
// keeps them in files, as earlier versions did (read by Import).
type Rules interface {
	// Put saves cfg, valid, as bucket's configuration, replacing any
	// earlier one.
	Put(ctx context.Context, bucket string, cfg *Configuration) error
	// Get returns bucket's configuration. Errors: ErrNoSuchConfiguration.
	Get(ctx context.Context, bucket string) (*Configuration, error)
	// Delete removes bucket's configuration; removing none is not an
	// error.
	Delete(ctx context.Context, bucket string) error
	// Buckets returns the buckets that have a configuration, sorted.
	Buckets(ctx context.Context) ([]string, error)
}

var _ Rules = (*Store)(nil)

// Store keeps each bucket's configuration in a file <dir>/<bucket>.json
// (0600, in a 0700 directory), outside the bucket so that it never shows
// in listings. Writes are atomic (temp file and rename). Earlier versions
// kept the server's rules this way; Import moves them into Rules.
type Store struct {
	dir string
}

// NewStore returns the store in dir, conventionally <data>/lifecycle. The
// directory is created on the first Put.
func NewStore(dir string) *Store { return &Store{dir: dir} }

// Put validates cfg and saves it as bucket's configuration, replacing any
// earlier one. Errors: objstore.ErrInvalidBucketName, the *awserr.Error of
// [Configuration.Validate], I/O errors.
func (s *Store) Put(_ context.Context, bucket string, cfg *Configuration) error {
	if err := objstore.ValidateBucketName(bucket); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("encode lifecycle configuration: %w", err)
	}
	if err := os.MkdirAll(s.dir, dirMode); err != nil {
		return fmt.Errorf("create lifecycle directory: %w", err)
	}
	if err := writeFileAtomic(s.path(bucket), append(data, '\n')); err != nil {
		return fmt.Errorf("save lifecycle configuration of %s: %w", bucket, err)
	}
	return nil
}

// Get returns bucket's configuration. Errors: ErrNoSuchConfiguration,
// objstore.ErrInvalidBucketName, I/O and decoding errors.
func (s *Store) Get(_ context.Context, bucket string) (*Configuration, error) {
	if err := objstore.ValidateBucketName(bucket); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(s.path(bucket))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoSuchConfiguration
	}
	if err != nil {
		return nil, fmt.Errorf("read lifecycle configuration of %s: %w", bucket, err)
	}
	cfg, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("lifecycle configuration of %s in %s: %w", bucket, s.path(bucket), err)
	}
	return cfg, nil
}

// Delete removes bucket's configuration; removing none is not an error.
func (s *Store) Delete(_ context.Context, bucket string) error {
	if err := objstore.ValidateBucketName(bucket); err != nil {
		return err
	}
	if err := os.Remove(s.path(bucket)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("delete lifecycle configuration of %s: %w", bucket, err)
	}
	return nil
}

// Buckets returns the buckets that have a configuration, sorted.
func (s *Store) Buckets(context.Context) ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list lifecycle configurations: %w", err)
	}
	var names []string
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ext)
		if ok && e.Type().IsRegular() && objstore.ValidateBucketName(name) == nil {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

func (s *Store) path(bucket string) string { return filepath.Join(s.dir, bucket+ext) }

// writeFileAtomic writes data to a temp file beside name (0600), syncs it
// and renames it over name.
func writeFileAtomic(name string, data []byte) error {
	tmp := filepath.Join(filepath.Dir(name), ".tmp-"+rand.Text())
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return err
	}
	defer os.Remove(tmp) // fails harmlessly once renamed
	if _, err = f.Write(data); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp, name)
}

// importedExt marks a file Import has moved into the database: kept as a
// record, never read again.
const importedExt = ".imported"

// Import moves the configurations kept in files by an earlier version
// into to, once: each file, once saved in to, is renamed with the suffix
// ".imported" and never read again (nor would a rule deleted since come
// back). It returns how many it moved.
func Import(ctx context.Context, from *Store, to Rules) (int, error) {
	names, err := from.Buckets(ctx)
	if err != nil {
		return 0, err
	}
	for i, bucket := range names {
		cfg, err := from.Get(ctx, bucket)
		if err != nil {
			return i, err
		}
		if err := to.Put(ctx, bucket, cfg); err != nil {
			return i, fmt.Errorf("import lifecycle configuration of %s: %w", bucket, err)
		}
		if err := os.Rename(from.path(bucket), from.path(bucket)+importedExt); err != nil {
			return i, fmt.Errorf("import lifecycle configuration of %s: %w", bucket, err)
		}
	}
	return len(names), nil
}

// Dir is where a data directory keeps lifecycle configurations:
// <data>/lifecycle.
func Dir(data string) string { return filepath.Join(data, "lifecycle") }

// ArchiveDir is where the file backend's transitioned objects go:
// <data>/archive/<bucket>/<key>.
func ArchiveDir(data string) string { return filepath.Join(data, "archive") }
