package delivery

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/deploytrail/deploytrail/internal/digest"
	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// DefaultDigestInterval is how often a chain gets a digest (AWS: hourly).
const DefaultDigestInterval = time.Hour

// Signer hands out the key that signs a region's digest ending at at.
type Signer interface {
	Signer(ctx context.Context, region string, at time.Time) (*digest.KeyPair, error)
}

// Digests are written for trails with log file validation (spec §9): per
// trail, account and region, a chain of signed digest files, each listing
// the log files delivered since the previous one, written every
// DigestInterval even when that is none. A digest is first recorded with
// the chain's advance in one transaction and then written, so that after a
// crash the same digest is written again: the chain never forks or skips.

// writePending writes every digest recorded but not yet written.
func (d *Deliverer) writePending(ctx context.Context) error {
	chains, err := d.store.PendingDigests(ctx)
	if err != nil {
		return fmt.Errorf("list pending digests: %w", err)
	}
	var errs []error
	for _, c := range chains {
		errs = append(errs, d.writeDigest(ctx, c))
	}
	return errors.Join(errs...)
}

func (d *Deliverer) writeDigest(ctx context.Context, c *Chain) error {
	p := c.Pending
	bucket, err := d.buckets.Bucket(p.Bucket)
	if err != nil {
		return err
	}
	opts := objstore.PutOptions{ContentType: "application/json", ContentEncoding: "gzip", Metadata: p.Metadata,
		Encryption: p.Encryption}
	err = d.checkPut(ctx, p.Bucket, p.Key, c.TrailARN)
	if err == nil {
		err = bucket.Put(ctx, p.Key, p.Body, opts)
	}
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		d.reportDigest(DigestReport{Trail: c.TrailARN, Key: p.Key, ErrorCode: ErrorCode(err)})
		return errors.Join(fmt.Errorf("put digest %s: %w", p.Key, err), d.store.NoteDigest(ctx, c.TrailARN, ErrorCode(err), d.Now().UTC()))
	}
	var records []*trail.Event
	if rec, err := d.putRecord(ctx, c.TrailARN, p.Bucket, p.Key, len(p.Body), p.Encryption); err != nil {
		return err
	} else if rec != nil {
		records = append(records, rec)
	}
	if err := d.store.DigestWritten(ctx, c, records); err != nil {
		return err
	}
	d.reportDigest(DigestReport{Trail: c.TrailARN, Key: p.Key})
	return d.store.NoteDigest(ctx, c.TrailARN, "", d.Now().UTC())
}

// digestTrail brings tg's chains up to date after its delivery: it opens
// the chains a validating, logging trail needs, and records a digest for
// every chain that is due, or ends because the trail stopped, was
// restarted or stopped validating (a final digest, after which the next
// chain starts afresh).
func (d *Deliverer) digestTrail(ctx context.Context, tg *Target) error {
	t := tg.Trail
	validating := t.Config.LogFileValidationEnabled
	logging := tg.Until == 0
	chains, err := d.store.Chains(ctx, t.ARN)
	if err != nil {
		return fmt.Errorf("read digest chains: %w", err)
	}
	if validating && logging {
		if chains, err = d.openChains(ctx, tg, chains); err != nil {
			return err
		}
	}
	now := d.Now().UTC().Truncate(time.Second)
	for _, c := range chains {
		if c.Pending != nil {
			continue // written first, by writePending
		}
		final := !validating || !logging || !c.Generation.Equal(t.Status.StartLoggingTime)
		if !final && now.Sub(c.Start) < d.DigestInterval {
			continue
		}
		if err := d.recordDigest(ctx, tg, c, now, final); err != nil {
			return err
		}
	}
	return nil
}

// openChains opens the chains the trail lacks among those of its home
// account and region and of every account and region it delivered log
// files for, and returns them all.
func (d *Deliverer) openChains(ctx context.Context, tg *Target, chains []*Chain) ([]*Chain, error) {
	t := tg.Trail
	groups, err := d.store.UndigestedGroups(ctx, t.ARN)
	if err != nil {
		return nil, fmt.Errorf("read undigested files: %w", err)
	}
	have := map[[2]string]bool{}
	for _, c := range chains {
		have[[2]string{c.Account, c.Region}] = true
	}
	start := d.Now().UTC().Truncate(time.Second)
	for _, g := range append(groups, [2]string{t.Account, t.HomeRegion}) {
		if have[g] {
			continue
		}
		have[g] = true
		c := &Chain{TrailARN: t.ARN, Account: g[0], Region: g[1], Generation: t.Status.StartLoggingTime, Start: start}
		if err := d.store.OpenChain(ctx, c); err != nil {
			return nil, fmt.Errorf("open digest chain: %w", err)
		}
		chains = append(chains, c)
	}
	return chains, nil
}

// recordDigest records c's next digest, ending at end, and writes it.
func (d *Deliverer) recordDigest(ctx context.Context, tg *Target, c *Chain, end time.Time, final bool) error {
	files, lastFile, err := d.store.DigestFiles(ctx, c)
	if err != nil {
		return fmt.Errorf("read digest files: %w", err)
	}
	if !end.After(c.Start) {
		end = c.Start.Add(time.Second) // keys carry seconds: two digests never share one
	}
	key, err := d.Signer.Signer(ctx, c.Region, end)
	if err != nil {
		return err
	}
	t := tg.Trail
	dg := &digest.Digest{AccountID: c.Account, StartTime: c.Start, EndTime: end, Bucket: t.Config.S3BucketName,
		Object: digestKey(tg, c, end), LogFiles: files}
	for _, f := range files {
		dg.NewestEventTime, dg.OldestEventTime = newest(dg.NewestEventTime, f.NewestEventTime), oldest(dg.OldestEventTime, f.OldestEventTime)
	}
	if c.Previous != nil {
		dg.Chain(*c.Previous)
	}
	signed, err := digest.Seal(key, dg)
	if err != nil {
		return fmt.Errorf("sign digest: %w", err)
	}
	link := signed.Link()
	c.Start, c.Previous, c.Final = end, &link, final
	c.Pending = &PendingDigest{Bucket: dg.Bucket, Key: dg.Object, Body: signed.Body, Metadata: signed.Metadata(),
		Encryption: encryption(t)}
	if err := d.store.RecordDigest(ctx, c, lastFile); err != nil {
		return fmt.Errorf("record digest: %w", err)
	}
	return d.writeDigest(ctx, c)
}

// digestKey is the digest's object key (spec §9.2).
func digestKey(tg *Target, c *Chain, end time.Time) string {
	t := tg.Trail
	org := ""
	if t.Config.IsOrganizationTrail {
		org = t.OrgID
	}
	return digest.Key(digest.KeyParts{Prefix: t.Config.S3KeyPrefix, OrgID: org, AccountID: c.Account, Region: c.Region,
		TrailName: t.Config.Name, HomeRegion: t.HomeRegion, EndTime: end})
}
