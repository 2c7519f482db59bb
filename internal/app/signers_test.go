package app

import (
	"context"
	"encoding/pem"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/deploytrail/deploytrail/internal/pkcs7"
	"github.com/deploytrail/deploytrail/internal/sns"
	"github.com/deploytrail/deploytrail/internal/store"
)

// openTwice opens two handles on one SQLite database in data, as two
// nodes sharing a database would.
func openTwice(t *testing.T, data string) (*store.DB, *store.DB) {
	t.Helper()
	var dbs [2]*store.DB
	for i := range dbs {
		db, err := store.Open(context.Background(), filepath.Join(data, "deploytrail.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	return dbs[0], dbs[1]
}

// TestSignersSharedByNodes: two nodes starting together on one database
// (each with its own, empty data directory) end up with the same SNS and
// specification signing identities, and each writes the specification
// certificate where agents' configurations point.
func TestSignersSharedByNodes(t *testing.T) {
	shared := t.TempDir()
	a, b := openTwice(t, shared)
	dirs := [2]string{t.TempDir(), t.TempDir()}
	var snsSigners [2]*sns.Signer
	var specSigners [2]*pkcs7.Signer
	var errs [4]error
	var wg sync.WaitGroup
	for i, db := range []*store.DB{a, b} {
		wg.Go(func() { snsSigners[i], errs[i] = loadSNSSigner(context.Background(), db, dirs[i]) })
		wg.Go(func() { specSigners[i], errs[2+i] = loadSpecSigner(context.Background(), db, dirs[i]) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if snsSigners[0].CertPath() != snsSigners[1].CertPath() {
		t.Errorf("SNS certificates %s and %s, want one", snsSigners[0].CertPath(), snsSigners[1].CertPath())
	}
	sig0, _ := snsSigners[0].Sign("2", "message")
	sig1, _ := snsSigners[1].Sign("2", "message")
	if sig0 != sig1 {
		t.Error("the nodes' SNS signatures differ, want one key")
	}
	if !specSigners[0].Cert.Equal(specSigners[1].Cert) || !specSigners[0].Key.Equal(specSigners[1].Key) {
		t.Error("the nodes' specification signers differ, want one")
	}
	for _, dir := range dirs {
		keyPath, certPath := pkcs7.Files(dir, specSignerFiles)
		cert, err := os.ReadFile(certPath)
		if err != nil || certDER(cert) != string(specSigners[0].Cert.Raw) {
			t.Errorf("%s: %v, want the shared certificate", certPath, err)
		}
		if info, err := os.Stat(certPath); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v (%v), want 0600", certPath, info.Mode(), err)
		}
		if _, err := os.Stat(keyPath); !os.IsNotExist(err) {
			t.Errorf("%s: %v, want no key file: the key stays in the store", keyPath, err)
		}
	}
}

// certDER is the DER of a PEM certificate, as an agent reads it.
func certDER(certPEM []byte) string {
	block, _ := pem.Decode(certPEM)
	if block == nil {
		return ""
	}
	return string(block.Bytes)
}

// TestSignersImportFiles: the first start after an upgrade takes the
// identities an earlier version kept in the data directory, so that
// subscribers and agents that trust their certificates keep verifying; a
// later start keeps them although the files are gone.
func TestSignersImportFiles(t *testing.T) {
	data := t.TempDir()
	snsKey, snsCert, err := sns.GenerateSigner()
	if err != nil {
		t.Fatal(err)
	}
	specKey, specCert, err := pkcs7.Generate(specSignerCN)
	if err != nil {
		t.Fatal(err)
	}
	snsKeyPath, snsCertPath := sns.SignerFiles(data)
	specKeyPath, specCertPath := pkcs7.Files(data, specSignerFiles)
	for path, body := range map[string][]byte{snsKeyPath: snsKey, snsCertPath: snsCert, specKeyPath: specKey, specCertPath: specCert} {
		if err := os.WriteFile(path, body, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	want, _ := sns.ParseSigner(snsKey, snsCert)
	db, _ := openTwice(t, data)
	for _, round := range []string{"import", "after the files are gone"} {
		got, err := loadSNSSigner(context.Background(), db, data)
		if err != nil || got.CertPath() != want.CertPath() {
			t.Fatalf("%s: SNS signer %v (%v), want the file's certificate %s", round, got, err, want.CertPath())
		}
		spec, err := loadSpecSigner(context.Background(), db, data)
		if err != nil || certDER(specCert) != string(spec.Cert.Raw) {
			t.Fatalf("%s: specification signer (%v), want the file's certificate", round, err)
		}
		os.Remove(snsKeyPath)
		os.Remove(snsCertPath)
		os.Remove(specKeyPath)
	}
}
