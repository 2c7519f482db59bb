package validate

import (
	"context"
	"fmt"
	"strings"

	"github.com/deploytrail/deploytrail/internal/digest"
)

// checked is one digest after its own checks.
type checked struct {
	Result
	d       *digest.Digest // nil when it could not be read or parsed
	raw     []byte
	sig     string // the "signature" metadata
	trusted bool   // its content is authentic: signature verified or attested by a trusted newer digest
}

// link is what a trusted digest says about its predecessor.
type link struct {
	digest.Link
	newer   string // key of the digest that says it
	endTime string // the predecessor's expected digestEndTime: the newer one's digestStartTime
}

// walkChain checks one chain newest to oldest. Each trusted digest names
// its predecessor; comparing that name with the next key actually listed
// tells a deleted digest (the name sorts after the listed key) from an
// inserted or replayed one (it sorts before).
func (v *validator) walkChain(ctx context.Context, c chainID) error {
	standard, backfill, err := v.listDigests(ctx, c)
	if err != nil {
		return err
	}
	v.pf = v.newPrefetcher(ctx, walkOrder(standard, backfill))
	defer func() { v.pf.close(); v.pf = nil }()
	dir := digest.Dir(v.cfg.Prefix, v.cfg.OrgID, c.account, c.region)
	var want *link
	for i := len(standard) - 1; i >= 0; i-- {
		key := standard[i].key
		if want != nil && !inListing(want, v.cfg.BucketName, dir) {
			// The chain continues in another bucket or under another
			// prefix: check that predecessor directly; older listed
			// digests then start over.
			if _, err := v.followDigest(ctx, c, want.Object, want); err != nil {
				return err
			}
			want = nil
		}
		if want != nil && want.Object < key {
			d, err := v.notInChain(ctx, c, key, want)
			if err != nil {
				return err
			}
			v.emitDigest(d)
			continue
		}
		if want != nil && want.Object > key {
			v.reportDeleted(c, dir, want, key)
			want = nil
		}
		if want, err = v.followDigest(ctx, c, key, want); err != nil {
			return err
		}
	}
	if want != nil && v.expectedInRange(want) {
		if _, err := v.followDigest(ctx, c, want.Object, want); err != nil {
			return err
		}
	}
	return v.checkBackfill(ctx, c, backfill)
}

// walkOrder is the order walkChain reads the listed digests in: the
// standard ones newest first, then the backfill ones.
func walkOrder(standard, backfill []listed) []string {
	keys := make([]string, 0, len(standard)+len(backfill))
	for i := len(standard) - 1; i >= 0; i-- {
		keys = append(keys, standard[i].key)
	}
	for _, l := range backfill {
		keys = append(keys, l.key)
	}
	return keys
}

// followDigest checks the digest at key, which want (if not nil) says is
// the predecessor of a newer one, emits it and its log files, and returns
// what it says about its own predecessor.
func (v *validator) followDigest(ctx context.Context, c chainID, key string, want *link) (*link, error) {
	bucket := v.cfg.BucketName
	if want != nil {
		bucket = want.Bucket
	}
	d, err := v.checkDigest(ctx, c, bucket, key, false)
	if err != nil {
		return nil, err
	}
	if want != nil {
		checkLink(d, want)
	}
	v.emitDigest(d)
	if !d.trusted || d.d.IsStart() {
		return nil, nil
	}
	return &link{Link: d.d.Previous(), newer: key, endTime: digest.FormatTime(d.d.StartTime)}, nil
}

// checkLink compares a digest with what its trusted successor recorded.
// A trusted successor attests the content through the hash, so a digest
// whose bytes match is trusted even when its own metadata signature was
// tampered with (the documented custom procedure, §9.9).
func checkLink(d *checked, want *link) {
	if d.Status == StatusMissing || d.Status == StatusExpired || d.d == nil {
		return
	}
	var problems []string
	hashOK := digest.Hash(d.raw) == want.HashValue
	if !hashOK {
		problems = append(problems, "hash doesn't match previousDigestHashValue of "+want.newer)
	}
	if got := digest.FormatTime(d.d.EndTime); got != want.endTime {
		problems = append(problems, fmt.Sprintf("digestEndTime %s doesn't match digestStartTime %s of %s",
			got, want.endTime, want.newer))
	}
	switch {
	case len(problems) > 0 && d.Status != StatusCorrupt:
		d.Status, d.trusted = StatusModified, false
		d.Reason = joinReasons(append(problems, d.Reason)...)
	case d.sig != want.Signature && d.Status == StatusValid:
		d.Status = StatusInvalidSignature
		d.Reason = "signature doesn't match previousDigestSignature of " + want.newer
	}
	if hashOK && !d.trusted && d.Status == StatusInvalidSignature {
		d.trusted = true
	}
}

// notInChain is the verdict on a listed digest that the chain skips: the
// newer digest names an older predecessor, so this one was inserted,
// replayed or moved here.
func (v *validator) notInChain(ctx context.Context, c chainID, key string, want *link) (*checked, error) {
	d, err := v.checkDigest(ctx, c, v.cfg.BucketName, key, false)
	if err != nil || d.Status == StatusMissing {
		return d, err
	}
	reason := "not part of the chain: " + want.newer + " names " + want.Object + " as its predecessor"
	if d.Status == StatusValid {
		d.Status = StatusModified
	}
	d.Reason, d.trusted = joinReasons(reason, d.Reason), false
	return d, nil
}

// inListing reports whether the predecessor want names is in the folder
// being walked, where key order is time order.
func inListing(want *link, bucket, dir string) bool {
	return want.Bucket == bucket && strings.HasPrefix(want.Object, dir)
}

// reportDeleted reports the predecessor want names, which listing did not
// find, and the stretch of chain that is now unverifiable: from the next
// older listed digest (if any) to it. Whether one or several consecutive
// digests are gone cannot be told, so the gap says "at least".
func (v *validator) reportDeleted(c chainID, dir string, want *link, olderKey string) {
	v.emitDigest(&checked{Result: v.missing(v.result(c, KindDigest, want.Bucket, want.Object))})
	gap := v.result(c, KindChain, v.cfg.BucketName, dir)
	gap.Status = StatusChainGap
	gap.Reason = fmt.Sprintf("chain broken before %s (digestEndTime %s): at least one digest after %s is missing; "+
		"log files delivered in between are not covered", want.newer, want.endTime, olderKey)
	v.emit(gap)
}

// expectedInRange reports whether the predecessor want names ends inside
// the requested range, so that listing should have found it.
func (v *validator) expectedInRange(want *link) bool {
	end, err := digest.ParseTime(want.endTime)
	return err == nil && !end.Before(v.cfg.Start)
}

func (v *validator) result(c chainID, kind Kind, bucket, key string) Result {
	return Result{Kind: kind, Account: c.account, Region: c.region, Bucket: bucket, Key: key}
}

// emitDigest records a digest result and queues its log files.
func (v *validator) emitDigest(d *checked) {
	v.emit(d.Result)
	if !d.trusted {
		return
	}
	v.found.add(d.d.StartTime, d.d.EndTime)
	for _, f := range d.d.LogFiles {
		r := Result{Kind: KindLog, Backfill: d.Backfill, Account: d.Account, Region: d.Region,
			Bucket: f.Bucket, Key: f.Object}
		v.hashing.add(logJob{slot: v.emit(r), r: r, want: f.HashValue})
		v.referenced[f.Bucket+"/"+f.Object] = true
	}
	id := chainID{d.Account, d.Region}
	if d.d.EndTime.After(v.newest[id]) {
		v.newest[id] = d.d.EndTime
	}
}

func (v *validator) checkBackfill(ctx context.Context, c chainID, keys []listed) error {
	for _, l := range keys {
		d, err := v.checkDigest(ctx, c, v.cfg.BucketName, l.key, true)
		if err != nil {
			return err
		}
		v.emitDigest(d)
	}
	return nil
}

func joinReasons(reasons ...string) string {
	var out []string
	for _, r := range reasons {
		if r != "" {
			out = append(out, r)
		}
	}
	return strings.Join(out, "; ")
}
