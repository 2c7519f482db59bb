package cloudtrail

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Event selector limits (spec §6.2, §6.3, §11.4).
const (
	maxEventSelectors  = 5
	maxDataResources   = 250
	maxAdvancedValues  = 500
	maxSelectorNameLen = 1000
	maxFieldLen        = 1000
	maxFieldValueLen   = 2048
	readWriteAll       = "All"
	categoryManagement = "Management"
	categoryData       = "Data"
	categoryNetwork    = "NetworkActivity"
	fieldEventCategory = "eventCategory"
	fieldReadOnly      = "readOnly"
	fieldEventSource   = "eventSource"
	fieldResourcesType = "resources.type"
)

type (
	// EventSelector is a basic event selector. Stored selectors have every
	// member set.
	EventSelector struct {
		ReadWriteType                 string         `json:"ReadWriteType"`
		IncludeManagementEvents       *bool          `json:"IncludeManagementEvents"`
		DataResources                 []DataResource `json:"DataResources"`
		ExcludeManagementEventSources []string       `json:"ExcludeManagementEventSources"`
	}
	DataResource struct {
		Type   string   `json:"Type"`
		Values []string `json:"Values"`
	}
	AdvancedEventSelector struct {
		Name           *string                 `json:"Name,omitempty"`
		FieldSelectors []AdvancedFieldSelector `json:"FieldSelectors"`
	}
	AdvancedFieldSelector struct {
		Field         string   `json:"Field"`
		Equals        []string `json:"Equals,omitempty"`
		StartsWith    []string `json:"StartsWith,omitempty"`
		EndsWith      []string `json:"EndsWith,omitempty"`
		NotEquals     []string `json:"NotEquals,omitempty"`
		NotStartsWith []string `json:"NotStartsWith,omitempty"`
		NotEndsWith   []string `json:"NotEndsWith,omitempty"`
	}
	PutEventSelectorsInput struct {
		TrailName              string                  `json:"TrailName"`
		EventSelectors         []EventSelector         `json:"EventSelectors"`
		AdvancedEventSelectors []AdvancedEventSelector `json:"AdvancedEventSelectors"`
	}
	GetEventSelectorsInput struct {
		TrailName string `json:"TrailName"`
	}
	EventSelectorsOutput struct {
		TrailARN               string                  `json:"TrailARN"`
		EventSelectors         []EventSelector         `json:"EventSelectors,omitempty"`
		AdvancedEventSelectors []AdvancedEventSelector `json:"AdvancedEventSelectors,omitempty"`
	}
)

// defaultSelectors is what a trail without selectors logs: every
// management event, no data events (spec §6.1).
func defaultSelectors() []EventSelector {
	return []EventSelector{{ReadWriteType: readWriteAll, IncludeManagementEvents: new(true),
		DataResources: []DataResource{}, ExcludeManagementEventSources: []string{}}}
}

// PutEventSelectors replaces a trail's selectors with basic or advanced
// ones, in its home region.
//
// Errors: TrailNotFoundException, InvalidTrailNameException,
// CloudTrailARNInvalidException, InvalidHomeRegionException,
// InvalidEventSelectorsException, InvalidParameterCombinationException.
func (s *Service) PutEventSelectors(ctx context.Context, in *PutEventSelectorsInput) (*EventSelectorsOutput, error) {
	switch {
	case in.EventSelectors != nil && in.AdvancedEventSelectors != nil:
		return nil, errorf(CodeInvalidParameterCombination, "You cannot specify both EventSelectors and AdvancedEventSelectors.")
	case in.EventSelectors == nil && in.AdvancedEventSelectors == nil:
		return nil, errorf(CodeInvalidEventSelectors, "You must specify EventSelectors or AdvancedEventSelectors.")
	}
	t, _, err := s.findToChange(ctx, in.TrailName)
	if err != nil {
		return nil, err
	}
	t.EventSelectors, t.AdvancedEventSelectors = nil, nil
	if in.EventSelectors != nil {
		t.EventSelectors, err = basicSelectors(in.EventSelectors)
	} else {
		t.AdvancedEventSelectors, err = advancedSelectors(in.AdvancedEventSelectors)
	}
	if err != nil {
		return nil, err
	}
	if err := s.store.UpdateTrail(ctx, t); err != nil {
		return nil, fmt.Errorf("update trail: %w", err)
	}
	return selectorsOf(t), nil
}

// GetEventSelectors returns a trail's selectors, the default one when it
// has none of its own.
//
// Errors: TrailNotFoundException, InvalidTrailNameException,
// CloudTrailARNInvalidException.
func (s *Service) GetEventSelectors(ctx context.Context, in *GetEventSelectorsInput) (*EventSelectorsOutput, error) {
	t, _, err := s.findToRead(ctx, in.TrailName)
	if err != nil {
		return nil, err
	}
	return selectorsOf(t), nil
}

func selectorsOf(t *Trail) *EventSelectorsOutput {
	out := &EventSelectorsOutput{TrailARN: t.ARN, EventSelectors: t.EventSelectors, AdvancedEventSelectors: t.AdvancedEventSelectors}
	if out.EventSelectors == nil && out.AdvancedEventSelectors == nil {
		out.EventSelectors = defaultSelectors()
	}
	return out
}

// basicSelectors validates basic selectors (spec §6.2) and fills in their
// defaults.
func basicSelectors(in []EventSelector) ([]EventSelector, error) {
	if len(in) == 0 || len(in) > maxEventSelectors {
		return nil, errorf(CodeInvalidEventSelectors, "A trail must have between 1 and %d event selectors.", maxEventSelectors)
	}
	values := 0
	out := make([]EventSelector, 0, len(in))
	for _, e := range in {
		if e.ReadWriteType == "" {
			e.ReadWriteType = readWriteAll
		}
		if !slices.Contains([]string{"ReadOnly", "WriteOnly", readWriteAll}, e.ReadWriteType) {
			return nil, errorf(CodeInvalidEventSelectors, "ReadWriteType %s is not valid. Valid values: ReadOnly, WriteOnly, All.", e.ReadWriteType)
		}
		if e.IncludeManagementEvents == nil {
			e.IncludeManagementEvents = new(true)
		}
		for _, src := range e.ExcludeManagementEventSources {
			if src != "kms.amazonaws.com" && src != "rdsdata.amazonaws.com" {
				return nil, errorf(CodeInvalidEventSelectors, "ExcludeManagementEventSources value %s is not valid. Valid values: kms.amazonaws.com, rdsdata.amazonaws.com.", src)
			}
		}
		for _, d := range e.DataResources {
			if err := checkDataResource(d); err != nil {
				return nil, err
			}
			values += len(d.Values)
		}
		e.DataResources = orEmpty(e.DataResources)
		e.ExcludeManagementEventSources = orEmpty(e.ExcludeManagementEventSources)
		out = append(out, e)
	}
	if values > maxDataResources {
		return nil, errorf(CodeInvalidEventSelectors, "A trail can have at most %d data resources.", maxDataResources)
	}
	return out, nil
}

// dataPrefixes are the ARN prefixes each data resource type's values
// start with.
var dataPrefixes = map[string]string{
	"AWS::S3::Object": "arn:aws:s3", "AWS::Lambda::Function": "arn:aws:lambda", "AWS::DynamoDB::Table": "arn:aws:dynamodb",
}

func checkDataResource(d DataResource) error {
	prefix, ok := dataPrefixes[d.Type]
	if !ok {
		return errorf(CodeInvalidEventSelectors, "Data resource type %s is not valid. Valid types: AWS::S3::Object, AWS::Lambda::Function, AWS::DynamoDB::Table.", d.Type)
	}
	if len(d.Values) == 0 {
		return errorf(CodeInvalidEventSelectors, "Data resource of type %s needs at least one value.", d.Type)
	}
	for _, v := range d.Values {
		if v != prefix && !strings.HasPrefix(v, prefix+":") {
			return errorf(CodeInvalidEventSelectors, "Value %s is not valid for data resource type %s.", v, d.Type)
		}
	}
	return nil
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
