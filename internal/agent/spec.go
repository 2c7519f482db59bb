package agent

import (
	"crypto/subtle"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/deploytrail/deploytrail/internal/pkcs7"
)

// Spec is the deployment specification's payload (spec §9.7).
type Spec struct {
	DeploymentID        string `json:"DeploymentId"`
	DeploymentGroupID   string `json:"DeploymentGroupId"`
	DeploymentGroupName string
	ApplicationName     string
	DeploymentCreator   string
	AppSpecFilename     string
	Revision            struct {
		RevisionType string
		S3Revision   *struct {
			Bucket, Key, BundleType string
			Version, ETag           string
		}
		AppSpecContent *struct{ Content string }
		GitHubRevision *struct {
			Account, Repository string
			CommitID            string `json:"CommitId"`
		}
	}
	AgentActionOverrides struct {
		AgentOverrides struct{ FileExistsBehavior string }
	}
}

type envelope struct{ Format, Payload string }

// openSpec verifies a PKCS7/JSON envelope against the trusted signer and
// decodes its payload. Unsigned formats are refused: a specification
// says which scripts run as root.
func (a *Agent) openSpec(env envelope) (*Spec, error) {
	if env.Format != "PKCS7/JSON" {
		return nil, fmt.Errorf("deployment specification format %q refused: only signed PKCS7/JSON is accepted", env.Format)
	}
	content, cert, err := pkcs7.Verify([]byte(env.Payload))
	if err != nil {
		return nil, fmt.Errorf("deployment specification: %v", err)
	}
	if err := a.trust(cert); err != nil {
		return nil, err
	}
	var s Spec
	if err := json.Unmarshal(content, &s); err != nil {
		return nil, fmt.Errorf("deployment specification: %v", err)
	}
	if _, id, ok := strings.Cut(s.DeploymentID, ":deployment/"); ok {
		s.DeploymentID = id // an ARN is accepted too
	}
	if !safeName(s.DeploymentID) || !safeName(s.DeploymentGroupID) {
		return nil, errors.New("deployment specification: deployment or group id is not a plain name")
	}
	return &s, nil
}

// safeName reports whether an id can be a directory name under root_dir.
func safeName(s string) bool {
	return s != "" && len(s) <= 128 && filepath.IsLocal(s) && !strings.ContainsAny(s, `/\`)
}

// trust checks the signer against the configured certificate or, when
// none is configured, the certificate pinned at the first specification
// (trust on first use, kept in root_dir).
func (a *Agent) trust(cert *x509.Certificate) error {
	a.trustMu.Lock()
	defer a.trustMu.Unlock()
	pinned, err := a.pinnedCert()
	if err != nil {
		return err
	}
	if pinned == nil {
		pinPath := filepath.Join(a.cfg.RootDir, pinFile)
		a.log.Info("pinning the deployment specification signer", "subject", cert.Subject.String(), "file", pinPath)
		return writeAtomic(pinPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
	}
	if subtle.ConstantTimeCompare(pinned, cert.Raw) != 1 {
		return errors.New("deployment specification signed by a certificate this agent does not trust")
	}
	return nil
}

const pinFile = "trusted-specification-signer.pem"

// pinnedCert is the trusted certificate's DER, nil when none is pinned yet.
func (a *Agent) pinnedCert() ([]byte, error) {
	path, configured := a.cfg.SpecSignerCert, true
	if path == "" {
		path, configured = filepath.Join(a.cfg.RootDir, pinFile), false
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && !configured {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s: not a PEM certificate", path)
	}
	return block.Bytes, nil
}
