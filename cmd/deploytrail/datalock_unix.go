//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockDataDir takes the data directory's lock for a server's lifetime, so
// that two servers never share one database and one set of buckets. The
// lock is a flock on <dir>/deploytrail.lock: the OS drops it when the
// process exits, also after kill -9, so a stale file never blocks a
// start. The file holds the owner's pid, for the message a second server
// prints. The returned function releases the lock.
func lockDataDir(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("data directory %s is in use by another deploytrail server%s; stop it, or give this one another --data",
				dir, ownerOf(path))
		}
		return nil, fmt.Errorf("lock data directory %s: %w", dir, err)
	}
	// The pid is informative only: the flock, not the file's content, is the lock.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() { f.Close() }, nil
}

// ownerOf names the pid a lock file records, if any.
func ownerOf(path string) string {
	b, err := os.ReadFile(path)
	if pid := strings.TrimSpace(string(b)); err == nil && pid != "" {
		return " (pid " + pid + ")"
	}
	return ""
}
