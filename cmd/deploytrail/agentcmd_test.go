package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `deploytrail agent` refuses a configuration it cannot run with, with
// an error that names what is missing.
func TestAgentCommandConfigErrors(t *testing.T) {
	dir := t.TempDir()
	conf, onPrem := filepath.Join(dir, "agent.yml"), filepath.Join(dir, "onprem.yml")
	os.WriteFile(conf, []byte(":root_dir: "+dir+"\n"), 0o600)
	os.WriteFile(onPrem, []byte("region: us-east-1\niam_user_arn: arn:aws:iam::1:user/h\naws_access_key_id: AK\naws_secret_access_key: SK\n"), 0o600)
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no endpoint":   {[]string{"--config", conf, "--on-premises-config", onPrem}, "no command service endpoint"},
		"bad revisions": {[]string{"--config", conf, "--on-premises-config", onPrem, "--endpoint", "http://127.0.0.1:1", "--max-revisions", "0"}, "--max-revisions"},
		"no identity":   {[]string{"--config", conf, "--on-premises-config", filepath.Join(dir, "missing.yml"), "--endpoint", "http://x"}, "missing.yml"},
	} {
		err := run(context.Background(), append([]string{"agent"}, tc.args...), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", name, err, tc.want)
		}
	}
	os.WriteFile(onPrem, []byte("region: us-east-1\niam_user_arn: a\n"), 0o600)
	err := run(context.Background(), []string{"agent", "--config", conf, "--on-premises-config", onPrem, "--endpoint", "http://x"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "aws_access_key_id") || strings.Contains(err.Error(), "SK") {
		t.Errorf("incomplete identity: %v", err)
	}
}
