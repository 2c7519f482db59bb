package codedeploy

import (
	"context"
	"errors"
	"sort"
	"strings"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// Exceptions only the deployment group operations raise (those of
// their settings are in groupsettings.go).
const (
	codeGroupAlreadyExists = "DeploymentGroupAlreadyExistsException"
	codeGroupLimitExceeded = "DeploymentGroupLimitExceededException"
)

// Limits of deployment groups (spec §2.3).
const (
	maxGroupsPerApplication = 1000
	maxGroupBatch           = 100
)

type (
	// CreateDeploymentGroupInput is CreateDeploymentGroup's request.
	CreateDeploymentGroupInput struct {
		ApplicationName     string `json:"applicationName"`
		DeploymentGroupName string `json:"deploymentGroupName"`
		groupSettings
		Tags []Tag `json:"tags"`
	}
	// CreateDeploymentGroupOutput is CreateDeploymentGroup's answer.
	CreateDeploymentGroupOutput struct {
		DeploymentGroupID string `json:"deploymentGroupId"`
	}
	// GetDeploymentGroupInput names a group; DeleteDeploymentGroup takes
	// the same.
	GetDeploymentGroupInput struct {
		ApplicationName     string `json:"applicationName"`
		DeploymentGroupName string `json:"deploymentGroupName"`
	}
	// GetDeploymentGroupOutput is GetDeploymentGroup's answer.
	GetDeploymentGroupOutput struct {
		DeploymentGroupInfo *DeploymentGroupInfo `json:"deploymentGroupInfo"`
	}
	// BatchGetDeploymentGroupsInput is BatchGetDeploymentGroups' request.
	BatchGetDeploymentGroupsInput struct {
		ApplicationName      string   `json:"applicationName"`
		DeploymentGroupNames []string `json:"deploymentGroupNames"`
	}
	// BatchGetDeploymentGroupsOutput is BatchGetDeploymentGroups' answer.
	BatchGetDeploymentGroupsOutput struct {
		DeploymentGroupsInfo []*DeploymentGroupInfo `json:"deploymentGroupsInfo"`
		ErrorMessage         string                 `json:"errorMessage,omitempty"`
	}
	// ListDeploymentGroupsInput is ListDeploymentGroups' request.
	ListDeploymentGroupsInput struct {
		ApplicationName string `json:"applicationName"`
		NextToken       string `json:"nextToken"`
	}
	// ListDeploymentGroupsOutput is ListDeploymentGroups' answer.
	ListDeploymentGroupsOutput struct {
		ApplicationName  string   `json:"applicationName"`
		DeploymentGroups []string `json:"deploymentGroups"`
		NextToken        string   `json:"nextToken,omitempty"`
	}
	// UpdateDeploymentGroupInput is UpdateDeploymentGroup's request.
	UpdateDeploymentGroupInput struct {
		ApplicationName            string  `json:"applicationName"`
		CurrentDeploymentGroupName string  `json:"currentDeploymentGroupName"`
		NewDeploymentGroupName     *string `json:"newDeploymentGroupName"`
		groupSettings
	}
	// DeleteDeploymentGroupInput is DeleteDeploymentGroup's request.
	DeleteDeploymentGroupInput = GetDeploymentGroupInput
	// HooksOutput is the answer of UpdateDeploymentGroup and
	// DeleteDeploymentGroup: the Auto Scaling hooks that could not be
	// removed, always none here (we have no Auto Scaling).
	HooksOutput struct {
		HooksNotCleanedUp []AutoScalingGroup `json:"hooksNotCleanedUp"`
	}
)

// registerGroups serves the deployment group operations.
func (s *Service) registerGroups() {
	awsproto.Handle(s.API, "CreateDeploymentGroup", s.CreateDeploymentGroup)
	awsproto.Handle(s.API, "GetDeploymentGroup", s.GetDeploymentGroup)
	awsproto.Handle(s.API, "BatchGetDeploymentGroups", s.BatchGetDeploymentGroups)
	awsproto.Handle(s.API, "ListDeploymentGroups", s.ListDeploymentGroups)
	awsproto.Handle(s.API, "UpdateDeploymentGroup", s.UpdateDeploymentGroup)
	awsproto.Handle(s.API, "DeleteDeploymentGroup", s.DeleteDeploymentGroup)
}

// CreateDeploymentGroup creates a deployment group of an application with
// CodeDeploy's defaults for every setting not given.
func (s *Service) CreateDeploymentGroup(ctx context.Context, in *CreateDeploymentGroupInput) (*CreateDeploymentGroupOutput, error) {
	var g *DeploymentGroup
	err := s.store.Tx(ctx, func(ctx context.Context) error {
		app, err := s.application(ctx, in.ApplicationName)
		if err != nil {
			return err
		}
		if err := s.checkNewGroupName(ctx, app, in.DeploymentGroupName); err != nil {
			return err
		}
		g = &DeploymentGroup{Scope: app.Scope, AppID: app.Info.ApplicationID, Info: newGroupInfo(app, in.DeploymentGroupName), Tags: in.Tags}
		in.apply(&g.Info)
		if err := s.checkGroup(ctx, &g.Info); err != nil {
			return err
		}
		if err := checkTagsToAdd(in.Tags); err != nil {
			return err
		}
		if err := s.checkGroupLimit(ctx, app); err != nil {
			return err
		}
		return groupExists(s.store.InsertDeploymentGroup(ctx, g), in.DeploymentGroupName)
	})
	if err != nil {
		return nil, err
	}
	return &CreateDeploymentGroupOutput{DeploymentGroupID: g.Info.DeploymentGroupID}, nil
}

// checkNewGroupName checks the name of a group to create (or rename to):
// valid and not taken in app.
func (s *Service) checkNewGroupName(ctx context.Context, app *Application, name string) error {
	if err := checkGroupName(name); err != nil {
		return err
	}
	_, err := s.store.DeploymentGroup(ctx, app.Info.ApplicationID, name)
	switch {
	case err == nil:
		return groupExists(ErrExists, name)
	case errors.Is(err, ErrNotFound):
		return nil
	}
	return err
}

// groupExists turns the store's ErrExists into
// DeploymentGroupAlreadyExistsException.
func groupExists(err error, name string) error {
	if errors.Is(err, ErrExists) {
		return errorf(codeGroupAlreadyExists, "A deployment group with the specified name %s already exists.", name)
	}
	return err
}

// checkGroupLimit refuses a group beyond the 1000 an application may
// have.
func (s *Service) checkGroupLimit(ctx context.Context, app *Application) error {
	n, err := s.store.CountDeploymentGroups(ctx, app.Info.ApplicationID)
	if err != nil {
		return err
	}
	if n >= maxGroupsPerApplication {
		return errorf(codeGroupLimitExceeded, "The application %s already has the maximum of %d deployment groups.",
			app.Info.ApplicationName, maxGroupsPerApplication)
	}
	return nil
}

// GetDeploymentGroup returns a deployment group.
func (s *Service) GetDeploymentGroup(ctx context.Context, in *GetDeploymentGroupInput) (*GetDeploymentGroupOutput, error) {
	app, g, err := s.appGroup(ctx, in.ApplicationName, in.DeploymentGroupName)
	if err != nil {
		return nil, err
	}
	info, err := s.groupView(ctx, app, g)
	if err != nil {
		return nil, err
	}
	return &GetDeploymentGroupOutput{DeploymentGroupInfo: info}, nil
}

// BatchGetDeploymentGroups returns up to 100 groups of an application.
// Unknown names do not fail the call: they are left out and named in
// errorMessage (AWS's wording is unverified).
func (s *Service) BatchGetDeploymentGroups(ctx context.Context, in *BatchGetDeploymentGroupsInput) (*BatchGetDeploymentGroupsOutput, error) {
	if err := checkGroupBatch(in.DeploymentGroupNames); err != nil {
		return nil, err
	}
	app, err := s.application(ctx, in.ApplicationName)
	if err != nil {
		return nil, err
	}
	out := &BatchGetDeploymentGroupsOutput{DeploymentGroupsInfo: []*DeploymentGroupInfo{}}
	var missing []string
	for _, name := range uniqueStrings(in.DeploymentGroupNames) {
		g, err := s.group(ctx, app, name)
		if awserr.Code(err) == CodeDeploymentGroupDoesNotExist {
			missing = append(missing, name)
			continue
		} else if err != nil {
			return nil, err
		}
		info, err := s.groupView(ctx, app, g)
		if err != nil {
			return nil, err
		}
		out.DeploymentGroupsInfo = append(out.DeploymentGroupsInfo, info)
	}
	if len(missing) > 0 {
		out.ErrorMessage = "Deployment groups not found for application " + app.Info.ApplicationName + ": " + strings.Join(missing, ", ")
	}
	return out, nil
}

// checkGroupBatch checks the size of a BatchGetDeploymentGroups request.
func checkGroupBatch(names []string) error {
	switch {
	case len(names) == 0:
		return errorf(CodeDeploymentGroupNameRequired, "Deployment group names are required.")
	case len(names) > maxGroupBatch:
		return errorf(CodeBatchLimitExceeded, "The maximum number of deployment groups that can be requested is %d.", maxGroupBatch)
	}
	return nil
}

// ListDeploymentGroups lists an application's group names in name order.
func (s *Service) ListDeploymentGroups(ctx context.Context, in *ListDeploymentGroupsInput) (*ListDeploymentGroupsOutput, error) {
	app, err := s.application(ctx, in.ApplicationName)
	if err != nil {
		return nil, err
	}
	groups, err := s.store.DeploymentGroups(ctx, app.Info.ApplicationID)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = g.Info.DeploymentGroupName
	}
	sort.Strings(names) // the page cursor compares bytes, whatever the database's collation
	// The application id in the operation name refuses another
	// application's token.
	page, next, err := s.tokens.page("ListDeploymentGroups/"+app.Info.ApplicationID, in.NextToken, names)
	if err != nil {
		return nil, err
	}
	return &ListDeploymentGroupsOutput{ApplicationName: app.Info.ApplicationName, DeploymentGroups: page, NextToken: next}, nil
}

// UpdateDeploymentGroup changes a group: members present in the request
// replace the stored ones (an empty list clears), absent ones stay. The
// result is validated as a whole, as CreateDeploymentGroup validates, so
// a group can never hold both forms of a tag selection; to switch forms,
// clear the old one in the same call. Deployments already created keep
// the settings they captured.
func (s *Service) UpdateDeploymentGroup(ctx context.Context, in *UpdateDeploymentGroupInput) (*HooksOutput, error) {
	err := s.store.Tx(ctx, func(ctx context.Context) error {
		app, g, err := s.appGroup(ctx, in.ApplicationName, in.CurrentDeploymentGroupName)
		if err != nil {
			return err
		}
		if err := s.renameGroup(ctx, app, g, in.NewDeploymentGroupName); err != nil {
			return err
		}
		in.apply(&g.Info)
		if err := s.checkGroup(ctx, &g.Info); err != nil {
			return err
		}
		return groupExists(s.store.UpdateDeploymentGroup(ctx, g), g.Info.DeploymentGroupName)
	})
	if err != nil {
		return nil, err
	}
	return &HooksOutput{HooksNotCleanedUp: []AutoScalingGroup{}}, nil
}

// renameGroup gives g a new name if one is asked for and free.
func (s *Service) renameGroup(ctx context.Context, app *Application, g *DeploymentGroup, name *string) error {
	if name == nil || *name == g.Info.DeploymentGroupName {
		return nil
	}
	if err := s.checkNewGroupName(ctx, app, *name); err != nil {
		return err
	}
	g.Info.DeploymentGroupName = *name
	return nil
}

// DeleteDeploymentGroup deletes a group; deleting a group that does not
// exist succeeds (the application must exist: AWS answers
// ApplicationDoesNotExistException though its model does not list it).
//
// Deployments of the group that have not started yet (Created, Queued)
// can never start now: they end Failed with DEPLOYMENT_GROUP_MISSING, as
// AWS fails them. Deployments already running keep going with the
// configuration and targets they captured; finished ones stay on record.
func (s *Service) DeleteDeploymentGroup(ctx context.Context, in *DeleteDeploymentGroupInput) (*HooksOutput, error) {
	err := s.store.Tx(ctx, func(ctx context.Context) error {
		_, g, err := s.appGroup(ctx, in.ApplicationName, in.DeploymentGroupName)
		if awserr.Code(err) == CodeDeploymentGroupDoesNotExist {
			return nil
		} else if err != nil {
			return err
		}
		if err := s.store.DeleteDeploymentGroup(ctx, g.Info.DeploymentGroupID); err != nil {
			return err
		}
		return s.failUnstartedDeployments(ctx, g)
	})
	if err != nil {
		return nil, err
	}
	return &HooksOutput{HooksNotCleanedUp: []AutoScalingGroup{}}, nil
}

// failUnstartedDeployments fails the deployments of a deleted group that
// were waiting to start. They end through the state machine, which marks
// their targets Skipped and recounts their overview; it runs after the
// delete so that the gone group gets no last-attempted update, and the
// deployments no automatic rollback (which needs the group).
func (s *Service) failUnstartedDeployments(ctx context.Context, g *DeploymentGroup) error {
	waiting, err := s.store.Deployments(ctx, DeploymentFilter{Scope: g.Scope, GroupID: g.Info.DeploymentGroupID,
		Statuses: []string{StatusCreated, StatusQueued}})
	if err != nil {
		return err
	}
	why := groupMissing(g.Info.DeploymentGroupName)
	for _, d := range waiting {
		if err := s.CompleteDeployment(ctx, d.Info.DeploymentID, StatusFailed, why); err != nil {
			return err
		}
	}
	return nil
}

// groupView is a group as Get and BatchGet answer it: under the
// application's current name, with empty lists as []. Its deployment
// summary (lastAttemptedDeployment, lastSuccessfulDeployment,
// targetRevision) is kept in the record by the deployment engine. A group whose custom config was deleted is refused
// with DeploymentConfigDoesNotExistException, as AWS does.
func (s *Service) groupView(ctx context.Context, app *Application, g *DeploymentGroup) (*DeploymentGroupInfo, error) {
	if _, err := s.config(ctx, g.Info.DeploymentConfigName); err != nil {
		return nil, err
	}
	info := g.Info
	info.ApplicationName = app.Info.ApplicationName
	fillGroupDefaults(&info)
	return &info, nil
}

// newGroupInfo is a new group of app before its settings apply.
func newGroupInfo(app *Application, name string) DeploymentGroupInfo {
	return DeploymentGroupInfo{ApplicationName: app.Info.ApplicationName, DeploymentGroupID: newUUID(),
		DeploymentGroupName: name, ComputePlatform: platformOf(app)}
}
