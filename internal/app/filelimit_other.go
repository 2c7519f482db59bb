//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package app

// fileLimit is unknown here: DefaultMaxConnections applies.
func fileLimit() int { return 0 }
