package main

import "testing"

// The URL scripts/postgres.sh prints for eval (printf %q) is the URL again.
func TestShellUnquote(t *testing.T) {
	for in, want := range map[string]string{
		`postgres://u:p@127.0.0.1:5432/postgres\?sslmode=disable`: "postgres://u:p@127.0.0.1:5432/postgres?sslmode=disable",
		`'postgres://u:p@h/db'`:                                   "postgres://u:p@h/db",
		`postgres://u:p@h/db`:                                     "postgres://u:p@h/db",
	} {
		if got := shellUnquote(in); got != want {
			t.Errorf("shellUnquote(%q) = %q, want %q", in, got, want)
		}
	}
}
