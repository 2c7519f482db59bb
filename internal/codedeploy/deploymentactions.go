package codedeploy

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// The actions on a deployment after it is created: stopping it, moving a
// blue/green deployment past its waits, and reporting Lambda/ECS hooks.

// Exceptions only the deployment actions raise.
const (
	CodeDeploymentAlreadyCompleted  = "DeploymentAlreadyCompletedException"
	CodeUnsupportedDeploymentAction = "UnsupportedActionForDeploymentTypeException"
	CodeDeploymentNotReady          = "DeploymentIsNotInReadyStateException"
	CodeInvalidDeploymentWaitType   = "InvalidDeploymentWaitTypeException"
	CodeInvalidHookExecutionStatus  = "InvalidLifecycleEventHookExecutionStatusException"
	CodeInvalidHookExecutionID      = "InvalidLifecycleEventHookExecutionIdException"
)

// StopDeployment's answers (StopStatus) and AWS's message for a stop that
// took effect at once.
const (
	stopPending     = "Pending"
	stopSucceeded   = "Succeeded"
	stopDoneMessage = "No more commands will be scheduled for execution in the deployment instances"
	stopWaitMessage = "The deployment will stop once the lifecycle events in progress complete"
)

type (
	// StopDeploymentInput names the deployment to stop; autoRollbackEnabled
	// absent means "as the rollback configuration says".
	StopDeploymentInput struct {
		DeploymentID        string `json:"deploymentId"`
		AutoRollbackEnabled *bool  `json:"autoRollbackEnabled"`
	}
	// StopDeploymentOutput says whether the stop took effect (Succeeded) or
	// waits for running lifecycle events (Pending).
	StopDeploymentOutput struct {
		Status        string `json:"status"`
		StatusMessage string `json:"statusMessage"`
	}
	// ContinueDeploymentInput resumes a waiting blue/green deployment.
	ContinueDeploymentInput struct {
		DeploymentID       string `json:"deploymentId"`
		DeploymentWaitType string `json:"deploymentWaitType"`
	}
	// SkipWaitTimeInput names a blue/green deployment.
	SkipWaitTimeInput struct {
		DeploymentID string `json:"deploymentId"`
	}
	// PutHookStatusInput reports a Lambda/ECS validation hook's outcome.
	PutHookStatusInput struct {
		DeploymentID                  string `json:"deploymentId"`
		LifecycleEventHookExecutionID string `json:"lifecycleEventHookExecutionId"`
		Status                        string `json:"status"`
	}
	// PutHookStatusOutput echoes the hook execution id.
	PutHookStatusOutput struct {
		LifecycleEventHookExecutionID string `json:"lifecycleEventHookExecutionId"`
	}
)

func (s *Service) registerDeploymentActions() {
	awsproto.Handle(s.API, "StopDeployment", s.StopDeployment)
	awsproto.Handle(s.API, "ContinueDeployment", s.ContinueDeployment)
	awsproto.Handle(s.API, "SkipWaitTimeForInstanceTermination", s.SkipWaitTimeForInstanceTermination)
	awsproto.Handle(s.API, "PutLifecycleEventHookExecutionStatus", s.PutLifecycleEventHookExecutionStatus)
}

// StopDeployment stops a deployment (spec §4.5, §6.9 for the rollback).
func (s *Service) StopDeployment(ctx context.Context, in *StopDeploymentInput) (*StopDeploymentOutput, error) {
	var waiting bool
	err := s.store.Tx(ctx, func(ctx context.Context) error {
		d, err := s.deployment(ctx, in.DeploymentID)
		if err != nil {
			return err
		}
		if err := checkActive(d); err != nil {
			return err
		}
		if _, err := s.store.DeploymentGroupByID(ctx, d.GroupID); errors.Is(err, ErrNotFound) {
			return errorf(CodeDeploymentGroupDoesNotExist, "The deployment group %s of deployment %s no longer exists.", d.Info.DeploymentGroupName, d.Info.DeploymentID)
		} else if err != nil {
			return err
		}
		rollback := rollsBack(&d.Info, StatusStopped, manualStop())
		if in.AutoRollbackEnabled != nil {
			rollback = *in.AutoRollbackEnabled && d.Info.Creator != CreatorRollback
		}
		waiting, err = s.stop(ctx, d, rollback)
		return err
	})
	s.Wake()
	switch {
	case err != nil:
		return nil, err
	case waiting:
		return &StopDeploymentOutput{Status: stopPending, StatusMessage: stopWaitMessage}, nil
	}
	return &StopDeploymentOutput{Status: stopSucceeded, StatusMessage: stopDoneMessage}, nil
}

// checkActive refuses a deployment that has ended.
func checkActive(d *Deployment) error {
	if !slices.Contains(activeStatuses, d.Info.Status) {
		return errorf(CodeDeploymentAlreadyCompleted, "The deployment %s has already completed.", d.Info.DeploymentID)
	}
	return nil
}

// checkBlueGreen refuses the blue/green-only actions on in-place
// deployments.
func checkBlueGreen(d *Deployment) error {
	if !isBlueGreen(d.Info.DeploymentStyle) {
		return errorf(CodeUnsupportedDeploymentAction, "The deployment %s is an in-place deployment; this action is only supported for blue/green deployments.", d.Info.DeploymentID)
	}
	return nil
}

// ContinueDeployment lets a blue/green deployment waiting in Ready reroute
// traffic (READY_WAIT), or end its wait before terminating the original
// instances (TERMINATION_WAIT). Checks run id, wait type, completion, then
// deployment type: an ended in-place deployment reports that it ended.
func (s *Service) ContinueDeployment(ctx context.Context, in *ContinueDeploymentInput) (*done, error) {
	return ok, s.store.Tx(ctx, func(ctx context.Context) error {
		d, err := s.deployment(ctx, in.DeploymentID)
		if err != nil {
			return err
		}
		wait := cmp.Or(in.DeploymentWaitType, "READY_WAIT")
		if wait != "READY_WAIT" && wait != "TERMINATION_WAIT" {
			return errorf(CodeInvalidDeploymentWaitType, "Invalid deployment wait type: %s", wait)
		}
		if err := cmp.Or(checkActive(d), checkBlueGreen(d)); err != nil {
			return err
		}
		switch {
		case wait == "READY_WAIT" && d.Info.Status != StatusReady:
			return errorf(CodeDeploymentNotReady, "The deployment %s is not in the Ready state.", d.Info.DeploymentID)
		case wait == "READY_WAIT":
			d.Info.Status = StatusInProgress
		case !d.Info.InstanceTerminationWaitTimeStarted:
			return errorf(CodeInvalidDeploymentStatus, "The deployment %s is not waiting to terminate the original instances.", d.Info.DeploymentID)
		default:
			d.Info.InstanceTerminationWaitTimeStarted = false
		}
		return s.store.UpdateDeployment(ctx, d)
	})
}

// SkipWaitTimeForInstanceTermination (deprecated) ends a blue/green
// deployment's wait before terminating the original instances. Checks run
// id, not started, completion, then deployment type.
func (s *Service) SkipWaitTimeForInstanceTermination(ctx context.Context, in *SkipWaitTimeInput) (*done, error) {
	return ok, s.store.Tx(ctx, func(ctx context.Context) error {
		d, err := s.deployment(ctx, in.DeploymentID)
		if err != nil {
			return err
		}
		if err := cmp.Or(checkStarted(d), checkActive(d), checkBlueGreen(d)); err != nil || !d.Info.InstanceTerminationWaitTimeStarted {
			return err
		}
		d.Info.InstanceTerminationWaitTimeStarted = false
		return s.store.UpdateDeployment(ctx, d)
	})
}

// PutLifecycleEventHookExecutionStatus reports a Lambda or ECS validation
// hook's outcome. Lambda and ECS deployments are not executed here, so no
// hook execution ever exists: a well-formed report of one is refused with
// InvalidLifecycleEventHookExecutionIdException.
func (s *Service) PutLifecycleEventHookExecutionStatus(ctx context.Context, in *PutHookStatusInput) (*PutHookStatusOutput, error) {
	d, err := s.deployment(ctx, in.DeploymentID)
	if err != nil {
		return nil, err
	}
	switch {
	case d.Info.ComputePlatform == PlatformServer:
		return nil, errorf(CodeUnsupportedDeploymentAction, "Lifecycle event hooks are only supported for Lambda and ECS deployments.")
	case in.Status != StatusSucceeded && in.Status != StatusFailed:
		return nil, errorf(CodeInvalidHookExecutionStatus, "The status must be Succeeded or Failed, not %s.", in.Status)
	}
	return nil, errorf(CodeInvalidHookExecutionID, "No lifecycle event hook execution %s was found for deployment %s.", in.LifecycleEventHookExecutionID, d.Info.DeploymentID)
}
