package main

import (
	"runtime/debug"
	"strings"
)

// versionLine is what `deploytrail --version` prints: the module version
// (or the -X main.version override) and, when the binary was built from a
// git checkout, the commit and whether the tree had uncommitted changes.
func versionLine() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "deploytrail " + orUnknown(version) + " (no build info)"
	}
	return "deploytrail " + describeBuild(info)
}

// describeBuild renders a build: "v1.2.0 (commit 0123abcd…, modified)".
func describeBuild(info *debug.BuildInfo) string {
	v := version
	if v == "" {
		v = info.Main.Version // "(devel)" for a build from a checkout
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	var details []string
	if rev := settings["vcs.revision"]; rev != "" {
		details = append(details, "commit "+rev)
	}
	if settings["vcs.modified"] == "true" {
		details = append(details, "modified")
	}
	if len(details) == 0 {
		details = append(details, "commit unknown")
	}
	return orUnknown(v) + " (" + strings.Join(details, ", ") + ")"
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
