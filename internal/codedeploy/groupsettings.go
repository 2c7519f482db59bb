package codedeploy

import (
	"cmp"
	"context"
	"encoding/json"
	"regexp"
)

// The settings of deployment groups: how CreateDeploymentGroup and
// UpdateDeploymentGroup lay them over a group, CodeDeploy's defaults for
// what is left unset, and the rules they must follow (spec §4.3).

// Exceptions of the deployment group settings.
const (
	codeGroupRoleRequired        = "RoleRequiredException"
	codeGroupInvalidRole         = "InvalidRoleException"
	codeGroupInvalidEC2Tag       = "InvalidEC2TagException"
	codeGroupEC2TagCombination   = "InvalidEC2TagCombinationException"
	codeGroupOnPremCombination   = "InvalidOnPremisesTagCombinationException"
	codeGroupTagSetLimit         = "TagSetListLimitExceededException"
	codeGroupInvalidAutoScaling  = "InvalidAutoScalingGroupException"
	codeGroupInvalidTrigger      = "InvalidTriggerConfigException"
	codeGroupTriggerLimit        = "TriggerTargetsLimitExceededException"
	codeGroupInvalidLoadBalancer = "InvalidLoadBalancerInfoException"
	codeGroupInvalidStyle        = "InvalidDeploymentStyleException"
	codeGroupInvalidBlueGreen    = "InvalidBlueGreenDeploymentConfigurationException"
	codeGroupInvalidECSService   = "InvalidECSServiceException"
)

// groupSettings are the configurable members CreateDeploymentGroup and
// UpdateDeploymentGroup share. Pointers (and nil raw JSON) tell an absent
// member from a present one however empty: on update, absent keeps the
// stored value and present replaces it.
type groupSettings struct {
	DeploymentConfigName             *string                    `json:"deploymentConfigName"`
	EC2TagFilters                    *[]TagFilter               `json:"ec2TagFilters"`
	OnPremisesInstanceTagFilters     *[]TagFilter               `json:"onPremisesInstanceTagFilters"`
	AutoScalingGroups                *[]string                  `json:"autoScalingGroups"`
	ServiceRoleARN                   *string                    `json:"serviceRoleArn"`
	TriggerConfigurations            *[]TriggerConfig           `json:"triggerConfigurations"`
	AlarmConfiguration               *AlarmConfiguration        `json:"alarmConfiguration"`
	AutoRollbackConfiguration        *AutoRollbackConfiguration `json:"autoRollbackConfiguration"`
	OutdatedInstancesStrategy        *string                    `json:"outdatedInstancesStrategy"`
	DeploymentStyle                  *DeploymentStyle           `json:"deploymentStyle"`
	BlueGreenDeploymentConfiguration json.RawMessage            `json:"blueGreenDeploymentConfiguration"`
	LoadBalancerInfo                 json.RawMessage            `json:"loadBalancerInfo"`
	EC2TagSet                        *EC2TagSet                 `json:"ec2TagSet"`
	ECSServices                      json.RawMessage            `json:"ecsServices"`
	OnPremisesTagSet                 *OnPremisesTagSet          `json:"onPremisesTagSet"`
	TerminationHookEnabled           *bool                      `json:"terminationHookEnabled"`
}

// apply writes the present settings over info and fills what is left
// unset with the defaults.
func (set *groupSettings) apply(info *DeploymentGroupInfo) {
	setPresent(&info.DeploymentConfigName, set.DeploymentConfigName)
	setPresent(&info.EC2TagFilters, set.EC2TagFilters)
	setPresent(&info.OnPremisesInstanceTagFilters, set.OnPremisesInstanceTagFilters)
	setPresent(&info.ServiceRoleARN, set.ServiceRoleARN)
	setPresent(&info.TriggerConfigurations, set.TriggerConfigurations)
	setPresent(&info.OutdatedInstancesStrategy, set.OutdatedInstancesStrategy)
	setPresent(&info.TerminationHookEnabled, set.TerminationHookEnabled)
	if set.AutoScalingGroups != nil {
		info.AutoScalingGroups = make([]AutoScalingGroup, len(*set.AutoScalingGroups))
		for i, name := range *set.AutoScalingGroups {
			info.AutoScalingGroups[i] = AutoScalingGroup{Name: name}
		}
	}
	setRaw(&info.BlueGreenDeploymentConfiguration, set.BlueGreenDeploymentConfiguration)
	setRaw(&info.LoadBalancerInfo, set.LoadBalancerInfo)
	setRaw(&info.ECSServices, set.ECSServices)
	setNonNil(&info.AlarmConfiguration, set.AlarmConfiguration)
	setNonNil(&info.AutoRollbackConfiguration, set.AutoRollbackConfiguration)
	setNonNil(&info.DeploymentStyle, set.DeploymentStyle)
	setNonNil(&info.EC2TagSet, set.EC2TagSet)
	setNonNil(&info.OnPremisesTagSet, set.OnPremisesTagSet)
	dropEmptySettings(info)
	fillGroupDefaults(info)
}

// dropEmptySettings forgets empty tag sets and ECS service lists, which
// clear a setting and which AWS leaves out of its answers.
func dropEmptySettings(info *DeploymentGroupInfo) {
	if info.EC2TagSet != nil && len(info.EC2TagSet.List) == 0 {
		info.EC2TagSet = nil
	}
	if info.OnPremisesTagSet != nil && len(info.OnPremisesTagSet.List) == 0 {
		info.OnPremisesTagSet = nil
	}
	if string(info.ECSServices) == "[]" {
		info.ECSServices = nil
	}
}

// setPresent sets *dst to *src when src is present.
func setPresent[T any](dst, src *T) {
	if src != nil {
		*dst = *src
	}
}

// setNonNil points *dst at src when src is present.
func setNonNil[T any](dst **T, src *T) {
	if src != nil {
		*dst = src
	}
}

// setRaw sets raw JSON when present.
func setRaw(dst *json.RawMessage, src json.RawMessage) {
	if src != nil {
		*dst = src
	}
}

// fillGroupDefaults gives every unset setting of info CodeDeploy's
// default, and every absent list [] (AWS returns them so). Lambda and ECS
// groups default to their platform's all-at-once config and to blue/green
// with traffic control, the only style they have (unverified: AWS
// documents the defaults of Server groups only).
func fillGroupDefaults(info *DeploymentGroupInfo) {
	setEmpty(&info.DeploymentConfigName, defaultConfig(info.ComputePlatform))
	setEmpty(&info.OutdatedInstancesStrategy, "UPDATE")
	if info.AlarmConfiguration == nil {
		info.AlarmConfiguration = &AlarmConfiguration{}
	}
	if info.AlarmConfiguration.Alarms == nil {
		info.AlarmConfiguration.Alarms = []Alarm{}
	}
	if info.AutoRollbackConfiguration == nil {
		info.AutoRollbackConfiguration = &AutoRollbackConfiguration{}
	}
	if info.DeploymentStyle == nil {
		info.DeploymentStyle = &DeploymentStyle{}
	}
	style := defaultStyle(info.ComputePlatform)
	setEmpty(&info.DeploymentStyle.DeploymentType, style.DeploymentType)
	setEmpty(&info.DeploymentStyle.DeploymentOption, style.DeploymentOption)
	info.EC2TagFilters = nonNil(info.EC2TagFilters)
	info.OnPremisesInstanceTagFilters = nonNil(info.OnPremisesInstanceTagFilters)
	info.AutoScalingGroups = nonNil(info.AutoScalingGroups)
	info.TriggerConfigurations = nonNil(info.TriggerConfigurations)
}

func setEmpty(dst *string, value string) {
	if *dst == "" {
		*dst = value
	}
}

// nonNil returns list, or an empty list for nil (which would be left
// out of the answer).
func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}

var (
	groupRoleARN  = regexp.MustCompile(`^arn:aws:iam::\d{12}:role/[\x21-\x7e]{1,512}$`)
	groupTopicARN = regexp.MustCompile(`^arn:aws:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)
	// groupTriggerEvents is the TriggerEventType enum.
	groupTriggerEvents = enumSet("DeploymentStart", "DeploymentSuccess", "DeploymentFailure", "DeploymentStop",
		"DeploymentRollback", "DeploymentReady", "InstanceStart", "InstanceSuccess", "InstanceFailure", "InstanceReady")
)

// checkGroup validates a group's settings as they will be stored: its
// config exists for its compute platform, and then checkGroupSettings.
func (s *Service) checkGroup(ctx context.Context, info *DeploymentGroupInfo) error {
	cfg, err := s.config(ctx, info.DeploymentConfigName)
	if err != nil {
		return err
	}
	if platform := cmp.Or(cfg.ComputePlatform, PlatformServer); platform != info.ComputePlatform {
		// The error AWS picks here is unverified.
		return errorf(CodeInvalidConfigName, "The deployment config %s is for the %s compute platform, not %s.",
			cfg.DeploymentConfigName, platform, info.ComputePlatform)
	}
	return checkGroupSettings(info)
}

// checkGroupSettings applies each rule of CreateDeploymentGroup (spec
// §4.3) that needs no store to a group's settings, in turn.
func checkGroupSettings(info *DeploymentGroupInfo) error {
	for _, check := range []func(*DeploymentGroupInfo) error{checkGroupRole, checkGroupSelection,
		checkGroupTriggers, checkGroupAlarms, checkGroupOutdated, checkGroupStyle, checkGroupBlueGreen, checkGroupECS} {
		if err := check(info); err != nil {
			return err
		}
	}
	return nil
}

// checkGroupRole checks the format of the service role ARN; we cannot
// assume the role, so that is all there is to check.
func checkGroupRole(info *DeploymentGroupInfo) error {
	switch {
	case info.ServiceRoleARN == "":
		return errorf(codeGroupRoleRequired, "Role ARN is required.")
	case !groupRoleARN.MatchString(info.ServiceRoleARN):
		return errorf(codeGroupInvalidRole, "The service role ARN %s is not an IAM role ARN.", info.ServiceRoleARN)
	}
	return nil
}

// checkGroupSelection checks how the group selects instances: one form of
// tag selection each for EC2 and on-premises, well-formed filters, at
// most three tag groups per set, and no Auto Scaling groups (there is no
// Auto Scaling here to hook into).
func checkGroupSelection(info *DeploymentGroupInfo) error {
	var ec2Set, onPremSet [][]TagFilter
	if info.EC2TagSet != nil {
		ec2Set = info.EC2TagSet.List
	}
	if info.OnPremisesTagSet != nil {
		onPremSet = info.OnPremisesTagSet.List
	}
	switch {
	case len(info.EC2TagFilters) > 0 && len(ec2Set) > 0:
		return errorf(codeGroupEC2TagCombination, "The EC2 tag filters and the EC2 tag set cannot both be specified.")
	case len(info.OnPremisesInstanceTagFilters) > 0 && len(onPremSet) > 0:
		return errorf(codeGroupOnPremCombination, "The on-premises tag filters and the on-premises tag set cannot both be specified.")
	case len(info.AutoScalingGroups) > 0:
		return errorf(codeGroupInvalidAutoScaling, "Auto Scaling groups are not supported by this server: %s", info.AutoScalingGroups[0].Name)
	}
	if err := checkTagFilters(info.EC2TagFilters, codeGroupInvalidEC2Tag); err != nil {
		return err
	}
	if err := checkTagFilters(info.OnPremisesInstanceTagFilters, CodeInvalidTag); err != nil {
		return err
	}
	if err := checkGroupTagSet(ec2Set, codeGroupInvalidEC2Tag); err != nil {
		return err
	}
	return checkGroupTagSet(onPremSet, CodeInvalidTag)
}

// checkGroupTagSet checks the tag groups of an EC2 or on-premises tag
// set. The cap of ten filters per tag group is AWS's documented limit;
// the exception for it is unverified.
func checkGroupTagSet(set [][]TagFilter, invalid string) error {
	if len(set) > 3 {
		return errorf(codeGroupTagSetLimit, "The number of tag groups in a tag set exceeds the limit of 3.")
	}
	for _, filters := range set {
		if len(filters) == 0 || len(filters) > 10 {
			return errorf(invalid, "Each tag group of a tag set needs 1 to 10 tag filters.")
		}
		if err := checkTagFilters(filters, invalid); err != nil {
			return err
		}
	}
	return nil
}

// checkGroupTriggers checks up to ten triggers: unique names, an SNS
// topic ARN and events of the enum each.
func checkGroupTriggers(info *DeploymentGroupInfo) error {
	if len(info.TriggerConfigurations) > 10 {
		return errorf(codeGroupTriggerLimit, "The limit of 10 triggers per deployment group was exceeded.")
	}
	names := map[string]bool{}
	for _, t := range info.TriggerConfigurations {
		switch {
		case t.TriggerName == "" || names[t.TriggerName]:
			return errorf(codeGroupInvalidTrigger, "Each trigger needs a name, unique in the deployment group: %q", t.TriggerName)
		case !groupTopicARN.MatchString(t.TriggerTargetARN):
			return errorf(codeGroupInvalidTrigger, "The target of trigger %s is not an SNS topic ARN: %q", t.TriggerName, t.TriggerTargetARN)
		case len(t.TriggerEvents) == 0:
			return errorf(codeGroupInvalidTrigger, "The trigger %s has no events.", t.TriggerName)
		}
		for _, e := range t.TriggerEvents {
			if !groupTriggerEvents[e] {
				return errorf(codeGroupInvalidTrigger, "The trigger %s has an unknown event type: %s", t.TriggerName, e)
			}
		}
		names[t.TriggerName] = true
	}
	return nil
}

// checkGroupAlarms applies the rules CreateDeployment applies to an alarm
// override (at most ten unique names, one at least when enabled) and to
// automatic rollback (known events, one at least when enabled).
func checkGroupAlarms(info *DeploymentGroupInfo) error {
	if err := checkAlarmOverride(info.AlarmConfiguration); err != nil {
		return err
	}
	return checkRollbackOverride(info.AutoRollbackConfiguration)
}

// checkGroupOutdated checks the outdatedInstancesStrategy enum, which has
// no exception of its own.
func checkGroupOutdated(info *DeploymentGroupInfo) error {
	if !oneOf(info.OutdatedInstancesStrategy, "UPDATE", "IGNORE") {
		return errorf(CodeInvalidInput, "Invalid outdated instances strategy: %s", info.OutdatedInstancesStrategy)
	}
	return nil
}

// checkGroupStyle checks the deployment style: its enums, blue/green with
// traffic control for Lambda and ECS, and a load balancer for traffic
// control to control (Lambda shifts traffic without one). Blue/green on
// the Server platform replaces EC2 instances behind a load balancer,
// which on-premises instances cannot be. (AWS's errors for the last two
// rules are unverified.)
func checkGroupStyle(info *DeploymentGroupInfo) error {
	st := info.DeploymentStyle
	if (st.DeploymentType != styleInPlace && st.DeploymentType != styleBlueGreen) ||
		(st.DeploymentOption != styleWithTraffic && st.DeploymentOption != styleWithoutTraffic) {
		return errorf(codeGroupInvalidStyle, "Invalid deployment style: %s, %s", st.DeploymentType, st.DeploymentOption)
	}
	if info.ComputePlatform != PlatformServer && (st.DeploymentType != styleBlueGreen || st.DeploymentOption != styleWithTraffic) {
		return errorf(codeGroupInvalidStyle, "Deployment groups of the %s compute platform deploy blue/green with traffic control.", info.ComputePlatform)
	}
	if st.DeploymentOption == styleWithTraffic && info.ComputePlatform != PlatformLambda && !groupHasLoadBalancer(info.LoadBalancerInfo) {
		return errorf(codeGroupInvalidLoadBalancer, "A deployment with traffic control needs load balancer information.")
	}
	if st.DeploymentType == styleBlueGreen && info.ComputePlatform == PlatformServer &&
		(len(info.OnPremisesInstanceTagFilters) > 0 || info.OnPremisesTagSet != nil && len(info.OnPremisesTagSet.List) > 0) {
		return errorf(codeGroupInvalidBlueGreen, "Blue/green deployments are not supported for on-premises instances.")
	}
	return nil
}

// groupHasLoadBalancer reports whether loadBalancerInfo names at least
// one load balancer, target group or target group pair.
func groupHasLoadBalancer(raw json.RawMessage) bool {
	var lb struct {
		ELBs   []json.RawMessage `json:"elbInfoList"`
		Groups []json.RawMessage `json:"targetGroupInfoList"`
		Pairs  []json.RawMessage `json:"targetGroupPairInfoList"`
	}
	return raw != nil && json.Unmarshal(raw, &lb) == nil && len(lb.ELBs)+len(lb.Groups)+len(lb.Pairs) > 0
}

// checkGroupBlueGreen checks the enums and durations of a blue/green
// configuration. Copying an Auto Scaling group needs Auto Scaling, which
// we do not have.
func checkGroupBlueGreen(info *DeploymentGroupInfo) error {
	if info.BlueGreenDeploymentConfiguration == nil {
		return nil
	}
	var c struct {
		Terminate *struct {
			Action string `json:"action"`
			Wait   int    `json:"terminationWaitTimeInMinutes"`
		} `json:"terminateBlueInstancesOnDeploymentSuccess"`
		Ready *struct {
			Action string `json:"actionOnTimeout"`
			Wait   int    `json:"waitTimeInMinutes"`
		} `json:"deploymentReadyOption"`
		Green *struct {
			Action string `json:"action"`
		} `json:"greenFleetProvisioningOption"`
	}
	bad := json.Unmarshal(info.BlueGreenDeploymentConfiguration, &c) != nil
	if t := c.Terminate; t != nil {
		bad = bad || !oneOf(t.Action, "", "TERMINATE", "KEEP_ALIVE") || t.Wait < 0 || t.Wait > 2880
	}
	if r := c.Ready; r != nil {
		bad = bad || !oneOf(r.Action, "", "CONTINUE_DEPLOYMENT", "STOP_DEPLOYMENT") || r.Wait < 0 || r.Wait > 2880
	}
	if g := c.Green; g != nil {
		bad = bad || !oneOf(g.Action, "", "DISCOVER_EXISTING")
	}
	if bad {
		return errorf(codeGroupInvalidBlueGreen, "The blue/green deployment configuration is not valid.")
	}
	return nil
}

// checkGroupECS allows ECS services only in ECS groups, which need at
// least one, each with a service and a cluster name (unverified: AWS may
// accept an ECS group without services).
func checkGroupECS(info *DeploymentGroupInfo) error {
	var services []struct {
		Service string `json:"serviceName"`
		Cluster string `json:"clusterName"`
	}
	if info.ECSServices != nil && json.Unmarshal(info.ECSServices, &services) != nil {
		return errorf(codeGroupInvalidECSService, "The ECS services are not valid.")
	}
	switch {
	case info.ComputePlatform != PlatformECS && len(services) > 0:
		return errorf(codeGroupInvalidECSService, "ECS services can only be set on deployment groups of the ECS compute platform.")
	case info.ComputePlatform == PlatformECS && len(services) == 0:
		return errorf(codeGroupInvalidECSService, "A deployment group of the ECS compute platform needs an ECS service.")
	}
	for _, svc := range services {
		if svc.Service == "" || svc.Cluster == "" {
			return errorf(codeGroupInvalidECSService, "Each ECS service needs a service name and a cluster name.")
		}
	}
	return nil
}
