package codedeploy

import (
	"context"
	"errors"
	"slices"

	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// Error codes of the application operations.
const (
	CodeApplicationAlreadyExists = "ApplicationAlreadyExistsException"
	CodeApplicationLimitExceeded = "ApplicationLimitExceededException"
)

// Application limits (spec §2.3).
const (
	maxApplications      = 1000 // per account and region
	maxApplicationsBatch = 100  // BatchGetApplications
)

type (
	CreateApplicationInput struct {
		ApplicationName string `json:"applicationName"`
		ComputePlatform string `json:"computePlatform"`
		Tags            []Tag  `json:"tags"`
	}
	CreateApplicationOutput struct {
		ApplicationID string `json:"applicationId"`
	}
	GetApplicationInput struct {
		ApplicationName string `json:"applicationName"`
	}
	GetApplicationOutput struct {
		Application ApplicationInfo `json:"application"`
	}
	BatchGetApplicationsInput struct {
		ApplicationNames []string `json:"applicationNames"`
	}
	BatchGetApplicationsOutput struct {
		ApplicationsInfo []ApplicationInfo `json:"applicationsInfo"`
	}
	ListApplicationsInput struct {
		NextToken string `json:"nextToken"`
	}
	ListApplicationsOutput struct {
		Applications []string `json:"applications"`
		NextToken    string   `json:"nextToken,omitempty"`
	}
	UpdateApplicationInput struct {
		ApplicationName    string `json:"applicationName"`
		NewApplicationName string `json:"newApplicationName"`
	}
	DeleteApplicationInput struct {
		ApplicationName string `json:"applicationName"`
	}
)

func (s *Service) registerApplications() {
	awsproto.Handle(s.API, "CreateApplication", s.CreateApplication)
	awsproto.Handle(s.API, "GetApplication", s.GetApplication)
	awsproto.Handle(s.API, "BatchGetApplications", s.BatchGetApplications)
	awsproto.Handle(s.API, "ListApplications", s.ListApplications)
	awsproto.Handle(s.API, "UpdateApplication", s.UpdateApplication)
	awsproto.Handle(s.API, "DeleteApplication", s.DeleteApplication)
}

// CreateApplication creates an application, by default for the Server
// compute platform.
func (s *Service) CreateApplication(ctx context.Context, in *CreateApplicationInput) (*CreateApplicationOutput, error) {
	if err := checkApplicationName(in.ApplicationName); err != nil {
		return nil, err
	}
	platform, err := checkComputePlatform(in.ComputePlatform)
	if err != nil {
		return nil, err
	}
	if err := checkTagsToAdd(in.Tags); err != nil {
		return nil, err
	}
	a := &Application{Scope: scope(ctx), Tags: in.Tags, Info: ApplicationInfo{ApplicationID: newUUID(),
		ApplicationName: in.ApplicationName, CreateTime: s.now(), ComputePlatform: platform}}
	if err := s.store.Tx(ctx, func(ctx context.Context) error { return s.insertApplication(ctx, a) }); err != nil {
		return nil, err
	}
	return &CreateApplicationOutput{ApplicationID: a.Info.ApplicationID}, nil
}

// insertApplication stores a new application within the scope's limit.
func (s *Service) insertApplication(ctx context.Context, a *Application) error {
	n, err := s.store.CountApplications(ctx, a.Scope)
	if err != nil {
		return err
	}
	if n >= maxApplications {
		return errorf(CodeApplicationLimitExceeded, "The limit of %d applications per region has been reached.", maxApplications)
	}
	err = s.store.InsertApplication(ctx, a)
	if errors.Is(err, ErrExists) {
		return applicationExists(a.Info.ApplicationName)
	}
	return err
}

func applicationExists(name string) error {
	return errorf(CodeApplicationAlreadyExists, "Application already exists: %s", name)
}

// GetApplication returns an application.
func (s *Service) GetApplication(ctx context.Context, in *GetApplicationInput) (*GetApplicationOutput, error) {
	a, err := s.application(ctx, in.ApplicationName)
	if err != nil {
		return nil, err
	}
	return &GetApplicationOutput{Application: a.Info}, nil
}

// BatchGetApplications returns up to 100 applications in the order asked
// for; one unknown name fails the whole call.
func (s *Service) BatchGetApplications(ctx context.Context, in *BatchGetApplicationsInput) (*BatchGetApplicationsOutput, error) {
	switch {
	case len(in.ApplicationNames) == 0:
		return nil, errorf(CodeApplicationNameRequired, "At least one application name is required.")
	case len(in.ApplicationNames) > maxApplicationsBatch:
		return nil, errorf(CodeBatchLimitExceeded, "The maximum number of names that can be specified is %d.", maxApplicationsBatch)
	}
	out := &BatchGetApplicationsOutput{ApplicationsInfo: []ApplicationInfo{}}
	// A name asked for twice is answered once [unverified].
	for _, name := range uniqueStrings(in.ApplicationNames) {
		a, err := s.application(ctx, name)
		if err != nil {
			return nil, err
		}
		out.ApplicationsInfo = append(out.ApplicationsInfo, a.Info)
	}
	return out, nil
}

// ListApplications lists the caller's application names in order.
func (s *Service) ListApplications(ctx context.Context, in *ListApplicationsInput) (*ListApplicationsOutput, error) {
	all, err := s.store.Applications(ctx, scope(ctx))
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(all))
	for _, a := range all {
		names = append(names, a.Info.ApplicationName)
	}
	slices.Sort(names) // the cursor needs byte order, whatever the database's collation
	page, next, err := s.tokens.page("ListApplications", in.NextToken, names)
	if err != nil {
		return nil, err
	}
	return &ListApplicationsOutput{Applications: append([]string{}, page...), NextToken: next}, nil
}

// UpdateApplication renames an application; its id, groups, revisions and
// deployments stay with it.
func (s *Service) UpdateApplication(ctx context.Context, in *UpdateApplicationInput) (*done, error) {
	// The model makes both names optional; without either there is nothing
	// to rename.
	for _, name := range []string{in.ApplicationName, in.NewApplicationName} {
		if err := checkApplicationName(name); err != nil {
			return nil, err
		}
	}
	err := s.store.Tx(ctx, func(ctx context.Context) error {
		a, err := s.application(ctx, in.ApplicationName)
		if err != nil || in.NewApplicationName == in.ApplicationName {
			return err
		}
		return s.renameApplication(ctx, a, in.NewApplicationName)
	})
	if err != nil {
		return nil, err
	}
	return ok, nil
}

// renameApplication stores a's new name, also in its deployment groups,
// which carry their application's name. Past deployments keep the name
// they were made under, as a record of what happened [unverified].
func (s *Service) renameApplication(ctx context.Context, a *Application, name string) error {
	if _, err := s.store.Application(ctx, a.Scope, name); err == nil {
		return applicationExists(name)
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	a.Info.ApplicationName = name
	if err := s.store.UpdateApplication(ctx, a); errors.Is(err, ErrExists) {
		return applicationExists(name)
	} else if err != nil {
		return err
	}
	groups, err := s.store.DeploymentGroups(ctx, a.Info.ApplicationID)
	if err != nil {
		return err
	}
	for _, g := range groups {
		g.Info.ApplicationName = name
		if err := s.store.UpdateDeploymentGroup(ctx, g); err != nil {
			return err
		}
	}
	return nil
}

// DeleteApplication deletes an application with its deployment groups and
// revision registrations. Deleting one that does not exist succeeds.
func (s *Service) DeleteApplication(ctx context.Context, in *DeleteApplicationInput) (*done, error) {
	if err := checkApplicationName(in.ApplicationName); err != nil {
		return nil, err
	}
	a, err := s.store.Application(ctx, scope(ctx), in.ApplicationName)
	if errors.Is(err, ErrNotFound) {
		return ok, nil
	} else if err != nil {
		return nil, err
	}
	if err := s.store.DeleteApplication(ctx, a.Info.ApplicationID); err != nil {
		return nil, err
	}
	return ok, nil
}
