package iam

import (
	"context"
	"fmt"

	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/iam/policy"
)

// AuthorizeResource decides whether the call's principal may perform
// action on a resource that owner's account owns and that carries a
// resource-based policy (an S3 bucket policy; nil for none), with AWS's
// rules for the two together: an explicit Deny in either denies; within
// the owner's account an Allow in either suffices (for sessions with
// session policies, the identity side must allow); from another account
// both must allow. The denial is AccessDeniedException with AWS's
// wording.
func (s *Service) AuthorizeResource(ctx context.Context, call *awsproto.Call, action, resource, owner string, resourcePolicy *policy.Document) error {
	cred, ok := call.Auth.(*Credential)
	if !ok {
		return fmt.Errorf("authorize %s: call carries no credential", action)
	}
	p := call.Principal
	if p.Type == awsproto.PrincipalAWSService {
		return nil
	}
	identity, err := s.identityPolicies(ctx, cred)
	if err != nil {
		return err
	}
	var session []*policy.Document
	if cred.restricted {
		if session, err = parseAll(cred.sessionDocs); err != nil {
			return err
		}
		session = append([]*policy.Document{}, session...) // non-nil: sessions narrow
	}
	req := &policy.Request{Action: action, Resource: resource, Context: conditionContext(call, cred)}
	idDecision, reason := policy.EvaluateSession(req, identity, session)
	req.Principal.AWS = append(callerForms(p), "arn:aws:iam::"+p.AccountID+":root", p.AccountID)
	resDecision := policy.Evaluate(req, resourcePolicy)
	switch {
	case idDecision == policy.ExplicitDeny:
		return accessDenied(p.ARN, action, resource, reason.Phrase(action))
	case resDecision == policy.ExplicitDeny:
		return accessDenied(p.ARN, action, resource, "with an explicit deny in a resource-based policy")
	case idDecision == policy.Allow && (owner == p.AccountID || resDecision == policy.Allow):
		return nil
	case owner == p.AccountID && resDecision == policy.Allow && !cred.restricted:
		return nil
	case owner != p.AccountID && idDecision == policy.Allow:
		return accessDenied(p.ARN, action, resource, "because no resource-based policy allows the "+action+" action")
	}
	return accessDenied(p.ARN, action, resource, reason.Phrase(action))
}
