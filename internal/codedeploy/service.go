// Package codedeploy serves the AWS CodeDeploy API (JSON 1.1,
// CodeDeploy_20141006): applications, deployment configs and groups,
// revisions, deployments with their instance targets, on-premises
// instances, tags and GitHub token names. Resources live per account and
// region. Deployments are created here in state Created with their targets
// chosen; the deployment engine (Engine, engine*.go) runs them through the
// host command queue (commands.go) that agents are served from.
//
// It imports awserr and awsproto; the store implements Store.
package codedeploy

import (
	"context"
	"time"

	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/pagetoken"
)

// Service implements CodeDeploy.
type Service struct {
	store  Store
	tokens tokens
	// Now is the clock; tests replace it.
	Now func() time.Time

	API *awsproto.Service
	// OnBehalf records a call the service makes on a customer's behalf
	// (an automatic rollback's CreateDeployment) as a CloudTrail event, in
	// the transaction of ctx; app sets it.
	OnBehalf func(ctx context.Context, sc Scope, op string, in, out any) error
	// PublishTrigger publishes the groups' trigger notifications
	// (triggers.go); app sets it.
	PublishTrigger TriggerPublisher
	// UseServiceRole records that the service assumes a group's service
	// role for a deployment that starts (session named after it), in the
	// transaction of ctx; app sets it.
	UseServiceRole func(ctx context.Context, sc Scope, roleARN, session string) error
	// Revisions is where CreateDeployment checks S3 revisions' objects
	// (revisionstore.go); nil checks nothing. app sets it.
	Revisions RevisionStore

	// wake tells the engines there is work (see Wake).
	wake chan struct{}
	// bell tells waiting polls that the engine may have queued host
	// commands (commandservice.go).
	bell commandBell
}

// New returns the CodeDeploy service. tokenKey signs pagination tokens; it
// must stay the same across restarts for tokens to stay valid.
func New(store Store, tokenKey []byte) *Service {
	s := &Service{tokens: tokens{sealer: pagetoken.Sealer{Key: tokenKey}}, Now: time.Now, wake: make(chan struct{}, 1)}
	s.store = triggerStore{Store: store, s: s}
	s.API = &awsproto.Service{Name: "codedeploy", EventSource: "codedeploy.amazonaws.com", Protocol: awsproto.JSON,
		Model: awsproto.MustLoadModel("codedeploy"), ValidationCode: CodeInvalidInput, OwnValidation: true}
	s.registerApplications()
	s.registerConfigs()
	s.registerRevisions()
	s.registerGroups()
	s.registerDeployments()
	s.registerDeploymentActions()
	s.registerTargets()
	s.registerInstances()
	s.registerTagging()
	s.registerGitHub()
	resources := s.resources()
	for op := range resources {
		if s.API.Op(op) == nil {
			delete(resources, op) // TestEveryOperationIsServed catches what is missing
		}
	}
	s.API.Authorize(resources)
	return s
}

// now is the service clock at millisecond precision, what the wire keeps.
func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Millisecond) }

// done is the empty output of operations that return {}.
type done struct{}

// ok is how operations without output answer success.
var ok = &done{}

// sameScope is a guard for records read by id: another account's or
// region's record is as good as missing.
func sameScope(ctx context.Context, s Scope) bool { return scope(ctx) == s }
