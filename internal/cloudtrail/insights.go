package cloudtrail

import (
	"context"
	"fmt"
	"slices"
)

// Insight types.
const (
	insightCallRate  = "ApiCallRateInsight"
	insightErrorRate = "ApiErrorRateInsight"
)

type (
	InsightSelector struct {
		InsightType     string   `json:"InsightType"`
		EventCategories []string `json:"EventCategories,omitempty"`
	}
	PutInsightSelectorsInput struct {
		TrailName           string            `json:"TrailName"`
		InsightSelectors    []InsightSelector `json:"InsightSelectors"`
		EventDataStore      string            `json:"EventDataStore"`
		InsightsDestination string            `json:"InsightsDestination"`
	}
	GetInsightSelectorsInput struct {
		TrailName      string `json:"TrailName"`
		EventDataStore string `json:"EventDataStore"`
	}
	InsightSelectorsOutput struct {
		TrailARN         string            `json:"TrailARN"`
		InsightSelectors []InsightSelector `json:"InsightSelectors"`
	}
)

// PutInsightSelectors sets a trail's Insights types, in its home region;
// an empty list turns Insights off. deploytrail has no event data stores.
//
// Errors: TrailNotFoundException, InvalidTrailNameException,
// CloudTrailARNInvalidException, InvalidHomeRegionException,
// InvalidInsightSelectorsException, InvalidParameterCombinationException,
// UnsupportedOperationException.
func (s *Service) PutInsightSelectors(ctx context.Context, in *PutInsightSelectorsInput) (*InsightSelectorsOutput, error) {
	if err := insightTarget(in.TrailName, in.EventDataStore+in.InsightsDestination); err != nil {
		return nil, err
	}
	t, _, err := s.findToChange(ctx, in.TrailName)
	if err != nil {
		return nil, err
	}
	if in.InsightSelectors == nil {
		return nil, errorf(CodeInvalidInsightSelectors, "InsightSelectors is required.")
	}
	if err := checkInsights(t, in.InsightSelectors); err != nil {
		return nil, err
	}
	t.InsightSelectors = nil
	if len(in.InsightSelectors) > 0 {
		t.InsightSelectors = in.InsightSelectors
	}
	if err := s.store.UpdateTrail(ctx, t); err != nil {
		return nil, fmt.Errorf("update trail: %w", err)
	}
	return &InsightSelectorsOutput{TrailARN: t.ARN, InsightSelectors: orEmpty(t.InsightSelectors)}, nil
}

// GetInsightSelectors returns a trail's Insights types.
//
// Errors: TrailNotFoundException, InvalidTrailNameException,
// CloudTrailARNInvalidException, InsightNotEnabledException,
// InvalidParameterCombinationException, UnsupportedOperationException.
func (s *Service) GetInsightSelectors(ctx context.Context, in *GetInsightSelectorsInput) (*InsightSelectorsOutput, error) {
	if err := insightTarget(in.TrailName, in.EventDataStore); err != nil {
		return nil, err
	}
	t, _, err := s.findToRead(ctx, in.TrailName)
	if err != nil {
		return nil, err
	}
	if len(t.InsightSelectors) == 0 {
		return nil, errorf(CodeInsightNotEnabled, "Trail %s does not have Insights enabled.", t.ARN)
	}
	return &InsightSelectorsOutput{TrailARN: t.ARN, InsightSelectors: t.InsightSelectors}, nil
}

// insightTarget checks that a trail, and no event data store, is named.
func insightTarget(trail, store string) error {
	switch {
	case trail != "" && store != "":
		return errorf(CodeInvalidParameterCombination, "You cannot specify both a trail and an event data store.")
	case store != "":
		return errorf(CodeUnsupportedOperation, "deploytrail has no CloudTrail Lake event data stores.")
	case trail == "":
		return errorf(CodeInvalidParameterCombination, "You must specify a trail name.")
	}
	return nil
}

// checkInsights validates selectors for t: known types, each once, and
// the management events each type needs (spec §11.2).
func checkInsights(t *Trail, list []InsightSelector) error {
	seen := map[string]bool{}
	for _, sel := range list {
		if sel.InsightType != insightCallRate && sel.InsightType != insightErrorRate {
			return errorf(CodeInvalidInsightSelectors, "Insight type %s is not valid. Valid types: ApiCallRateInsight, ApiErrorRateInsight.", sel.InsightType)
		}
		if seen[sel.InsightType] {
			return errorf(CodeInvalidInsightSelectors, "Insight type %s is given more than once.", sel.InsightType)
		}
		seen[sel.InsightType] = true
		for _, c := range sel.EventCategories {
			if c != categoryManagement && c != categoryData {
				return errorf(CodeInvalidInsightSelectors, "Event category %s is not valid. Valid values: Management, Data.", c)
			}
		}
		write, read := managementLogging(t)
		if sel.InsightType == insightCallRate && !write {
			return errorf(CodeInvalidInsightSelectors, "ApiCallRateInsight requires the trail to log write management events.")
		}
		if sel.InsightType == insightErrorRate && !write && !read {
			return errorf(CodeInvalidInsightSelectors, "ApiErrorRateInsight requires the trail to log management events.")
		}
	}
	return nil
}

// managementLogging reports whether t logs write and read management
// events.
func managementLogging(t *Trail) (write, read bool) {
	if t.AdvancedEventSelectors != nil {
		for _, sel := range t.AdvancedEventSelectors {
			w, r := advancedManagement(sel)
			write, read = write || w, read || r
		}
		return write, read
	}
	sels := t.EventSelectors
	if sels == nil {
		sels = defaultSelectors()
	}
	for _, e := range sels {
		if e.IncludeManagementEvents != nil && *e.IncludeManagementEvents {
			write = write || e.ReadWriteType != "ReadOnly"
			read = read || e.ReadWriteType != "WriteOnly"
		}
	}
	return write, read
}

func advancedManagement(sel AdvancedEventSelector) (write, read bool) {
	management, write, read := false, true, true
	for _, f := range sel.FieldSelectors {
		switch f.Field {
		case fieldEventCategory:
			management = slices.Contains(f.Equals, categoryManagement)
		case fieldReadOnly:
			write, read = slices.Contains(f.Equals, "false"), slices.Contains(f.Equals, "true")
		}
	}
	return management && write, management && read
}
