// Package cluster_test runs the real deploytrail binary as a cluster on
// loopback (nodes, MinIO, PostgreSQL, `deploytrail agent` hosts), kills
// nodes with SIGKILL under a mixed load, and checks afterwards that no
// acknowledged call was lost or doubled (issue 15, tests 2 and 3).
package cluster_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// binary is the deploytrail binary, built once for these tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "deploytrail-cluster")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "deploytrail")
	if out, err := exec.Command("go", "build", "-o", binary, "../../cmd/deploytrail").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
