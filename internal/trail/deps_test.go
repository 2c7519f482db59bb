package trail_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps trail pure: of our packages it may import only awserr and
// awsproto (with its embedded models).
func TestDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	allowed := map[string]bool{"internal/awserr": true, "internal/awsproto": true, "internal/awsproto/models": true, "internal/trail": true}
	for _, dep := range strings.Fields(string(out)) {
		if rel, ours := strings.CutPrefix(dep, "github.com/deploytrail/deploytrail/"); ours && !allowed[rel] {
			t.Errorf("trail imports %s; it may import only awserr and awsproto", rel)
		}
	}
}
