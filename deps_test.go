package deploytrail_test

import (
	"os/exec"
	"strings"
	"testing"
)

// allowedDeps is docs/ARCHITECTURE.md's import table: which of our
// packages each package may import. Packages not listed may import
// anything of ours (app, apptest, cmd).
var allowedDeps = map[string][]string{
	"internal/awserr":        {},
	"internal/objstore":      {},
	"internal/objstore/fs":   {"internal/objstore"},
	"internal/objstore/s3":   {"internal/objstore"},
	"internal/objstore/mem":  {"internal/objstore"},
	"internal/sigv4":         {"internal/checksum"},
	"internal/checksum":      {},
	"internal/iam/policy":    {},
	"internal/bucketpolicy":  {"internal/iam/policy", "internal/objstore"},
	"internal/awsproto":      {"internal/awserr", "internal/awsproto/models"},
	"internal/cloudtrail":    {"internal/awserr", "internal/awsproto", "internal/awsproto/models", "internal/objstore", "internal/trail", "internal/pagetoken"},
	"internal/delivery":      {"internal/objstore", "internal/cloudtrail", "internal/awserr", "internal/awsproto", "internal/awsproto/models", "internal/trail", "internal/digest", "internal/pagetoken"},
	"internal/signing":       {"internal/digest"},
	"internal/lifecycle":     {"internal/awserr", "internal/objstore"},
	"internal/codedeploy":    {"internal/awserr", "internal/awsproto", "internal/awsproto/models", "internal/pagetoken"},
	"internal/iam":           {"internal/awserr", "internal/awsproto", "internal/awsproto/models", "internal/iam/policy"},
	"internal/organizations": {"internal/awserr", "internal/awsproto", "internal/awsproto/models", "internal/iam", "internal/iam/policy"},
	"internal/trail":         {"internal/awserr", "internal/awsproto", "internal/awsproto/models"},
	"internal/sns":           {"internal/awserr", "internal/awsproto", "internal/awsproto/models", "internal/iam/policy", "internal/pagetoken"},
	"internal/pagetoken":     {},
	"internal/trailfiles":    {},
	"internal/lease":         {},
	"internal/metrics":       {},
	"internal/version":       {},
	"internal/digest":        {},
	"internal/pkcs7":         {},
	"internal/agent":         {"internal/sigv4", "internal/checksum", "internal/pkcs7", "internal/version"},
	"internal/validate":      {"internal/digest", "internal/objstore"},
	"internal/s3api":         {"internal/awserr", "internal/awsproto", "internal/awsproto/models", "internal/iam/policy", "internal/objstore", "internal/bucketpolicy", "internal/checksum", "internal/lifecycle"},
	"internal/server":        {"internal/awserr", "internal/awsproto", "internal/awsproto/models", "internal/sigv4", "internal/checksum", "internal/iam", "internal/iam/policy", "internal/trail", "internal/s3api", "internal/objstore", "internal/bucketpolicy", "internal/lifecycle"},
	"internal/console":       {"internal/awserr", "internal/awsproto", "internal/awsproto/models", "internal/iam", "internal/iam/policy", "internal/trail", "internal/sigv4", "internal/checksum"},
}

const module = "github.com/deploytrail/deploytrail/"

func TestDependencyRules(t *testing.T) {
	for pkg, allowed := range allowedDeps {
		out, err := exec.Command("go", "list", "-deps", "./"+pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			rel, ours := strings.CutPrefix(dep, module)
			if !ours || rel == pkg {
				continue
			}
			if !contains(allowed, rel) {
				t.Errorf("%s imports %s, which docs/ARCHITECTURE.md does not allow", pkg, rel)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
