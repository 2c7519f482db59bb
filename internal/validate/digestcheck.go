package validate

import (
	"context"
	"errors"
	"fmt"

	"github.com/deploytrail/deploytrail/internal/digest"
)

// checkDigest reads the digest at bucket/key and checks it on its own, in
// the CLI's order (§9.8 a–e): readable, well-formed, signature metadata
// present, at its original location, in this chain, signed by a known key.
// Only ctx errors are returned.
func (v *validator) checkDigest(ctx context.Context, c chainID, bucket, key string, backfill bool) (*checked, error) {
	d := &checked{Result: v.result(c, KindDigest, bucket, key)}
	d.Backfill = backfill
	get := v.get
	if v.pf != nil {
		get = v.pf.get
	}
	obj, err := get(ctx, bucket, key)
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil:
		d.Status, d.Reason = StatusUnreadable, err.Error()
		return d, nil
	case obj == nil:
		d.Result = v.missing(d.Result)
		return d, nil
	}
	if d.d, d.raw, err = digest.Parse(obj.Body); err != nil {
		d.Status, d.Reason = StatusCorrupt, err.Error()
		return d, nil
	}
	d.sig = obj.Metadata[digest.MetaSignature]
	d.Status, d.Reason = v.verdict(d, obj.Metadata)
	d.trusted = d.Status == StatusValid
	return d, nil
}

// verdict is the status of a parsed digest judged on its own.
func (v *validator) verdict(d *checked, meta map[string]string) (Status, string) {
	dg := d.d
	switch {
	case d.sig == "":
		return StatusInvalidSignature, "signature verification failed: no signature metadata"
	case meta[digest.MetaSignatureAlgorithm] != digest.SignatureAlgorithm:
		return StatusInvalidSignature, fmt.Sprintf("signature verification failed: signature-algorithm %q",
			meta[digest.MetaSignatureAlgorithm])
	case d.Backfill && meta[digest.MetaBackfillTimestamp] == "":
		return StatusInvalidSignature, "backfill digest without backfill-generation-timestamp metadata"
	case dg.Bucket != d.Bucket || dg.Object != d.Key:
		return StatusModified, fmt.Sprintf("has been moved from its original location s3://%s/%s",
			dg.Bucket, dg.Object)
	case dg.AccountID != d.Account:
		return StatusModified, fmt.Sprintf("awsAccountId %s does not match the chain's account", dg.AccountID)
	case dg.StartTime.After(dg.EndTime):
		return StatusModified, "digestStartTime is after digestEndTime"
	}
	der, ok := v.cfg.PublicKey(dg.PublicKeyFingerprint)
	if !ok {
		return StatusInvalidSignature, fmt.Sprintf("public key not found in region %s for fingerprint %s",
			d.Region, dg.PublicKeyFingerprint)
	}
	err := digest.Verify(der, dg, d.raw, d.sig)
	switch {
	case errors.Is(err, digest.ErrBadPublicKey):
		return StatusInvalidSignature, "unable to load PKCS #1 key with fingerprint " + dg.PublicKeyFingerprint
	case err != nil:
		return StatusInvalidSignature, "signature verification failed"
	}
	return StatusValid, ""
}
