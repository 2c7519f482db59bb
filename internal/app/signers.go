package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/deploytrail/deploytrail/internal/pkcs7"
	"github.com/deploytrail/deploytrail/internal/sns"
	"github.com/deploytrail/deploytrail/internal/store"
)

// The signing identities' names in the store.
const (
	snsSignerName  = "sns"
	specSignerName = "codedeploy-spec"
	// specSignerFiles is the deployment-specification signer's file name
	// stem in the data directory: its certificate is written there for
	// agents to trust (README: :spec_signer_certificate:).
	specSignerFiles = "codedeploy-spec-signing"
	specSignerCN    = "deploytrail CodeDeploy deployment specifications"
)

// loadSNSSigner returns the SNS signing identity every node shares: the
// one in the store, else the files an earlier version kept in the data
// directory (so that subscribers' cached certificate keeps verifying),
// else a new one.
func loadSNSSigner(ctx context.Context, db *store.DB, data string) (*sns.Signer, error) {
	p, err := store.Signers{DB: db}.Ensure(ctx, snsSignerName, func() (store.SignerPEM, error) {
		return fileOrNew(func() ([]byte, []byte, error) { return sns.ReadSignerFiles(data) }, sns.GenerateSigner)
	})
	if err != nil {
		return nil, fmt.Errorf("SNS signing key: %w", err)
	}
	return sns.ParseSigner(p.Key, p.Cert)
}

// loadSpecSigner returns the deployment-specification signing identity
// every node shares (found as loadSNSSigner finds its own), and writes
// its certificate to the data directory, where an agent's configuration
// points to trust it; the key stays in the store.
func loadSpecSigner(ctx context.Context, db *store.DB, data string) (*pkcs7.Signer, error) {
	p, err := store.Signers{DB: db}.Ensure(ctx, specSignerName, func() (store.SignerPEM, error) {
		return fileOrNew(func() ([]byte, []byte, error) { return pkcs7.ReadFiles(data, specSignerFiles) },
			func() ([]byte, []byte, error) { return pkcs7.Generate(specSignerCN) })
	})
	if err != nil {
		return nil, fmt.Errorf("deployment specification signing key: %w", err)
	}
	signer, err := pkcs7.Parse(p.Key, p.Cert)
	if err != nil {
		return nil, fmt.Errorf("deployment specification signing key: %w", err)
	}
	_, certPath := pkcs7.Files(data, specSignerFiles)
	if err := writeIfChanged(certPath, p.Cert); err != nil {
		return nil, fmt.Errorf("write the deployment specification signing certificate: %w", err)
	}
	return signer, nil
}

// fileOrNew imports the identity read, or makes a new one when there is
// no file to read.
func fileOrNew(read, generate func() (key, cert []byte, err error)) (store.SignerPEM, error) {
	key, cert, err := read()
	if errors.Is(err, fs.ErrNotExist) {
		key, cert, err = generate()
	}
	return store.SignerPEM{Key: key, Cert: cert}, err
}

// writeIfChanged writes body to path (0600) unless it holds body already.
func writeIfChanged(path string, body []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, body) {
		return nil
	}
	return os.WriteFile(path, body, 0o600)
}
