package agent

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type entry struct {
	name, body, link string
	mode             int64
}

func writeTar(t *testing.T, path string, gz bool, entries []entry) {
	t.Helper()
	var buf bytes.Buffer
	var w interface {
		Write([]byte) (int, error)
		Close() error
	} = nopCloser{&buf}
	if gz {
		w = gzip.NewWriter(&buf)
	}
	tw := tar.NewWriter(w)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Size: int64(len(e.body)), Typeflag: tar.TypeReg}
		if e.link != "" {
			h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, e.link, 0
		}
		if strings.HasSuffix(e.name, "/") {
			h.Typeflag = tar.TypeDir
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e.body))
	}
	tw.Close()
	w.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

type nopCloser struct{ *bytes.Buffer }

func (nopCloser) Close() error { return nil }

func writeZip(t *testing.T, path string, entries []entry) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		h.SetMode(os.FileMode(e.mode))
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e.body))
	}
	zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestExtractFormats(t *testing.T) {
	entries := []entry{{name: "app/appspec.yml", body: "version: 0.0\n", mode: 0o644}, {name: "app/bin/run.sh", body: "#!/bin/sh\n", mode: 0o755}}
	for _, typ := range []string{"zip", "tar", "tgz"} {
		t.Run(typ, func(t *testing.T) {
			dir := t.TempDir()
			bundle := filepath.Join(dir, "bundle")
			if typ == "zip" {
				writeZip(t, bundle, entries)
			} else {
				writeTar(t, bundle, typ == "tgz", entries)
			}
			archive := filepath.Join(dir, "deployment-archive")
			if err := extract(bundle, typ, archive, DefaultLimits); err != nil {
				t.Fatal(err)
			}
			if err := stripTopDir(archive, "appspec.yml"); err != nil {
				t.Fatal(err)
			}
			if b, err := os.ReadFile(filepath.Join(archive, "appspec.yml")); err != nil || string(b) != "version: 0.0\n" {
				t.Errorf("appspec at the top: %q %v", b, err)
			}
			if fi, err := os.Stat(filepath.Join(archive, "bin", "run.sh")); err != nil || fi.Mode().Perm() != 0o755 {
				t.Errorf("script mode: %v %v", fi, err)
			}
		})
	}
}

func TestExtractRefusesEscapes(t *testing.T) {
	for name, entries := range map[string][]entry{
		"dotdot":       {{name: "../evil", body: "x", mode: 0o644}},
		"deep dotdot":  {{name: "a/../../evil", body: "x", mode: 0o644}},
		"absolute":     {{name: "/tmp/evil", body: "x", mode: 0o644}},
		"through link": {{name: "out", link: "/tmp"}, {name: "out/evil", body: "x", mode: 0o644}},
	} {
		for _, typ := range []string{"tar", "zip"} {
			if typ == "zip" && name == "through link" {
				continue
			}
			dir := t.TempDir()
			bundle := filepath.Join(dir, "bundle")
			if typ == "zip" {
				writeZip(t, bundle, entries)
			} else {
				writeTar(t, bundle, false, entries)
			}
			err := extract(bundle, typ, filepath.Join(dir, "a", "archive"), DefaultLimits)
			if err == nil || !strings.Contains(err.Error(), "outside the revision") && !strings.Contains(err.Error(), "symbolic link") {
				t.Errorf("%s %s: got %v, want a refusal", typ, name, err)
			}
			if _, err := os.Stat(filepath.Join(dir, "evil")); err == nil {
				t.Errorf("%s %s: a file was written outside the archive", typ, name)
			}
		}
	}
}

func TestExtractLimits(t *testing.T) {
	dir := t.TempDir()
	bundle := filepath.Join(dir, "bundle")
	writeTar(t, bundle, false, []entry{{name: "a", body: "12345", mode: 0o644}, {name: "b", body: "67890", mode: 0o644}})
	lim := DefaultLimits
	lim.Entries = 1
	if err := extract(bundle, "tar", filepath.Join(dir, "x1"), lim); err == nil || !strings.Contains(err.Error(), "more than 1 entries") {
		t.Errorf("entry limit: %v", err)
	}
	lim = DefaultLimits
	lim.ExtractedBytes = 8
	if err := extract(bundle, "tar", filepath.Join(dir, "x2"), lim); err == nil || !strings.Contains(err.Error(), "more than 8 bytes") {
		t.Errorf("size limit: %v", err)
	}
	if err := extract(bundle, "rar", filepath.Join(dir, "x3"), DefaultLimits); err == nil {
		t.Error("an unknown bundle type was accepted")
	}
}
