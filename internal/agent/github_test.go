package agent

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// githubTarball is a commit's tarball as GitHub serves it: gzip, with one
// top-level directory named after the commit.
func githubTarball(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, body := range map[string]string{"owner-app-abc123/appspec.yml": "version: 0.0\nos: linux\n", "owner-app-abc123/web/index.html": "v1"} {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func githubEvent(t *testing.T, endpoint string) *event {
	t.Helper()
	cfg := &Config{RootDir: t.TempDir(), GitHubEndpoint: endpoint, Limits: DefaultLimits}
	a := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := a.prepare(); err != nil {
		t.Fatal(err)
	}
	spec := &Spec{DeploymentID: "d-ABCDEFGHI", DeploymentGroupID: "g-1"}
	spec.Revision.RevisionType = "GitHub"
	spec.Revision.GitHubRevision = &struct {
		Account, Repository string
		CommitID            string `json:"CommitId"`
	}{Account: "owner", Repository: "app", CommitID: "abc123"}
	return a.event(spec, "DownloadBundle")
}

// A GitHub revision is fetched from GitHub's tarball URL (here an
// override) and unpacked without its top-level directory.
func TestDownloadBundleGitHub(t *testing.T) {
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.Path
		w.Write(githubTarball(t))
	}))
	defer srv.Close()
	e := githubEvent(t, srv.URL)
	if res := e.run(context.Background()); res.Code != 0 {
		t.Fatalf("DownloadBundle: %+v", res)
	}
	if path != "/repos/owner/app/tarball/abc123" {
		t.Errorf("fetched %s, want GitHub's tarball path", path)
	}
	b, err := os.ReadFile(filepath.Join(e.deploymentRoot(), "deployment-archive", "web", "index.html"))
	if err != nil || string(b) != "v1" {
		t.Fatalf("web/index.html = %q, %v", b, err)
	}
}

// An unreachable GitHub fails DownloadBundle at once with UnknownError
// and a message that says so.
func TestDownloadBundleGitHubUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close() // nothing listens there now
	res := githubEvent(t, closed).run(context.Background())
	if res.Code != codeUnknownError || !strings.Contains(res.Message, "GitHub could not be reached to download owner/app@abc123 from "+closed) {
		t.Fatalf("DownloadBundle = %+v, want UnknownError saying GitHub could not be reached", res)
	}
}
