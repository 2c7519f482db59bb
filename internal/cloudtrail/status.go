package cloudtrail

import (
	"context"
	"fmt"
	"time"
)

type (
	// NameInput is the input of the operations that take only a trail's
	// Name: GetTrailStatus, StartLogging, StopLogging.
	NameInput struct {
		Name string `json:"Name"`
	}
	// GetTrailStatusOutput holds the logging state. The delivery members
	// come with delivery.
	GetTrailStatusOutput struct {
		IsLogging        bool       `json:"IsLogging"`
		StartLoggingTime *time.Time `json:"StartLoggingTime,omitempty"`
		StopLoggingTime  *time.Time `json:"StopLoggingTime,omitempty"`
		// The deprecated string forms; "" when never.
		TimeLoggingStarted string `json:"TimeLoggingStarted"`
		TimeLoggingStopped string `json:"TimeLoggingStopped"`
	}
)

// GetTrailStatus reports whether a trail logs and since when.
//
// Errors: TrailNotFoundException, InvalidTrailNameException,
// CloudTrailARNInvalidException.
func (s *Service) GetTrailStatus(ctx context.Context, in *NameInput) (*GetTrailStatusOutput, error) {
	t, _, err := s.findToRead(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	st := t.Status
	return &GetTrailStatusOutput{IsLogging: st.IsLogging, StartLoggingTime: timePtr(st.StartLoggingTime),
		StopLoggingTime: timePtr(st.StopLoggingTime), TimeLoggingStarted: isoTime(st.StartLoggingTime),
		TimeLoggingStopped: isoTime(st.StopLoggingTime)}, nil
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// isoTime is the deprecated string form of a time: 2015-09-01T20:35:57Z.
func isoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// StartLogging makes a trail log. Starting a logging trail changes
// nothing.
//
// Errors: TrailNotFoundException, InvalidTrailNameException,
// CloudTrailARNInvalidException, InvalidHomeRegionException,
// NotOrganizationMasterAccountException.
func (s *Service) StartLogging(ctx context.Context, in *NameInput) (*done, error) {
	return s.setLogging(ctx, in.Name, true)
}

// StopLogging makes a trail stop logging; stopping a stopped trail
// changes nothing. Errors: those of StartLogging.
func (s *Service) StopLogging(ctx context.Context, in *NameInput) (*done, error) {
	return s.setLogging(ctx, in.Name, false)
}

func (s *Service) setLogging(ctx context.Context, name string, on bool) (*done, error) {
	t, _, err := s.findToChange(ctx, name)
	if err != nil {
		return nil, err
	}
	if t.Status.IsLogging == on {
		return ok, nil
	}
	t.Status.IsLogging = on
	if now := s.Now().UTC().Truncate(time.Millisecond); on {
		t.Status.StartLoggingTime = now
	} else {
		t.Status.StopLoggingTime = now
	}
	if err := s.store.UpdateTrail(ctx, t); err != nil {
		return nil, fmt.Errorf("update trail: %w", err)
	}
	return ok, nil
}
