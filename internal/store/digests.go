package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/deploytrail/deploytrail/internal/delivery"
	"github.com/deploytrail/deploytrail/internal/digest"
	"github.com/deploytrail/deploytrail/internal/signing"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// addDigestFiles lists in's written files for their chains' next digests;
// part of FinishDelivery's transaction.
func (s Delivery) addDigestFiles(ctx context.Context, in *delivery.Intent) error {
	if in.DigestTrail == "" {
		return nil
	}
	for _, f := range in.Files {
		if f.Written == nil {
			return fmt.Errorf("digest file %s: not written", f.Key)
		}
		data, err := doc(f.Written)
		if err != nil {
			return err
		}
		err = s.exec(ctx, stmt{`INSERT INTO digest_files (trail_arn, account, region, data) VALUES (?, ?, ?, ?)`,
			[]any{in.DigestTrail, f.Account, f.Region, data}})
		if err != nil {
			return err
		}
	}
	return nil
}

const chainColumns = `trail_arn, account, region, generation, start, COALESCE(previous, ''), COALESCE(pending, ''), final`

func scanChain(r rowScanner) (*delivery.Chain, error) {
	c := &delivery.Chain{}
	var gen, start int64
	var previous, pending string
	if err := r.Scan(&c.TrailARN, &c.Account, &c.Region, &gen, &start, &previous, &pending, &c.Final); err != nil {
		return nil, err
	}
	c.Generation, c.Start = fromNanos(gen), fromNanos(start)
	var err error
	if previous != "" {
		if c.Previous, err = decode[digest.Link](previous); err != nil {
			return nil, err
		}
	}
	if pending != "" {
		if c.Pending, err = decode[delivery.PendingDigest](pending); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (s Delivery) Chains(ctx context.Context, trailARN string) ([]*delivery.Chain, error) {
	return collect(ctx, s.q(ctx), scanChain, `SELECT `+chainColumns+` FROM digest_chains WHERE trail_arn = ? ORDER BY account, region`, trailARN)
}

func (s Delivery) PendingDigests(ctx context.Context) ([]*delivery.Chain, error) {
	return collect(ctx, s.q(ctx), scanChain, `SELECT `+chainColumns+` FROM digest_chains WHERE pending IS NOT NULL ORDER BY trail_arn, account, region`)
}

func (s Delivery) OpenChain(ctx context.Context, c *delivery.Chain) error {
	return s.Tx(ctx, func(ctx context.Context) error {
		return s.exec(ctx, stmt{`INSERT INTO digest_chains (trail_arn, account, region, generation, start) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, []any{c.TrailARN, c.Account, c.Region, nanos(c.Generation), nanos(c.Start)}})
	})
}

func (s Delivery) UndigestedGroups(ctx context.Context, trailARN string) ([][2]string, error) {
	return collect(ctx, s.q(ctx), func(r rowScanner) ([2]string, error) {
		var g [2]string
		err := r.Scan(&g[0], &g[1])
		return g, err
	}, `SELECT DISTINCT account, region FROM digest_files WHERE trail_arn = ? ORDER BY account, region`, trailARN)
}

func (s Delivery) DigestFiles(ctx context.Context, c *delivery.Chain) ([]digest.LogFile, int64, error) {
	var last int64
	files, err := collect(ctx, s.q(ctx), func(r rowScanner) (digest.LogFile, error) {
		var data string
		if err := r.Scan(&last, &data); err != nil {
			return digest.LogFile{}, err
		}
		f, err := decode[digest.LogFile](data)
		if err != nil {
			return digest.LogFile{}, err
		}
		return *f, nil
	}, `SELECT id, data FROM digest_files WHERE trail_arn = ? AND account = ? AND region = ? ORDER BY id`,
		c.TrailARN, c.Account, c.Region)
	return files, last, err
}

func (s Delivery) RecordDigest(ctx context.Context, c *delivery.Chain, lastFile int64) error {
	var previous any // NULL: the next digest starts a chain
	if c.Previous != nil {
		var err error
		if previous, err = doc(c.Previous); err != nil {
			return err
		}
	}
	pending, err := doc(c.Pending)
	if err != nil {
		return err
	}
	return s.Tx(ctx, func(ctx context.Context) error {
		return s.exec(ctx,
			stmt{`UPDATE digest_chains SET start = ?, previous = ?, pending = ?, final = ? WHERE trail_arn = ? AND account = ? AND region = ?`,
				[]any{nanos(c.Start), previous, pending, c.Final, c.TrailARN, c.Account, c.Region}},
			stmt{`DELETE FROM digest_files WHERE trail_arn = ? AND account = ? AND region = ? AND id <= ?`,
				[]any{c.TrailARN, c.Account, c.Region, lastFile}})
	})
}

func (s Delivery) DigestWritten(ctx context.Context, c *delivery.Chain, records []*trail.Event) error {
	return s.Tx(ctx, func(ctx context.Context) error {
		err := s.exec(ctx,
			stmt{`DELETE FROM digest_chains WHERE trail_arn = ? AND account = ? AND region = ? AND final <> 0`,
				[]any{c.TrailARN, c.Account, c.Region}},
			stmt{`UPDATE digest_chains SET pending = NULL WHERE trail_arn = ? AND account = ? AND region = ?`,
				[]any{c.TrailARN, c.Account, c.Region}})
		if err != nil {
			return err
		}
		return s.record(ctx, records)
	})
}

func (s Delivery) NoteDigest(ctx context.Context, trailARN, code string, at time.Time) error {
	return s.Tx(ctx, func(ctx context.Context) error {
		return s.exec(ctx, stmt{`UPDATE trail_delivery SET latest_digest = CASE WHEN ? = '' THEN ? ELSE latest_digest END,
			latest_digest_error = ? WHERE arn = ?`, []any{code, nanos(at), code, trailARN}})
	})
}

// SigningKeys is the signing.Store of a DB.
type SigningKeys struct{ *DB }

var _ signing.Store = SigningKeys{}

func (s SigningKeys) SigningKeys(ctx context.Context, region string) ([]*signing.Key, error) {
	return collect(ctx, s.q(ctx), func(r rowScanner) (*signing.Key, error) {
		k := &signing.Key{Region: region}
		var from, to int64
		err := r.Scan(&k.Fingerprint, &k.PublicDER, &k.PrivateDER, &from, &to)
		k.ValidFrom, k.ValidTo = fromNanos(from), fromNanos(to)
		return k, err
	}, `SELECT fingerprint, public_der, private_der, valid_from, valid_to FROM signing_keys WHERE region = ? ORDER BY valid_from, fingerprint`, region)
}

func (s SigningKeys) RotateSigningKey(ctx context.Context, next *signing.Key) error {
	return s.Tx(ctx, func(ctx context.Context) error {
		err := s.exec(ctx,
			stmt{`UPDATE signing_keys SET private_der = NULL, valid_to = CASE WHEN valid_to < ? THEN valid_to ELSE ? END
				WHERE region = ? AND private_der IS NOT NULL`, []any{nanos(next.ValidFrom), nanos(next.ValidFrom), next.Region}},
			stmt{`INSERT INTO signing_keys (fingerprint, region, public_der, private_der, valid_from, valid_to) VALUES (?, ?, ?, ?, ?, ?)`,
				[]any{next.Fingerprint, next.Region, next.PublicDER, next.PrivateDER, nanos(next.ValidFrom), nanos(next.ValidTo)}})
		if isUnique(err) {
			return errors.New("signing key fingerprint already used") // never reuse a fingerprint
		}
		return err
	})
}
