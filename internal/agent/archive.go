package agent

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// extract unpacks the bundle at src (zip, tar or tgz) into dir, which
// must not exist. Entries that would land outside dir (absolute, "..",
// or through a symlink of the archive) are refused, and the entry count
// and unpacked size are bounded.
func extract(src, bundleType, dir string, lim Limits) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	x := &extractor{dir: dir, lim: lim}
	switch bundleType {
	case "zip":
		return x.zip(src)
	case "tar":
		return x.tarFile(src, false)
	case "tgz":
		return x.tarFile(src, true)
	}
	return fmt.Errorf("The bundle type %q is not zip, tar or tgz", bundleType)
}

type extractor struct {
	dir     string
	lim     Limits
	entries int
	bytes   int64
}

// target checks an entry's name and returns where it goes.
func (x *extractor) target(name string) (string, error) {
	x.entries++
	if x.entries > x.lim.Entries {
		return "", fmt.Errorf("The bundle has more than %d entries", x.lim.Entries)
	}
	clean := strings.TrimSuffix(name, "/")
	if clean == "" || clean == "." {
		return "", nil
	}
	if strings.HasPrefix(name, "/") || strings.Contains(name, "\\") || !filepath.IsLocal(filepath.FromSlash(clean)) {
		return "", fmt.Errorf("The bundle entry %q is outside the revision (absolute path or ..)", name)
	}
	dst := filepath.Join(x.dir, filepath.FromSlash(clean))
	// A symlink unpacked earlier must not carry later entries outside.
	if err := x.noLinkAbove(dst); err != nil {
		return "", err
	}
	return dst, nil
}

func (x *extractor) noLinkAbove(dst string) error {
	for p := filepath.Dir(dst); len(p) > len(x.dir); p = filepath.Dir(p) {
		if fi, err := os.Lstat(p); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("The bundle entry %q goes through a symbolic link", dst[len(x.dir)+1:])
		}
	}
	return nil
}

// write copies one regular file's content, counting it against the limit.
func (x *extractor) write(dst string, r io.Reader, mode fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC|os.O_EXCL, mode.Perm()|0o200)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, io.LimitReader(r, x.lim.ExtractedBytes-x.bytes+1))
	x.bytes += n
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && x.bytes > x.lim.ExtractedBytes {
		err = fmt.Errorf("The bundle unpacks to more than %d bytes", x.lim.ExtractedBytes)
	}
	if err == nil {
		err = os.Chmod(dst, mode.Perm())
	}
	return err
}

func (x *extractor) link(dst, target string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.Symlink(target, dst)
}

func (x *extractor) zip(src string) error {
	zr, err := zip.OpenReader(src)
	if err != nil {
		return fmt.Errorf("The bundle is not a zip archive: %v", err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if err := x.zipEntry(f); err != nil {
			return err
		}
	}
	return nil
}

func (x *extractor) zipEntry(f *zip.File) error {
	dst, err := x.target(f.Name)
	if err != nil || dst == "" {
		return err
	}
	mode := f.Mode()
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	switch {
	case mode.IsDir():
		return os.MkdirAll(dst, 0o755)
	case mode&fs.ModeSymlink != 0:
		target, err := io.ReadAll(io.LimitReader(rc, 4096))
		if err != nil {
			return err
		}
		return x.link(dst, string(target))
	}
	if mode.Perm() == 0 { // zips made without Unix modes
		mode = 0o644
	}
	return x.write(dst, rc, mode)
}

func (x *extractor) tarFile(src string, gz bool) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	var r io.Reader = f
	if gz {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("The bundle is not a gzip archive: %v", err)
		}
		defer zr.Close()
		r = zr
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("The bundle is not a valid tar archive: %v", err)
		}
		if err := x.tarEntry(h, tr); err != nil {
			return err
		}
	}
}

func (x *extractor) tarEntry(h *tar.Header, r io.Reader) error {
	if h.Typeflag == tar.TypeXGlobalHeader {
		return nil
	}
	dst, err := x.target(h.Name)
	if err != nil || dst == "" {
		return err
	}
	switch h.Typeflag {
	case tar.TypeDir:
		return os.MkdirAll(dst, 0o755)
	case tar.TypeReg:
		return x.write(dst, r, fs.FileMode(h.Mode))
	case tar.TypeSymlink:
		return x.link(dst, h.Linkname)
	}
	return fmt.Errorf("The bundle entry %q is neither a file, a directory nor a symbolic link", h.Name)
}

// stripTopDir makes a bundle whose only top-level entry is a directory
// holding the AppSpec look as if it had been packed from inside it.
func stripTopDir(dir, appspec string) error {
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 || !entries[0].IsDir() {
		return err
	}
	top := filepath.Join(dir, entries[0].Name())
	if _, err := os.Stat(filepath.Join(top, appspec)); err != nil {
		return nil
	}
	tmp := dir + ".strip"
	if err := os.Rename(top, tmp); err != nil {
		return err
	}
	if err := os.Remove(dir); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}
