package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// SNS's allowed networks come from DEPLOYTRAIL_SNS_ALLOWED_NETWORKS or the
// config file's sns-allowed-networks; malformed entries stop the start.
func TestParseConfig_SNSAllowedNetworks(t *testing.T) {
	env := map[string]string{"DEPLOYTRAIL_SNS_ALLOWED_NETWORKS": "10.0.0.0/8, hooks.internal ,127.0.0.1,fd00::/8"}
	cfg, err := parseConfig(nil, func(k string) string { return env[k] })
	if want := []string{"10.0.0.0/8", "hooks.internal", "127.0.0.1", "fd00::/8"}; err != nil || !slices.Equal(cfg.SNSAllowedNetworks, want) {
		t.Fatalf("SNSAllowedNetworks=%q err=%v, want %q", cfg.SNSAllowedNetworks, err, want)
	}
	file := filepath.Join(t.TempDir(), "deploytrail.yaml")
	os.WriteFile(file, []byte("sns-allowed-networks: [192.168.0.0/16, hooks.example.com]\n"), 0o600)
	cfg, err = parseConfig([]string{"--config", file}, func(string) string { return "" })
	if want := []string{"192.168.0.0/16", "hooks.example.com"}; err != nil || !slices.Equal(cfg.SNSAllowedNetworks, want) {
		t.Fatalf("from file: SNSAllowedNetworks=%q err=%v, want %q", cfg.SNSAllowedNetworks, err, want)
	}
	for _, bad := range []string{"10.0.0.0/33", "hooks internal", "127.1", "http://10.0.0.1/"} {
		env["DEPLOYTRAIL_SNS_ALLOWED_NETWORKS"] = bad
		if _, err := parseConfig(nil, func(k string) string { return env[k] }); err == nil {
			t.Errorf("DEPLOYTRAIL_SNS_ALLOWED_NETWORKS=%s accepted", bad)
		}
	}
}

// The database comes from DEPLOYTRAIL_DATABASE_URL or the config file's
// database-url, else the data directory's SQLite file; a URL that is not
// PostgreSQL's stops the start without being repeated (it may hold a
// password).
func TestParseConfig_DatabaseURL(t *testing.T) {
	const pg = "postgres://deploytrail:s3cret@db.internal:5432/deploytrail?sslmode=require"
	cfg, err := parseConfig([]string{"--data", "/var/lib/dt"}, func(string) string { return "" })
	if err != nil || cfg.Database() != filepath.Join("/var/lib/dt", "deploytrail.db") {
		t.Fatalf("default database %q, %v; want the data directory's SQLite file", cfg.Database(), err)
	}
	cfg, err = parseConfig(nil, func(k string) string { return map[string]string{"DEPLOYTRAIL_DATABASE_URL": pg}[k] })
	if err != nil || cfg.Database() != pg {
		t.Fatalf("from the environment: %q, %v", cfg.Database(), err)
	}
	file := filepath.Join(t.TempDir(), "deploytrail.yaml")
	os.WriteFile(file, []byte("database-url: "+pg+"\n"), 0o600)
	cfg, err = parseConfig([]string{"--config", file}, func(string) string { return "" })
	if err != nil || cfg.Database() != pg {
		t.Fatalf("from the file: %q, %v", cfg.Database(), err)
	}
	_, err = parseConfig(nil, func(k string) string {
		return map[string]string{"DEPLOYTRAIL_DATABASE_URL": "mysql://u:s3cret@db/x"}[k]
	})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("a MySQL URL: err=%v, want refused without the password", err)
	}
}
