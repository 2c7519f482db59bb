package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// revision writes an unpacked archive with one file and returns it.
func revision(t *testing.T, dir, body string) string {
	t.Helper()
	archive := filepath.Join(dir, "archive-"+body)
	os.MkdirAll(filepath.Join(archive, "web"), 0o755)
	os.WriteFile(filepath.Join(archive, "web", "index.html"), []byte(body), 0o644)
	return archive
}

func TestInstallFileExistsBehavior(t *testing.T) {
	for behavior, want := range map[string]string{"OVERWRITE": "v1", "RETAIN": "mine", "DISALLOW": ""} {
		t.Run(behavior, func(t *testing.T) {
			dir := t.TempDir()
			dest, instructions := filepath.Join(dir, "srv"), filepath.Join(dir, "instructions")
			os.MkdirAll(dest, 0o755)
			os.MkdirAll(instructions, 0o755)
			os.WriteFile(filepath.Join(dest, "index.html"), []byte("mine"), 0o644) // not installed by a deployment
			spec := &AppSpec{Files: []FileMapping{{Source: "web", Destination: dest}}}
			err := install(spec, revision(t, dir, "v1"), behavior, instructions, "g")
			if behavior == "DISALLOW" {
				if err == nil || !strings.Contains(err.Error(), "already exists") {
					t.Fatalf("DISALLOW: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(filepath.Join(dest, "index.html")); string(b) != want {
				t.Errorf("index.html = %q, want %q", b, want)
			}
		})
	}
}

// The next install removes what the previous one created, so a
// revision's own files never count as existing files.
func TestInstallCleansUpPreviousRevision(t *testing.T) {
	dir := t.TempDir()
	dest, instructions := filepath.Join(dir, "srv", "app"), filepath.Join(dir, "instructions")
	os.MkdirAll(instructions, 0o755)
	first := revision(t, dir, "v1")
	os.WriteFile(filepath.Join(first, "web", "old.txt"), []byte("old"), 0o644)
	spec := &AppSpec{Files: []FileMapping{{Source: "web", Destination: dest}},
		Permissions: []Permission{{Object: dest, Pattern: "*.txt", Mode: "600", Type: []string{"file"}}}}
	if err := install(spec, first, "DISALLOW", instructions, "g"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dest, "old.txt")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("permissions on old.txt: %v %v", fi, err)
	}
	if fi, _ := os.Stat(filepath.Join(dest, "index.html")); fi.Mode().Perm() != 0o644 {
		t.Errorf("pattern *.txt changed index.html: %v", fi.Mode())
	}
	spec.Permissions = nil
	if err := install(spec, revision(t, dir, "v2"), "DISALLOW", instructions, "g"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dest, "old.txt")); err == nil {
		t.Error("old.txt of the previous revision is still there")
	}
	if b, _ := os.ReadFile(filepath.Join(dest, "index.html")); string(b) != "v2" {
		t.Errorf("index.html = %q", b)
	}
	cleanup, _ := os.ReadFile(filepath.Join(instructions, "g-cleanup"))
	if !strings.Contains(string(cleanup), filepath.Join(dest, "index.html")) {
		t.Errorf("cleanup file: %q", cleanup)
	}
	if _, err := os.Stat(filepath.Join(instructions, "g-install.json")); err != nil {
		t.Error(err)
	}
}

func TestConfigSymbolAndPlainKeys(t *testing.T) {
	dir := t.TempDir()
	agentFile, onPrem := filepath.Join(dir, "agent.yml"), filepath.Join(dir, "onprem.yml")
	os.WriteFile(agentFile, []byte(":root_dir: /x\nwait_between_runs: 0.5\n:max_revisions: 2\n:enable_auth_policy: true\n:deploy_control_endpoint: http://h\n"), 0o600)
	os.WriteFile(onPrem, []byte("---\nregion: us-east-1\niam_user_arn: arn:aws:iam::1:user/h\naws_access_key_id: AK\naws_secret_access_key: SK\n"), 0o600)
	c, err := LoadConfig(agentFile, onPrem)
	if err != nil {
		t.Fatal(err)
	}
	creds, _ := c.Credentials()
	if c.RootDir != "/x" || c.WaitBetweenRuns.Seconds() != 0.5 || c.MaxRevisions != 2 || !c.EnableAuthPolicy ||
		c.Endpoint != "http://h" || c.HostIdentifier != "arn:aws:iam::1:user/h" || creds.AccessKeyID != "AK" {
		t.Errorf("config: %+v", c)
	}
	os.WriteFile(onPrem, []byte("region: r\niam_user_arn: a\niam_session_arn: b\n"), 0o600)
	if _, err := LoadConfig(agentFile, onPrem); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("both ARNs: %v", err)
	}
	creds2 := filepath.Join(dir, "creds")
	os.WriteFile(creds2, []byte("[default]\naws_access_key_id = AK2\naws_secret_access_key = SK2\naws_session_token = T\n"), 0o600)
	os.WriteFile(onPrem, []byte("region: r\niam_session_arn: arn:s\naws_credentials_file: "+creds2+"\n"), 0o600)
	c, err = LoadConfig(agentFile, onPrem)
	if err != nil {
		t.Fatal(err)
	}
	if creds, err := c.Credentials(); err != nil || creds.SessionToken != "T" || c.HostIdentifier != "arn:s" {
		t.Errorf("session credentials: %+v %v", creds, err)
	}
}
