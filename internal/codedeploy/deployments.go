package codedeploy

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// Error codes of the deployment operations.
const (
	CodeDeploymentLimitExceeded     = "DeploymentLimitExceededException"
	CodeInvalidFileExistsBehavior   = "InvalidFileExistsBehaviorException"
	CodeInvalidTargetInstances      = "InvalidTargetInstancesException"
	CodeInvalidIgnoreStopFailures   = "InvalidIgnoreApplicationStopFailuresValueException"
	CodeInvalidUpdateOutdatedOnly   = "InvalidUpdateOutdatedInstancesOnlyValueException"
	CodeInvalidDeploymentStatus     = "InvalidDeploymentStatusException"
	CodeInvalidTimeRange            = "InvalidTimeRangeException"
	CodeDeploymentAlreadyCompleted  = "DeploymentAlreadyCompletedException"
	CodeUnsupportedDeploymentAction = "UnsupportedActionForDeploymentTypeException"
	CodeDeploymentNotReady          = "DeploymentIsNotInReadyStateException"
	CodeInvalidDeploymentWaitType   = "InvalidDeploymentWaitTypeException"
	CodeInvalidHookExecutionStatus  = "InvalidLifecycleEventHookExecutionStatusException"
	CodeInvalidHookExecutionID      = "InvalidLifecycleEventHookExecutionIdException"
)

// The alarm and rollback codes are shared with the deployment group
// operations; they are unexported here so that this file builds whatever
// groups.go declares.
const (
	codeInvalidAlarmConfig        = "InvalidAlarmConfigException"
	codeAlarmsLimitExceeded       = "AlarmsLimitExceededException"
	codeInvalidAutoRollbackConfig = "InvalidAutoRollbackConfigException"
)

// Limits of a deployment request (spec §2.3).
const (
	maxDescriptionLength = 256
	maxBatchDeployments  = 100
	maxAlarms            = 10
	maxAlarmNameLength   = 255
)

// Deployment creators (DeploymentCreator).
const (
	CreatorUser     = "user"
	CreatorRollback = "codeDeployRollback"
)

// StopDeployment's answers (StopStatus) and AWS's message for a stop that
// took effect at once.
const (
	stopPending     = "Pending"
	stopSucceeded   = "Succeeded"
	stopDoneMessage = "No more commands will be scheduled for execution in the deployment instances"
	stopWaitMessage = "The deployment will stop once the lifecycle events in progress complete"
)

// Events that trigger an automatic rollback (AutoRollbackEvent).
const (
	rollbackOnStop   = "DEPLOYMENT_STOP_ON_REQUEST"
	rollbackOnAlarm  = "DEPLOYMENT_STOP_ON_ALARM"
	rollbackOnFailed = "DEPLOYMENT_FAILURE"
)

var (
	fileExistsBehaviors = []string{"DISALLOW", "OVERWRITE", "RETAIN"}
	autoRollbackEvents  = []string{rollbackOnFailed, rollbackOnAlarm, rollbackOnStop}
)

type (
	// CreateDeploymentInput is CreateDeployment's request.
	CreateDeploymentInput struct {
		ApplicationName               string                     `json:"applicationName"`
		DeploymentGroupName           string                     `json:"deploymentGroupName"`
		Revision                      *RevisionLocation          `json:"revision"`
		DeploymentConfigName          string                     `json:"deploymentConfigName"`
		Description                   string                     `json:"description"`
		IgnoreApplicationStopFailures bool                       `json:"ignoreApplicationStopFailures"`
		TargetInstances               *TargetInstances           `json:"targetInstances"`
		AutoRollbackConfiguration     *AutoRollbackConfiguration `json:"autoRollbackConfiguration"`
		UpdateOutdatedInstancesOnly   bool                       `json:"updateOutdatedInstancesOnly"`
		FileExistsBehavior            string                     `json:"fileExistsBehavior"`
		OverrideAlarmConfiguration    *AlarmConfiguration        `json:"overrideAlarmConfiguration"`
	}
	// CreateDeploymentOutput is CreateDeployment's response.
	CreateDeploymentOutput struct {
		DeploymentID string `json:"deploymentId"`
	}
	// GetDeploymentInput names one deployment.
	GetDeploymentInput struct {
		DeploymentID string `json:"deploymentId"`
	}
	// GetDeploymentOutput is GetDeployment's response.
	GetDeploymentOutput struct {
		DeploymentInfo *DeploymentInfo `json:"deploymentInfo"`
	}
	// BatchGetDeploymentsInput names up to 100 deployments.
	BatchGetDeploymentsInput struct {
		DeploymentIDs []string `json:"deploymentIds"`
	}
	// BatchGetDeploymentsOutput is BatchGetDeployments' response.
	BatchGetDeploymentsOutput struct {
		DeploymentsInfo []*DeploymentInfo `json:"deploymentsInfo"`
	}
	// TimeRange bounds createTime, inclusively; a zero end is open.
	TimeRange struct {
		Start time.Time `json:"start"`
		End   time.Time `json:"end"`
	}
	// ListDeploymentsInput filters ListDeployments.
	ListDeploymentsInput struct {
		ApplicationName     string     `json:"applicationName"`
		DeploymentGroupName string     `json:"deploymentGroupName"`
		ExternalID          string     `json:"externalId"`
		IncludeOnlyStatuses []string   `json:"includeOnlyStatuses"`
		CreateTimeRange     *TimeRange `json:"createTimeRange"`
		NextToken           string     `json:"nextToken"`
	}
	// ListDeploymentsOutput is one page of deployment ids, newest first.
	ListDeploymentsOutput struct {
		Deployments []string `json:"deployments"`
		NextToken   string   `json:"nextToken,omitempty"`
	}
)

func (s *Service) registerDeployments() {
	awsproto.Handle(s.API, "CreateDeployment", s.CreateDeployment)
	awsproto.Handle(s.API, "GetDeployment", s.GetDeployment)
	awsproto.Handle(s.API, "BatchGetDeployments", s.BatchGetDeployments)
	awsproto.Handle(s.API, "ListDeployments", s.ListDeployments)
	awsproto.Handle(s.API, "StopDeployment", s.StopDeployment)
	awsproto.Handle(s.API, "ContinueDeployment", s.ContinueDeployment)
	awsproto.Handle(s.API, "SkipWaitTimeForInstanceTermination", s.SkipWaitTimeForInstanceTermination)
	awsproto.Handle(s.API, "PutLifecycleEventHookExecutionStatus", s.PutLifecycleEventHookExecutionStatus)
}

// CreateDeployment creates a deployment in state Created with its targets
// chosen (spec §4.5). Checking the group is idle and claiming it happen in
// one transaction, so two concurrent calls cannot both deploy.
func (s *Service) CreateDeployment(ctx context.Context, in *CreateDeploymentInput) (*CreateDeploymentOutput, error) {
	var id string
	err := s.store.Tx(ctx, func(ctx context.Context) error {
		app, g, err := s.deploymentTarget(ctx, in)
		if err != nil {
			return err
		}
		d, err := s.planDeployment(ctx, in, app, g)
		if err != nil {
			return err
		}
		// Concurrency is checked last: a malformed request gets its own
		// error whatever else the group is doing.
		if err := s.checkGroupIdle(ctx, g); err != nil {
			return err
		}
		id = d.Info.DeploymentID
		return s.insertDeployment(ctx, app, g, d)
	})
	if err != nil {
		return nil, err
	}
	return &CreateDeploymentOutput{DeploymentID: id}, nil
}

// deploymentTarget resolves the application and group a request deploys to.
func (s *Service) deploymentTarget(ctx context.Context, in *CreateDeploymentInput) (*Application, *DeploymentGroup, error) {
	app, err := s.application(ctx, in.ApplicationName)
	if err != nil {
		return nil, nil, err
	}
	g, err := s.group(ctx, app, in.DeploymentGroupName)
	if err != nil {
		return nil, nil, err
	}
	return app, g, nil
}

// planDeployment checks a request (spec §4.5 steps 2–5) and returns the
// deployment it creates, with every effective setting filled in.
func (s *Service) planDeployment(ctx context.Context, in *CreateDeploymentInput, app *Application, g *DeploymentGroup) (*Deployment, error) {
	platform := platformOf(app)
	style := effectiveStyle(g, platform)
	if err := checkDeploymentOptions(in, platform, style); err != nil {
		return nil, err
	}
	rev, err := deploymentRevision(in.Revision, g, platform)
	if err != nil {
		return nil, err
	}
	config, err := s.deploymentConfig(ctx, in.DeploymentConfigName, g, platform)
	if err != nil {
		return nil, err
	}
	if err := checkTargetInstances(in.TargetInstances, style); err != nil {
		return nil, err
	}
	if err := checkAlarmOverride(in.OverrideAlarmConfiguration); err != nil {
		return nil, err
	}
	if err := checkRollbackOverride(in.AutoRollbackConfiguration); err != nil {
		return nil, err
	}
	d := &Deployment{Scope: app.Scope, AppID: app.Info.ApplicationID, GroupID: g.Info.DeploymentGroupID,
		Info: newDeploymentInfo(in, g, platform, style)}
	d.Info.Revision, d.Info.DeploymentConfigName, d.Info.CreateTime = rev, config, s.now()
	return d, nil
}

// newDeploymentInfo copies the request's and the group's settings into
// what the deployment stores (spec §4.5 step 7).
func newDeploymentInfo(in *CreateDeploymentInput, g *DeploymentGroup, platform string, style *DeploymentStyle) DeploymentInfo {
	info := DeploymentInfo{
		ApplicationName: in.ApplicationName, DeploymentGroupName: g.Info.DeploymentGroupName,
		DeploymentID: newDeploymentID(), PreviousRevision: g.Info.TargetRevision, Status: StatusCreated,
		Description: in.Description, Creator: CreatorUser, ComputePlatform: platform, DeploymentStyle: style,
		IgnoreApplicationStopFailures:    in.IgnoreApplicationStopFailures,
		UpdateOutdatedInstancesOnly:      in.UpdateOutdatedInstancesOnly,
		AutoRollbackConfiguration:        g.Info.AutoRollbackConfiguration,
		BlueGreenDeploymentConfiguration: g.Info.BlueGreenDeploymentConfiguration,
		LoadBalancerInfo:                 g.Info.LoadBalancerInfo,
		FileExistsBehavior:               cmp.Or(in.FileExistsBehavior, "DISALLOW"),
		OverrideAlarmConfiguration:       in.OverrideAlarmConfiguration,
	}
	if in.AutoRollbackConfiguration != nil {
		info.AutoRollbackConfiguration = in.AutoRollbackConfiguration
	}
	if isBlueGreen(style) {
		info.TargetInstances = in.TargetInstances
	}
	return info
}

// platformOf is an application's compute platform; records made before it
// was stored are Server.
func platformOf(app *Application) string { return cmp.Or(app.Info.ComputePlatform, PlatformServer) }

// effectiveStyle is the group's deployment style with the platform's
// defaults for what it leaves out: in-place without traffic control for
// Server, blue/green with traffic control for Lambda and ECS.
func effectiveStyle(g *DeploymentGroup, platform string) *DeploymentStyle {
	style := DeploymentStyle{DeploymentType: "IN_PLACE", DeploymentOption: "WITHOUT_TRAFFIC_CONTROL"}
	if platform != PlatformServer {
		style = DeploymentStyle{DeploymentType: "BLUE_GREEN", DeploymentOption: "WITH_TRAFFIC_CONTROL"}
	}
	if gs := g.Info.DeploymentStyle; gs != nil {
		style.DeploymentType = cmp.Or(gs.DeploymentType, style.DeploymentType)
		style.DeploymentOption = cmp.Or(gs.DeploymentOption, style.DeploymentOption)
	}
	return &style
}

func isBlueGreen(style *DeploymentStyle) bool {
	return style != nil && style.DeploymentType == "BLUE_GREEN"
}

// checkDeploymentOptions checks the request's scalar options.
func checkDeploymentOptions(in *CreateDeploymentInput, platform string, style *DeploymentStyle) error {
	switch {
	case utf8.RuneCountInString(in.Description) > maxDescriptionLength:
		return errorf(CodeDescriptionTooLong, "The description is too long. It can be at most %d characters.", maxDescriptionLength)
	case in.FileExistsBehavior != "" && !slices.Contains(fileExistsBehaviors, in.FileExistsBehavior):
		return errorf(CodeInvalidFileExistsBehavior, "Invalid fileExistsBehavior %s; valid values are DISALLOW, OVERWRITE and RETAIN.", in.FileExistsBehavior)
	case platform != PlatformServer && in.IgnoreApplicationStopFailures:
		return errorf(CodeInvalidIgnoreStopFailures, "ignoreApplicationStopFailures must be false for %s deployments.", platform)
	case platform != PlatformServer && in.UpdateOutdatedInstancesOnly:
		return errorf(CodeInvalidUpdateOutdatedOnly, "updateOutdatedInstancesOnly must be false for %s deployments.", platform)
	}
	return nil
}

// deploymentRevision is the request's revision, else the group's target
// revision (the last successfully deployed one) — [unverified] fallback,
// the AWS CLI always sends one — checked for the platform.
func deploymentRevision(rev *RevisionLocation, g *DeploymentGroup, platform string) (*RevisionLocation, error) {
	if rev == nil && g.Info.TargetRevision != nil {
		copied := *g.Info.TargetRevision
		rev = &copied
	}
	if err := checkRevision(rev, platform); err != nil {
		return nil, err
	}
	return rev, nil
}

// deploymentConfig resolves the config a deployment uses: the named one,
// else the group's, else the platform's default; it must be of the
// application's platform.
func (s *Service) deploymentConfig(ctx context.Context, name string, g *DeploymentGroup, platform string) (string, error) {
	name = cmp.Or(name, g.Info.DeploymentConfigName, defaultConfig(platform))
	c, err := s.config(ctx, name)
	if err != nil {
		return "", err
	}
	if cmp.Or(c.ComputePlatform, PlatformServer) != platform {
		return "", errorf(CodeInvalidConfigName, "The deployment configuration %s is for the %s compute platform, not %s.", name, c.ComputePlatform, platform)
	}
	return name, nil
}

// defaultConfig is the config of a deployment that names none and whose
// group names none.
func defaultConfig(platform string) string {
	switch platform {
	case PlatformLambda:
		return predefinedPrefix + "LambdaAllAtOnce"
	case PlatformECS:
		return predefinedPrefix + "ECSAllAtOnce"
	}
	return DefaultConfigName
}

// checkTargetInstances refuses a replacement fleet for in-place
// deployments; an empty targetInstances counts as none.
func checkTargetInstances(t *TargetInstances, style *DeploymentStyle) error {
	if t == nil || isBlueGreen(style) {
		return nil
	}
	if len(t.TagFilters) > 0 || len(t.AutoScalingGroups) > 0 || (t.EC2TagSet != nil && len(t.EC2TagSet.List) > 0) {
		return errorf(CodeInvalidTargetInstances, "Target instances can only be specified for blue/green deployments.")
	}
	return nil
}

// checkAlarmOverride applies the alarm rules of groups (spec §2.3) to a
// deployment's overrideAlarmConfiguration.
func checkAlarmOverride(c *AlarmConfiguration) error {
	if c == nil {
		return nil
	}
	if len(c.Alarms) > maxAlarms {
		return errorf(codeAlarmsLimitExceeded, "The maximum number of alarms (%d) was exceeded.", maxAlarms)
	}
	if c.Enabled && len(c.Alarms) == 0 {
		return errorf(codeInvalidAlarmConfig, "The alarm configuration is enabled, but the alarm list is empty.")
	}
	seen := map[string]bool{}
	for _, a := range c.Alarms {
		switch {
		case a.Name == "" || len(a.Name) > maxAlarmNameLength:
			return errorf(codeInvalidAlarmConfig, "An alarm name must be 1 to %d characters long.", maxAlarmNameLength)
		case seen[a.Name]:
			return errorf(codeInvalidAlarmConfig, "The alarm %s is listed twice.", a.Name)
		}
		seen[a.Name] = true
	}
	return nil
}

// checkRollbackOverride refuses unknown rollback events and an enabled
// configuration without events.
func checkRollbackOverride(c *AutoRollbackConfiguration) error {
	if c == nil {
		return nil
	}
	for _, e := range c.Events {
		if !slices.Contains(autoRollbackEvents, e) {
			return errorf(codeInvalidAutoRollbackConfig, "Invalid automatic rollback event: %s", e)
		}
	}
	if c.Enabled && len(c.Events) == 0 {
		return errorf(codeInvalidAutoRollbackConfig, "Automatic rollback is enabled, but no event is specified.")
	}
	return nil
}

// checkGroupIdle refuses a second active deployment in a group (spec §2.3);
// the message names the active one, which users parse.
func (s *Service) checkGroupIdle(ctx context.Context, g *DeploymentGroup) error {
	active, err := s.store.Deployments(ctx, DeploymentFilter{Scope: g.Scope, GroupID: g.Info.DeploymentGroupID, Statuses: activeStatuses})
	if err != nil || len(active) == 0 {
		return err
	}
	return errorf(CodeDeploymentLimitExceeded, "The Deployment Group '%s' already has an active Deployment '%s'",
		g.Info.DeploymentGroupName, active[0].Info.DeploymentID)
}

// GetDeployment returns a deployment.
func (s *Service) GetDeployment(ctx context.Context, in *GetDeploymentInput) (*GetDeploymentOutput, error) {
	d, err := s.deployment(ctx, in.DeploymentID)
	if err != nil {
		return nil, err
	}
	return &GetDeploymentOutput{DeploymentInfo: publicInfo(d)}, nil
}

// publicInfo is a deployment as the API returns it: inline AppSpec content
// is left out, only its sha256 is returned (spec §4.5).
func publicInfo(d *Deployment) *DeploymentInfo {
	info := d.Info
	info.Revision = withoutContent(info.Revision)
	info.PreviousRevision = withoutContent(info.PreviousRevision)
	return &info
}

func withoutContent(rev *RevisionLocation) *RevisionLocation {
	if rev == nil || rev.AppSpecContent == nil {
		return rev
	}
	r := *rev
	r.AppSpecContent = &RawString{Sha256: rev.AppSpecContent.Sha256}
	return &r
}

// BatchGetDeployments returns up to 100 deployments in the order asked;
// well-formed ids of no deployment are left out ([unverified], as moto).
func (s *Service) BatchGetDeployments(ctx context.Context, in *BatchGetDeploymentsInput) (*BatchGetDeploymentsOutput, error) {
	if len(in.DeploymentIDs) == 0 {
		return nil, errorf(CodeDeploymentIDRequired, "Deployment ids are required.")
	}
	if len(in.DeploymentIDs) > maxBatchDeployments {
		return nil, errorf(CodeBatchLimitExceeded, "The maximum number of deployment ids (%d) was exceeded.", maxBatchDeployments)
	}
	for _, id := range in.DeploymentIDs {
		if err := checkDeploymentID(id); err != nil {
			return nil, err
		}
	}
	out := &BatchGetDeploymentsOutput{DeploymentsInfo: []*DeploymentInfo{}}
	seen := map[string]bool{}
	for _, id := range in.DeploymentIDs {
		d, err := s.store.Deployment(ctx, id)
		if errors.Is(err, ErrNotFound) || (err == nil && !sameScope(ctx, d.Scope)) || seen[id] {
			continue
		} else if err != nil {
			return nil, err
		}
		seen[id] = true
		out.DeploymentsInfo = append(out.DeploymentsInfo, publicInfo(d))
	}
	return out, nil
}

// ListDeployments lists deployment ids, newest first ([unverified]
// order), of one group or of the whole account and region.
func (s *Service) ListDeployments(ctx context.Context, in *ListDeploymentsInput) (*ListDeploymentsOutput, error) {
	f, err := s.deploymentFilter(ctx, in)
	if err != nil {
		return nil, err
	}
	list, err := s.store.Deployments(ctx, f)
	if err != nil {
		return nil, err
	}
	// Pages are cut on ascending keys; inverting the time makes the
	// newest deployment sort first and keeps tokens stable as new ones
	// arrive.
	keys := make([]string, len(list))
	for i, d := range list {
		keys[i] = fmt.Sprintf("%020d/%s", math.MaxInt64-d.Info.CreateTime.UnixNano(), d.Info.DeploymentID)
	}
	sort.Strings(keys)
	page, next, err := s.tokens.page("ListDeployments", in.NextToken, keys)
	if err != nil {
		return nil, err
	}
	out := &ListDeploymentsOutput{Deployments: make([]string, len(page)), NextToken: next}
	for i, k := range page {
		_, out.Deployments[i], _ = strings.Cut(k, "/")
	}
	return out, nil
}

// deploymentFilter checks ListDeployments' filters: application and group
// come together or not at all.
func (s *Service) deploymentFilter(ctx context.Context, in *ListDeploymentsInput) (DeploymentFilter, error) {
	f := DeploymentFilter{Scope: scope(ctx), ExternalID: in.ExternalID, Statuses: in.IncludeOnlyStatuses}
	switch {
	case in.ApplicationName != "" && in.DeploymentGroupName == "":
		return f, errorf(CodeDeploymentGroupNameRequired, "Deployment group name is required when an application name is given.")
	case in.ApplicationName == "" && in.DeploymentGroupName != "":
		return f, errorf(CodeApplicationNameRequired, "Application name is required when a deployment group name is given.")
	case in.ApplicationName != "":
		app, err := s.application(ctx, in.ApplicationName)
		if err != nil {
			return f, err
		}
		g, err := s.group(ctx, app, in.DeploymentGroupName)
		if err != nil {
			return f, err
		}
		f.GroupID = g.Info.DeploymentGroupID
	}
	for _, st := range in.IncludeOnlyStatuses {
		if !slices.Contains(deploymentStatuses, st) {
			return f, errorf(CodeInvalidDeploymentStatus, "Invalid deployment status: %s", st)
		}
	}
	if r := in.CreateTimeRange; r != nil {
		if !r.Start.IsZero() && !r.End.IsZero() && r.Start.After(r.End) {
			return f, errorf(CodeInvalidTimeRange, "The start time of the time range is after its end time.")
		}
		f.From, f.To = r.Start, r.End
	}
	return f, nil
}

type (
	// StopDeploymentInput names the deployment to stop; autoRollbackEnabled
	// absent means "as the rollback configuration says".
	StopDeploymentInput struct {
		DeploymentID        string `json:"deploymentId"`
		AutoRollbackEnabled *bool  `json:"autoRollbackEnabled"`
	}
	// StopDeploymentOutput says whether the stop took effect (Succeeded) or
	// waits for running lifecycle events (Pending).
	StopDeploymentOutput struct {
		Status        string `json:"status"`
		StatusMessage string `json:"statusMessage"`
	}
	// ContinueDeploymentInput resumes a waiting blue/green deployment.
	ContinueDeploymentInput struct {
		DeploymentID       string `json:"deploymentId"`
		DeploymentWaitType string `json:"deploymentWaitType"`
	}
	// SkipWaitTimeInput names a blue/green deployment.
	SkipWaitTimeInput struct {
		DeploymentID string `json:"deploymentId"`
	}
	// PutHookStatusInput reports a Lambda/ECS validation hook's outcome.
	PutHookStatusInput struct {
		DeploymentID                  string `json:"deploymentId"`
		LifecycleEventHookExecutionID string `json:"lifecycleEventHookExecutionId"`
		Status                        string `json:"status"`
	}
	// PutHookStatusOutput echoes the hook execution id.
	PutHookStatusOutput struct {
		LifecycleEventHookExecutionID string `json:"lifecycleEventHookExecutionId"`
	}
)

// StopDeployment stops a deployment (spec §4.5, §6.9 for the rollback).
func (s *Service) StopDeployment(ctx context.Context, in *StopDeploymentInput) (*StopDeploymentOutput, error) {
	var waiting bool
	err := s.store.Tx(ctx, func(ctx context.Context) error {
		d, err := s.deployment(ctx, in.DeploymentID)
		if err != nil {
			return err
		}
		if err := checkActive(d); err != nil {
			return err
		}
		if _, err := s.store.DeploymentGroupByID(ctx, d.GroupID); errors.Is(err, ErrNotFound) {
			return errorf(CodeDeploymentGroupDoesNotExist, "The deployment group %s of deployment %s no longer exists.", d.Info.DeploymentGroupName, d.Info.DeploymentID)
		} else if err != nil {
			return err
		}
		rollback := rollsBack(&d.Info, StatusStopped, manualStop())
		if in.AutoRollbackEnabled != nil {
			rollback = *in.AutoRollbackEnabled && d.Info.Creator != CreatorRollback
		}
		waiting, err = s.stop(ctx, d, rollback)
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case waiting:
		return &StopDeploymentOutput{Status: stopPending, StatusMessage: stopWaitMessage}, nil
	}
	return &StopDeploymentOutput{Status: stopSucceeded, StatusMessage: stopDoneMessage}, nil
}

// checkActive refuses a deployment that has ended.
func checkActive(d *Deployment) error {
	if !slices.Contains(activeStatuses, d.Info.Status) {
		return errorf(CodeDeploymentAlreadyCompleted, "The deployment %s has already completed.", d.Info.DeploymentID)
	}
	return nil
}

// checkBlueGreen refuses the blue/green-only actions on in-place
// deployments.
func checkBlueGreen(d *Deployment) error {
	if !isBlueGreen(d.Info.DeploymentStyle) {
		return errorf(CodeUnsupportedDeploymentAction, "The deployment %s is an in-place deployment; this action is only supported for blue/green deployments.", d.Info.DeploymentID)
	}
	return nil
}

// ContinueDeployment lets a blue/green deployment waiting in Ready reroute
// traffic (READY_WAIT), or end its wait before terminating the original
// instances (TERMINATION_WAIT). Checks run id, wait type, completion, then
// deployment type: an ended in-place deployment reports that it ended.
func (s *Service) ContinueDeployment(ctx context.Context, in *ContinueDeploymentInput) (*done, error) {
	return ok, s.store.Tx(ctx, func(ctx context.Context) error {
		d, err := s.deployment(ctx, in.DeploymentID)
		if err != nil {
			return err
		}
		wait := cmp.Or(in.DeploymentWaitType, "READY_WAIT")
		if wait != "READY_WAIT" && wait != "TERMINATION_WAIT" {
			return errorf(CodeInvalidDeploymentWaitType, "Invalid deployment wait type: %s", wait)
		}
		if err := cmp.Or(checkActive(d), checkBlueGreen(d)); err != nil {
			return err
		}
		switch {
		case wait == "READY_WAIT" && d.Info.Status != StatusReady:
			return errorf(CodeDeploymentNotReady, "The deployment %s is not in the Ready state.", d.Info.DeploymentID)
		case wait == "READY_WAIT":
			d.Info.Status = StatusInProgress
		case !d.Info.InstanceTerminationWaitTimeStarted:
			return errorf(CodeInvalidDeploymentStatus, "The deployment %s is not waiting to terminate the original instances.", d.Info.DeploymentID)
		default:
			d.Info.InstanceTerminationWaitTimeStarted = false
		}
		return s.store.UpdateDeployment(ctx, d)
	})
}

// SkipWaitTimeForInstanceTermination (deprecated) ends a blue/green
// deployment's wait before terminating the original instances. Checks run
// id, not started, completion, then deployment type.
func (s *Service) SkipWaitTimeForInstanceTermination(ctx context.Context, in *SkipWaitTimeInput) (*done, error) {
	return ok, s.store.Tx(ctx, func(ctx context.Context) error {
		d, err := s.deployment(ctx, in.DeploymentID)
		if err != nil {
			return err
		}
		if err := cmp.Or(checkStarted(d), checkActive(d), checkBlueGreen(d)); err != nil || !d.Info.InstanceTerminationWaitTimeStarted {
			return err
		}
		d.Info.InstanceTerminationWaitTimeStarted = false
		return s.store.UpdateDeployment(ctx, d)
	})
}

// PutLifecycleEventHookExecutionStatus reports a Lambda or ECS validation
// hook's outcome. Lambda and ECS deployments are not executed here, so no
// hook execution ever exists: a well-formed report of one is refused with
// InvalidLifecycleEventHookExecutionIdException.
func (s *Service) PutLifecycleEventHookExecutionStatus(ctx context.Context, in *PutHookStatusInput) (*PutHookStatusOutput, error) {
	d, err := s.deployment(ctx, in.DeploymentID)
	if err != nil {
		return nil, err
	}
	switch {
	case d.Info.ComputePlatform == PlatformServer:
		return nil, errorf(CodeUnsupportedDeploymentAction, "Lifecycle event hooks are only supported for Lambda and ECS deployments.")
	case in.Status != StatusSucceeded && in.Status != StatusFailed:
		return nil, errorf(CodeInvalidHookExecutionStatus, "The status must be Succeeded or Failed, not %s.", in.Status)
	}
	return nil, errorf(CodeInvalidHookExecutionID, "No lifecycle event hook execution %s was found for deployment %s.", in.LifecycleEventHookExecutionID, d.Info.DeploymentID)
}
