//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package app

import "syscall"

// fileLimit is the process's soft limit on open files (Go raises it to
// the hard limit at start-up), or 0 if unknown.
func fileLimit() int {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil || uint64(r.Cur) > 1<<30 {
		return 0
	}
	return int(r.Cur)
}
