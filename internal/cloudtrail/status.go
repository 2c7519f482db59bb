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
	// GetTrailStatusOutput holds the logging and delivery state.
	GetTrailStatusOutput struct {
		IsLogging           bool       `json:"IsLogging"`
		LatestDeliveryError string     `json:"LatestDeliveryError,omitempty"`
		LatestDeliveryTime  *time.Time `json:"LatestDeliveryTime,omitempty"`
		StartLoggingTime    *time.Time `json:"StartLoggingTime,omitempty"`
		StopLoggingTime     *time.Time `json:"StopLoggingTime,omitempty"`
		// SNS notifications of deliveries.
		LatestNotificationError string     `json:"LatestNotificationError,omitempty"`
		LatestNotificationTime  *time.Time `json:"LatestNotificationTime,omitempty"`
		// Digest files (log file validation).
		LatestDigestDeliveryError string     `json:"LatestDigestDeliveryError,omitempty"`
		LatestDigestDeliveryTime  *time.Time `json:"LatestDigestDeliveryTime,omitempty"`
		// The deprecated string forms; "" when never.
		LatestDeliveryAttemptTime          string `json:"LatestDeliveryAttemptTime"`
		LatestDeliveryAttemptSucceeded     string `json:"LatestDeliveryAttemptSucceeded"`
		TimeLoggingStarted                 string `json:"TimeLoggingStarted"`
		TimeLoggingStopped                 string `json:"TimeLoggingStopped"`
		LatestNotificationAttemptTime      string `json:"LatestNotificationAttemptTime"`
		LatestNotificationAttemptSucceeded string `json:"LatestNotificationAttemptSucceeded"`
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
	st, d := t.Status, t.Status.Delivery
	return &GetTrailStatusOutput{IsLogging: st.IsLogging, LatestDeliveryError: d.LatestError,
		LatestDeliveryTime: timePtr(d.LatestDelivery), StartLoggingTime: timePtr(st.StartLoggingTime),
		StopLoggingTime: timePtr(st.StopLoggingTime), LatestDeliveryAttemptTime: isoTime(d.LatestAttempt),
		LatestDeliveryAttemptSucceeded: attemptSucceeded(d), TimeLoggingStarted: isoTime(st.StartLoggingTime),
		TimeLoggingStopped: isoTime(st.StopLoggingTime), LatestNotificationError: d.LatestNotificationError,
		LatestNotificationTime: timePtr(d.LatestNotification), LatestNotificationAttemptTime: isoTime(d.LatestNotificationAttempt),
		LatestNotificationAttemptSucceeded: notificationSucceeded(d), LatestDigestDeliveryError: d.LatestDigestError,
		LatestDigestDeliveryTime: timePtr(d.LatestDigest)}, nil
}

// attemptSucceeded is the deprecated LatestDeliveryAttemptSucceeded: the
// time of the last attempt when it succeeded, "" otherwise (AWS's
// documented form is a timestamp string too).
func attemptSucceeded(d DeliveryStatus) string {
	if !d.LatestAttemptSucceeded {
		return ""
	}
	return isoTime(d.LatestAttempt)
}

// notificationSucceeded is the deprecated
// LatestNotificationAttemptSucceeded, like attemptSucceeded.
func notificationSucceeded(d DeliveryStatus) string {
	if d.LatestNotificationError != "" {
		return ""
	}
	return isoTime(d.LatestNotificationAttempt)
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
