package codedeploy

import "slices"

// Shared input checks: the alarm and automatic rollback rules that
// deployment groups and CreateDeployment's overrides share, and small
// helpers for enums and batch name lists.

// Exceptions of the alarm and rollback rules.
const (
	codeInvalidAlarmConfig        = "InvalidAlarmConfigException"
	codeAlarmsLimitExceeded       = "AlarmsLimitExceededException"
	codeInvalidAutoRollbackConfig = "InvalidAutoRollbackConfigException"
)

// Alarm limits (spec §2.3).
const (
	maxAlarms          = 10
	maxAlarmNameLength = 255
)

// Events that trigger an automatic rollback (AutoRollbackEvent).
const (
	rollbackOnStop   = "DEPLOYMENT_STOP_ON_REQUEST"
	rollbackOnAlarm  = "DEPLOYMENT_STOP_ON_ALARM"
	rollbackOnFailed = "DEPLOYMENT_FAILURE"
)

var autoRollbackEvents = []string{rollbackOnFailed, rollbackOnAlarm, rollbackOnStop}

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

func oneOf(v string, allowed ...string) bool { return slices.Contains(allowed, v) }

func enumSet(values ...string) map[string]bool {
	m := make(map[string]bool, len(values))
	for _, v := range values {
		m[v] = true
	}
	return m
}

// uniqueStrings drops repeats, keeping the first of each: a batch request
// that names a resource twice gets it once.
func uniqueStrings(list []string) []string {
	seen := make(map[string]bool, len(list))
	return slices.DeleteFunc(slices.Clone(list), func(v string) bool {
		dup := seen[v]
		seen[v] = true
		return dup
	})
}
