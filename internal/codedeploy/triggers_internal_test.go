package codedeploy

import (
	"slices"
	"testing"
	"time"
)

// Each status change fires the trigger events of spec §6.11.
func TestDeploymentTriggers(t *testing.T) {
	rolled := &RollbackInfo{RollbackDeploymentID: "d-ROLLBACK1"}
	for _, tt := range []struct {
		was, now DeploymentInfo
		want     []string
	}{
		{DeploymentInfo{Status: StatusCreated}, DeploymentInfo{Status: StatusInProgress}, []string{"DeploymentStart"}},
		{DeploymentInfo{Status: StatusInProgress}, DeploymentInfo{Status: StatusSucceeded}, []string{"DeploymentSuccess"}},
		{DeploymentInfo{Status: StatusInProgress}, DeploymentInfo{Status: StatusStopped}, []string{"DeploymentStop"}},
		{DeploymentInfo{Status: StatusInProgress}, DeploymentInfo{Status: StatusFailed, RollbackInfo: rolled}, []string{"DeploymentFailure", "DeploymentRollback"}},
		{DeploymentInfo{Status: StatusFailed, RollbackInfo: rolled}, DeploymentInfo{Status: StatusFailed, RollbackInfo: rolled}, nil},
		{DeploymentInfo{Status: StatusInProgress}, DeploymentInfo{Status: StatusInProgress}, nil},
	} {
		if got := deploymentTriggers(&tt.was, &tt.now); !slices.Equal(got, tt.want) {
			t.Errorf("%s → %s: %v, want %v", tt.was.Status, tt.now.Status, got, tt.want)
		}
	}
}

func TestInstanceTriggers(t *testing.T) {
	started := []LifecycleEvent{{LifecycleEventName: "ApplicationStop", StartTime: time.Unix(1, 0)}}
	for _, tt := range []struct {
		was    string
		target InstanceTarget
		want   []string
	}{
		{StatusPending, InstanceTarget{Status: StatusInProgress, LifecycleEvents: started}, []string{"InstanceStart"}},
		{StatusInProgress, InstanceTarget{Status: StatusSucceeded, LifecycleEvents: started}, []string{"InstanceSuccess"}},
		{StatusPending, InstanceTarget{Status: StatusFailed, LifecycleEvents: started}, []string{"InstanceStart", "InstanceFailure"}},
		{StatusPending, InstanceTarget{Status: StatusSkipped}, nil}, // never started: no event
		{StatusInProgress, InstanceTarget{Status: StatusInProgress, LifecycleEvents: started}, nil},
	} {
		if got := instanceTriggers(tt.was, &tt.target); !slices.Equal(got, tt.want) {
			t.Errorf("%s → %s: %v, want %v", tt.was, tt.target.Status, got, tt.want)
		}
	}
}

func TestUpperStatus(t *testing.T) {
	for in, want := range map[string]string{"InProgress": "IN_PROGRESS", "Succeeded": "SUCCEEDED", "Stopped": "STOPPED"} {
		if got := upperStatus(in); got != want {
			t.Errorf("upperStatus(%s)=%s, want %s", in, got, want)
		}
	}
}
