package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deploytrail/deploytrail/internal/store/storetest"
)

// TestMigrate runs `deploytrail migrate` on a database no server has
// touched, on each backend: --check lists every migration and exits 1,
// migrate applies them and prints them, and then both find nothing to do.
func TestMigrate(t *testing.T) {
	backends := map[string]func(t *testing.T) []string{
		"sqlite": func(t *testing.T) []string {
			dir := t.TempDir()
			// A data directory with state (its buckets) but no database yet.
			if err := os.Mkdir(filepath.Join(dir, bucketsDir), 0o700); err != nil {
				t.Fatal(err)
			}
			return []string{"DEPLOYTRAIL_DATA=" + dir}
		},
		"postgres": func(t *testing.T) []string {
			return []string{"DEPLOYTRAIL_DATA=" + t.TempDir(), "DEPLOYTRAIL_DATABASE_URL=" + storetest.EmptyPostgresURL(t)}
		},
	}
	for name, env := range backends {
		t.Run(name, func(t *testing.T) {
			env := append(os.Environ(), env(t)...)
			migrate := func(args ...string) (string, int) {
				cmd := exec.Command(binary, append([]string{"migrate"}, args...)...)
				cmd.Env = env
				out, err := cmd.Output()
				return string(out), exitCode(err)
			}
			out, code := migrate("--check")
			if code != 1 || !strings.HasPrefix(out, "pending migrations: ") || !strings.Contains(out, " 0016") {
				t.Fatalf("--check on a new database: exit %d, %q; want 1 and every migration up to 0016 pending", code, out)
			}
			pending := strings.TrimPrefix(out, "pending migrations: ")
			if out, code := migrate(); code != 0 || out != "applied migrations: "+pending {
				t.Fatalf("migrate: exit %d, %q; want 0 and %q", code, out, "applied migrations: "+pending)
			}
			for _, args := range [][]string{{"--check"}, {}} {
				if out, code := migrate(args...); code != 0 || out != "no pending migrations\n" {
					t.Fatalf("migrate %v after migrating: exit %d, %q; want 0, nothing pending", args, code, out)
				}
			}
		})
	}
}

// TestMigrateRefusesBadURL: a database URL that is not PostgreSQL's is
// refused without connecting anywhere, and without repeating the URL
// (it may hold a password).
func TestMigrateRefusesBadURL(t *testing.T) {
	cmd := exec.Command(binary, "migrate")
	cmd.Env = append(os.Environ(), "DEPLOYTRAIL_DATABASE_URL=mysql://user:s3cret@db/x")
	out, err := cmd.CombinedOutput()
	if exitCode(err) != 2 || strings.Contains(string(out), "s3cret") {
		t.Fatalf("exit %d, %q; want 2, without the password", exitCode(err), out)
	}
}
