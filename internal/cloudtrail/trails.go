package cloudtrail

import (
	"context"
	"errors"
	"fmt"

	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// maxTrailsPerRegion is the quota of trails per region, shadows included.
const maxTrailsPerRegion = 5

type (
	CreateTrailInput struct {
		Name string `json:"Name"`
		TrailSettings
		TagsList []Tag `json:"TagsList"`
	}
	UpdateTrailInput struct {
		Name string `json:"Name"`
		TrailSettings
	}
	DeleteTrailInput struct {
		Name string `json:"Name"`
	}
)

// TrailInfo is the wire form of a trail: the model's Trail, and also
// CreateTrail's and UpdateTrail's responses (the encoder keeps only the
// members each shape has).
type TrailInfo struct {
	Name                       string `json:"Name"`
	S3BucketName               string `json:"S3BucketName"`
	S3KeyPrefix                string `json:"S3KeyPrefix,omitempty"`
	SnsTopicName               string `json:"SnsTopicName,omitempty"`
	SnsTopicARN                string `json:"SnsTopicARN,omitempty"`
	IncludeGlobalServiceEvents bool   `json:"IncludeGlobalServiceEvents"`
	IsMultiRegionTrail         bool   `json:"IsMultiRegionTrail"`
	HomeRegion                 string `json:"HomeRegion"`
	TrailARN                   string `json:"TrailARN"`
	LogFileValidationEnabled   bool   `json:"LogFileValidationEnabled"`
	CloudWatchLogsLogGroupArn  string `json:"CloudWatchLogsLogGroupArn,omitempty"`
	CloudWatchLogsRoleArn      string `json:"CloudWatchLogsRoleArn,omitempty"`
	KmsKeyID                   string `json:"KmsKeyId,omitempty"`
	HasCustomEventSelectors    bool   `json:"HasCustomEventSelectors"`
	HasInsightSelectors        bool   `json:"HasInsightSelectors"`
	IsOrganizationTrail        bool   `json:"IsOrganizationTrail"`
}

func info(t *Trail) *TrailInfo {
	c := t.Config
	return &TrailInfo{Name: c.Name, S3BucketName: c.S3BucketName, S3KeyPrefix: c.S3KeyPrefix, SnsTopicName: topicName(t.SnsTopicARN()),
		SnsTopicARN: t.SnsTopicARN(), IncludeGlobalServiceEvents: c.IncludeGlobalServiceEvents, IsMultiRegionTrail: c.IsMultiRegionTrail,
		HomeRegion: t.HomeRegion, TrailARN: t.ARN, LogFileValidationEnabled: c.LogFileValidationEnabled,
		CloudWatchLogsLogGroupArn: c.CloudWatchLogsLogGroupArn, CloudWatchLogsRoleArn: c.CloudWatchLogsRoleArn,
		KmsKeyID: c.KmsKeyID, HasCustomEventSelectors: t.EventSelectors != nil || t.AdvancedEventSelectors != nil,
		HasInsightSelectors: len(t.InsightSelectors) > 0, IsOrganizationTrail: c.IsOrganizationTrail}
}

// CreateTrail creates a trail in the caller's region, its home. It does
// not start logging.
//
// Errors: InvalidTrailNameException, TrailAlreadyExistsException,
// MaximumNumberOfTrailsExceededException, the settings' errors (see
// checkConfig), the organization's (see checkOrganization), and the tags'.
func (s *Service) CreateTrail(ctx context.Context, in *CreateTrailInput) (*TrailInfo, error) {
	call, err := callOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkName(in.Name); err != nil {
		return nil, err
	}
	t := &Trail{ARN: ARN(call.Region, call.Account(), in.Name), Account: call.Account(), HomeRegion: call.Region,
		Created: s.Now().UTC(), Config: TrailConfig{Name: in.Name, IncludeGlobalServiceEvents: true}}
	if in.S3BucketName == nil {
		in.S3BucketName = new("")
	}
	if err := s.configure(ctx, call, t, &in.TrailSettings); err != nil {
		return nil, err
	}
	if err := checkTags(in.TagsList, len(in.TagsList)); err != nil {
		return nil, err
	}
	t.Tags = mergeTags(nil, in.TagsList)
	if err := s.place(ctx, call, t); err != nil {
		return nil, err
	}
	if err := s.store.InsertTrail(ctx, t); errors.Is(err, ErrExists) {
		return nil, exists(call, in.Name)
	} else if err != nil {
		return nil, fmt.Errorf("create trail: %w", err)
	}
	return info(t), nil
}

// UpdateTrail changes the given settings of a trail, in its home region.
//
// Errors: those of CreateTrail, TrailNotFoundException,
// CloudTrailARNInvalidException, InvalidHomeRegionException.
func (s *Service) UpdateTrail(ctx context.Context, in *UpdateTrailInput) (*TrailInfo, error) {
	t, v, err := s.findToChange(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	wasMulti := t.Config.IsMultiRegionTrail
	if err := s.configure(ctx, v.call, t, &in.TrailSettings); err != nil {
		return nil, err
	}
	if t.Config.IsMultiRegionTrail && !wasMulti {
		if err := s.place(ctx, v.call, t); err != nil {
			return nil, err
		}
	}
	if err := s.store.UpdateTrail(ctx, t); err != nil {
		return nil, fmt.Errorf("update trail: %w", err)
	}
	return info(t), nil
}

// configure applies settings to t and validates the result: the settings,
// the organization, then the bucket policy for the trail's path (which
// depends on both), and last announces a newly attached topic.
func (s *Service) configure(ctx context.Context, call *awsproto.Call, t *Trail, in *TrailSettings) error {
	wasOrg, oldTopic := t.Config.IsOrganizationTrail, t.SnsTopicARN()
	in.apply(&t.Config)
	if err := s.checkConfig(ctx, call, t); err != nil {
		return err
	}
	if err := s.setOrganization(ctx, call, t, wasOrg && in.IsOrganizationTrail == nil); err != nil {
		return err
	}
	if err := s.checkBucketPolicy(ctx, t); err != nil {
		return err
	}
	if topic := t.SnsTopicARN(); topic != "" && topic != oldTopic {
		if err := s.Topics.Publish(ctx, topic, validationMessage, t.ARN, t.Account); err != nil {
			return err
		}
	}
	return nil
}

// setOrganization sets the organization of an organization trail, checked
// unless unchanged (it was one already and the request does not say).
func (s *Service) setOrganization(ctx context.Context, call *awsproto.Call, t *Trail, unchanged bool) error {
	switch {
	case !t.Config.IsOrganizationTrail:
		t.OrgID = ""
	case !unchanged:
		org, err := s.checkOrganization(ctx, call.Account())
		if err != nil {
			return err
		}
		t.OrgID = org
	}
	return nil
}

// place checks that t may occupy its regions: its name is free in each,
// and each keeps at most maxTrailsPerRegion trails.
func (s *Service) place(ctx context.Context, call *awsproto.Call, t *Trail) error {
	v, err := s.viewerOf(ctx)
	if err != nil {
		return err
	}
	all, err := s.store.Trails(ctx, v.account, v.orgID)
	if err != nil {
		return fmt.Errorf("list trails: %w", err)
	}
	regions := map[string]bool{t.HomeRegion: true}
	for _, o := range all {
		if o.ARN == t.ARN {
			continue
		}
		overlap := o.HomeRegion == t.HomeRegion || o.Config.IsMultiRegionTrail || t.Config.IsMultiRegionTrail
		if o.Account == t.Account && o.Config.Name == t.Config.Name && overlap {
			return exists(call, t.Config.Name)
		}
		if t.Config.IsMultiRegionTrail {
			regions[o.HomeRegion] = true
		}
	}
	for r := range regions {
		rv := &viewer{account: v.account, region: r, orgID: v.orgID}
		n := 1
		for _, o := range all {
			if o.ARN != t.ARN && rv.sees(o) {
				n++
			}
		}
		if n > maxTrailsPerRegion {
			return errorf(CodeMaximumTrails, "User: %s already has %d trails in %s.", v.account, maxTrailsPerRegion, r)
		}
	}
	return nil
}

func exists(call *awsproto.Call, name string) error {
	return errorf(CodeTrailAlreadyExists, "Trail %s already exists for customer: %s", name, call.Account())
}

// DeleteTrail deletes a trail, with its selectors and tags, in its home
// region. Buckets and their objects stay.
//
// Errors: TrailNotFoundException, InvalidTrailNameException,
// CloudTrailARNInvalidException, InvalidHomeRegionException,
// NotOrganizationMasterAccountException.
func (s *Service) DeleteTrail(ctx context.Context, in *DeleteTrailInput) (*done, error) {
	t, _, err := s.findToChange(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	if err := s.store.DeleteTrail(ctx, t.ARN); err != nil {
		return nil, fmt.Errorf("delete trail: %w", err)
	}
	return ok, nil
}

// done is the empty output of operations that return {}.
type done struct{}

// ok is how operations without output answer success.
var ok = &done{}
