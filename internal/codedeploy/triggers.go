package codedeploy

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TriggerPublisher publishes one trigger notification to an SNS topic on
// the customer's behalf, for a deployment group, in the transaction of
// ctx (spec §6.11, §13). app sets it; nil sends nothing.
type TriggerPublisher func(ctx context.Context, sc Scope, groupARN, topicARN, subject, message string) error

// Trigger event types (TriggerEventType).
const (
	triggerDeploymentStart    = "DeploymentStart"
	triggerDeploymentSuccess  = "DeploymentSuccess"
	triggerDeploymentFailure  = "DeploymentFailure"
	triggerDeploymentStop     = "DeploymentStop"
	triggerDeploymentRollback = "DeploymentRollback"
	triggerInstanceStart      = "InstanceStart"
	triggerInstanceSuccess    = "InstanceSuccess"
	triggerInstanceFailure    = "InstanceFailure"
)

// triggerStore is the Store the service works through: it sees every
// deployment and target status change as it is written, and publishes
// the triggers they fire in the same transaction, whichever code path
// made the change.
type triggerStore struct {
	Store
	s *Service
}

func (ts triggerStore) UpdateDeployment(ctx context.Context, d *Deployment) error {
	g, err := ts.s.triggeredGroup(ctx, d.GroupID, deploymentEvents)
	if err != nil {
		return err
	}
	if g == nil {
		return ts.Store.UpdateDeployment(ctx, d)
	}
	old, err := ts.Store.Deployment(ctx, d.Info.DeploymentID)
	if err != nil {
		return err
	}
	if err := ts.Store.UpdateDeployment(ctx, d); err != nil {
		return err
	}
	return ts.s.fire(ctx, g, d, deploymentTriggers(&old.Info, &d.Info), nil)
}

func (ts triggerStore) PutTargets(ctx context.Context, deploymentID string, targets []*InstanceTarget) error {
	d, err := ts.Store.Deployment(ctx, deploymentID)
	if errors.Is(err, ErrNotFound) { // targets stored before their deployment
		return ts.Store.PutTargets(ctx, deploymentID, targets)
	}
	if err != nil {
		return err
	}
	g, err := ts.s.triggeredGroup(ctx, d.GroupID, instanceEvents)
	if err != nil {
		return err
	}
	if g == nil {
		return ts.Store.PutTargets(ctx, deploymentID, targets)
	}
	old, err := ts.Store.Targets(ctx, deploymentID)
	if err != nil {
		return err
	}
	if err := ts.Store.PutTargets(ctx, deploymentID, targets); err != nil {
		return err
	}
	was := map[string]string{}
	for _, t := range old {
		was[t.TargetID] = t.Status
	}
	for _, t := range targets {
		if err := ts.s.fire(ctx, g, d, instanceTriggers(was[t.TargetID], t), t); err != nil {
			return err
		}
	}
	return nil
}

var (
	deploymentEvents = []string{triggerDeploymentStart, triggerDeploymentSuccess, triggerDeploymentFailure, triggerDeploymentStop, triggerDeploymentRollback}
	instanceEvents   = []string{triggerInstanceStart, triggerInstanceSuccess, triggerInstanceFailure}
)

// triggeredGroup returns the group when one of its triggers lists one of
// events, else nil: without triggers a write costs no extra reads of
// what it replaces.
func (s *Service) triggeredGroup(ctx context.Context, groupID string, events []string) (*DeploymentGroup, error) {
	if s.PublishTrigger == nil {
		return nil, nil
	}
	g, err := s.store.DeploymentGroupByID(ctx, groupID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for _, tc := range g.Info.TriggerConfigurations {
		if slices.ContainsFunc(tc.TriggerEvents, func(e string) bool { return slices.Contains(events, e) }) {
			return g, nil
		}
	}
	return nil, nil
}

// deploymentTriggers are the events a deployment's change fires.
func deploymentTriggers(was, now *DeploymentInfo) []string {
	var out []string
	if was.Status != now.Status {
		switch now.Status {
		case StatusInProgress:
			out = append(out, triggerDeploymentStart)
		case StatusSucceeded:
			out = append(out, triggerDeploymentSuccess)
		case StatusFailed:
			out = append(out, triggerDeploymentFailure)
		case StatusStopped:
			out = append(out, triggerDeploymentStop)
		}
	}
	if rollbackID(now) != "" && rollbackID(was) == "" {
		out = append(out, triggerDeploymentRollback)
	}
	return out
}

func rollbackID(d *DeploymentInfo) string {
	if d.RollbackInfo == nil {
		return ""
	}
	return d.RollbackInfo.RollbackDeploymentID
}

// instanceTriggers are the events a target's change from status was
// fires; a target that ends in the write that starts it fires both.
func instanceTriggers(was string, t *InstanceTarget) []string {
	if was == t.Status {
		return nil
	}
	var out []string
	started := slices.ContainsFunc(t.LifecycleEvents, func(e LifecycleEvent) bool { return !e.StartTime.IsZero() })
	if was == StatusPending && started && t.Status != StatusSkipped {
		out = append(out, triggerInstanceStart)
	}
	switch t.Status {
	case StatusSucceeded:
		out = append(out, triggerInstanceSuccess)
	case StatusFailed:
		out = append(out, triggerInstanceFailure)
	}
	return out
}

// fire publishes each event to every trigger of d's group g that lists
// it; t is the target of instance events.
func (s *Service) fire(ctx context.Context, g *DeploymentGroup, d *Deployment, events []string, t *InstanceTarget) error {
	groupARN := d.Scope.GroupARN(d.Info.ApplicationName, g.Info.DeploymentGroupName)
	for _, event := range events {
		for _, tc := range g.Info.TriggerConfigurations {
			if !slices.Contains(tc.TriggerEvents, event) {
				continue
			}
			subject, msg := deploymentNotification(d, tc.TriggerName)
			if t != nil {
				subject, msg = instanceNotification(d, t, tc.TriggerName)
			}
			if err := s.PublishTrigger(ctx, d.Scope, groupARN, tc.TriggerTargetARN, subject, msg); err != nil {
				return err
			}
		}
	}
	return nil
}

// notificationTime is how trigger messages write times: Java's
// Date.toString, which JavaScript's Date parses.
func notificationTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("Mon Jan 02 15:04:05 UTC 2006")
}

// upperStatus is a status as trigger messages write it: SUCCEEDED,
// IN_PROGRESS.
func upperStatus(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

// deploymentNotification is the subject and message of a deployment
// event (spec §13): deploymentOverview a JSON string of string counts,
// errorInformation with PascalCase keys.
func deploymentNotification(d *Deployment, trigger string) (subject, message string) {
	info := &d.Info
	o := info.DeploymentOverview
	if o == nil {
		o = &DeploymentOverview{}
	}
	overview, _ := json.Marshal(map[string]string{"Pending": strconv.Itoa(o.Pending), "InProgress": strconv.Itoa(o.InProgress),
		"Succeeded": strconv.Itoa(o.Succeeded), "Failed": strconv.Itoa(o.Failed), "Skipped": strconv.Itoa(o.Skipped),
		"Ready": strconv.Itoa(o.Ready)})
	m := map[string]any{"region": d.Region, "accountId": d.Account, "eventTriggerName": trigger,
		"applicationName": info.ApplicationName, "deploymentId": info.DeploymentID,
		"deploymentGroupName": info.DeploymentGroupName, "createTime": notificationTime(info.CreateTime),
		"completeTime": notificationTime(info.CompleteTime), "deploymentOverview": string(overview),
		"status": upperStatus(info.Status)}
	if e := info.ErrorInformation; e != nil {
		m["errorInformation"] = map[string]string{"ErrorCode": e.Code, "ErrorMessage": e.Message}
	}
	body, _ := json.Marshal(m)
	return upperStatus(info.Status) + ": AWS CodeDeploy " + info.DeploymentID + " in " + d.Region + " to " + info.ApplicationName, string(body)
}

// instanceNotification is the subject and message of an instance event
// (spec §13).
func instanceNotification(d *Deployment, t *InstanceTarget, trigger string) (subject, message string) {
	events := make([]map[string]string, 0, len(t.LifecycleEvents))
	for _, e := range t.LifecycleEvents {
		events = append(events, map[string]string{"LifecycleEvent": e.LifecycleEventName, "LifecycleEventStatus": e.Status,
			"StartTime": notificationTime(e.StartTime), "EndTime": notificationTime(e.EndTime)})
	}
	body, _ := json.Marshal(map[string]any{"region": d.Region, "accountId": d.Account, "eventTriggerName": trigger,
		"deploymentId": d.Info.DeploymentID, "instanceId": t.TargetARN, "lastUpdatedAt": notificationTime(t.LastUpdatedAt),
		"instanceStatus": t.Status, "lifecycleEvents": events})
	return upperStatus(t.Status) + ": AWS CodeDeploy " + d.Info.DeploymentID + " in " + d.Region + " to " + d.Info.ApplicationName +
		" instance " + t.TargetID, string(body)
}
