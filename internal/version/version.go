// Package version tells which build of deploytrail is running, from the
// build information the Go toolchain embeds. It imports nothing of ours.
package version

import (
	"runtime/debug"
	"sync"
)

// Info is a build's version and the commit it was built from.
type Info struct {
	// Version is the module version, "(devel)" for a build from a work
	// tree.
	Version string `json:"version"`
	// Commit is the VCS revision, with "+dirty" for modified sources; ""
	// when the build does not say.
	Commit string `json:"commit,omitempty"`
}

// Get returns the running binary's build information.
func Get() Info { return get() }

var get = sync.OnceValue(read)

func read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{Version: "(unknown)"}
	}
	info := Info{Version: bi.Main.Version}
	if info.Version == "" {
		info.Version = "(devel)"
	}
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty && info.Commit != "" {
		info.Commit += "+dirty"
	}
	return info
}
