package iam

import (
	"context"

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
	id, err := s.evaluateIdentity(ctx, call, action, resource)
	if err != nil || id == nil {
		return err
	}
	p := call.Principal
	id.req.Principal.AWS = append(callerForms(p), "arn:aws:iam::"+p.AccountID+":root", p.AccountID)
	idDecision, resDecision := id.decision, policy.Evaluate(id.req, resourcePolicy)
	switch {
	case idDecision == policy.ExplicitDeny:
		return accessDenied(p.ARN, action, resource, id.reason.Phrase(action))
	case resDecision == policy.ExplicitDeny:
		return accessDenied(p.ARN, action, resource, "with an explicit deny in a resource-based policy")
	case idDecision == policy.Allow && (owner == p.AccountID || resDecision == policy.Allow):
		return nil
	case owner == p.AccountID && resDecision == policy.Allow && !id.cred.restricted:
		return nil
	case owner != p.AccountID && idDecision == policy.Allow:
		return accessDenied(p.ARN, action, resource, "because no resource-based policy allows the "+action+" action")
	}
	return accessDenied(p.ARN, action, resource, id.reason.Phrase(action))
}
