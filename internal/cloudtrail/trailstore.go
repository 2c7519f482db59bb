package cloudtrail

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Errors the trail methods of Store return; the operations turn them into
// CloudTrail's exceptions.
var (
	ErrNotFound = errors.New("cloudtrail: not found")
	ErrExists   = errors.New("cloudtrail: already exists")
)

// TrailStore keeps trails. Each trail is one record, keyed by its ARN.
type TrailStore interface {
	// Trail returns the trail with the ARN. Errors: ErrNotFound.
	Trail(ctx context.Context, arn string) (*Trail, error)
	// Trails returns the trails of account, and when orgID is set the
	// organization trails of that organization, ordered by ARN.
	Trails(ctx context.Context, account, orgID string) ([]*Trail, error)
	// InsertTrail stores a new trail. Errors: ErrExists.
	InsertTrail(ctx context.Context, t *Trail) error
	// UpdateTrail replaces a trail's record. Errors: ErrNotFound.
	UpdateTrail(ctx context.Context, t *Trail) error
	// DeleteTrail removes a trail; a missing one is not an error.
	DeleteTrail(ctx context.Context, arn string) error
	// Organization returns the organization account belongs to.
	// Errors: ErrNotFound when it belongs to none.
	Organization(ctx context.Context, account string) (*Organization, error)
}

// Organization is what trails need to know of an AWS Organizations
// organization.
type Organization struct {
	ID                string
	ManagementAccount string
	// FeatureSet is ALL or CONSOLIDATED_BILLING.
	FeatureSet string
}

// Trail is a stored trail: its configuration, selectors, tags and
// logging state.
type Trail struct {
	ARN        string
	Account    string
	HomeRegion string
	// OrgID is the organization of an organization trail, else "".
	OrgID   string
	Created time.Time
	Config  TrailConfig

	EventSelectors         []EventSelector         `json:",omitempty"`
	AdvancedEventSelectors []AdvancedEventSelector `json:",omitempty"`
	InsightSelectors       []InsightSelector       `json:",omitempty"`
	Tags                   []Tag                   `json:",omitempty"`

	Status Status
}

// InRegion reports whether t logs region's events: its home region's, or
// every region's for a multi-region trail.
func (t *Trail) InRegion(region string) bool {
	return t.Config.IsMultiRegionTrail || t.HomeRegion == region
}

// TrailConfig is a trail's settings, as CreateTrail and UpdateTrail set
// them.
type TrailConfig struct {
	Name                       string
	S3BucketName               string
	S3KeyPrefix                string `json:",omitempty"`
	SnsTopicName               string `json:",omitempty"`
	IncludeGlobalServiceEvents bool
	IsMultiRegionTrail         bool
	LogFileValidationEnabled   bool
	CloudWatchLogsLogGroupArn  string `json:",omitempty"`
	CloudWatchLogsRoleArn      string `json:",omitempty"`
	// KmsKeyID is the key's ARN.
	KmsKeyID            string `json:",omitempty"`
	IsOrganizationTrail bool
}

// SnsTopicARN is the ARN of the trail's topic ("" when it has none): a
// topic name names a topic of the trail's account and home region.
func (t *Trail) SnsTopicARN() string {
	name := t.Config.SnsTopicName
	if name == "" || strings.HasPrefix(name, "arn:") {
		return name
	}
	return "arn:aws:sns:" + t.HomeRegion + ":" + t.Account + ":" + name
}

// topicName is the last part of a topic ARN, the deprecated SnsTopicName.
func topicName(arn string) string {
	return arn[strings.LastIndex(arn, ":")+1:]
}

// Status is a trail's logging state. The delivery status is written by
// package delivery into rows of its own, far more often than the
// configuration changes; the store fills Delivery in when it reads a
// trail, and never stores it in the trail's record.
type Status struct {
	IsLogging        bool
	StartLoggingTime time.Time `json:",omitzero"`
	StopLoggingTime  time.Time `json:",omitzero"`

	Delivery DeliveryStatus `json:"-"`
}

// DeliveryStatus is the outcome of a trail's log file deliveries (spec
// §7.9). It is kept per trail, not per region: a multi-region trail's
// shadows report their home region's status.
type DeliveryStatus struct {
	// LatestDelivery is the last successful delivery; zero if none.
	LatestDelivery time.Time
	// LatestAttempt is the last attempt, successful or not; zero if none.
	LatestAttempt          time.Time
	LatestAttemptSucceeded bool
	// LatestError is the error code of the last attempt (NoSuchBucket,
	// AccessDenied, …), "" after a success.
	LatestError string
	// LatestNotification is the last successful SNS notification;
	// LatestNotificationAttempt the last attempt, whose error code (SNS's:
	// NotFound, AuthorizationError) is LatestNotificationError.
	LatestNotification        time.Time
	LatestNotificationAttempt time.Time
	LatestNotificationError   string
	// LatestDigest is the last digest file written; LatestDigestError the
	// error code of the last failed attempt since.
	LatestDigest      time.Time
	LatestDigestError string
}

// Tag is a trail's tag; Value may be absent.
type Tag struct {
	Key   string  `json:"Key"`
	Value *string `json:"Value,omitempty"`
}
