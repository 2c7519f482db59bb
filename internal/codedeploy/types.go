package codedeploy

import (
	"encoding/json"
	"time"
)

// Wire shapes, named and tagged as in the CodeDeploy model. Configuration
// CodeDeploy only stores and returns for us (blue/green, load balancers,
// ECS, traffic routing, zonal) stays json.RawMessage: the codec has already
// checked it against the model, and we return it as given.

// Tag is a resource or instance tag (PascalCase on the wire).
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// TagFilter selects on-premises instances; EC2TagFilter has the same
// members.
type TagFilter struct {
	Key   string `json:"Key,omitempty"`
	Value string `json:"Value,omitempty"`
	Type  string `json:"Type,omitempty"` // KEY_ONLY, VALUE_ONLY, KEY_AND_VALUE
}

// EC2TagSet and OnPremisesTagSet are lists of tag groups: an instance must
// match a filter of every group.
type EC2TagSet struct {
	List [][]TagFilter `json:"ec2TagSetList,omitempty"`
}

// OnPremisesTagSet is EC2TagSet for on-premises instances.
type OnPremisesTagSet struct {
	List [][]TagFilter `json:"onPremisesTagSetList,omitempty"`
}

// ApplicationInfo is GetApplication's application.
type ApplicationInfo struct {
	ApplicationID     string    `json:"applicationId"`
	ApplicationName   string    `json:"applicationName"`
	CreateTime        time.Time `json:"createTime"`
	LinkedToGitHub    bool      `json:"linkedToGitHub"`
	GitHubAccountName string    `json:"gitHubAccountName,omitempty"`
	ComputePlatform   string    `json:"computePlatform"`
}

// MinimumHealthyHosts of a deployment config.
type MinimumHealthyHosts struct {
	Type  string `json:"type,omitempty"` // HOST_COUNT, FLEET_PERCENT (MOST_CONCURRENCY for OneAtATime)
	Value int    `json:"value"`
}

// DeploymentConfigInfo is GetDeploymentConfig's config.
type DeploymentConfigInfo struct {
	DeploymentConfigID   string               `json:"deploymentConfigId"`
	DeploymentConfigName string               `json:"deploymentConfigName"`
	MinimumHealthyHosts  *MinimumHealthyHosts `json:"minimumHealthyHosts,omitempty"`
	CreateTime           time.Time            `json:"createTime"`
	ComputePlatform      string               `json:"computePlatform"`
	TrafficRoutingConfig json.RawMessage      `json:"trafficRoutingConfig,omitempty"`
	ZonalConfig          json.RawMessage      `json:"zonalConfig,omitempty"`
}

// RevisionLocation names an application revision.
type RevisionLocation struct {
	RevisionType   string          `json:"revisionType,omitempty"` // S3, GitHub, String, AppSpecContent
	S3Location     *S3Location     `json:"s3Location,omitempty"`
	GitHubLocation *GitHubLocation `json:"gitHubLocation,omitempty"`
	String         *RawString      `json:"string,omitempty"`
	AppSpecContent *RawString      `json:"appSpecContent,omitempty"`
}

// S3Location is a bundle in a bucket.
type S3Location struct {
	Bucket     string `json:"bucket,omitempty"`
	Key        string `json:"key,omitempty"`
	BundleType string `json:"bundleType,omitempty"` // tar, tgz, zip, YAML, JSON
	Version    string `json:"version,omitempty"`
	ETag       string `json:"eTag,omitempty"`
}

// GitHubLocation is a commit of a repository.
type GitHubLocation struct {
	Repository string `json:"repository,omitempty"`
	CommitID   string `json:"commitId,omitempty"`
}

// RawString is inline content (String and AppSpecContent revisions).
type RawString struct {
	Content string `json:"content,omitempty"`
	Sha256  string `json:"sha256,omitempty"`
}

// GenericRevisionInfo describes a registered revision.
type GenericRevisionInfo struct {
	Description      string    `json:"description,omitempty"`
	DeploymentGroups []string  `json:"deploymentGroups,omitempty"`
	FirstUsedTime    time.Time `json:"firstUsedTime,omitzero"`
	LastUsedTime     time.Time `json:"lastUsedTime,omitzero"`
	RegisterTime     time.Time `json:"registerTime,omitzero"`
}

// TriggerConfig sends deployment events to an SNS topic.
type TriggerConfig struct {
	TriggerName      string   `json:"triggerName,omitempty"`
	TriggerTargetARN string   `json:"triggerTargetArn,omitempty"`
	TriggerEvents    []string `json:"triggerEvents,omitempty"`
}

// AlarmConfiguration names CloudWatch alarms that stop a deployment.
type AlarmConfiguration struct {
	Enabled                bool    `json:"enabled"`
	IgnorePollAlarmFailure bool    `json:"ignorePollAlarmFailure"`
	Alarms                 []Alarm `json:"alarms"`
}

// Alarm is a CloudWatch alarm by name.
type Alarm struct {
	Name string `json:"name,omitempty"`
}

// AutoRollbackConfiguration says when a failed deployment rolls back.
type AutoRollbackConfiguration struct {
	Enabled bool     `json:"enabled"`
	Events  []string `json:"events,omitempty"` // DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM, DEPLOYMENT_STOP_ON_REQUEST
}

// DeploymentStyle is in-place or blue/green, with or without traffic
// control.
type DeploymentStyle struct {
	DeploymentType   string `json:"deploymentType,omitempty"`
	DeploymentOption string `json:"deploymentOption,omitempty"`
}

// AutoScalingGroup is how a group reports its Auto Scaling groups.
type AutoScalingGroup struct {
	Name            string `json:"name,omitempty"`
	Hook            string `json:"hook,omitempty"`
	TerminationHook string `json:"terminationHook,omitempty"`
}

// LastDeploymentInfo summarizes a group's last (successful) deployment.
type LastDeploymentInfo struct {
	DeploymentID string    `json:"deploymentId,omitempty"`
	Status       string    `json:"status,omitempty"`
	EndTime      time.Time `json:"endTime,omitzero"`
	CreateTime   time.Time `json:"createTime,omitzero"`
}

// DeploymentGroupInfo is a deployment group as stored and returned.
type DeploymentGroupInfo struct {
	ApplicationName                  string                     `json:"applicationName"`
	DeploymentGroupID                string                     `json:"deploymentGroupId"`
	DeploymentGroupName              string                     `json:"deploymentGroupName"`
	DeploymentConfigName             string                     `json:"deploymentConfigName"`
	EC2TagFilters                    []TagFilter                `json:"ec2TagFilters"`
	OnPremisesInstanceTagFilters     []TagFilter                `json:"onPremisesInstanceTagFilters"`
	AutoScalingGroups                []AutoScalingGroup         `json:"autoScalingGroups"`
	ServiceRoleARN                   string                     `json:"serviceRoleArn"`
	TargetRevision                   *RevisionLocation          `json:"targetRevision,omitempty"`
	TriggerConfigurations            []TriggerConfig            `json:"triggerConfigurations"`
	AlarmConfiguration               *AlarmConfiguration        `json:"alarmConfiguration,omitempty"`
	AutoRollbackConfiguration        *AutoRollbackConfiguration `json:"autoRollbackConfiguration,omitempty"`
	DeploymentStyle                  *DeploymentStyle           `json:"deploymentStyle,omitempty"`
	OutdatedInstancesStrategy        string                     `json:"outdatedInstancesStrategy,omitempty"`
	BlueGreenDeploymentConfiguration json.RawMessage            `json:"blueGreenDeploymentConfiguration,omitempty"`
	LoadBalancerInfo                 json.RawMessage            `json:"loadBalancerInfo,omitempty"`
	LastSuccessfulDeployment         *LastDeploymentInfo        `json:"lastSuccessfulDeployment,omitempty"`
	LastAttemptedDeployment          *LastDeploymentInfo        `json:"lastAttemptedDeployment,omitempty"`
	EC2TagSet                        *EC2TagSet                 `json:"ec2TagSet,omitempty"`
	OnPremisesTagSet                 *OnPremisesTagSet          `json:"onPremisesTagSet,omitempty"`
	ComputePlatform                  string                     `json:"computePlatform"`
	ECSServices                      json.RawMessage            `json:"ecsServices,omitempty"`
	TerminationHookEnabled           bool                       `json:"terminationHookEnabled"`
}

// ErrorInformation says why a deployment failed or stopped.
type ErrorInformation struct {
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// RollbackInfo links a deployment and its rollback.
type RollbackInfo struct {
	RollbackDeploymentID           string `json:"rollbackDeploymentId,omitempty"`
	RollbackTriggeringDeploymentID string `json:"rollbackTriggeringDeploymentId,omitempty"`
	RollbackMessage                string `json:"rollbackMessage,omitempty"`
}

// DeploymentOverview counts a deployment's targets by status (PascalCase
// on the wire).
type DeploymentOverview struct {
	Pending    int `json:"Pending"`
	InProgress int `json:"InProgress"`
	Succeeded  int `json:"Succeeded"`
	Failed     int `json:"Failed"`
	Skipped    int `json:"Skipped"`
	Ready      int `json:"Ready"`
}

// TargetInstances narrows a blue/green deployment's replacement fleet.
type TargetInstances struct {
	TagFilters        []TagFilter `json:"tagFilters,omitempty"`
	AutoScalingGroups []string    `json:"autoScalingGroups,omitempty"`
	EC2TagSet         *EC2TagSet  `json:"ec2TagSet,omitempty"`
}

// DeploymentInfo is a deployment as stored and returned.
type DeploymentInfo struct {
	ApplicationName                    string                     `json:"applicationName"`
	DeploymentGroupName                string                     `json:"deploymentGroupName"`
	DeploymentConfigName               string                     `json:"deploymentConfigName"`
	DeploymentID                       string                     `json:"deploymentId"`
	PreviousRevision                   *RevisionLocation          `json:"previousRevision,omitempty"`
	Revision                           *RevisionLocation          `json:"revision,omitempty"`
	Status                             string                     `json:"status"`
	ErrorInformation                   *ErrorInformation          `json:"errorInformation,omitempty"`
	CreateTime                         time.Time                  `json:"createTime"`
	StartTime                          time.Time                  `json:"startTime,omitzero"`
	CompleteTime                       time.Time                  `json:"completeTime,omitzero"`
	DeploymentOverview                 *DeploymentOverview        `json:"deploymentOverview,omitempty"`
	Description                        string                     `json:"description,omitempty"`
	Creator                            string                     `json:"creator"`
	IgnoreApplicationStopFailures      bool                       `json:"ignoreApplicationStopFailures"`
	AutoRollbackConfiguration          *AutoRollbackConfiguration `json:"autoRollbackConfiguration,omitempty"`
	UpdateOutdatedInstancesOnly        bool                       `json:"updateOutdatedInstancesOnly"`
	RollbackInfo                       *RollbackInfo              `json:"rollbackInfo,omitempty"`
	DeploymentStyle                    *DeploymentStyle           `json:"deploymentStyle,omitempty"`
	TargetInstances                    *TargetInstances           `json:"targetInstances,omitempty"`
	InstanceTerminationWaitTimeStarted bool                       `json:"instanceTerminationWaitTimeStarted"`
	BlueGreenDeploymentConfiguration   json.RawMessage            `json:"blueGreenDeploymentConfiguration,omitempty"`
	LoadBalancerInfo                   json.RawMessage            `json:"loadBalancerInfo,omitempty"`
	FileExistsBehavior                 string                     `json:"fileExistsBehavior,omitempty"`
	DeploymentStatusMessages           []string                   `json:"deploymentStatusMessages,omitempty"`
	ComputePlatform                    string                     `json:"computePlatform"`
	ExternalID                         string                     `json:"externalId,omitempty"`
	OverrideAlarmConfiguration         *AlarmConfiguration        `json:"overrideAlarmConfiguration,omitempty"`
}

// Diagnostics of a lifecycle event.
type Diagnostics struct {
	ErrorCode  string `json:"errorCode,omitempty"`
	ScriptName string `json:"scriptName"`
	Message    string `json:"message,omitempty"`
	LogTail    string `json:"logTail"`
}

// LifecycleEvent is one step of a deployment on one instance.
type LifecycleEvent struct {
	LifecycleEventName string       `json:"lifecycleEventName"`
	Diagnostics        *Diagnostics `json:"diagnostics,omitempty"`
	StartTime          time.Time    `json:"startTime,omitzero"`
	EndTime            time.Time    `json:"endTime,omitzero"`
	Status             string       `json:"status"`
}

// InstanceTarget is one instance of a deployment.
type InstanceTarget struct {
	DeploymentID    string           `json:"deploymentId"`
	TargetID        string           `json:"targetId"`
	TargetARN       string           `json:"targetArn"`
	Status          string           `json:"status"`
	LastUpdatedAt   time.Time        `json:"lastUpdatedAt"`
	LifecycleEvents []LifecycleEvent `json:"lifecycleEvents"`
	InstanceLabel   string           `json:"instanceLabel,omitempty"`
}

// InstanceInfo is a registered on-premises instance.
type InstanceInfo struct {
	InstanceName   string    `json:"instanceName"`
	IAMSessionARN  string    `json:"iamSessionArn,omitempty"`
	IAMUserARN     string    `json:"iamUserArn,omitempty"`
	InstanceARN    string    `json:"instanceArn"`
	RegisterTime   time.Time `json:"registerTime"`
	DeregisterTime time.Time `json:"deregisterTime,omitzero"`
	Tags           []Tag     `json:"tags"`
}
