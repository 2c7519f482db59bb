package codedeploy

import (
	"context"
	"errors"
	"time"
)

// Errors the Store returns; the operations turn them into CodeDeploy's
// exceptions.
var (
	ErrNotFound = errors.New("codedeploy: not found")
	ErrExists   = errors.New("codedeploy: already exists")
	// ErrGroupActive: the deployment's group already has an active one
	// (the database keeps a group to one, whatever the order of calls).
	ErrGroupActive = errors.New("codedeploy: the deployment group has an active deployment")
)

// Application is a stored application.
type Application struct {
	Scope
	Info ApplicationInfo
	Tags []Tag
}

// DeploymentGroup is a stored deployment group.
type DeploymentGroup struct {
	Scope
	AppID string
	Info  DeploymentGroupInfo
	Tags  []Tag
}

// DeploymentConfig is a stored custom deployment config.
type DeploymentConfig struct {
	Scope
	Info DeploymentConfigInfo
	Tags []Tag
}

// Revision is a registered application revision.
type Revision struct {
	AppID    string
	Key      string // revisionKey(&Location)
	Location RevisionLocation
	Info     GenericRevisionInfo // DeploymentGroups is derived when read, not stored
}

// Deployment is a stored deployment.
type Deployment struct {
	Scope
	AppID   string
	GroupID string
	Info    DeploymentInfo
	// Stop is set while a StopDeployment waits for lifecycle events in
	// flight (see lifecycle.go).
	Stop *StopRequest `json:",omitempty"`
	// The engine's Plan is stored apart (Store.DeploymentPlan): its order
	// names every target, and the deployment is read and written on every
	// lifecycle event.
}

// Instance is a registered (or deregistered) on-premises instance.
type Instance struct {
	Scope
	Info InstanceInfo
}

// Registered reports whether the instance has not been deregistered.
func (i *Instance) Registered() bool { return i.Info.DeregisterTime.IsZero() }

// IAMARN is the identity the instance's agent authenticates as.
func (i *Instance) IAMARN() string {
	if i.Info.IAMUserARN != "" {
		return i.Info.IAMUserARN
	}
	return i.Info.IAMSessionARN
}

// DeploymentFilter selects deployments for ListDeployments.
type DeploymentFilter struct {
	Scope
	GroupID    string    // "" for every group
	Statuses   []string  // empty for every status
	From, To   time.Time // inclusive bounds on createTime; zero for open
	ExternalID string
}

// Store persists CodeDeploy's resources. Names are case-sensitive, as in
// CodeDeploy. Methods return ErrNotFound and ErrExists; anything else is
// an internal failure. Calls made with a ctx from Tx join its transaction.
type Store interface {
	Tx(ctx context.Context, fn func(ctx context.Context) error) error
	// AfterCommit runs fn once the transaction of ctx commits (at once
	// outside one), never if it rolls back; fn must not block.
	AfterCommit(ctx context.Context, fn func())

	Application(ctx context.Context, s Scope, name string) (*Application, error)
	ApplicationByID(ctx context.Context, id string) (*Application, error)
	InsertApplication(ctx context.Context, a *Application) error
	// UpdateApplication stores a (matched by id), including a new name.
	UpdateApplication(ctx context.Context, a *Application) error
	// DeleteApplication removes an application with its deployment groups
	// and revision registrations; its deployments stay on record.
	DeleteApplication(ctx context.Context, id string) error
	// Applications lists a scope's applications by name.
	Applications(ctx context.Context, s Scope) ([]*Application, error)
	// CountApplications counts a scope's applications (for the quota,
	// without reading them).
	CountApplications(ctx context.Context, s Scope) (int, error)

	DeploymentGroup(ctx context.Context, appID, name string) (*DeploymentGroup, error)
	DeploymentGroupByID(ctx context.Context, id string) (*DeploymentGroup, error)
	InsertDeploymentGroup(ctx context.Context, g *DeploymentGroup) error
	UpdateDeploymentGroup(ctx context.Context, g *DeploymentGroup) error
	DeleteDeploymentGroup(ctx context.Context, id string) error
	// DeploymentGroups lists an application's groups by name.
	DeploymentGroups(ctx context.Context, appID string) ([]*DeploymentGroup, error)
	// CountDeploymentGroups counts an application's deployment groups.
	CountDeploymentGroups(ctx context.Context, appID string) (int, error)
	// GroupsUsingConfig counts a scope's groups whose config is name.
	GroupsUsingConfig(ctx context.Context, s Scope, name string) (int, error)

	// Custom configs only; the predefined ones live in code.
	DeploymentConfig(ctx context.Context, s Scope, name string) (*DeploymentConfig, error)
	InsertDeploymentConfig(ctx context.Context, c *DeploymentConfig) error
	UpdateDeploymentConfig(ctx context.Context, c *DeploymentConfig) error
	DeleteDeploymentConfig(ctx context.Context, s Scope, name string) error
	DeploymentConfigs(ctx context.Context, s Scope) ([]*DeploymentConfig, error)

	Revision(ctx context.Context, appID, key string) (*Revision, error)
	// PutRevision creates or replaces a registration.
	PutRevision(ctx context.Context, r *Revision) error
	Revisions(ctx context.Context, appID string) ([]*Revision, error)

	Deployment(ctx context.Context, id string) (*Deployment, error)
	// InsertDeployment stores a new deployment; ErrGroupActive if d is
	// active and its group already has an active deployment.
	InsertDeployment(ctx context.Context, d *Deployment) error
	UpdateDeployment(ctx context.Context, d *Deployment) error
	// PutDeploymentPlan stores the plan the engine made when the
	// deployment started.
	PutDeploymentPlan(ctx context.Context, deploymentID string, p *Plan) error
	// DeploymentPlan reads a deployment's plan (ErrNotFound if it has
	// none or there is no such deployment).
	DeploymentPlan(ctx context.Context, deploymentID string) (*Plan, error)
	// CountActiveDeployments counts a scope's deployments that have not
	// ended (Created, Queued, InProgress, Baking, Ready).
	CountActiveDeployments(ctx context.Context, s Scope) (int, error)
	// ActiveDeploymentOfGroup reads a group's deployment that has not
	// ended (ErrNotFound if none).
	ActiveDeploymentOfGroup(ctx context.Context, groupID string) (*Deployment, error)
	// Deployments lists matching deployments, newest first.
	Deployments(ctx context.Context, f DeploymentFilter) ([]*Deployment, error)

	// PutTargets creates or replaces a deployment's instance targets.
	PutTargets(ctx context.Context, deploymentID string, targets []*InstanceTarget) error
	// Target reads one target of a deployment (ErrNotFound if none).
	Target(ctx context.Context, deploymentID, targetID string) (*InstanceTarget, error)
	// TargetStatusCounts counts a deployment's targets by status.
	TargetStatusCounts(ctx context.Context, deploymentID string) (map[string]int, error)
	// Targets lists a deployment's targets by target id.
	Targets(ctx context.Context, deploymentID string) ([]*InstanceTarget, error)

	Instance(ctx context.Context, s Scope, name string) (*Instance, error)
	// PutInstance creates or replaces an instance by name.
	PutInstance(ctx context.Context, i *Instance) error
	// Instances lists a scope's instances by name.
	Instances(ctx context.Context, s Scope) ([]*Instance, error)
	// RegisteredInstanceByIAMARN finds the registered instance an IAM user
	// or session ARN belongs to.
	RegisteredInstanceByIAMARN(ctx context.Context, s Scope, arn string) (*Instance, error)

	// ActiveDeployments lists the ids of deployments that have not ended
	// (Created, Queued, InProgress), oldest first, at most limit.
	ActiveDeployments(ctx context.Context, limit int) ([]string, error)
	// ClaimDeployment takes or renews the engine lease on a deployment for
	// owner until until, if no other owner holds it past now; it reports
	// whether owner holds it.
	ClaimDeployment(ctx context.Context, id, owner string, now, until time.Time) (bool, error)
	// ReleaseDeployments gives up owner's leases.
	ReleaseDeployments(ctx context.Context, owner string) error

	InsertHostCommand(ctx context.Context, c *HostCommand) error
	// UpdateHostCommand stores c (matched by id).
	UpdateHostCommand(ctx context.Context, c *HostCommand) error
	HostCommand(ctx context.Context, id string) (*HostCommand, error)
	// HostCommands lists a deployment's commands, oldest first.
	HostCommands(ctx context.Context, deploymentID string) ([]*HostCommand, error)
	// OpenHostCommands lists a deployment's Pending, Dispatched and
	// InProgress commands, oldest first: the engine reads them every pass,
	// and ended ones would make each pass grow with the deployment.
	OpenHostCommands(ctx context.Context, deploymentID string) ([]*HostCommand, error)
	// HostCommandsOfHost lists a deployment's commands for one host, oldest first.
	HostCommandsOfHost(ctx context.Context, deploymentID, host string) ([]*HostCommand, error)
	// CommandedTargets lists the targets of a deployment that have had a
	// command, in no order.
	CommandedTargets(ctx context.Context, deploymentID string) ([]string, error)
	// NextHostCommand returns a host's oldest Pending command.
	NextHostCommand(ctx context.Context, s Scope, host string) (*HostCommand, error)

	GitHubTokenNames(ctx context.Context, s Scope) ([]string, error)
	PutGitHubToken(ctx context.Context, s Scope, name, token string) error
	DeleteGitHubToken(ctx context.Context, s Scope, name string) error
}
