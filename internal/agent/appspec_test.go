package agent

import (
	"strings"
	"testing"
)

func TestParseAppSpec(t *testing.T) {
	spec, err := ParseAppSpec([]byte(`version: 0.0
os: linux
files:
  - source: /
    destination: /srv/app
file_exists_behavior: OVERWRITE
permissions:
  - object: /srv/app
    mode: "0640"
    owner: root
hooks:
  AfterInstall:
    - location: scripts/a.sh
      timeout: 30
      runas: nobody
    - location: scripts/b.sh
  ApplicationStart:
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(spec.Files) != 1 || spec.Files[0].Destination != "/srv/app" || spec.FileExistsBehavior != "OVERWRITE" {
		t.Errorf("files: %+v", spec)
	}
	if p := spec.Permissions[0]; p.Pattern != "**" || len(p.Type) != 2 || p.Mode != "0640" {
		t.Errorf("permission defaults: %+v", p)
	}
	hooks := spec.Hooks["AfterInstall"]
	if len(hooks) != 2 || hooks[0] != (Hook{Location: "scripts/a.sh", Timeout: 30, RunAs: "nobody"}) || hooks[1].Timeout != 3600 {
		t.Errorf("hooks: %+v", hooks)
	}
	if _, err := ParseAppSpec([]byte("version: \"0.0\"\nos: linux\n")); err != nil {
		t.Errorf("quoted version: %v", err)
	}
}

func TestParseAppSpecRefuses(t *testing.T) {
	for name, tc := range map[string]struct{ yaml, want string }{
		"empty":          {"", "at minimum version and os"},
		"version":        {"version: 1.0\nos: linux\n", "version must be 0.0"},
		"os":             {"version: 0.0\nos: windows\n", "does not match"},
		"no location":    {"version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - timeout: 5\n", "no location"},
		"timeout":        {"version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: a.sh\n      timeout: 0\n", "between 1 and 3600"},
		"install hook":   {"version: 0.0\nos: linux\nhooks:\n  Install:\n    - location: a.sh\n", "cannot carry scripts"},
		"script outside": {"version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: ../../etc/x\n", "outside the revision"},
		"source outside": {"version: 0.0\nos: linux\nfiles:\n  - source: ../x\n    destination: /srv\n", "outside the revision"},
		"relative dest":  {"version: 0.0\nos: linux\nfiles:\n  - source: x\n    destination: srv\n", "absolute"},
		"duplicate":      {"version: 0.0\nos: linux\nfiles:\n  - {source: x, destination: /srv}\n  - {source: x, destination: /srv/}\n", "twice"},
		"mode":           {"version: 0.0\nos: linux\npermissions:\n  - {object: /srv, mode: \"0999\"}\n", "octal"},
		"type":           {"version: 0.0\nos: linux\npermissions:\n  - {object: /srv, type: [socket]}\n", "not file or directory"},
		"behavior":       {"version: 0.0\nos: linux\nfile_exists_behavior: MERGE\n", "DISALLOW, OVERWRITE or RETAIN"},
	} {
		_, err := ParseAppSpec([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", name, err, tc.want)
		}
	}
}
