// Package iam is deploytrail's identity layer: accounts, IAM users, groups,
// roles, access keys and policies, STS sessions, the credential lookup
// SigV4 verification needs, and authorization of every operation of every
// service. It serves the IAM and STS APIs (AWS Query protocol).
//
// It imports awserr, awsproto and its own policy language; never another
// service or the store (which implements Store).
package iam

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// Defaults of IAM list operations.
const (
	defaultMaxItems = 100
)

// Service implements IAM and STS.
type Service struct {
	store Store
	// Now is the clock; tests replace it.
	Now func() time.Time

	IAM *awsproto.Service
	STS *awsproto.Service

	keyUse sync.Map // access key id → time its last use was written
}

// New returns the IAM and STS service backed by store.
func New(store Store) *Service {
	// The decoy is hashed now, in the background, so that no sign-in pays
	// for it (its time would tell) and start-up does not wait for its
	// 32 MiB scrypt either: a sign-in in the first moments waits for it.
	go decoyHash()
	s := &Service{store: store, Now: time.Now}
	s.IAM = &awsproto.Service{
		Name: "iam", EventSource: "iam.amazonaws.com", Protocol: awsproto.Query,
		Model: awsproto.MustLoadModel("iam"), ValidationCode: CodeValidation, GlobalRegion: "us-east-1",
	}
	s.STS = &awsproto.Service{
		Name: "sts", EventSource: "sts.amazonaws.com", Protocol: awsproto.Query,
		Model: awsproto.MustLoadModel("sts"), ValidationCode: CodeValidation, GlobalRegion: "us-east-1",
	}
	s.registerUsers()
	s.registerGroups()
	s.registerRoles()
	s.registerAccessKeys()
	s.registerInlinePolicies()
	s.registerManagedPolicies()
	s.registerLoginProfiles()
	s.registerAccountAliases()
	s.registerSTS()
	s.IAM.Authorize(iamResources)
	return s
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Second) }

// account is the account the call in ctx acts in.
func account(ctx context.Context) string {
	return awsproto.CallFromContext(ctx).Account()
}

// entity loads an entity of the caller's account, answering NoSuchEntity.
func (s *Service) entity(ctx context.Context, kind Kind, name string) (*Entity, error) {
	e, err := s.store.Entity(ctx, account(ctx), kind, name)
	if errors.Is(err, ErrNotFound) {
		return nil, noSuchEntity(kind, name)
	}
	return e, err
}

// insertEntity creates e, answering EntityAlreadyExists.
func (s *Service) insertEntity(ctx context.Context, e *Entity) error {
	err := s.store.InsertEntity(ctx, e)
	if errors.Is(err, ErrExists) {
		return alreadyExists(e.Kind, e.Name)
	}
	return err
}

// page is one page of an IAM list: Marker/MaxItems in, IsTruncated/Marker out.
type page struct {
	IsTruncated bool
	Marker      string `json:",omitempty"`
}

// listEntities pages through entities of a kind with IAM's Marker rules.
func (s *Service) listEntities(ctx context.Context, kind Kind, pathPrefix, marker string, maxItems int) ([]*Entity, page, error) {
	after, err := decodeMarker(marker)
	if err != nil {
		return nil, page{}, err
	}
	if pathPrefix == "" {
		pathPrefix = "/"
	}
	if maxItems == 0 {
		maxItems = defaultMaxItems
	}
	list, more, err := s.store.ListEntities(ctx, account(ctx), kind, pathPrefix, after, maxItems)
	if err != nil || !more {
		return list, page{}, err
	}
	return list, page{IsTruncated: true, Marker: encodeMarker(list[len(list)-1].Name)}, nil
}

// Markers are opaque to clients; they carry the last name of a page.
func encodeMarker(name string) string { return base64.RawURLEncoding.EncodeToString([]byte(name)) }

func decodeMarker(marker string) (string, error) {
	if marker == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(marker)
	if err != nil {
		return "", awserr.New(CodeInvalidInput, "Invalid Marker.")
	}
	return string(b), nil
}

// pageOf slices a list sorted by name (inline policy names, group members
// and the like) with the same Marker rules as the store's lists.
func pageOf[T any](items []T, name func(T) string, marker string, maxItems int) ([]T, page, error) {
	after, err := decodeMarker(marker)
	if err != nil {
		return nil, page{}, err
	}
	if maxItems == 0 {
		maxItems = defaultMaxItems
	}
	start := 0
	for after != "" && start < len(items) && strings.ToLower(name(items[start])) <= strings.ToLower(after) {
		start++
	}
	items = items[start:]
	if len(items) <= maxItems {
		return items, page{}, nil
	}
	items = items[:maxItems]
	return items, page{IsTruncated: true, Marker: encodeMarker(name(items[len(items)-1]))}, nil
}

func pageEntities(list []*Entity, marker string, maxItems int) ([]*Entity, page, error) {
	return pageOf(list, func(e *Entity) string { return e.Name }, marker, maxItems)
}

func pageNames(names []string, marker string, maxItems int) ([]string, page, error) {
	return pageOf(names, func(n string) string { return n }, marker, maxItems)
}

func defaultPath(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// SessionSweepInterval is how often app runs SweepSessions.
const SessionSweepInterval = time.Hour

// SweepSessions deletes STS sessions that expired over an hour ago. A
// failed sweep may wait for the next: expired sessions are refused
// whether or not they were swept.
func (s *Service) SweepSessions(ctx context.Context) error {
	return s.store.DeleteSessionsBefore(ctx, s.Now().Add(-time.Hour))
}
