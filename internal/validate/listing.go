package validate

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/deploytrail/deploytrail/internal/digest"
	"github.com/deploytrail/deploytrail/internal/objstore"
)

// chainID names one digest chain of the trail.
type chainID struct{ account, region string }

// afterAll sorts after every key that starts with the text before it (bar
// keys containing U+10FFFF), so listing from prefix+afterAll skips a folder.
const afterAll = "\U0010FFFF"

// chains lists the (account, Region) pairs to check: the configured ones,
// or those found in the bucket.
func (v *validator) chains(ctx context.Context) ([]chainID, error) {
	accounts := v.cfg.Accounts
	if len(accounts) == 0 {
		found, err := folders(ctx, v.cfg.Bucket, digest.LogsRoot(v.cfg.Prefix, v.cfg.OrgID))
		if err != nil {
			return nil, err
		}
		accounts = slices.DeleteFunc(found, func(s string) bool { return !isAccountID(s) })
	}
	var out []chainID
	for _, a := range slices.Sorted(slices.Values(accounts)) {
		regions, err := v.regions(ctx, a)
		if err != nil {
			return nil, err
		}
		for _, r := range regions {
			out = append(out, chainID{a, r})
		}
	}
	return out, nil
}

// regions are the configured Regions, or those with a digest or log
// folder for the account.
func (v *validator) regions(ctx context.Context, account string) ([]string, error) {
	if len(v.cfg.Regions) > 0 {
		return slices.Sorted(slices.Values(v.cfg.Regions)), nil
	}
	dir := digest.AccountDir(v.cfg.Prefix, v.cfg.OrgID, account)
	var all []string
	for _, sub := range []string{"CloudTrail-Digest/", "CloudTrail/"} {
		found, err := folders(ctx, v.cfg.Bucket, dir+sub)
		if err != nil {
			return nil, err
		}
		all = append(all, found...)
	}
	slices.Sort(all)
	return slices.Compact(all), nil
}

// folders lists the distinct first path segments under prefix with one
// List call per folder, skipping each folder's contents, because a folder
// can hold years of files and objstore has no delimiter listing.
func folders(ctx context.Context, b objstore.Bucket, prefix string) ([]string, error) {
	var out []string
	after := prefix
	for {
		objs, err := b.List(ctx, prefix, after, 1)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", prefix, err)
		}
		if len(objs) == 0 {
			return out, nil
		}
		name, _, isFolder := strings.Cut(strings.TrimPrefix(objs[0].Key, prefix), "/")
		if !isFolder {
			after = objs[0].Key
			continue
		}
		out = append(out, name)
		after = prefix + name + "/" + afterAll
	}
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// listed is a digest key found by listing.
type listed struct {
	key   string
	parts digest.KeyParts
}

// listDigests returns the chain's digest keys whose end time is at or
// after Start, up to and including the first one after End (which covers
// the files delivered just before End), oldest first; backfill digests
// separately. Keys of other trails sharing the folder are skipped.
func (v *validator) listDigests(ctx context.Context, c chainID) (standard, backfill []listed, err error) {
	dir := digest.Dir(v.cfg.Prefix, v.cfg.OrgID, c.account, c.region)
	pastEnd := false
	err = listFrom(ctx, v.cfg.Bucket, dir, v.cfg.Start, func(key string) bool {
		p, err := digest.ParseKey(key)
		if err != nil || !v.ours(p, c) || p.EndTime.Before(v.cfg.Start.Truncate(time.Second)) {
			return true
		}
		if p.Backfill {
			backfill = append(backfill, listed{key, p})
			return true
		}
		if pastEnd {
			return false
		}
		standard = append(standard, listed{key, p})
		pastEnd = p.EndTime.After(v.cfg.End)
		return true
	})
	return standard, backfill, err
}

// ours reports whether a parsed digest key belongs to chain c of this trail.
func (v *validator) ours(p digest.KeyParts, c chainID) bool {
	return p.AccountID == c.account && p.Region == c.region && p.TrailName == v.trail.name &&
		p.HomeRegion == v.trail.homeRegion && p.Prefix == v.cfg.Prefix && p.OrgID == v.cfg.OrgID
}

// listFrom calls fn for every key under dir in the date folders from
// start's day on, in key order, until fn returns false.
func listFrom(ctx context.Context, b objstore.Bucket, dir string, start time.Time, fn func(key string) bool) error {
	after := dir + start.UTC().Format("2006/01/02")
	for {
		objs, err := b.List(ctx, dir, after, 0)
		if err != nil {
			return fmt.Errorf("list %s: %w", dir, err)
		}
		for _, o := range objs {
			if !fn(o.Key) {
				return nil
			}
		}
		if len(objs) == 0 {
			return nil
		}
		after = objs[len(objs)-1].Key
	}
}
