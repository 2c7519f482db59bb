package delivery

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/deploytrail/deploytrail/internal/cloudtrail"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// DefaultFilterTTL is how long a Filter trusts its trails before asking the
// store whether they changed: the longest a change made by another server
// on the same database takes to reach it.
const DefaultFilterTTL = 2 * time.Second

// FilterStore is what a Filter reads; package store implements it.
type FilterStore interface {
	// LocalChanges counts the changes to trails and organization
	// membership this process has committed; it moves right after each
	// commit.
	LocalChanges() uint64
	// TrailsVersion counts the same changes made by every process.
	TrailsVersion(ctx context.Context) (int64, error)
	// LoggingTrails returns the trails that log.
	LoggingTrails(ctx context.Context) ([]*cloudtrail.Trail, error)
	// Members returns the accounts of an organization.
	Members(ctx context.Context, orgID string) ([]string, error)
}

// Filter decides, before a data event is stored, whether any trail selects
// it: an event no trail selects is not stored at all (spec §4.3). It runs
// on every S3 object call, so it keeps the few logging trails that select
// data events in memory and reads the store only when they may have
// changed: at once after a change this process committed, otherwise once
// per TTL, and then reloads only if the stored version moved. A change on
// another server takes up to TTL to apply, as AWS documents a delay for
// selector changes. Safe for concurrent use.
type Filter struct {
	store FilterStore
	// TTL bounds how stale the trails may be; 0 asks the store every
	// time.
	TTL time.Duration
	Now func() time.Time

	mu   sync.Mutex
	snap *snapshot
}

// snapshot is the trails a Filter knows and when it last checked them.
type snapshot struct {
	version int64
	local   uint64
	checked time.Time
	trails  []*cloudtrail.Trail // logging, selecting data events
	orgOf   map[string]string   // account → organization, for the org trails' members
}

// NewFilter returns a Filter of store's trails.
func NewFilter(store FilterStore) *Filter {
	return &Filter{store: store, TTL: DefaultFilterTTL, Now: time.Now}
}

// Wanted reports whether a logging trail selects the data event ev: a
// trail of the account it is recorded for (recipientAccountId) or an
// organization trail of its organization, whose regions include ev's
// (spec §6.4, §10). Delivery sends an event to those trails only, so a
// call involving two accounts is asked about once per account's copy
// (spec §10.4), each with its own recipientAccountId.
func (f *Filter) Wanted(ctx context.Context, ev *trail.Event) (bool, error) {
	snap, err := f.current(ctx)
	if err != nil {
		return false, err
	}
	e := selectable(ev)
	return slices.ContainsFunc(snap.trails, func(t *cloudtrail.Trail) bool {
		return t.InRegion(ev.AWSRegion) && snap.covers(t, ev.RecipientAccountID) && Selects(t, e)
	}), nil
}

// selectedAnywhere reports whether some logging trail's selectors, of
// whatever account or region, select ev: a check that needs no account,
// made before looking one up.
func (f *Filter) selectedAnywhere(ctx context.Context, ev *trail.Event) (bool, error) {
	snap, err := f.current(ctx)
	if err != nil {
		return false, err
	}
	e := selectable(ev)
	return slices.ContainsFunc(snap.trails, func(t *cloudtrail.Trail) bool { return Selects(t, e) }), nil
}

// current returns the snapshot, checked or reloaded when it may be stale.
func (f *Filter) current(ctx context.Context) (*snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now, local := f.Now(), f.store.LocalChanges() // the hint first: a change committing meanwhile is seen next time
	if s := f.snap; s != nil && s.local == local && now.Sub(s.checked) < f.TTL {
		return s, nil
	}
	version, err := f.store.TrailsVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the trails' version: %w", err)
	}
	if s := f.snap; s != nil && s.version == version {
		s.local, s.checked = local, now
		return s, nil
	}
	s, err := f.load(ctx, version)
	if err != nil {
		return nil, err
	}
	s.local, s.checked = local, now
	f.snap = s
	return s, nil
}

// load reads the trails that select data events, as of version (read
// before them: a change committed meanwhile leaves the version behind, so
// the next check reloads).
func (f *Filter) load(ctx context.Context, version int64) (*snapshot, error) {
	trails, err := f.store.LoggingTrails(ctx)
	if err != nil {
		return nil, fmt.Errorf("read logging trails: %w", err)
	}
	s := &snapshot{version: version, orgOf: map[string]string{}}
	orgs := map[string]bool{}
	for _, t := range trails {
		if !SelectsData(t) {
			continue
		}
		s.trails = append(s.trails, t)
		if t.OrgID == "" || orgs[t.OrgID] {
			continue
		}
		orgs[t.OrgID] = true
		members, err := f.store.Members(ctx, t.OrgID)
		if err != nil {
			return nil, fmt.Errorf("read the members of %s: %w", t.OrgID, err)
		}
		for _, m := range members {
			s.orgOf[m] = t.OrgID
		}
	}
	return s, nil
}

// covers reports whether t's accounts include account: its own, or every
// member of its organization.
func (s *snapshot) covers(t *cloudtrail.Trail, account string) bool {
	return t.Account == account || (t.OrgID != "" && s.orgOf[account] == t.OrgID)
}

// selectable is ev as selectors see a stored event.
func selectable(ev *trail.Event) *Event {
	e := &Event{EventID: ev.EventID, Account: ev.RecipientAccountID, Region: ev.AWSRegion, Source: ev.EventSource,
		Name: ev.EventName, ReadOnly: ev.ReadOnly != nil && *ev.ReadOnly, Category: ev.EventCategory, Resources: ev.Resources}
	if ev.UserIdentity != nil {
		e.UserARN = ev.UserIdentity.ARN
	}
	return e
}
