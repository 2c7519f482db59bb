package store

import (
	"fmt"
	"testing"
)

func TestNumberPlaceholders(t *testing.T) {
	for in, want := range map[string]string{
		`SELECT ? , ?`:                        `SELECT $1 , $2`,
		`WHERE a = '?' AND b = ?`:             `WHERE a = '?' AND b = $1`,
		`WHERE a = 'it''s ?' AND b = ?`:       `WHERE a = 'it''s ?' AND b = $1`,
		`SELECT "odd?col" FROM t WHERE x = ?`: `SELECT "odd?col" FROM t WHERE x = $1`,
		"SELECT ? -- why?\nFROM t WHERE ?":    "SELECT $1 -- why?\nFROM t WHERE $2",
		`SELECT ? /* ? */ , ?`:                `SELECT $1 /* ? */ , $2`,
		`SELECT 'unterminated ?`:              `SELECT 'unterminated ?`,
	} {
		if got := numberPlaceholders(in); got != want {
			t.Errorf("numberPlaceholders(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestReboundCacheBounded: queries built from callers' input cannot grow
// the cache without bound; past the bound they are still rebound.
func TestReboundCacheBounded(t *testing.T) {
	d := newPostgresDialect()
	for i := range maxRebound + 100 {
		if got, want := d.rebind(fmt.Sprintf("SELECT ? + %d", i)), fmt.Sprintf("SELECT $1 + %d", i); got != want {
			t.Fatalf("rebind = %q, want %q", got, want)
		}
	}
	n := 0
	d.rebound.Range(func(any, any) bool { n++; return true })
	if n != maxRebound {
		t.Fatalf("%d cached, want %d", n, maxRebound)
	}
}
