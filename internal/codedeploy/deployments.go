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
	CodeDeploymentLimitExceeded   = "DeploymentLimitExceededException"
	CodeInvalidFileExistsBehavior = "InvalidFileExistsBehaviorException"
	CodeInvalidTargetInstances    = "InvalidTargetInstancesException"
	CodeInvalidIgnoreStopFailures = "InvalidIgnoreApplicationStopFailuresValueException"
	CodeInvalidUpdateOutdatedOnly = "InvalidUpdateOutdatedInstancesOnlyValueException"
	CodeInvalidTimeRange          = "InvalidTimeRangeException"
)

// Limits of a deployment request (spec §2.3).
const (
	maxDescriptionLength = 256
	maxBatchDeployments  = 100
)

// Deployment creators (DeploymentCreator).
const (
	CreatorUser     = "user"
	CreatorRollback = "codeDeployRollback"
)

var fileExistsBehaviors = []string{"DISALLOW", "OVERWRITE", "RETAIN"}

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
}

// CreateDeployment creates a deployment in state Created with its targets
// chosen (spec §4.5). Checking the group is idle and claiming it happen in
// one transaction, so two concurrent calls cannot both deploy. An S3
// revision's object is looked up before it (checkS3Object).
func (s *Service) CreateDeployment(ctx context.Context, in *CreateDeploymentInput) (*CreateDeploymentOutput, error) {
	var id string
	objectErr := s.checkS3Object(ctx, in.Revision)
	err := s.store.Tx(ctx, func(ctx context.Context) error {
		app, g, err := s.appGroup(ctx, in.ApplicationName, in.DeploymentGroupName)
		if err != nil {
			return err
		}
		d, err := s.planDeployment(ctx, in, app, g)
		if err != nil {
			return err
		}
		if objectErr != nil {
			return objectErr
		}
		// Concurrency is checked last: a malformed request gets its own
		// error whatever else the group is doing.
		if err := s.checkGroupIdle(ctx, g); err != nil {
			return err
		}
		if err := s.checkAccountActive(ctx, g.Scope); err != nil {
			return err
		}
		id = d.Info.DeploymentID
		return s.insertDeployment(ctx, app, g, d)
	})
	if err != nil {
		return nil, err
	}
	s.Wake()
	return &CreateDeploymentOutput{DeploymentID: id}, nil
}

// planDeployment checks a request (spec §4.5 steps 2–5) and returns the
// deployment it creates, with every effective setting filled in.
func (s *Service) planDeployment(ctx context.Context, in *CreateDeploymentInput, app *Application, g *DeploymentGroup) (*Deployment, error) {
	platform := platformOf(app)
	style := effectiveStyle(g, platform)
	rev, err := checkDeploymentRequest(in, g, platform, style)
	if err != nil {
		return nil, err
	}
	config, err := s.deploymentConfig(ctx, in.DeploymentConfigName, g, platform)
	if err != nil {
		return nil, err
	}
	if err := checkDeploymentOverrides(in, style); err != nil {
		return nil, err
	}
	d := &Deployment{Scope: app.Scope, AppID: app.Info.ApplicationID, GroupID: g.Info.DeploymentGroupID,
		Info: newDeploymentInfo(in, g, platform, style)}
	d.Info.Revision, d.Info.DeploymentConfigName, d.Info.CreateTime = rev, config, s.now()
	return d, nil
}

// checkDeploymentRequest checks the request's options and revision,
// which need no store, and returns the revision to deploy.
func checkDeploymentRequest(in *CreateDeploymentInput, g *DeploymentGroup, platform string, style *DeploymentStyle) (*RevisionLocation, error) {
	if err := checkDeploymentOptions(in, platform, style); err != nil {
		return nil, err
	}
	return deploymentRevision(in.Revision, g, platform)
}

// checkDeploymentOverrides checks what the request overrides of its
// group: the replacement fleet, alarms and automatic rollback. It needs
// no store.
func checkDeploymentOverrides(in *CreateDeploymentInput, style *DeploymentStyle) error {
	if err := checkTargetInstances(in.TargetInstances, style); err != nil {
		return err
	}
	if err := checkAlarmOverride(in.OverrideAlarmConfiguration); err != nil {
		return err
	}
	return checkRollbackOverride(in.AutoRollbackConfiguration)
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

// effectiveStyle is the group's deployment style with the platform's
// defaults (defaultStyle) for what it leaves out.
func effectiveStyle(g *DeploymentGroup, platform string) *DeploymentStyle {
	style := defaultStyle(platform)
	if gs := g.Info.DeploymentStyle; gs != nil {
		style.DeploymentType = cmp.Or(gs.DeploymentType, style.DeploymentType)
		style.DeploymentOption = cmp.Or(gs.DeploymentOption, style.DeploymentOption)
	}
	return &style
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

// checkGroupIdle refuses a second active deployment in a group (spec §2.3);
// the message names the active one, which users parse.
func (s *Service) checkGroupIdle(ctx context.Context, g *DeploymentGroup) error {
	active, err := s.store.ActiveDeploymentOfGroup(ctx, g.Info.DeploymentGroupID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return errorf(CodeDeploymentLimitExceeded, "The Deployment Group '%s' already has an active Deployment '%s'",
		g.Info.DeploymentGroupName, active.Info.DeploymentID)
}

// groupBusy turns the store's ErrGroupActive, a concurrent deployment of
// g that committed between checkGroupIdle and the insert, into the error
// checkGroupIdle gives, naming the one that won.
func (s *Service) groupBusy(ctx context.Context, g *DeploymentGroup, err error) error {
	if !errors.Is(err, ErrGroupActive) {
		return err
	}
	if busy := s.checkGroupIdle(ctx, g); busy != nil {
		return busy
	}
	return fmt.Errorf("deployment group %s: %w", g.Info.DeploymentGroupID, err)
}

// MaxActiveDeployments is how many deployments an account may have
// running at once in a region (spec §2.3).
const MaxActiveDeployments = 1000

// checkAccountActive refuses a deployment beyond the account's
// MaxActiveDeployments ([unverified] AWS's message).
func (s *Service) checkAccountActive(ctx context.Context, sc Scope) error {
	n, err := s.store.CountActiveDeployments(ctx, sc)
	if err != nil || n < MaxActiveDeployments {
		return err
	}
	return errorf(CodeDeploymentLimitExceeded, "The account already has %d deployments in progress, the most it may have.", MaxActiveDeployments)
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
		_, g, err := s.appGroup(ctx, in.ApplicationName, in.DeploymentGroupName)
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
