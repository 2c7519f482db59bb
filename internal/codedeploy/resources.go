package codedeploy

import (
	"context"
	"errors"
	"fmt"

	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// resources names the ARN each operation is authorized on (the resource
// types of IAM's CodeDeploy actions): the application, deployment group
// (for operations on a deployment, the group it belongs to) or
// deployment config, the on-premises instance, or the tagged ARN.
// Operations over many resources or none are authorized on "*".
func (s *Service) resources() map[string]awsproto.ResourceFunc {
	app := func(_ context.Context, c *awsproto.Call, p awsproto.Params) (string, error) {
		return callScope(c).ApplicationARN(str(p, "applicationName")), nil
	}
	group := func(member string) awsproto.ResourceFunc {
		return func(_ context.Context, c *awsproto.Call, p awsproto.Params) (string, error) {
			return callScope(c).GroupARN(str(p, "applicationName"), str(p, member)), nil
		}
	}
	config := func(_ context.Context, c *awsproto.Call, p awsproto.Params) (string, error) {
		return callScope(c).ConfigARN(str(p, "deploymentConfigName")), nil
	}
	instance := func(_ context.Context, c *awsproto.Call, p awsproto.Params) (string, error) {
		return callScope(c).arnPrefix() + "instance:" + str(p, "instanceName"), nil
	}
	tagged := func(_ context.Context, _ *awsproto.Call, p awsproto.Params) (string, error) {
		return str(p, "ResourceArn"), nil
	}
	table := map[string]awsproto.ResourceFunc{
		"CreateDeploymentGroup": group("deploymentGroupName"), "GetDeploymentGroup": group("deploymentGroupName"),
		"DeleteDeploymentGroup": group("deploymentGroupName"), "UpdateDeploymentGroup": group("currentDeploymentGroupName"),
		"CreateDeployment": group("deploymentGroupName"),
		"ListDeployments": func(ctx context.Context, c *awsproto.Call, p awsproto.Params) (string, error) {
			if str(p, "applicationName") == "" || str(p, "deploymentGroupName") == "" {
				return "*", nil
			}
			return group("deploymentGroupName")(ctx, c, p)
		},
		"CreateDeploymentConfig": config, "GetDeploymentConfig": config, "DeleteDeploymentConfig": config,
		"RegisterOnPremisesInstance": instance, "DeregisterOnPremisesInstance": instance, "GetOnPremisesInstance": instance,
		"TagResource": tagged, "UntagResource": tagged, "ListTagsForResource": tagged,
	}
	for _, op := range []string{"CreateApplication", "GetApplication", "UpdateApplication", "DeleteApplication",
		"RegisterApplicationRevision", "GetApplicationRevision", "ListApplicationRevisions", "BatchGetApplicationRevisions",
		"ListDeploymentGroups"} {
		table[op] = app
	}
	for _, op := range []string{"GetDeployment", "StopDeployment", "ContinueDeployment", "SkipWaitTimeForInstanceTermination",
		"PutLifecycleEventHookExecutionStatus", "GetDeploymentInstance", "GetDeploymentTarget", "ListDeploymentInstances",
		"ListDeploymentTargets", "BatchGetDeploymentInstances", "BatchGetDeploymentTargets"} {
		table[op] = s.deploymentGroupARN
	}
	return table
}

// deploymentGroupARN authorizes an operation on a deployment by the ARN of
// the group the deployment belongs to. An id unknown in the caller's scope
// is authorized on "*" (the operation then answers
// DeploymentDoesNotExistException); a failed lookup fails the call, since
// "*" would skip a Deny on the group's ARN.
func (s *Service) deploymentGroupARN(ctx context.Context, c *awsproto.Call, p awsproto.Params) (string, error) {
	d, err := s.store.Deployment(ctx, str(p, "deploymentId"))
	if errors.Is(err, ErrNotFound) || (err == nil && d.Scope != callScope(c)) {
		return "*", nil
	}
	if err != nil {
		return "", fmt.Errorf("look up deployment %q: %w", str(p, "deploymentId"), err)
	}
	return d.GroupARN(d.Info.ApplicationName, d.Info.DeploymentGroupName), nil
}

func callScope(c *awsproto.Call) Scope { return Scope{Account: c.Account(), Region: c.Region} }

func str(p awsproto.Params, key string) string {
	v, _ := p[key].(string)
	return v
}
