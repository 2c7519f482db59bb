package cloudtrail

import (
	"context"
	"encoding/base64"
	"time"
)

// PublicKey is a digest signing key as ListPublicKeys lists it.
type PublicKey struct {
	Value             []byte // PKCS#1 RSAPublicKey DER
	ValidityStartTime time.Time
	ValidityEndTime   time.Time
	Fingerprint       string
}

// PublicKeys lists a region's digest signing keys; app wires in the key
// ring.
type PublicKeys interface {
	// PublicKeys returns the region's keys valid at some time in
	// [start, end].
	PublicKeys(ctx context.Context, region string, start, end time.Time) ([]PublicKey, error)
}

type (
	ListPublicKeysInput struct {
		StartTime *time.Time `json:"StartTime"`
		EndTime   *time.Time `json:"EndTime"`
		NextToken string     `json:"NextToken"`
	}
	ListPublicKeysOutput struct {
		PublicKeyList []PublicKeyInfo `json:"PublicKeyList"`
	}
	PublicKeyInfo struct {
		Value             string    `json:"Value"` // base64, as the JSON protocol carries blobs
		ValidityStartTime time.Time `json:"ValidityStartTime"`
		ValidityEndTime   time.Time `json:"ValidityEndTime"`
		Fingerprint       string    `json:"Fingerprint"`
	}
)

// ListPublicKeys lists the keys that sign the caller's region's digests
// and were valid at some time in [StartTime, EndTime] (both default to
// now), so that digests can be verified (spec §9.7). All keys fit in one
// page, so NextToken is never returned and a given one is refused.
//
// Errors: InvalidTimeRangeException, InvalidTokenException.
func (s *Service) ListPublicKeys(ctx context.Context, in *ListPublicKeysInput) (*ListPublicKeysOutput, error) {
	call, err := callOf(ctx)
	if err != nil {
		return nil, err
	}
	if in.NextToken != "" {
		return nil, errorf(CodeInvalidToken, "Reserved for future use.")
	}
	now := s.Now().UTC()
	start, end := now, now
	if in.StartTime != nil {
		start = *in.StartTime
	}
	if in.EndTime != nil {
		end = *in.EndTime
	}
	if start.After(end) {
		return nil, errorf(CodeInvalidTimeRange, "Start time must be before end time.")
	}
	out := &ListPublicKeysOutput{PublicKeyList: []PublicKeyInfo{}}
	if s.Keys == nil {
		return out, nil
	}
	keys, err := s.Keys.PublicKeys(ctx, call.Region, start, end)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		out.PublicKeyList = append(out.PublicKeyList, PublicKeyInfo{Value: base64.StdEncoding.EncodeToString(k.Value),
			ValidityStartTime: k.ValidityStartTime, ValidityEndTime: k.ValidityEndTime, Fingerprint: k.Fingerprint})
	}
	return out, nil
}
