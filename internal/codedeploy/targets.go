package codedeploy

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// Error codes of the deployment target and instance operations.
const (
	CodeDeploymentNotStarted           = "DeploymentNotStartedException"
	CodeInvalidInstanceStatus          = "InvalidInstanceStatusException"
	CodeInvalidInstanceType            = "InvalidInstanceTypeException"
	CodeInvalidDeploymentInstanceType  = "InvalidDeploymentInstanceTypeException"
	CodeInvalidTargetFilterName        = "InvalidTargetFilterNameException"
	CodeDeploymentTargetIDRequired     = "DeploymentTargetIdRequiredException"
	CodeDeploymentTargetDoesNotExist   = "DeploymentTargetDoesNotExistException"
	CodeDeploymentTargetListSizeExceed = "DeploymentTargetListSizeExceededException"
	CodeInstanceIDRequired             = "InstanceIdRequiredException"
	CodeInstanceDoesNotExist           = "InstanceDoesNotExistException"
)

// maxBatchTargets bounds BatchGetDeploymentTargets and
// BatchGetDeploymentInstances (spec §2.3).
const maxBatchTargets = 25

// Target filter names of ListDeploymentTargets.
const (
	filterTargetStatus  = "TargetStatus"
	filterInstanceLabel = "ServerInstanceLabel"
)

// DeploymentTarget is a target of any platform; only instance targets
// exist here.
type DeploymentTarget struct {
	DeploymentTargetType string          `json:"deploymentTargetType"`
	InstanceTarget       *InstanceTarget `json:"instanceTarget,omitempty"`
}

// InstanceSummary is the deprecated instance calls' view of a target.
type InstanceSummary struct {
	DeploymentID    string           `json:"deploymentId"`
	InstanceID      string           `json:"instanceId"`
	Status          string           `json:"status"`
	LastUpdatedAt   time.Time        `json:"lastUpdatedAt"`
	LifecycleEvents []LifecycleEvent `json:"lifecycleEvents"`
	InstanceType    string           `json:"instanceType,omitempty"`
}

type (
	// ListDeploymentTargetsInput filters a deployment's targets.
	ListDeploymentTargetsInput struct {
		DeploymentID  string              `json:"deploymentId"`
		NextToken     string              `json:"nextToken"`
		TargetFilters map[string][]string `json:"targetFilters"`
	}
	// ListDeploymentTargetsOutput is one page of target ids.
	ListDeploymentTargetsOutput struct {
		TargetIDs []string `json:"targetIds"`
		NextToken string   `json:"nextToken,omitempty"`
	}
	// GetDeploymentTargetInput names a target by instance name or ARN.
	GetDeploymentTargetInput struct {
		DeploymentID string `json:"deploymentId"`
		TargetID     string `json:"targetId"`
	}
	// GetDeploymentTargetOutput is GetDeploymentTarget's response.
	GetDeploymentTargetOutput struct {
		DeploymentTarget *DeploymentTarget `json:"deploymentTarget"`
	}
	// BatchGetDeploymentTargetsInput names up to 25 targets.
	BatchGetDeploymentTargetsInput struct {
		DeploymentID string   `json:"deploymentId"`
		TargetIDs    []string `json:"targetIds"`
	}
	// BatchGetDeploymentTargetsOutput is BatchGetDeploymentTargets' response.
	BatchGetDeploymentTargetsOutput struct {
		DeploymentTargets []*DeploymentTarget `json:"deploymentTargets"`
	}
	// ListDeploymentInstancesInput filters a deployment's instances.
	ListDeploymentInstancesInput struct {
		DeploymentID         string   `json:"deploymentId"`
		NextToken            string   `json:"nextToken"`
		InstanceStatusFilter []string `json:"instanceStatusFilter"`
		InstanceTypeFilter   []string `json:"instanceTypeFilter"`
	}
	// ListDeploymentInstancesOutput is one page of instance ids.
	ListDeploymentInstancesOutput struct {
		InstancesList []string `json:"instancesList"`
		NextToken     string   `json:"nextToken,omitempty"`
	}
	// GetDeploymentInstanceInput names an instance by name or ARN.
	GetDeploymentInstanceInput struct {
		DeploymentID string `json:"deploymentId"`
		InstanceID   string `json:"instanceId"`
	}
	// GetDeploymentInstanceOutput is GetDeploymentInstance's response.
	GetDeploymentInstanceOutput struct {
		InstanceSummary *InstanceSummary `json:"instanceSummary"`
	}
	// BatchGetDeploymentInstancesInput names up to 25 instances.
	BatchGetDeploymentInstancesInput struct {
		DeploymentID string   `json:"deploymentId"`
		InstanceIDs  []string `json:"instanceIds"`
	}
	// BatchGetDeploymentInstancesOutput lists the instances found and names
	// the others in errorMessage.
	BatchGetDeploymentInstancesOutput struct {
		InstancesSummary []*InstanceSummary `json:"instancesSummary"`
		ErrorMessage     string             `json:"errorMessage,omitempty"`
	}
)

func (s *Service) registerTargets() {
	awsproto.Handle(s.API, "ListDeploymentTargets", s.ListDeploymentTargets)
	awsproto.Handle(s.API, "GetDeploymentTarget", s.GetDeploymentTarget)
	awsproto.Handle(s.API, "BatchGetDeploymentTargets", s.BatchGetDeploymentTargets)
	awsproto.Handle(s.API, "ListDeploymentInstances", s.ListDeploymentInstances)
	awsproto.Handle(s.API, "GetDeploymentInstance", s.GetDeploymentInstance)
	awsproto.Handle(s.API, "BatchGetDeploymentInstances", s.BatchGetDeploymentInstances)
}

// Target identity (spec §4.6, [unverified] for on-premises): a target's id
// is the instance name, its ARN the instance ARN; the Get calls accept
// either. The deprecated InstanceSummary.instanceId is the ARN.

// ListDeploymentTargets lists a started deployment's target ids by name.
func (s *Service) ListDeploymentTargets(ctx context.Context, in *ListDeploymentTargetsInput) (*ListDeploymentTargetsOutput, error) {
	d, err := s.deployment(ctx, in.DeploymentID)
	if err != nil {
		return nil, err
	}
	f, err := parseTargetFilters(d, in.TargetFilters)
	if err != nil {
		return nil, err
	}
	ids, next, err := s.pageTargets(ctx, "ListDeploymentTargets", d, f, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ListDeploymentTargetsOutput{TargetIDs: ids, NextToken: next}, nil
}

// GetDeploymentTarget returns one target of a started deployment.
func (s *Service) GetDeploymentTarget(ctx context.Context, in *GetDeploymentTargetInput) (*GetDeploymentTargetOutput, error) {
	out, err := s.BatchGetDeploymentTargets(ctx, &BatchGetDeploymentTargetsInput{DeploymentID: in.DeploymentID, TargetIDs: []string{in.TargetID}})
	if err != nil {
		return nil, err
	}
	return &GetDeploymentTargetOutput{DeploymentTarget: out.DeploymentTargets[0]}, nil
}

// BatchGetDeploymentTargets returns up to 25 targets of a started
// deployment; an id that is none of its targets fails the call. Too many
// ids is answered with DeploymentTargetListSizeExceededException, the
// operation's modeled size error ([unverified] for EC2/on-premises).
func (s *Service) BatchGetDeploymentTargets(ctx context.Context, in *BatchGetDeploymentTargetsInput) (*BatchGetDeploymentTargetsOutput, error) {
	d, err := s.deployment(ctx, in.DeploymentID)
	if err != nil {
		return nil, err
	}
	switch {
	case len(in.TargetIDs) == 0 || slices.Contains(in.TargetIDs, ""):
		return nil, errorf(CodeDeploymentTargetIDRequired, "A deployment target id is required.")
	case len(in.TargetIDs) > maxBatchTargets:
		return nil, errorf(CodeDeploymentTargetListSizeExceed, "The maximum number of target ids (%d) was exceeded.", maxBatchTargets)
	}
	targets, err := s.startedTargets(ctx, d)
	if err != nil {
		return nil, err
	}
	out := &BatchGetDeploymentTargetsOutput{DeploymentTargets: make([]*DeploymentTarget, len(in.TargetIDs))}
	for i, id := range in.TargetIDs {
		t := findTarget(targets, id)
		if t == nil {
			return nil, errorf(CodeDeploymentTargetDoesNotExist, "The target %s is not part of deployment %s.", id, d.Info.DeploymentID)
		}
		out.DeploymentTargets[i] = &DeploymentTarget{DeploymentTargetType: "InstanceTarget", InstanceTarget: t}
	}
	return out, nil
}

// ListDeploymentInstances (deprecated) lists a started deployment's
// instance names.
func (s *Service) ListDeploymentInstances(ctx context.Context, in *ListDeploymentInstancesInput) (*ListDeploymentInstancesOutput, error) {
	d, err := s.serverDeployment(ctx, in.DeploymentID)
	if err != nil {
		return nil, err
	}
	f, err := checkTargetFilter(d, in.InstanceStatusFilter, in.InstanceTypeFilter)
	if err != nil {
		return nil, err
	}
	ids, next, err := s.pageTargets(ctx, "ListDeploymentInstances", d, f, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ListDeploymentInstancesOutput{InstancesList: ids, NextToken: next}, nil
}

// GetDeploymentInstance (deprecated) returns one instance of a started
// deployment.
func (s *Service) GetDeploymentInstance(ctx context.Context, in *GetDeploymentInstanceInput) (*GetDeploymentInstanceOutput, error) {
	d, err := s.serverDeployment(ctx, in.DeploymentID)
	if err != nil {
		return nil, err
	}
	if in.InstanceID == "" {
		return nil, errorf(CodeInstanceIDRequired, "An instance id is required.")
	}
	targets, err := s.startedTargets(ctx, d)
	if err != nil {
		return nil, err
	}
	t := findTarget(targets, in.InstanceID)
	if t == nil {
		return nil, errorf(CodeInstanceDoesNotExist, "The instance %s is not part of deployment %s.", in.InstanceID, d.Info.DeploymentID)
	}
	return &GetDeploymentInstanceOutput{InstanceSummary: instanceSummary(t)}, nil
}

// BatchGetDeploymentInstances (deprecated) returns up to 25 instances of a
// started deployment; ids of none are named in errorMessage
// ([unverified] wording) rather than failing the call.
func (s *Service) BatchGetDeploymentInstances(ctx context.Context, in *BatchGetDeploymentInstancesInput) (*BatchGetDeploymentInstancesOutput, error) {
	d, err := s.serverDeployment(ctx, in.DeploymentID)
	if err != nil {
		return nil, err
	}
	switch {
	case len(in.InstanceIDs) == 0 || slices.Contains(in.InstanceIDs, ""):
		return nil, errorf(CodeInstanceIDRequired, "An instance id is required.")
	case len(in.InstanceIDs) > maxBatchTargets:
		return nil, errorf(CodeBatchLimitExceeded, "The maximum number of instance ids (%d) was exceeded.", maxBatchTargets)
	}
	targets, err := s.startedTargets(ctx, d)
	if err != nil {
		return nil, err
	}
	out := &BatchGetDeploymentInstancesOutput{InstancesSummary: []*InstanceSummary{}}
	var missing []string
	for _, id := range in.InstanceIDs {
		if t := findTarget(targets, id); t != nil {
			out.InstancesSummary = append(out.InstancesSummary, instanceSummary(t))
		} else {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		out.ErrorMessage = "Instances not found in deployment " + d.Info.DeploymentID + ": " + strings.Join(missing, ", ")
	}
	return out, nil
}

// serverDeployment loads a deployment for the deprecated instance calls,
// which only know EC2/on-premises deployments.
func (s *Service) serverDeployment(ctx context.Context, id string) (*Deployment, error) {
	d, err := s.deployment(ctx, id)
	if err != nil {
		return nil, err
	}
	if d.Info.ComputePlatform != PlatformServer {
		return nil, errorf(CodeInvalidComputePlatform, "The deployment %s is a %s deployment; use the deployment target operations.", id, d.Info.ComputePlatform)
	}
	return d, nil
}

// checkStarted refuses to show the targets of a deployment that has not
// started (spec §4.6).
func checkStarted(d *Deployment) error {
	if st := d.Info.Status; st == StatusCreated || st == StatusQueued {
		return errorf(CodeDeploymentNotStarted, "The deployment %s has not started.", d.Info.DeploymentID)
	}
	return nil
}

// startedTargets returns the targets of a deployment that has started.
func (s *Service) startedTargets(ctx context.Context, d *Deployment) ([]*InstanceTarget, error) {
	if err := checkStarted(d); err != nil {
		return nil, err
	}
	return s.store.Targets(ctx, d.Info.DeploymentID)
}

// findTarget finds a target by instance name or ARN.
func findTarget(targets []*InstanceTarget, id string) *InstanceTarget {
	for _, t := range targets {
		if t.TargetID == id || t.TargetARN == id {
			return t
		}
	}
	return nil
}

func instanceSummary(t *InstanceTarget) *InstanceSummary {
	// TargetStatus and the deprecated InstanceStatus have the same values.
	return &InstanceSummary{DeploymentID: t.DeploymentID, InstanceID: t.TargetARN, Status: t.Status,
		LastUpdatedAt: t.LastUpdatedAt, LifecycleEvents: t.LifecycleEvents, InstanceType: t.InstanceLabel}
}

// targetFilter selects targets: any of statuses and any of labels; an
// empty list selects all.
type targetFilter struct{ statuses, labels []string }

func (f targetFilter) match(t *InstanceTarget) bool {
	return (len(f.statuses) == 0 || slices.Contains(f.statuses, t.Status)) &&
		(len(f.labels) == 0 || slices.Contains(f.labels, t.InstanceLabel))
}

// parseTargetFilters checks ListDeploymentTargets' filter map.
func parseTargetFilters(d *Deployment, filters map[string][]string) (targetFilter, error) {
	names := make([]string, 0, len(filters))
	for name := range filters {
		names = append(names, name)
	}
	sort.Strings(names) // the first bad name is reported, whatever the map order
	for _, name := range names {
		if name != filterTargetStatus && name != filterInstanceLabel {
			return targetFilter{}, errorf(CodeInvalidTargetFilterName, "Invalid target filter name: %s. Valid names are TargetStatus and ServerInstanceLabel.", name)
		}
	}
	return checkTargetFilter(d, filters[filterTargetStatus], filters[filterInstanceLabel])
}

// checkTargetFilter checks status and label filter values; labels only
// make sense for blue/green deployments.
func checkTargetFilter(d *Deployment, statuses, labels []string) (targetFilter, error) {
	for _, st := range statuses {
		if !slices.Contains(targetStatuses, st) {
			return targetFilter{}, errorf(CodeInvalidInstanceStatus, "Invalid instance status: %s", st)
		}
	}
	for _, l := range labels {
		if l != "Blue" && l != "Green" {
			return targetFilter{}, errorf(CodeInvalidInstanceType, "Invalid instance type: %s. Valid values are Blue and Green.", l)
		}
	}
	if len(labels) > 0 && !isBlueGreen(d.Info.DeploymentStyle) {
		return targetFilter{}, errorf(CodeInvalidDeploymentInstanceType, "Instance types can only be specified for blue/green deployments.")
	}
	return targetFilter{statuses: statuses, labels: labels}, nil
}

// pageTargets returns one page of the ids of a started deployment's
// targets that f selects, by name.
func (s *Service) pageTargets(ctx context.Context, op string, d *Deployment, f targetFilter, token string) ([]string, string, error) {
	targets, err := s.startedTargets(ctx, d)
	if err != nil {
		return nil, "", err
	}
	ids := []string{}
	for _, t := range targets {
		if f.match(t) {
			ids = append(ids, t.TargetID)
		}
	}
	sort.Strings(ids)
	return s.tokens.page(op, token, ids)
}
