package agent

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// installer applies an AppSpec's files and permissions (spec §11.3
// Install), recording what it created so that the next Install removes
// it, and the instructions it carried out.
type installer struct {
	archive      string
	behavior     string // DISALLOW, OVERWRITE or RETAIN
	created      []string
	instructions []map[string]string
}

// install runs the previous cleanup file, then copies and sets
// permissions; it writes the new cleanup file and <group>-install.json
// in instructionsDir, even when it fails part way, so that what was
// created is removed by the next install.
func install(spec *AppSpec, archive, behavior, instructionsDir, groupID string) error {
	cleanupFile := filepath.Join(instructionsDir, groupID+"-cleanup")
	if err := runCleanup(cleanupFile); err != nil {
		return err
	}
	in := &installer{archive: archive, behavior: behavior}
	if spec.FileExistsBehavior != "" {
		in.behavior = spec.FileExistsBehavior // the AppSpec overrides the deployment
	}
	err := in.copyAll(spec.Files)
	if err == nil {
		err = in.setPermissions(spec.Permissions)
	}
	if werr := in.save(cleanupFile, filepath.Join(instructionsDir, groupID+"-install.json")); err == nil {
		err = werr
	}
	return err
}

// runCleanup deletes what the previous install created, newest first.
// A directory that is no longer empty stays.
func runCleanup(path string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for _, p := range slices.Backward(lines) {
		if p == "" || !filepath.IsAbs(p) {
			continue
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) && !isNotEmpty(err) {
			return fmt.Errorf("cleanup of the previous revision: %v", err)
		}
	}
	return os.Remove(path)
}

func isNotEmpty(err error) bool {
	return errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST)
}

func (in *installer) save(cleanupFile, instructionsFile string) error {
	var b strings.Builder
	for _, p := range in.created {
		b.WriteString(p + "\n")
	}
	if err := os.WriteFile(cleanupFile, []byte(b.String()), 0o600); err != nil {
		return err
	}
	js, _ := json.Marshal(map[string]any{"instructions": in.instructions})
	return os.WriteFile(instructionsFile, js, 0o600)
}

func (in *installer) copyAll(files []FileMapping) error {
	for _, f := range files {
		src := filepath.Join(in.archive, filepath.FromSlash(stripSlash(f.Source)))
		fi, err := os.Lstat(src)
		if err != nil {
			return fmt.Errorf("The files source %q is not in the revision", f.Source)
		}
		if err := in.mkdirAll(f.Destination); err != nil {
			return err
		}
		if !fi.IsDir() {
			err = in.copyEntry(src, filepath.Join(f.Destination, filepath.Base(src)), fi)
		} else {
			err = in.copyTree(src, f.Destination)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// copyTree copies the contents of directory src into dst.
func (in *installer) copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == src {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		return in.copyEntry(p, filepath.Join(dst, rel), fi)
	})
}

// copyEntry copies one file, symlink or directory, applying the
// fileExistsBehavior to a destination the previous revision did not create.
func (in *installer) copyEntry(src, dst string, fi fs.FileInfo) error {
	if fi.IsDir() {
		return in.mkdirAll(dst)
	}
	if existing, err := os.Lstat(dst); err == nil {
		if existing.IsDir() {
			return fmt.Errorf("The deployment failed because a directory exists where the file %s goes", dst)
		}
		switch in.behavior {
		case "RETAIN":
			return nil
		case "OVERWRITE":
			if err := os.Remove(dst); err != nil {
				return err
			}
		default:
			return fmt.Errorf("The deployment failed because a specified file already exists at this location: %s", dst)
		}
	}
	in.instructions = append(in.instructions, map[string]string{"type": "copy", "source": src, "destination": dst})
	in.created = append(in.created, dst)
	if fi.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(target, dst)
	}
	return copyFile(src, dst, fi.Mode().Perm())
}

func copyFile(src, dst string, mode fs.FileMode) error {
	r, err := os.Open(src)
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Close()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, mode) // the umask must not change the bundle's modes
}

// mkdirAll creates dir and its missing parents, recording each one created.
func (in *installer) mkdirAll(dir string) error {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("The deployment failed because a file exists where the directory %s goes", dir)
		}
		return nil
	}
	if err := in.mkdirAll(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	in.instructions = append(in.instructions, map[string]string{"type": "mkdir", "directory": dir})
	in.created = append(in.created, dir)
	return nil
}

// setPermissions applies each permissions entry: to the object itself
// when it is a file, else to what is under it ("**": everything below;
// another pattern: the names directly under it).
func (in *installer) setPermissions(perms []Permission) error {
	for _, p := range perms {
		fi, err := os.Lstat(p.Object)
		if err != nil {
			return fmt.Errorf("The permissions object %s does not exist", p.Object)
		}
		if !fi.IsDir() {
			if err := in.apply(p, p.Object); err != nil {
				return err
			}
			continue
		}
		if err := in.applyUnder(p); err != nil {
			return err
		}
	}
	return nil
}

func (in *installer) applyUnder(p Permission) error {
	return filepath.WalkDir(p.Object, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == p.Object {
			return err
		}
		if p.Pattern != "**" && filepath.Dir(path) != p.Object {
			return nil
		}
		if ok, _ := filepath.Match(p.Pattern, d.Name()); p.Pattern != "**" && !ok {
			return nil
		}
		for _, ex := range p.Except {
			if ok, _ := filepath.Match(ex, d.Name()); ok {
				return nil
			}
		}
		kind := "file"
		if d.IsDir() {
			kind = "directory"
		}
		if !slices.Contains(p.Type, kind) || d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		return in.apply(p, path)
	})
}

func (in *installer) apply(p Permission, path string) error {
	if p.Mode != "" {
		mode, _ := strconv.ParseUint(p.Mode, 8, 32)
		if err := os.Chmod(path, fs.FileMode(mode)&fs.ModePerm|unixSpecial(mode)); err != nil {
			return err
		}
		in.instructions = append(in.instructions, map[string]string{"type": "chmod", "file": path, "mode": p.Mode})
	}
	if p.Owner == "" && p.Group == "" {
		return nil
	}
	uid, gid, err := ids(p.Owner, p.Group)
	if err != nil {
		return err
	}
	in.instructions = append(in.instructions, map[string]string{"type": "chown", "file": path, "owner": p.Owner, "group": p.Group})
	return os.Lchown(path, uid, gid)
}

// unixSpecial maps the setuid, setgid and sticky bits of an octal mode.
func unixSpecial(mode uint64) fs.FileMode {
	var m fs.FileMode
	if mode&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if mode&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// ids looks up an owner and group; -1 leaves one unchanged.
func ids(owner, group string) (uid, gid int, err error) {
	uid, gid = -1, -1
	if owner != "" {
		u, err := user.Lookup(owner)
		if err != nil {
			return 0, 0, fmt.Errorf("The permissions owner %q is not a user of this host", owner)
		}
		uid, _ = strconv.Atoi(u.Uid)
	}
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			return 0, 0, fmt.Errorf("The permissions group %q is not a group of this host", group)
		}
		gid, _ = strconv.Atoi(g.Gid)
	}
	return uid, gid, nil
}

// writeAtomic replaces a small state file in one step.
func writeAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// readLine reads a one-line state file; "" when it does not exist.
func readLine(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, 4096))
	sc.Scan()
	return strings.TrimSpace(sc.Text())
}
