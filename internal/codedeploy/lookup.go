package codedeploy

import (
	"context"
	"errors"
)

// application checks a name and loads the caller's application of that
// name.
func (s *Service) application(ctx context.Context, name string) (*Application, error) {
	if err := checkApplicationName(name); err != nil {
		return nil, err
	}
	a, err := s.store.Application(ctx, scope(ctx), name)
	if errors.Is(err, ErrNotFound) {
		return nil, errorf(CodeApplicationDoesNotExist, "No application found for name: %s", name)
	}
	return a, err
}

// group checks a name and loads a deployment group of app.
func (s *Service) group(ctx context.Context, app *Application, name string) (*DeploymentGroup, error) {
	if err := checkGroupName(name); err != nil {
		return nil, err
	}
	g, err := s.store.DeploymentGroup(ctx, app.Info.ApplicationID, name)
	if errors.Is(err, ErrNotFound) {
		return nil, errorf(CodeDeploymentGroupDoesNotExist, "No Deployment Group found for name: %s", name)
	}
	return g, err
}

// appGroup checks both names and loads the caller's application and its
// deployment group.
func (s *Service) appGroup(ctx context.Context, appName, groupName string) (*Application, *DeploymentGroup, error) {
	app, err := s.application(ctx, appName)
	if err != nil {
		return nil, nil, err
	}
	g, err := s.group(ctx, app, groupName)
	if err != nil {
		return nil, nil, err
	}
	return app, g, nil
}

// config resolves a deployment config by name: a predefined one, or a
// custom one of the caller's scope.
func (s *Service) config(ctx context.Context, name string) (*DeploymentConfigInfo, error) {
	if err := checkConfigName(name); err != nil {
		return nil, err
	}
	if c := predefinedConfig(name); c != nil {
		return c, nil
	}
	c, err := s.store.DeploymentConfig(ctx, scope(ctx), name)
	if errors.Is(err, ErrNotFound) {
		return nil, errorf(CodeConfigDoesNotExist, "No deployment configuration found for name: %s", name)
	}
	if err != nil {
		return nil, err
	}
	return &c.Info, nil
}

// deployment checks an id and loads the caller's deployment.
func (s *Service) deployment(ctx context.Context, id string) (*Deployment, error) {
	if err := checkDeploymentID(id); err != nil {
		return nil, err
	}
	d, err := s.store.Deployment(ctx, id)
	if errors.Is(err, ErrNotFound) || (err == nil && !sameScope(ctx, d.Scope)) {
		return nil, errorf(CodeDeploymentDoesNotExist, "The deployment %s could not be found.", id)
	}
	return d, err
}

// selectTargets returns the registered on-premises instances a group's
// tag filters select (spec §8): any filter of onPremisesInstanceTagFilters,
// or every group of onPremisesTagSet; deregistered instances never.
func (s *Service) selectTargets(ctx context.Context, g *DeploymentGroup) ([]*Instance, error) {
	all, err := s.store.Instances(ctx, g.Scope)
	if err != nil {
		return nil, err
	}
	var out []*Instance
	for _, i := range all {
		if i.Registered() && selects(g.Info, i.Info.Tags) {
			out = append(out, i)
		}
	}
	return out, nil
}

func selects(g DeploymentGroupInfo, tags []Tag) bool {
	if g.OnPremisesTagSet != nil && len(g.OnPremisesTagSet.List) > 0 {
		return matchesSet(tags, g.OnPremisesTagSet.List)
	}
	return matchesAny(tags, g.OnPremisesInstanceTagFilters)
}

// useRevision records that a deployment uses rev: registered implicitly
// if it was not (as CodeDeploy does), with first and last use times.
func (s *Service) useRevision(ctx context.Context, app *Application, rev *RevisionLocation, deploymentID string) error {
	now := s.now()
	key := revisionKey(rev)
	r, err := s.store.Revision(ctx, app.Info.ApplicationID, key)
	if errors.Is(err, ErrNotFound) {
		r = &Revision{AppID: app.Info.ApplicationID, Key: key, Location: *rev,
			Info: GenericRevisionInfo{Description: "Application revision registered by Deployment ID: " + deploymentID, RegisterTime: now}}
	} else if err != nil {
		return err
	}
	if r.Info.FirstUsedTime.IsZero() {
		r.Info.FirstUsedTime = now
	}
	r.Info.LastUsedTime = now
	return s.store.PutRevision(ctx, r)
}
