package cluster_test

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ownDatabase creates a database of the test's own in the PostgreSQL
// that make test starts (DEPLOYTRAIL_TEST_DATABASE_URL), or skips, and
// returns its URL. It is dropped when the test ends.
func ownDatabase(t *testing.T) string {
	t.Helper()
	base := os.Getenv("DEPLOYTRAIL_TEST_DATABASE_URL")
	if base == "" {
		t.Skip("skipped: DEPLOYTRAIL_TEST_DATABASE_URL is not set (make test starts PostgreSQL with scripts/postgres.sh)")
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "cluster_" + hex.EncodeToString(b)
	psql(t, base, "CREATE DATABASE "+name)
	t.Cleanup(func() { psql(t, base, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("DEPLOYTRAIL_TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// psql runs one SQL statement with PostgreSQL's psql; the password goes
// through the environment, never the command line.
func psql(t *testing.T, dsn, sql string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("database URL: %v", err)
	}
	password, _ := u.User.Password()
	u.User = url.User(u.User.Username())
	cmd := exec.Command(pgBinary(t, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", u.String(), "-c", sql)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+password)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("psql %q: %v\n%s", sql, err, out)
	}
}

// pgBinary finds one of PostgreSQL's programs: on PATH, else where
// Debian keeps them.
func pgBinary(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(found) == 0 {
		t.Fatalf("no %s on PATH or in /usr/lib/postgresql/*/bin", name)
	}
	return found[len(found)-1]
}

// postgres is a PostgreSQL of the test's own, started by
// scripts/postgres.sh, so that the test can stop and restart it.
type postgres struct {
	dir, url string
}

const postgresScript = "../../scripts/postgres.sh"

// startPostgres starts a PostgreSQL in a directory of its own and stops
// it when the test ends.
func startPostgres(t *testing.T) *postgres {
	t.Helper()
	if os.Getenv("DEPLOYTRAIL_TEST_DATABASE_URL") == "" {
		t.Skip("skipped: DEPLOYTRAIL_TEST_DATABASE_URL is not set: no PostgreSQL in this test run (make test starts one)")
	}
	dir, err := os.MkdirTemp("", "deploytrail-pg") // not t.TempDir: the server's user must reach it when run as root
	if err != nil {
		t.Fatal(err)
	}
	pg := &postgres{dir: dir}
	t.Cleanup(func() { pg.script(t, "stop"); os.RemoveAll(dir) })
	out := pg.script(t, "start")
	lines := bufio.NewScanner(strings.NewReader(out))
	for lines.Scan() {
		if v, ok := strings.CutPrefix(lines.Text(), "export DEPLOYTRAIL_TEST_DATABASE_URL="); ok {
			pg.url = strings.ReplaceAll(v, `\`, "") // bash's printf %q escapes the URL's ?
		}
	}
	if pg.url == "" {
		t.Fatalf("postgres.sh start printed no DEPLOYTRAIL_TEST_DATABASE_URL")
	}
	return pg
}

// script runs scripts/postgres.sh cmd DIR and returns its stdout.
func (pg *postgres) script(t *testing.T, cmd string) string {
	t.Helper()
	c := exec.Command("bash", postgresScript, cmd, pg.dir)
	var stderr strings.Builder
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		t.Fatalf("postgres.sh %s: %v\n%s", cmd, err, stderr.String())
	}
	return string(out)
}
