package agent

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deploytrail/deploytrail/internal/pkcs7"
)

func testAgent(t *testing.T) *Agent {
	cfg := &Config{RootDir: t.TempDir(), MaxRevisions: 2, Limits: DefaultLimits}
	a := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := a.prepare(); err != nil {
		t.Fatal(err)
	}
	return a
}

func signed(t *testing.T, name, payload string) envelope {
	t.Helper()
	s, err := pkcs7.NewSigner(name)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := s.Sign([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	return envelope{Format: "PKCS7/JSON", Payload: string(msg)}
}

const specJSON = `{"DeploymentId":"arn:aws:codedeploy:us-east-1:1:deployment/d-ABC","DeploymentGroupId":"g-1","DeploymentGroupName":"prod","ApplicationName":"web",
"Revision":{"RevisionType":"String","AppSpecContent":{"Content":"version: 0.0\nos: linux\n"}}}`

// The first signer is pinned; another signer, or an unsigned
// specification, is refused.
func TestSpecificationTrust(t *testing.T) {
	a := testAgent(t)
	spec, err := a.openSpec(signed(t, "first", specJSON))
	if err != nil {
		t.Fatal(err)
	}
	if spec.DeploymentID != "d-ABC" || spec.DeploymentGroupID != "g-1" {
		t.Errorf("spec: %+v", spec)
	}
	if _, err := a.openSpec(signed(t, "first-again", specJSON)); err == nil || !strings.Contains(err.Error(), "does not trust") {
		t.Errorf("another signer: %v", err)
	}
	if _, err := a.openSpec(envelope{Format: "TEXT/JSON", Payload: specJSON}); err == nil || !strings.Contains(err.Error(), "only signed") {
		t.Errorf("unsigned: %v", err)
	}
	bad := strings.Replace(specJSON, `"g-1"`, `"../../etc"`, 1)
	b := testAgent(t)
	if _, err := b.openSpec(signed(t, "x", bad)); err == nil || !strings.Contains(err.Error(), "plain name") {
		t.Errorf("a group id that climbs out of root_dir: %v", err)
	}
	// A configured certificate is trusted instead of pinning.
	c := testAgent(t)
	c.cfg.SpecSignerCert = filepath.Join(a.cfg.RootDir, pinFile)
	if _, err := c.openSpec(signed(t, "other", specJSON)); err == nil {
		t.Error("a signer other than the configured certificate was accepted")
	}
}

// An inline AppSpec revision is the AppSpec alone; ApplicationStop runs
// the last successful revision's scripts and is a no-op before any.
func TestInlineRevisionAndPreviousRevisionRules(t *testing.T) {
	a := testAgent(t)
	spec, err := a.openSpec(signed(t, "s", specJSON))
	if err != nil {
		t.Fatal(err)
	}
	stop := a.event(spec, "ApplicationStop")
	if !stop.isNoop() {
		t.Error("ApplicationStop before any install is not a no-op")
	}
	for _, name := range []string{"DownloadBundle", "Install"} {
		if res := a.event(spec, name).run(context.Background()); res.Code != codeSucceeded {
			t.Fatalf("%s: %+v", name, res)
		}
	}
	root := filepath.Join(a.cfg.RootDir, "g-1", "d-ABC")
	if b, _ := os.ReadFile(filepath.Join(root, "deployment-archive", "appspec.yml")); string(b) != "version: 0.0\nos: linux\n" {
		t.Errorf("archive appspec %q", b)
	}
	for _, f := range []string{"_last_successful_install", "_most_recent_install"} {
		if got := readLine(filepath.Join(a.instructionsDir(), "g-1"+f)); got != root {
			t.Errorf("%s = %q, want %q", f, got, root)
		}
	}
	env := strings.Join(a.event(spec, "AfterInstall").environment(), " ")
	for _, want := range []string{"LIFECYCLE_EVENT=AfterInstall", "DEPLOYMENT_ID=d-ABC", "APPLICATION_NAME=web", "DEPLOYMENT_GROUP_NAME=prod", "DEPLOYMENT_GROUP_ID=g-1"} {
		if !strings.Contains(env, want) {
			t.Errorf("environment lacks %s: %s", want, env)
		}
	}
}
