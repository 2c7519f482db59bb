package iam

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/iam/policy"
)

// allowAll is what root may do in its own account.
var allowAll = mustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)

func mustParse(doc string) *policy.Document {
	d, err := policy.Parse(doc, policy.Identity)
	if err != nil {
		panic(err)
	}
	return d
}

// Authorize decides whether the call's principal may perform action on
// resource, with IAM's rules: an explicit deny in any policy wins, then an
// allow is needed from the identity-based policies (user with its groups,
// or role) and, for sessions with session policies, from those too. Root
// may do everything in its own account; a service acting for a customer
// is trusted. The denial is AccessDeniedException with AWS's wording.
func (s *Service) Authorize(ctx context.Context, call *awsproto.Call, action, resource string) error {
	id, err := s.evaluateIdentity(ctx, call, action, resource)
	if err != nil || id == nil || id.decision == policy.Allow {
		return err
	}
	return accessDenied(call.Principal.ARN, action, resource, id.reason.Phrase(action))
}

// identityDecision is the identity side of a call's authorization, kept
// with the request it judged so a resource-based policy can judge the
// same request (AuthorizeResource).
type identityDecision struct {
	cred     *Credential
	req      *policy.Request
	decision policy.Decision
	reason   policy.Reason
}

// evaluateIdentity evaluates the call's identity-based and session
// policies for action on resource. It returns nil for a service acting
// for a customer, which is trusted.
func (s *Service) evaluateIdentity(ctx context.Context, call *awsproto.Call, action, resource string) (*identityDecision, error) {
	cred, ok := call.Auth.(*Credential)
	if !ok {
		return nil, fmt.Errorf("authorize %s: call carries no credential", action)
	}
	if call.Principal.Type == awsproto.PrincipalAWSService {
		return nil, nil
	}
	identity, err := s.identityPolicies(ctx, cred)
	if err != nil {
		return nil, err
	}
	var session []*policy.Document
	if cred.restricted {
		if session, err = parseAll(cred.sessionDocs); err != nil {
			return nil, err
		}
		session = append([]*policy.Document{}, session...) // non-nil: sessions narrow
	}
	req := &policy.Request{Action: action, Resource: resource, Context: conditionContext(call, cred)}
	decision, reason := policy.EvaluateSession(req, identity, session)
	return &identityDecision{cred: cred, req: req, decision: decision, reason: reason}, nil
}

func accessDenied(arn, action, resource, why string) error {
	// The resource ARN holds names from the request: cut, as AWS cuts
	// the values its messages repeat.
	msg := fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", arn, action, awserr.Cut(resource, awserr.EchoLimit))
	if why != "" {
		msg += " " + why
	}
	return awserr.New(awserr.CodeAccessDenied, msg)
}

// identityPolicies gathers the identity-based policies behind a credential:
// a user's inline and attached policies and its groups'; a role's; root's
// implicit everything.
func (s *Service) identityPolicies(ctx context.Context, cred *Credential) ([]*policy.Document, error) {
	if cred.entityID == "" {
		return []*policy.Document{allowAll}, nil
	}
	owners := []string{cred.entityID}
	if strings.HasPrefix(cred.entityID, prefixUser) {
		groups, err := s.store.UserGroups(ctx, cred.entityID)
		if err != nil {
			return nil, err
		}
		for _, g := range groups {
			owners = append(owners, g.ID)
		}
	}
	var docs []string
	for _, id := range owners {
		d, err := s.ownerDocuments(ctx, id)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d...)
	}
	return parseAll(docs)
}

// ownerDocuments returns the inline policies of an entity and the default
// versions of the managed policies attached to it.
func (s *Service) ownerDocuments(ctx context.Context, ownerID string) ([]string, error) {
	inline, err := s.store.InlinePolicies(ctx, ownerID)
	if err != nil {
		return nil, err
	}
	docs := make([]string, 0, len(inline))
	for _, d := range inline {
		docs = append(docs, d)
	}
	arns, err := s.store.AttachedPolicies(ctx, ownerID)
	if err != nil {
		return nil, err
	}
	for _, arn := range arns {
		d, err := s.defaultDocument(ctx, arn)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
	return docs, nil
}

// defaultDocument returns the document in force of a managed policy, by
// ARN, whatever account the caller is in (attachments are checked when
// made).
func (s *Service) defaultDocument(ctx context.Context, arn string) (string, error) {
	if e := awsManagedEntity(arn); e != nil {
		return awsManaged[e.Name], nil
	}
	acct, _, name, ok := splitPolicyARN(arn)
	if !ok {
		return "", fmt.Errorf("attached policy %q has a bad ARN", arn)
	}
	e, err := s.store.Entity(ctx, acct, KindPolicy, name)
	if err != nil {
		return "", fmt.Errorf("load attached policy %s: %w", arn, err)
	}
	v, err := s.store.PolicyVersion(ctx, e.ID, e.Data.DefaultVersion)
	if err != nil {
		return "", fmt.Errorf("load attached policy %s: %w", arn, err)
	}
	return v.Document, nil
}

func parseAll(docs []string) ([]*policy.Document, error) {
	out := make([]*policy.Document, 0, len(docs))
	for _, d := range docs {
		doc, err := policy.Parse(d, policy.Identity)
		if err != nil {
			return nil, fmt.Errorf("stored policy no longer parses: %w", err)
		}
		out = append(out, doc)
	}
	return out, nil
}

// conditionContext returns the global condition keys of a call.
func conditionContext(call *awsproto.Call, cred *Credential) map[string][]string {
	p := call.Principal
	c := map[string][]string{
		"aws:CurrentTime":      {call.Time.UTC().Format("2006-01-02T15:04:05Z")},
		"aws:EpochTime":        {strconv.FormatInt(call.Time.Unix(), 10)},
		"aws:PrincipalAccount": {p.AccountID},
		"aws:PrincipalArn":     {principalARN(p)},
		"aws:PrincipalType":    {principalType(p)},
		"aws:userid":           {p.PrincipalID},
		"aws:RequestedRegion":  {call.Region},
		"aws:SecureTransport":  {strconv.FormatBool(call.TLS != nil)},
	}
	if call.SourceIP != "" {
		c["aws:SourceIp"] = []string{call.SourceIP}
	}
	if call.UserAgent != "" {
		c["aws:UserAgent"] = []string{call.UserAgent}
	}
	if p.Type == awsproto.PrincipalIAMUser {
		c["aws:username"] = []string{p.UserName}
	}
	if p.Session != nil {
		// Only temporary credentials carry the MFA key, as in IAM.
		c["aws:MultiFactorAuthPresent"] = []string{strconv.FormatBool(p.Session.MFA)}
		c["aws:TokenIssueTime"] = []string{cred.tokenIssued.UTC().Format("2006-01-02T15:04:05Z")}
		if p.Session.SourceIdentity != "" {
			c["aws:SourceIdentity"] = []string{p.Session.SourceIdentity}
		}
	}
	return c
}

// principalARN is aws:PrincipalArn: for a role session, the role's ARN.
func principalARN(p *awsproto.Principal) string {
	if p.Type == awsproto.PrincipalAssumedRole && p.Session != nil && p.Session.Issuer != nil {
		return p.Session.Issuer.ARN
	}
	return p.ARN
}

// principalType is aws:PrincipalType.
func principalType(p *awsproto.Principal) string {
	switch p.Type {
	case awsproto.PrincipalRoot:
		return "Account"
	case awsproto.PrincipalIAMUser:
		return "User"
	}
	return p.Type
}
