//go:build !unix

package main

// lockDataDir is a no-op where flock(2) does not exist: deploytrail's
// supported platforms are unix; elsewhere nothing stops a second server.
func lockDataDir(dir string) (func(), error) { return func() {}, nil }
