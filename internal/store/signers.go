package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Signers keeps the server's long-lived signing identities (a private key
// and its certificate, PEM) by name, shared by every node on the
// database: an envelope or a specification one node signs verifies the
// same way as another's. The key is a secret; nothing here logs it or puts
// it in an error.
type Signers struct{ *DB }

// SignerPEM is a signing identity: a PEM private key and its PEM
// certificate.
type SignerPEM struct {
	Key, Cert []byte
}

// Ensure returns the identity stored under name. When there is none yet it
// stores the one create returns, unless another node stored one first, and
// returns whichever the database kept: nodes starting together agree.
// create runs outside any transaction (generating an RSA key takes a while).
func (s Signers) Ensure(ctx context.Context, name string, create func() (SignerPEM, error)) (SignerPEM, error) {
	got, err := s.get(ctx, name)
	if !errors.Is(err, sql.ErrNoRows) {
		return got, err
	}
	made, err := create()
	if err != nil {
		return SignerPEM{}, fmt.Errorf("make signer %s: %w", name, err)
	}
	if len(made.Key) == 0 || len(made.Cert) == 0 {
		return SignerPEM{}, fmt.Errorf("make signer %s: empty key or certificate", name)
	}
	_, err = s.exec1(ctx, `INSERT INTO signers (name, key_pem, cert_pem, created) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO NOTHING`, name, made.Key, made.Cert, time.Now().UnixNano())
	if err != nil {
		return SignerPEM{}, fmt.Errorf("store signer %s: %w", name, err)
	}
	return s.get(ctx, name)
}

func (s Signers) get(ctx context.Context, name string) (SignerPEM, error) {
	var p SignerPEM
	err := s.q(ctx).QueryRowContext(ctx, `SELECT key_pem, cert_pem FROM signers WHERE name = ?`, name).Scan(&p.Key, &p.Cert)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return SignerPEM{}, fmt.Errorf("read signer %s: %w", name, err)
	}
	return p, err
}
