package store

import (
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing"
)

// TestMigrations_UniqueVersions: two migration files with one version
// number would leave the second unapplied forever (migrate skips a
// version it has recorded), which branches merged side by side can cause.
func TestMigrations_UniqueVersions(t *testing.T) {
	for _, d := range []*dialect{sqliteDialect, newPostgresDialect()} {
		seen := map[string]string{}
		for _, name := range migrationFiles(t, d) {
			version := strings.SplitN(path.Base(name), "_", 2)[0]
			if other, ok := seen[version]; ok {
				t.Errorf("migrations %s and %s share version %s", other, name, version)
			}
			seen[version] = name
		}
	}
}

// TestMigrationVersionsMatch: PostgreSQL's migrations begin with a
// baseline at 0016, SQLite's schema after its 0016; from there on each
// version must exist for both, or one backend's schema falls behind.
func TestMigrationVersionsMatch(t *testing.T) {
	versions := func(d *dialect) []int {
		ms, err := (&DB{dialect: d}).migrations()
		if err != nil {
			t.Fatal(err)
		}
		var out []int
		for _, m := range ms {
			if m.version >= 16 {
				out = append(out, m.version)
			}
		}
		return out
	}
	sqlite, postgres := versions(sqliteDialect), versions(newPostgresDialect())
	if !slices.Equal(sqlite, postgres) {
		t.Errorf("migrations from 0016 on differ:\nsqlite:   %v\npostgres: %v", sqlite, postgres)
	}
	if first := migrationFiles(t, newPostgresDialect())[0]; path.Base(first) != "0016_baseline.sql" {
		t.Errorf("PostgreSQL's first migration is %s, want 0016_baseline.sql", first)
	}
}

func migrationFiles(t *testing.T, d *dialect) []string {
	files, err := fs.Glob(migrations, "migrations/"+d.name+"/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no %s migrations: %v", d.name, err)
	}
	return files
}
