package cloudtrail

import (
	"context"
	"errors"
	"fmt"

	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// viewer is who looks at trails: an account, in a region, maybe in an
// organization whose organization trails it then sees.
type viewer struct {
	call    *awsproto.Call
	account string
	region  string
	orgID   string
}

// viewerOf reads the caller's organization.
func (s *Service) viewerOf(ctx context.Context) (*viewer, error) {
	call, err := callOf(ctx)
	if err != nil {
		return nil, err
	}
	v := &viewer{call: call, account: call.Account(), region: call.Region}
	org, err := s.store.Organization(ctx, v.account)
	switch {
	case err == nil:
		v.orgID = org.ID
	case !errors.Is(err, ErrNotFound):
		return nil, fmt.Errorf("read organization: %w", err)
	}
	return v, nil
}

// sees reports whether t is visible to v: its own trails and its
// organization's trails, in their home region or, multi-region, in every
// region.
func (v *viewer) sees(t *Trail) bool {
	if t.Account != v.account && (t.OrgID == "" || t.OrgID != v.orgID) {
		return false
	}
	return t.InRegion(v.region)
}

// shadow reports whether t is, for v, a replica of a trail that lives in
// another region or account.
func (v *viewer) shadow(t *Trail) bool { return t.Account != v.account || t.HomeRegion != v.region }

// find returns the trail a Name parameter names, if v sees it. By name,
// only trails whose home is the caller's region are found.
func (s *Service) find(ctx context.Context, nameOrARN string) (*Trail, *viewer, error) {
	v, err := s.viewerOf(ctx)
	if err != nil {
		return nil, nil, err
	}
	r, err := parseRef(v.call, nameOrARN)
	if err != nil {
		return nil, nil, err
	}
	t, err := s.store.Trail(ctx, r.arn)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, notFound(v.call, r.arn)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read trail: %w", err)
	}
	if !v.sees(t) && !(t.Account == v.account && !r.byName) {
		return nil, nil, notFound(v.call, r.arn)
	}
	return t, v, nil
}

// findToChange is find for operations that change a trail: only its
// owner, in its home region, may (spec §10.1, §10.3).
func (s *Service) findToChange(ctx context.Context, nameOrARN string) (*Trail, *viewer, error) {
	t, v, err := s.find(ctx, nameOrARN)
	if err != nil {
		return nil, nil, err
	}
	if t.Account != v.account {
		return nil, nil, errorf(CodeNotOrganizationMaster, "Only the management account of the organization can change organization trail %s.", t.ARN)
	}
	if t.HomeRegion != v.region {
		return nil, nil, errorf(CodeInvalidHomeRegion, "Trail %s can only be changed in its home region, %s.", t.ARN, t.HomeRegion)
	}
	return t, v, nil
}

// findToRead is find for reads, which an own trail of another region
// named by ARN does not pass unless the viewer sees it.
func (s *Service) findToRead(ctx context.Context, nameOrARN string) (*Trail, *viewer, error) {
	t, v, err := s.find(ctx, nameOrARN)
	if err != nil {
		return nil, nil, err
	}
	if !v.sees(t) {
		return nil, nil, notFound(v.call, t.ARN)
	}
	return t, v, nil
}
