// Package lifecycle is a trail bucket's retention policy: S3 lifecycle
// rules (expire objects after N days, move them to archive storage after M
// days, per prefix), configured with the JSON that
// PutBucketLifecycleConfiguration takes.
//
// A [Configuration] is parsed and checked with S3's error codes by
// [Parse]; [Decide] is the pure rule evaluation; [Store] keeps a bucket's
// configuration in <data>/lifecycle/<bucket>.json; [Enforcer] applies it to
// buckets that do not enforce rules themselves (the file backend) on a
// schedule. An S3 service enforces its own rules: cmd/deploytrail hands
// them to it (objstore/s3). [ExpiredFunc] lets the validator tell files
// removed on purpose from files deleted by someone else.
//
// It imports awserr and objstore of ours.
package lifecycle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/deploytrail/deploytrail/internal/awserr"
)

// S3's error codes for a lifecycle configuration it rejects or lacks.
const (
	CodeMalformedXML                  = "MalformedXML"
	CodeInvalidArgument               = "InvalidArgument"
	CodeInvalidRequest                = "InvalidRequest"
	CodeNoSuchLifecycleConfiguration  = "NoSuchLifecycleConfiguration"
	msgMalformed                      = "The XML you provided was not well-formed or did not validate against our published schema"
	msgNoSuchLifecycleConfiguration   = "The lifecycle configuration does not exist"
	maxRules                          = 1000
	maxIDLength                       = 255
	minInfrequentAccessTransitionDays = 30
)

// Rule statuses.
const (
	StatusEnabled  = "Enabled"
	StatusDisabled = "Disabled"
)

// storageClass is the form of a transition's StorageClass: AWS's classes
// (GLACIER, STANDARD_IA, DEEP_ARCHIVE, …) and the names of MinIO's remote
// tiers, which are upper case too. Whether the class exists is the S3
// service's to say (it answers InvalidStorageClass); on the file backend
// every class means "move to the archive directory".
var storageClass = regexp.MustCompile(`^[A-Z][A-Z0-9_-]{0,63}$`)

// Configuration is a bucket's lifecycle configuration, in the shape of
// PutBucketLifecycleConfiguration's LifecycleConfiguration.
type Configuration struct {
	Rules []Rule `json:"Rules"`
}

// Rule is one lifecycle rule. It selects objects by Filter.Prefix or by
// the older top-level Prefix (exactly one of the two must be present; an
// empty Filter selects every object).
type Rule struct {
	ID          string       `json:"ID,omitempty"`
	Status      string       `json:"Status"`
	Filter      *Filter      `json:"Filter,omitempty"`
	Prefix      *string      `json:"Prefix,omitempty"`
	Expiration  *Expiration  `json:"Expiration,omitempty"`
	Transitions []Transition `json:"Transitions,omitempty"`
}

// Filter selects the objects a rule applies to. Only the prefix filter is
// supported: deploytrail objects have no tags.
type Filter struct {
	Prefix *string `json:"Prefix,omitempty"`
}

// Expiration removes objects Days days after they were written, or on
// Date (midnight UTC).
type Expiration struct {
	Days *int       `json:"Days,omitempty"`
	Date *time.Time `json:"Date,omitempty"`
}

// Transition moves objects to StorageClass Days days after they were
// written, or on Date; on the file backend, to the archive directory.
type Transition struct {
	Days         *int       `json:"Days,omitempty"`
	Date         *time.Time `json:"Date,omitempty"`
	StorageClass string     `json:"StorageClass"`
}

// Parse decodes and validates a lifecycle configuration. Unknown fields
// (tag or size filters, noncurrent-version actions) are MalformedXML, as
// is JSON that does not decode; see [Configuration.Validate] for the rest.
func Parse(data []byte) (*Configuration, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var cfg Configuration
	if err := dec.Decode(&cfg); err != nil {
		return nil, malformed("%v", err)
	}
	if dec.More() {
		return nil, malformed("data after the configuration")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// Validate checks the configuration as S3 does: MalformedXML for missing
// or impossible elements, InvalidArgument for bad values, InvalidRequest
// for a rule without an action. The errors are *awserr.Error.
func (c *Configuration) Validate() error {
	if len(c.Rules) == 0 {
		return malformed("at least one Rule is required")
	}
	if len(c.Rules) > maxRules {
		return awserr.Errorf(CodeInvalidArgument, "The number of lifecycle rules must not exceed the allowed limit of %d rules", maxRules)
	}
	ids := make(map[string]bool)
	for i := range c.Rules {
		r := &c.Rules[i]
		if err := r.validate(); err != nil {
			return err
		}
		if r.ID != "" && ids[r.ID] {
			return awserr.New(CodeInvalidArgument, "Rule ID must be unique. Found same ID for more than one rule")
		}
		ids[r.ID] = true
	}
	return nil
}

func (r *Rule) validate() error {
	if len(r.ID) > maxIDLength {
		return awserr.Errorf(CodeInvalidArgument, "ID length should not exceed allowed limit of %d", maxIDLength)
	}
	switch {
	case r.Status == "":
		return malformed("Status is required")
	case r.Status != StatusEnabled && r.Status != StatusDisabled:
		return malformed("Status must be Enabled or Disabled, not %q", r.Status)
	case r.Filter != nil && r.Prefix != nil:
		return malformed("a Rule has either Filter or Prefix, not both")
	case r.Filter == nil && r.Prefix == nil:
		return malformed("a Rule needs a Filter or a Prefix")
	case r.Expiration == nil && len(r.Transitions) == 0:
		return awserr.New(CodeInvalidRequest, "At least one action needs to be specified in a rule")
	}
	if err := r.Expiration.validate(); err != nil {
		return err
	}
	return r.validateTransitions()
}

func (e *Expiration) validate() error {
	if e == nil {
		return nil
	}
	switch {
	case e.Days == nil && e.Date == nil:
		return malformed("Expiration needs Days or Date")
	case e.Days != nil && e.Date != nil:
		return malformed("Expiration has either Days or Date, not both")
	case e.Days != nil && *e.Days <= 0:
		return awserr.New(CodeInvalidArgument, "'Days' for Expiration action must be a positive integer")
	case e.Date != nil && !isMidnightUTC(*e.Date):
		return awserr.New(CodeInvalidArgument, "'Date' must be at midnight GMT")
	}
	return nil
}

func (r *Rule) validateTransitions() error {
	classes := make(map[string]bool)
	for _, t := range r.Transitions {
		if err := t.validate(); err != nil {
			return err
		}
		if classes[t.StorageClass] {
			return awserr.Errorf(CodeInvalidArgument, "'StorageClass' must be different for 'Transition' actions in same 'Rule' with %s", r.describe())
		}
		classes[t.StorageClass] = true
		if err := r.checkOrder(t); err != nil {
			return err
		}
	}
	return nil
}

func (t *Transition) validate() error {
	switch {
	case t.StorageClass == "":
		return malformed("Transition needs a StorageClass")
	case !storageClass.MatchString(t.StorageClass):
		return malformed("unknown StorageClass %q", t.StorageClass)
	case t.Days == nil && t.Date == nil:
		return malformed("Transition needs Days or Date")
	case t.Days != nil && t.Date != nil:
		return malformed("Transition has either Days or Date, not both")
	case t.Days != nil && *t.Days < 0:
		return awserr.New(CodeInvalidArgument, "'Days' in Transition action must be nonnegative")
	case t.Days != nil && *t.Days < minInfrequentAccessTransitionDays && (t.StorageClass == "STANDARD_IA" || t.StorageClass == "ONEZONE_IA"):
		return awserr.Errorf(CodeInvalidArgument, "'Days' in the Transition action for StorageClass %s must be greater than or equal to %d", t.StorageClass, minInfrequentAccessTransitionDays)
	case t.Date != nil && !isMidnightUTC(*t.Date):
		return awserr.New(CodeInvalidArgument, "'Date' must be at midnight GMT")
	}
	return nil
}

// checkOrder refuses a transition that is not due before the expiration:
// the object would be gone first.
func (r *Rule) checkOrder(t Transition) error {
	e := r.Expiration
	if e == nil {
		return nil
	}
	switch {
	case e.Days != nil && t.Days != nil && *t.Days >= *e.Days:
		return awserr.Errorf(CodeInvalidArgument, "'Days' in the Expiration action for %s must be greater than 'Days' in the Transition action", r.describe())
	case e.Date != nil && t.Date != nil && !t.Date.Before(*e.Date):
		return awserr.Errorf(CodeInvalidArgument, "'Date' in the Expiration action for %s must be later than 'Date' in the Transition action", r.describe())
	case (e.Days == nil) != (t.Days == nil):
		return awserr.Errorf(CodeInvalidRequest, "Found mixed 'Date' and 'Days' based Expiration and Transition actions in lifecycle rule for %s", r.describe())
	}
	return nil
}

// describe names the rule the way S3's messages do.
func (r *Rule) describe() string { return fmt.Sprintf("filter '(prefix=%s)'", r.prefix()) }

// prefix is the key prefix the rule selects ("" for every key).
func (r *Rule) prefix() string {
	switch {
	case r.Prefix != nil:
		return *r.Prefix
	case r.Filter != nil && r.Filter.Prefix != nil:
		return *r.Filter.Prefix
	}
	return ""
}

func isMidnightUTC(t time.Time) bool {
	t = t.UTC()
	return t.Equal(t.Truncate(24 * time.Hour))
}

func malformed(format string, args ...any) error {
	return awserr.Errorf(CodeMalformedXML, msgMalformed+": "+format, args...)
}
