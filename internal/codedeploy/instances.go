package codedeploy

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// Exceptions only the on-premises instance operations raise.
const (
	CodeInstanceNameRequired = "InstanceNameRequiredException"
	CodeInvalidInstanceName  = "InvalidInstanceNameException"

	codeOnPremNameTaken           = "InstanceNameAlreadyRegisteredException"
	codeOnPremNotRegistered       = "InstanceNotRegisteredException"
	codeOnPremIAMARNRequired      = "IamArnRequiredException"
	codeOnPremMultipleIAMARNs     = "MultipleIamArnsProvidedException"
	codeOnPremInvalidUserARN      = "InvalidIamUserArnException"
	codeOnPremInvalidSessionARN   = "InvalidIamSessionArnException"
	codeOnPremUserARNTaken        = "IamUserArnAlreadyRegisteredException"
	codeOnPremSessionARNTaken     = "IamSessionArnAlreadyRegisteredException"
	codeOnPremInvalidStatus       = "InvalidRegistrationStatusException"
	codeOnPremInvalidTagFilter    = "InvalidTagFilterException"
	codeOnPremTagLimitExceeded    = "TagLimitExceededException"
	codeOnPremInstanceLimitExceed = "InstanceLimitExceededException"
)

// Limits of on-premises instances (spec §2.3, §4.7).
const (
	maxOnPremTags     = 10
	maxOnPremTagKey   = 128
	maxOnPremTagValue = 256
	// maxOnPremBatch bounds BatchGetOnPremisesInstances (AWS's limits
	// page says 100, its API reference 25) and the names of one tagging
	// call (AWS's cap there is unverified).
	maxOnPremBatch = 100
)

var (
	// onPremUserARN is an IAM user ARN, with or without a path.
	onPremUserARN = regexp.MustCompile(`^arn:aws:iam::\d{12}:user/([\x21-\x7e]*/)?[\w+=,.@-]{1,64}$`)
	// onPremSessionARN is an STS assumed-role session ARN.
	onPremSessionARN = regexp.MustCompile(`^arn:aws:sts::\d{12}:assumed-role/[\w+=,.@-]{1,64}/[\w+=,.@-]{2,64}$`)
)

type (
	// RegisterOnPremisesInstanceInput is RegisterOnPremisesInstance's
	// request.
	RegisterOnPremisesInstanceInput struct {
		InstanceName  string `json:"instanceName"`
		IAMSessionARN string `json:"iamSessionArn"`
		IAMUserARN    string `json:"iamUserArn"`
	}
	// OnPremisesInstanceInput names one instance (Get, Deregister).
	OnPremisesInstanceInput struct {
		InstanceName string `json:"instanceName"`
	}
	// GetOnPremisesInstanceOutput is GetOnPremisesInstance's answer.
	GetOnPremisesInstanceOutput struct {
		InstanceInfo *InstanceInfo `json:"instanceInfo"`
	}
	// BatchGetOnPremisesInstancesInput is BatchGetOnPremisesInstances'
	// request.
	BatchGetOnPremisesInstancesInput struct {
		InstanceNames []string `json:"instanceNames"`
	}
	// BatchGetOnPremisesInstancesOutput is BatchGetOnPremisesInstances'
	// answer.
	BatchGetOnPremisesInstancesOutput struct {
		InstanceInfos []*InstanceInfo `json:"instanceInfos"`
	}
	// ListOnPremisesInstancesInput is ListOnPremisesInstances' request.
	ListOnPremisesInstancesInput struct {
		RegistrationStatus string      `json:"registrationStatus"`
		TagFilters         []TagFilter `json:"tagFilters"`
		NextToken          string      `json:"nextToken"`
	}
	// ListOnPremisesInstancesOutput is ListOnPremisesInstances' answer.
	ListOnPremisesInstancesOutput struct {
		InstanceNames []string `json:"instanceNames"`
		NextToken     string   `json:"nextToken,omitempty"`
	}
	// OnPremisesTagsInput is the request of AddTagsToOnPremisesInstances
	// and RemoveTagsFromOnPremisesInstances.
	OnPremisesTagsInput struct {
		Tags          []Tag    `json:"tags"`
		InstanceNames []string `json:"instanceNames"`
	}
)

// registerInstances serves the on-premises instance operations.
func (s *Service) registerInstances() {
	awsproto.Handle(s.API, "RegisterOnPremisesInstance", s.RegisterOnPremisesInstance)
	awsproto.Handle(s.API, "DeregisterOnPremisesInstance", s.DeregisterOnPremisesInstance)
	awsproto.Handle(s.API, "GetOnPremisesInstance", s.GetOnPremisesInstance)
	awsproto.Handle(s.API, "BatchGetOnPremisesInstances", s.BatchGetOnPremisesInstances)
	awsproto.Handle(s.API, "ListOnPremisesInstances", s.ListOnPremisesInstances)
	awsproto.Handle(s.API, "AddTagsToOnPremisesInstances", s.AddTagsToOnPremisesInstances)
	awsproto.Handle(s.API, "RemoveTagsFromOnPremisesInstances", s.RemoveTagsFromOnPremisesInstances)
}

// checkOnPremName applies the instance name rule: that of other names,
// and, for a new registration, not starting with i- (the form of EC2
// instance ids, which the agent would confuse with one).
func checkOnPremName(name string, registering bool) error {
	if err := checkName(name, "Instance", CodeInstanceNameRequired, CodeInvalidInstanceName); err != nil {
		return err
	}
	if registering && strings.HasPrefix(name, "i-") {
		return errorf(CodeInvalidInstanceName, "Instance name must not start with i-: %s", name)
	}
	return nil
}

// RegisterOnPremisesInstance registers an instance under the IAM user or
// role session its agent authenticates as. A deregistered name can be
// registered again: it gets a fresh record, with a new ARN and no tags
// (unverified; AWS does not document re-registration).
func (s *Service) RegisterOnPremisesInstance(ctx context.Context, in *RegisterOnPremisesInstanceInput) (*done, error) {
	if err := checkOnPremName(in.InstanceName, true); err != nil {
		return nil, err
	}
	if err := checkOnPremIAMARN(in); err != nil {
		return nil, err
	}
	err := s.store.Tx(ctx, func(ctx context.Context) error {
		sc := scope(ctx)
		if err := s.checkOnPremFree(ctx, sc, in); err != nil {
			return err
		}
		return s.store.PutInstance(ctx, &Instance{Scope: sc, Info: InstanceInfo{InstanceName: in.InstanceName,
			IAMSessionARN: in.IAMSessionARN, IAMUserARN: in.IAMUserARN,
			InstanceARN:  sc.InstanceARN(in.InstanceName, newInstanceSuffix()),
			RegisterTime: s.now(), Tags: []Tag{}}})
	})
	if err != nil {
		return nil, err
	}
	return ok, nil
}

// checkOnPremIAMARN requires exactly one well-formed identity ARN.
func checkOnPremIAMARN(in *RegisterOnPremisesInstanceInput) error {
	switch {
	case in.IAMUserARN == "" && in.IAMSessionARN == "":
		return errorf(codeOnPremIAMARNRequired, "An IAM user ARN or IAM session ARN is required.")
	case in.IAMUserARN != "" && in.IAMSessionARN != "":
		return errorf(codeOnPremMultipleIAMARNs, "Both an IAM user ARN and an IAM session ARN were provided; give only one.")
	case in.IAMUserARN != "" && !onPremUserARN.MatchString(in.IAMUserARN):
		return errorf(codeOnPremInvalidUserARN, "Invalid IAM user ARN: %s", in.IAMUserARN)
	case in.IAMSessionARN != "" && !onPremSessionARN.MatchString(in.IAMSessionARN):
		return errorf(codeOnPremInvalidSessionARN, "Invalid IAM session ARN: %s", in.IAMSessionARN)
	}
	return nil
}

// checkOnPremFree refuses a name that is registered, and an identity that
// a registered instance already has: the agent's identity must map back
// to one instance.
func (s *Service) checkOnPremFree(ctx context.Context, sc Scope, in *RegisterOnPremisesInstanceInput) error {
	i, err := s.store.Instance(ctx, sc, in.InstanceName)
	if err == nil && i.Registered() {
		return errorf(codeOnPremNameTaken, "The on-premises instance name %s is already registered.", in.InstanceName)
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	arn, taken := in.IAMUserARN, codeOnPremUserARNTaken
	if arn == "" {
		arn, taken = in.IAMSessionARN, codeOnPremSessionARNTaken
	}
	i, err = s.store.RegisteredInstanceByIAMARN(ctx, sc, arn)
	switch {
	case err == nil:
		return errorf(taken, "The ARN %s is already registered with instance %s.", arn, i.Info.InstanceName)
	case errors.Is(err, ErrNotFound):
		return nil
	}
	return err
}

// DeregisterOnPremisesInstance marks an instance deregistered: it stays
// listable with its tags, is no longer a deployment target, and frees its
// name and IAM identity. Deregistering an unknown or deregistered
// instance succeeds and changes nothing.
func (s *Service) DeregisterOnPremisesInstance(ctx context.Context, in *OnPremisesInstanceInput) (*done, error) {
	if err := checkOnPremName(in.InstanceName, false); err != nil {
		return nil, err
	}
	err := s.store.Tx(ctx, func(ctx context.Context) error {
		i, err := s.store.Instance(ctx, scope(ctx), in.InstanceName)
		if errors.Is(err, ErrNotFound) || (err == nil && !i.Registered()) {
			return nil
		} else if err != nil {
			return err
		}
		i.Info.DeregisterTime = s.now()
		return s.store.PutInstance(ctx, i)
	})
	if err != nil {
		return nil, err
	}
	return ok, nil
}

// GetOnPremisesInstance returns an instance, registered or not.
func (s *Service) GetOnPremisesInstance(ctx context.Context, in *OnPremisesInstanceInput) (*GetOnPremisesInstanceOutput, error) {
	if err := checkOnPremName(in.InstanceName, false); err != nil {
		return nil, err
	}
	i, err := s.store.Instance(ctx, scope(ctx), in.InstanceName)
	if errors.Is(err, ErrNotFound) {
		return nil, errorf(codeOnPremNotRegistered, "The on-premises instance %s is not registered.", in.InstanceName)
	} else if err != nil {
		return nil, err
	}
	return &GetOnPremisesInstanceOutput{InstanceInfo: onPremView(i)}, nil
}

// onPremView is an instance as the API answers it, tags [] when none.
func onPremView(i *Instance) *InstanceInfo {
	info := i.Info
	info.Tags = nonNil(info.Tags)
	return &info
}

// BatchGetOnPremisesInstances returns up to 100 instances; unknown names
// are left out (unverified: AWS documents no error for them).
func (s *Service) BatchGetOnPremisesInstances(ctx context.Context, in *BatchGetOnPremisesInstancesInput) (*BatchGetOnPremisesInstancesOutput, error) {
	if err := checkOnPremNames(in.InstanceNames, CodeBatchLimitExceeded); err != nil {
		return nil, err
	}
	out := &BatchGetOnPremisesInstancesOutput{InstanceInfos: []*InstanceInfo{}}
	for _, name := range uniqueStrings(in.InstanceNames) {
		i, err := s.store.Instance(ctx, scope(ctx), name)
		if errors.Is(err, ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		out.InstanceInfos = append(out.InstanceInfos, onPremView(i))
	}
	return out, nil
}

// checkOnPremNames checks the instance names of a batch call: 1 to 100,
// each valid; tooMany is the call's exception for more.
func checkOnPremNames(names []string, tooMany string) error {
	switch {
	case len(names) == 0:
		return errorf(CodeInstanceNameRequired, "Instance names are required.")
	case len(names) > maxOnPremBatch:
		return errorf(tooMany, "The maximum number of instance names in one call is %d.", maxOnPremBatch)
	}
	for _, name := range names {
		if err := checkOnPremName(name, false); err != nil {
			return err
		}
	}
	return nil
}

// ListOnPremisesInstances lists instance names in name order: registered
// and deregistered ones unless registrationStatus picks one, and with tag
// filters only those matching any filter (unverified: AWS does not say
// whether filters combine by any or all).
func (s *Service) ListOnPremisesInstances(ctx context.Context, in *ListOnPremisesInstancesInput) (*ListOnPremisesInstancesOutput, error) {
	if !oneOf(in.RegistrationStatus, "", "Registered", "Deregistered") {
		return nil, errorf(codeOnPremInvalidStatus, "Invalid registration status: %s", in.RegistrationStatus)
	}
	if err := checkTagFilters(in.TagFilters, codeOnPremInvalidTagFilter); err != nil {
		return nil, err
	}
	all, err := s.store.Instances(ctx, scope(ctx))
	if err != nil {
		return nil, err
	}
	names := []string{}
	for _, i := range all {
		if onPremListed(i, in) {
			names = append(names, i.Info.InstanceName)
		}
	}
	sort.Strings(names) // the page cursor compares bytes, whatever the database's collation
	page, next, err := s.tokens.page("ListOnPremisesInstances", in.NextToken, names)
	if err != nil {
		return nil, err
	}
	return &ListOnPremisesInstancesOutput{InstanceNames: page, NextToken: next}, nil
}

// onPremListed reports whether a list request selects i.
func onPremListed(i *Instance, in *ListOnPremisesInstancesInput) bool {
	switch {
	case in.RegistrationStatus == "Registered" && !i.Registered(),
		in.RegistrationStatus == "Deregistered" && i.Registered():
		return false
	}
	return len(in.TagFilters) == 0 || matchesAny(i.Info.Tags, in.TagFilters)
}

// AddTagsToOnPremisesInstances adds tags to registered instances; a key an
// instance has already takes the new value.
func (s *Service) AddTagsToOnPremisesInstances(ctx context.Context, in *OnPremisesTagsInput) (*done, error) {
	return s.retagOnPrem(ctx, in, func(have []Tag) []Tag { return mergeTags(have, in.Tags) })
}

// RemoveTagsFromOnPremisesInstances removes tags from registered
// instances. A tag goes when both its key and value match one given
// (unverified: AWS may match the key alone).
func (s *Service) RemoveTagsFromOnPremisesInstances(ctx context.Context, in *OnPremisesTagsInput) (*done, error) {
	return s.retagOnPrem(ctx, in, func(have []Tag) []Tag {
		return slices.DeleteFunc(slices.Clone(have), func(h Tag) bool { return slices.Contains(in.Tags, h) })
	})
}

// retagOnPrem checks a tagging request and changes the tags of every
// named instance, or of none: an unknown or deregistered instance, or
// more than ten tags on one, fails the whole call.
func (s *Service) retagOnPrem(ctx context.Context, in *OnPremisesTagsInput, change func([]Tag) []Tag) (*done, error) {
	if err := checkOnPremNames(in.InstanceNames, codeOnPremInstanceLimitExceed); err != nil {
		return nil, err
	}
	if err := checkOnPremTags(in.Tags); err != nil {
		return nil, err
	}
	err := s.store.Tx(ctx, func(ctx context.Context) error {
		instances, err := s.registeredOnPrem(ctx, uniqueStrings(in.InstanceNames))
		if err != nil {
			return err
		}
		for _, i := range instances {
			if i.Info.Tags = change(i.Info.Tags); len(i.Info.Tags) > maxOnPremTags {
				return errorf(codeOnPremTagLimitExceeded, "The instance %s would have more than %d tags.", i.Info.InstanceName, maxOnPremTags)
			}
		}
		for _, i := range instances {
			if err := s.store.PutInstance(ctx, i); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ok, nil
}

// registeredOnPrem loads the named instances, all of which must be
// registered.
func (s *Service) registeredOnPrem(ctx context.Context, names []string) ([]*Instance, error) {
	out := make([]*Instance, 0, len(names))
	for _, name := range names {
		i, err := s.store.Instance(ctx, scope(ctx), name)
		if errors.Is(err, ErrNotFound) || (err == nil && !i.Registered()) {
			return nil, errorf(codeOnPremNotRegistered, "The on-premises instance %s is not registered.", name)
		} else if err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, nil
}

// checkOnPremTags checks the tags of a tagging call: at least one, each
// with a key of at most 128 characters and a value of at most 256.
func checkOnPremTags(tags []Tag) error {
	if len(tags) == 0 {
		return errorf(CodeTagRequired, "Tags are required.")
	}
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > maxOnPremTagKey || len(t.Value) > maxOnPremTagValue {
			return errorf(CodeInvalidTag, "Tag keys must be 1 to %d characters and values at most %d: %q",
				maxOnPremTagKey, maxOnPremTagValue, t.Key)
		}
	}
	return nil
}
