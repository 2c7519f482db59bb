package cloudtrail

import (
	"context"
	"fmt"
)

type (
	GetTrailInput struct {
		Name string `json:"Name"`
	}
	GetTrailOutput struct {
		Trail *TrailInfo `json:"Trail"`
	}
	DescribeTrailsInput struct {
		TrailNameList       []string `json:"trailNameList"`
		IncludeShadowTrails *bool    `json:"includeShadowTrails"`
	}
	DescribeTrailsOutput struct {
		TrailList []*TrailInfo `json:"trailList"`
	}
	ListTrailsInput struct {
		NextToken string `json:"NextToken"`
	}
	ListTrailsOutput struct {
		Trails []TrailSummary `json:"Trails"`
	}
	// TrailSummary is the model's TrailInfo.
	TrailSummary struct {
		TrailARN   string `json:"TrailARN"`
		Name       string `json:"Name"`
		HomeRegion string `json:"HomeRegion"`
	}
)

// GetTrail returns a trail: by name in its home region, by ARN wherever
// it is seen (shadows, organization trails).
//
// Errors: TrailNotFoundException, InvalidTrailNameException,
// CloudTrailARNInvalidException.
func (s *Service) GetTrail(ctx context.Context, in *GetTrailInput) (*GetTrailOutput, error) {
	t, _, err := s.findToRead(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	return &GetTrailOutput{Trail: info(t)}, nil
}

// DescribeTrails returns the trails the caller sees in its region, or
// those of trailNameList among them; names that match nothing are
// skipped. Shadows are included unless includeShadowTrails is false.
//
// Errors: InvalidTrailNameException, CloudTrailARNInvalidException.
func (s *Service) DescribeTrails(ctx context.Context, in *DescribeTrailsInput) (*DescribeTrailsOutput, error) {
	v, err := s.viewerOf(ctx)
	if err != nil {
		return nil, err
	}
	wanted := map[string]bool{}
	for _, n := range in.TrailNameList {
		r, err := parseRef(v.call, n)
		if err != nil {
			return nil, err
		}
		wanted[r.arn] = true
	}
	all, err := s.store.Trails(ctx, v.account, v.orgID)
	if err != nil {
		return nil, fmt.Errorf("list trails: %w", err)
	}
	shadows := in.IncludeShadowTrails == nil || *in.IncludeShadowTrails
	out := &DescribeTrailsOutput{TrailList: []*TrailInfo{}}
	for _, t := range all {
		if v.sees(t) && (shadows || !v.shadow(t)) && (len(wanted) == 0 || wanted[t.ARN]) {
			out.TrailList = append(out.TrailList, info(t))
		}
	}
	return out, nil
}

// ListTrails lists the account's trails of every region, each with its
// home region, and its organization's trails. They fit one page (at most
// five per region), so no NextToken is ever returned, and one given is
// ignored.
func (s *Service) ListTrails(ctx context.Context, in *ListTrailsInput) (*ListTrailsOutput, error) {
	v, err := s.viewerOf(ctx)
	if err != nil {
		return nil, err
	}
	all, err := s.store.Trails(ctx, v.account, v.orgID)
	if err != nil {
		return nil, fmt.Errorf("list trails: %w", err)
	}
	out := &ListTrailsOutput{Trails: []TrailSummary{}}
	for _, t := range all {
		out.Trails = append(out.Trails, TrailSummary{TrailARN: t.ARN, Name: t.Config.Name, HomeRegion: t.HomeRegion})
	}
	return out, nil
}
