package fs

import (
	"cmp"
	"context"
	"fmt"
	iofs "io/fs"
	"os"
	"slices"
	"strings"

	"github.com/deploytrail/deploytrail/internal/objstore"
)

// List implements objstore.Bucket. It walks the tree depth first, visiting
// a directory's entries in the byte order of the keys they hold (a
// directory "d" as "d/", so "a-b" and "a.b" come before "a/…"), which makes
// the walk's order S3's order. It enters only directories that can hold
// keys after startAfter with the prefix, and stops after max objects.
func (b *Bucket) List(ctx context.Context, prefix, startAfter string, max int) ([]objstore.ObjectInfo, error) {
	r, err := b.open(ctx)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if max <= 0 {
		max = objstore.DefaultListMax
	}
	l := &lister{root: r, prefix: prefix, startAfter: startAfter, max: max}
	// Every key with the prefix lies under the prefix's last full directory.
	dir := ""
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		dir = prefix[:i]
		if objstore.ValidateKey(dir) != nil {
			return nil, nil // no key lives under such a path
		}
	}
	if err := l.walk(ctx, dir); err != nil {
		return nil, fmt.Errorf("list bucket %q: %w", b.name, err)
	}
	return l.out, nil
}

type lister struct {
	root               *os.Root
	prefix, startAfter string
	max                int
	out                []objstore.ObjectInfo
}

// walk lists dir ("" for the bucket directory).
func (l *lister) walk(ctx context.Context, dir string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	entries, err := readDir(l.root, dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if len(l.out) >= l.max {
			return nil
		}
		key := e.Name()
		if dir != "" {
			key = dir + "/" + key
		}
		if err := l.visit(ctx, key, e); err != nil {
			return err
		}
	}
	return nil
}

func (l *lister) visit(ctx context.Context, key string, e iofs.DirEntry) error {
	switch {
	case key == reservedDir:
		return nil
	case e.IsDir():
		d := key + "/" // every key below starts with d
		if !strings.HasPrefix(d, l.prefix) && !strings.HasPrefix(l.prefix, d) {
			return nil
		}
		if d <= l.startAfter && !strings.HasPrefix(l.startAfter, d) {
			return nil // all of them sort before startAfter
		}
		return l.walk(ctx, key)
	case e.Type().IsRegular() && strings.HasPrefix(key, l.prefix) && key > l.startAfter:
		fi, err := e.Info()
		if isNotExist(err) {
			return nil // deleted since ReadDir
		}
		if err != nil {
			return err
		}
		size, err := listedSize(l.root, key, fi.Size())
		if err != nil {
			return err
		}
		l.out = append(l.out, objstore.ObjectInfo{Key: key, Size: size, Modified: fi.ModTime()})
	}
	return nil // symlinks and other oddities placed by hand are not objects
}

// listedSize is the plaintext size of the object in a file of fileSize
// bytes, which its sidecar says is sealed or not.
func listedSize(r *os.Root, key string, fileSize int64) (int64, error) {
	sc, err := readSidecar(r, key)
	if err != nil {
		return 0, fmt.Errorf("list %q: %w", key, err)
	}
	if sc.Sealed == "" {
		return fileSize, nil
	}
	return max(plainSize(fileSize), 0), nil
}

// readDir returns dir's entries in key order; a missing dir has none.
func readDir(r *os.Root, dir string) ([]iofs.DirEntry, error) {
	if dir == "" {
		dir = "."
	}
	f, err := r.Open(dir)
	if isNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	if isNotExist(err) {
		return nil, nil // dir is a file: a key, not a prefix directory
	}
	if err != nil {
		return nil, err
	}
	slices.SortFunc(entries, func(a, b iofs.DirEntry) int { return cmp.Compare(sortName(a), sortName(b)) })
	return entries, nil
}

func sortName(e iofs.DirEntry) string {
	if e.IsDir() {
		return e.Name() + "/"
	}
	return e.Name()
}
