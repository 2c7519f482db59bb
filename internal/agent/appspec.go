package agent

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"

	"gopkg.in/yaml.v3"
)

// AppSpec is a parsed, validated appspec.yml (spec §10).
type AppSpec struct {
	Files              []FileMapping
	FileExistsBehavior string // empty: the deployment's
	Permissions        []Permission
	Hooks              map[string][]Hook
}

// FileMapping copies source (in the bundle) to destination (on the host).
type FileMapping struct{ Source, Destination string }

// Permission sets owner, group and mode on what is under Object.
type Permission struct {
	Object, Pattern    string
	Except, Type       []string
	Owner, Group, Mode string
}

// Hook is one script of a lifecycle event.
type Hook struct {
	Location string
	Timeout  int // seconds
	RunAs    string
}

const defaultHookTimeout = 3600

// hookEvents are the lifecycle events that may carry scripts.
var hookEvents = map[string]bool{"ApplicationStop": true, "BeforeInstall": true, "AfterInstall": true,
	"ApplicationStart": true, "ValidateService": true, "BeforeBlockTraffic": true, "AfterBlockTraffic": true,
	"BeforeAllowTraffic": true, "AfterAllowTraffic": true}

var modePattern = regexp.MustCompile(`^[0-7]{1,4}$`)

type rawAppSpec struct {
	Version            any    `yaml:"version"`
	OS                 string `yaml:"os"`
	Files              []struct{ Source, Destination string }
	FileExistsBehavior string `yaml:"file_exists_behavior"`
	Permissions        []struct {
		Object, Pattern    string
		Except, Type       []string
		Owner, Group, Mode string
		ACLs               []string `yaml:"acls"`
		Context            any
	}
	Hooks map[string][]struct {
		Location string
		Timeout  *int
		RunAs    string `yaml:"runas"`
	}
}

// ParseAppSpec parses and validates an AppSpec for a Linux host.
func ParseAppSpec(b []byte) (*AppSpec, error) {
	var raw rawAppSpec
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("The deployment failed because the AppSpec file is not valid YAML: %v", err)
	}
	if raw.Version == nil && raw.OS == "" {
		return nil, errors.New("The AppSpec file must define at minimum version and os")
	}
	// The Ruby agent compares with the float 0.0; a quoted "0.0" is accepted too.
	if v, ok := raw.Version.(float64); !(ok && v == 0) && raw.Version != "0.0" && raw.Version != 0 {
		return nil, errors.New("The AppSpec file version must be 0.0")
	}
	if raw.OS != "linux" {
		return nil, fmt.Errorf("The AppSpec file os %q does not match this host's os: linux", raw.OS)
	}
	spec := &AppSpec{FileExistsBehavior: raw.FileExistsBehavior, Hooks: map[string][]Hook{}}
	switch raw.FileExistsBehavior {
	case "", "DISALLOW", "OVERWRITE", "RETAIN":
	default:
		return nil, fmt.Errorf("file_exists_behavior %q is not DISALLOW, OVERWRITE or RETAIN", raw.FileExistsBehavior)
	}
	if err := spec.parseFiles(raw); err != nil {
		return nil, err
	}
	if err := spec.parsePermissions(raw); err != nil {
		return nil, err
	}
	return spec, spec.parseHooks(raw)
}

func (s *AppSpec) parseFiles(raw rawAppSpec) error {
	seen := map[string]bool{}
	for _, f := range raw.Files {
		if f.Source == "" || f.Destination == "" {
			return errors.New("Each files entry of the AppSpec file needs a source and a destination")
		}
		if !filepath.IsAbs(f.Destination) {
			return fmt.Errorf("The files destination %q must be an absolute path", f.Destination)
		}
		if !localPath(f.Source) {
			return fmt.Errorf("The files source %q is outside the revision", f.Source)
		}
		dst := filepath.Clean(f.Destination) + "\x00" + path.Clean("/"+f.Source)
		if seen[dst] {
			return fmt.Errorf("The AppSpec file copies %q to %q twice", f.Source, f.Destination)
		}
		seen[dst] = true
		s.Files = append(s.Files, FileMapping{Source: f.Source, Destination: filepath.Clean(f.Destination)})
	}
	return nil
}

func (s *AppSpec) parsePermissions(raw rawAppSpec) error {
	seen := map[string]bool{}
	for _, p := range raw.Permissions {
		switch {
		case p.Object == "" || !filepath.IsAbs(p.Object):
			return errors.New("Each permissions entry needs an absolute object")
		case seen[filepath.Clean(p.Object)]:
			return fmt.Errorf("The permissions object %q is given twice", p.Object)
		case p.Mode != "" && !modePattern.MatchString(p.Mode):
			return fmt.Errorf("The permissions mode %q is not 1 to 4 octal digits", p.Mode)
		case len(p.ACLs) > 0 || p.Context != nil:
			return fmt.Errorf("The permissions of %q set acls or an SELinux context, which deploytrail agent does not apply", p.Object)
		}
		for _, t := range p.Type {
			if t != "file" && t != "directory" {
				return fmt.Errorf("The permissions type %q is not file or directory", t)
			}
		}
		seen[filepath.Clean(p.Object)] = true
		perm := Permission{Object: filepath.Clean(p.Object), Pattern: p.Pattern, Except: p.Except, Type: p.Type,
			Owner: p.Owner, Group: p.Group, Mode: p.Mode}
		if perm.Pattern == "" {
			perm.Pattern = "**"
		}
		if len(perm.Type) == 0 {
			perm.Type = []string{"file", "directory"}
		}
		s.Permissions = append(s.Permissions, perm)
	}
	return nil
}

func (s *AppSpec) parseHooks(raw rawAppSpec) error {
	for event, hooks := range raw.Hooks {
		if !hookEvents[event] {
			return fmt.Errorf("The AppSpec file names the lifecycle event %q, which cannot carry scripts", event)
		}
		for _, h := range hooks {
			if h.Location == "" {
				return fmt.Errorf("A script of %s has no location", event)
			}
			if !localPath(h.Location) {
				return fmt.Errorf("The script location %q is outside the revision", h.Location)
			}
			timeout := defaultHookTimeout
			if h.Timeout != nil {
				timeout = *h.Timeout
			}
			if timeout <= 0 || timeout > defaultHookTimeout {
				return fmt.Errorf("The timeout of %s must be between 1 and 3600 seconds", h.Location)
			}
			s.Hooks[event] = append(s.Hooks[event], Hook{Location: h.Location, Timeout: timeout, RunAs: h.RunAs})
		}
	}
	return nil
}

// localPath reports whether a bundle-relative path stays inside the bundle.
func localPath(p string) bool {
	return filepath.IsLocal(filepath.Clean(stripSlash(p))) || path.Clean("/"+p) == "/"
}

func stripSlash(p string) string {
	for len(p) > 0 && p[0] == '/' {
		p = p[1:]
	}
	if p == "" {
		return "."
	}
	return p
}

// readAppSpec reads the AppSpec at the top of an unpacked archive.
func readAppSpec(archive, name string) (*AppSpec, error) {
	for _, n := range []string{name, "appspec.yml", "appspec.yaml"} {
		if n == "" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(archive, n))
		if err == nil {
			return ParseAppSpec(b)
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	return nil, errors.New("The deployment failed because no AppSpec file (appspec.yml) was found at the revision's root")
}
