package codedeploy

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// Error codes of the deployment config operations.
const (
	CodeConfigAlreadyExists            = "DeploymentConfigAlreadyExistsException"
	CodeConfigLimitExceeded            = "DeploymentConfigLimitExceededException"
	CodeConfigInUse                    = "DeploymentConfigInUseException"
	CodeInvalidOperation               = "InvalidOperationException"
	CodeInvalidMinimumHealthyHostValue = "InvalidMinimumHealthyHostValueException"
	CodeInvalidTrafficRoutingConfig    = "InvalidTrafficRoutingConfigurationException"
	CodeInvalidZonalConfig             = "InvalidZonalDeploymentConfigurationException"
)

// maxCustomConfigs is how many custom configs a scope may have (spec §2.3).
const maxCustomConfigs = 200

// configHoldingStatuses are the statuses of deployments that still need
// their config: it cannot be deleted under them.
var configHoldingStatuses = []string{"Created", "Queued", "InProgress", "Baking", "Ready"}

type (
	CreateDeploymentConfigInput struct {
		DeploymentConfigName string                `json:"deploymentConfigName"`
		MinimumHealthyHosts  *MinimumHealthyHosts  `json:"minimumHealthyHosts"`
		TrafficRoutingConfig *trafficRoutingConfig `json:"trafficRoutingConfig"`
		ComputePlatform      string                `json:"computePlatform"`
		ZonalConfig          *zonalConfig          `json:"zonalConfig"`
	}
	CreateDeploymentConfigOutput struct {
		DeploymentConfigID string `json:"deploymentConfigId"`
	}
	GetDeploymentConfigInput struct {
		DeploymentConfigName string `json:"deploymentConfigName"`
	}
	GetDeploymentConfigOutput struct {
		DeploymentConfigInfo *DeploymentConfigInfo `json:"deploymentConfigInfo"`
	}
	ListDeploymentConfigsInput struct {
		NextToken string `json:"nextToken"`
	}
	ListDeploymentConfigsOutput struct {
		DeploymentConfigsList []string `json:"deploymentConfigsList"`
		NextToken             string   `json:"nextToken,omitempty"`
	}
	DeleteDeploymentConfigInput struct {
		DeploymentConfigName string `json:"deploymentConfigName"`
	}
)

// trafficRoutingConfig is the model's TrafficRoutingConfig, typed so that
// CreateDeploymentConfig can check it; it is stored as JSON.
type trafficRoutingConfig struct {
	Type            string           `json:"type,omitempty"`
	TimeBasedCanary *timeBasedCanary `json:"timeBasedCanary,omitempty"`
	TimeBasedLinear *timeBasedLinear `json:"timeBasedLinear,omitempty"`
}

type timeBasedCanary struct {
	CanaryPercentage int `json:"canaryPercentage"`
	CanaryInterval   int `json:"canaryInterval"`
}

type timeBasedLinear struct {
	LinearPercentage int `json:"linearPercentage"`
	LinearInterval   int `json:"linearInterval"`
}

// zonalConfig is the model's ZonalConfig.
type zonalConfig struct {
	FirstZoneMonitorDurationInSeconds *int64               `json:"firstZoneMonitorDurationInSeconds,omitempty"`
	MonitorDurationInSeconds          *int64               `json:"monitorDurationInSeconds,omitempty"`
	MinimumHealthyHostsPerZone        *MinimumHealthyHosts `json:"minimumHealthyHostsPerZone,omitempty"`
}

func (s *Service) registerConfigs() {
	awsproto.Handle(s.API, "CreateDeploymentConfig", s.CreateDeploymentConfig)
	awsproto.Handle(s.API, "GetDeploymentConfig", s.GetDeploymentConfig)
	awsproto.Handle(s.API, "ListDeploymentConfigs", s.ListDeploymentConfigs)
	awsproto.Handle(s.API, "DeleteDeploymentConfig", s.DeleteDeploymentConfig)
}

// CreateDeploymentConfig creates a custom deployment config. Configs are
// immutable: there is no update.
func (s *Service) CreateDeploymentConfig(ctx context.Context, in *CreateDeploymentConfigInput) (*CreateDeploymentConfigOutput, error) {
	if err := checkCustomConfigName(in.DeploymentConfigName); err != nil {
		return nil, err
	}
	platform, err := checkComputePlatform(in.ComputePlatform)
	if err != nil {
		return nil, err
	}
	if err := checkConfigRules(in, platform); err != nil {
		return nil, err
	}
	c := &DeploymentConfig{Scope: scope(ctx), Info: DeploymentConfigInfo{DeploymentConfigID: newUUID(),
		DeploymentConfigName: in.DeploymentConfigName, MinimumHealthyHosts: in.MinimumHealthyHosts,
		CreateTime: s.now(), ComputePlatform: platform}}
	if c.Info.TrafficRoutingConfig, err = configJSON(in.TrafficRoutingConfig); err != nil {
		return nil, err
	}
	if c.Info.ZonalConfig, err = configJSON(in.ZonalConfig); err != nil {
		return nil, err
	}
	if err := s.store.Tx(ctx, func(ctx context.Context) error { return s.insertConfig(ctx, c) }); err != nil {
		return nil, err
	}
	return &CreateDeploymentConfigOutput{DeploymentConfigID: c.Info.DeploymentConfigID}, nil
}

// checkCustomConfigName applies the name rule and keeps the predefined
// prefix to CodeDeploy.
func checkCustomConfigName(name string) error {
	if err := checkConfigName(name); err != nil {
		return err
	}
	if strings.HasPrefix(name, predefinedPrefix) {
		return errorf(CodeInvalidConfigName, "Deployment config names starting with %s are reserved: %s", predefinedPrefix, name)
	}
	return nil
}

// insertConfig stores a new custom config within the scope's limit.
func (s *Service) insertConfig(ctx context.Context, c *DeploymentConfig) error {
	all, err := s.store.DeploymentConfigs(ctx, c.Scope)
	if err != nil {
		return err
	}
	if len(all) >= maxCustomConfigs {
		return errorf(CodeConfigLimitExceeded, "The limit of %d custom deployment configurations has been reached.", maxCustomConfigs)
	}
	err = s.store.InsertDeploymentConfig(ctx, c)
	if errors.Is(err, ErrExists) {
		return errorf(CodeConfigAlreadyExists, "Deployment Configuration already exists: %s", c.Info.DeploymentConfigName)
	}
	return err
}

// configJSON is v as stored JSON, nil for a nil pointer.
func configJSON[T any](v *T) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

// checkConfigRules applies the platform rules of spec §4.2: Server configs
// count healthy hosts, Lambda and ECS configs route traffic, and only
// Server configs deploy zone by zone.
func checkConfigRules(in *CreateDeploymentConfigInput, platform string) error {
	if platform != PlatformServer {
		if in.ZonalConfig != nil {
			return errorf(CodeInvalidZonalConfig, "A zonal configuration is only supported for the Server compute platform.")
		}
		if in.MinimumHealthyHosts != nil {
			return errorf(CodeInvalidTrafficRoutingConfig, "A %s deployment configuration takes a traffic routing configuration, not minimum healthy hosts.", platform)
		}
		if in.TrafficRoutingConfig == nil {
			return errorf(CodeInvalidTrafficRoutingConfig, "A %s deployment configuration needs a traffic routing configuration.", platform)
		}
		return checkTrafficRouting(in.TrafficRoutingConfig)
	}
	if in.TrafficRoutingConfig != nil {
		return errorf(CodeInvalidTrafficRoutingConfig, "A traffic routing configuration is only supported for the Lambda and ECS compute platforms.")
	}
	if in.MinimumHealthyHosts == nil {
		return errorf(CodeInvalidMinimumHealthyHostValue, "minimum healthy hosts argument is missing")
	}
	if err := checkHealthyHosts(in.MinimumHealthyHosts, CodeInvalidMinimumHealthyHostValue); err != nil {
		return err
	}
	return checkZonalConfig(in.ZonalConfig)
}

// checkHealthyHosts checks a minimum healthy hosts setting (of the fleet,
// or per zone): HOST_COUNT at least 0, FLEET_PERCENT 0 to 99; invalid is
// the exception to answer.
func checkHealthyHosts(h *MinimumHealthyHosts, invalid string) error {
	switch h.Type {
	case "HOST_COUNT":
		if h.Value < 0 {
			return errorf(invalid, "A HOST_COUNT minimum healthy hosts value must be 0 or more: %d", h.Value)
		}
	case "FLEET_PERCENT":
		if h.Value < 0 || h.Value > 99 {
			return errorf(invalid, "A FLEET_PERCENT minimum healthy hosts value must be between 0 and 99: %d", h.Value)
		}
	default:
		return errorf(invalid, "The minimum healthy hosts type must be HOST_COUNT or FLEET_PERCENT: %q", h.Type)
	}
	return nil
}

// checkTrafficRouting checks that a routing type comes with its own
// settings and no other's. The bounds (a 1–99 percentage, at least one
// minute between shifts) are what the console allows [unverified].
func checkTrafficRouting(r *trafficRoutingConfig) error {
	invalid := func(msg string) error { return errorf(CodeInvalidTrafficRoutingConfig, "%s", msg) }
	switch r.Type {
	case "TimeBasedCanary":
		c := r.TimeBasedCanary
		if c == nil || r.TimeBasedLinear != nil || !validShift(c.CanaryPercentage, c.CanaryInterval) {
			return invalid("A TimeBasedCanary configuration needs timeBasedCanary with a canaryPercentage of 1 to 99 and a canaryInterval of at least 1 minute.")
		}
	case "TimeBasedLinear":
		l := r.TimeBasedLinear
		if l == nil || r.TimeBasedCanary != nil || !validShift(l.LinearPercentage, l.LinearInterval) {
			return invalid("A TimeBasedLinear configuration needs timeBasedLinear with a linearPercentage of 1 to 99 and a linearInterval of at least 1 minute.")
		}
	case "AllAtOnce":
		if r.TimeBasedCanary != nil || r.TimeBasedLinear != nil {
			return invalid("An AllAtOnce configuration takes no timeBasedCanary or timeBasedLinear settings.")
		}
	default:
		return invalid("The traffic routing type must be TimeBasedCanary, TimeBasedLinear or AllAtOnce.")
	}
	return nil
}

func validShift(percent, minutes int) bool { return percent >= 1 && percent <= 99 && minutes >= 1 }

// checkZonalConfig checks a Server config's zonal settings: no negative
// durations, and a valid per-zone minimum when there is one.
func checkZonalConfig(z *zonalConfig) error {
	if z == nil {
		return nil
	}
	for _, d := range []*int64{z.FirstZoneMonitorDurationInSeconds, z.MonitorDurationInSeconds} {
		if d != nil && *d < 0 {
			return errorf(CodeInvalidZonalConfig, "Zonal monitor durations must be 0 seconds or more: %d", *d)
		}
	}
	if z.MinimumHealthyHostsPerZone != nil {
		return checkHealthyHosts(z.MinimumHealthyHostsPerZone, CodeInvalidZonalConfig)
	}
	return nil
}

// GetDeploymentConfig returns a predefined or custom deployment config.
func (s *Service) GetDeploymentConfig(ctx context.Context, in *GetDeploymentConfigInput) (*GetDeploymentConfigOutput, error) {
	c, err := s.config(ctx, in.DeploymentConfigName)
	if err != nil {
		return nil, err
	}
	return &GetDeploymentConfigOutput{DeploymentConfigInfo: c}, nil
}

// ListDeploymentConfigs lists the predefined and the caller's custom
// config names in one sorted list.
func (s *Service) ListDeploymentConfigs(ctx context.Context, in *ListDeploymentConfigsInput) (*ListDeploymentConfigsOutput, error) {
	custom, err := s.store.DeploymentConfigs(ctx, scope(ctx))
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(predefined)+len(custom))
	for _, c := range predefined {
		names = append(names, c.DeploymentConfigName)
	}
	for _, c := range custom {
		names = append(names, c.Info.DeploymentConfigName)
	}
	slices.Sort(names)
	page, next, err := s.tokens.page("ListDeploymentConfigs", in.NextToken, names)
	if err != nil {
		return nil, err
	}
	return &ListDeploymentConfigsOutput{DeploymentConfigsList: append([]string{}, page...), NextToken: next}, nil
}

// DeleteDeploymentConfig deletes a custom config that no deployment group
// and no unfinished deployment uses. Deleting an unknown custom config
// succeeds, as the model gives the call no DoesNotExist error
// [unverified].
func (s *Service) DeleteDeploymentConfig(ctx context.Context, in *DeleteDeploymentConfigInput) (*done, error) {
	name := in.DeploymentConfigName
	if err := checkConfigName(name); err != nil {
		return nil, err
	}
	if strings.HasPrefix(name, predefinedPrefix) {
		return nil, errorf(CodeInvalidOperation, "The default deployment configuration %s cannot be deleted.", name)
	}
	err := s.store.Tx(ctx, func(ctx context.Context) error {
		if err := s.checkConfigUnused(ctx, name); err != nil {
			return err
		}
		if err := s.store.DeleteDeploymentConfig(ctx, scope(ctx), name); !errors.Is(err, ErrNotFound) {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ok, nil
}

// checkConfigUnused refuses with DeploymentConfigInUseException when a
// deployment group or a deployment that has not finished uses config
// name.
func (s *Service) checkConfigUnused(ctx context.Context, name string) error {
	inUse := errorf(CodeConfigInUse, "The deployment configuration is in use: %s", name)
	n, err := s.store.GroupsUsingConfig(ctx, scope(ctx), name)
	if err != nil {
		return err
	}
	if n > 0 {
		return inUse
	}
	active, err := s.store.Deployments(ctx, DeploymentFilter{Scope: scope(ctx), Statuses: configHoldingStatuses})
	if err != nil {
		return err
	}
	for _, d := range active {
		if d.Info.DeploymentConfigName == name {
			return inUse
		}
	}
	return nil
}
