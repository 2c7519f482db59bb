package policy

import "fmt"

// Reason says which policy set decided a denial in [EvaluateSession].
type Reason int

const (
	// ReasonAllowed accompanies an Allow decision.
	ReasonAllowed Reason = iota
	// ReasonIdentityDeny: an identity-based policy explicitly denies.
	ReasonIdentityDeny
	// ReasonSessionDeny: a session policy explicitly denies.
	ReasonSessionDeny
	// ReasonNoIdentityAllow: no identity-based policy allows.
	ReasonNoIdentityAllow
	// ReasonNoSessionAllow: identity policies allow, but no session
	// policy does.
	ReasonNoSessionAllow
)

// String returns the constant's name without the "Reason" prefix.
func (r Reason) String() string {
	switch r {
	case ReasonAllowed:
		return "Allowed"
	case ReasonIdentityDeny:
		return "IdentityDeny"
	case ReasonSessionDeny:
		return "SessionDeny"
	case ReasonNoIdentityAllow:
		return "NoIdentityAllow"
	case ReasonNoSessionAllow:
		return "NoSessionAllow"
	}
	return fmt.Sprintf("Reason(%d)", int(r))
}

// Phrase returns the tail AWS puts on an AccessDenied message, after
// "User: … is not authorized to perform: ACTION on resource: RESOURCE ",
// e.g. "because no identity-based policy allows the
// codedeploy:CreateDeployment action". It is "" for ReasonAllowed.
func (r Reason) Phrase(action string) string {
	switch r {
	case ReasonIdentityDeny:
		return "with an explicit deny in an identity-based policy"
	case ReasonSessionDeny:
		return "with an explicit deny in a session policy"
	case ReasonNoIdentityAllow:
		return fmt.Sprintf("because no identity-based policy allows the %s action", action)
	case ReasonNoSessionAllow:
		return fmt.Sprintf("because no session policy allows the %s action", action)
	}
	return ""
}

// EvaluateSession decides a request made with a session's credentials.
// It is allowed only if identityDocs allow it and, when sessionDocs is
// non-nil, sessionDocs allow it too: session policies can only narrow
// what the role or user may do. An explicit deny in either set wins over
// everything, identity first.
//
// Pass nil sessionDocs for sessions created without session policies;
// a non-nil empty slice means session policies that allow nothing.
func EvaluateSession(req *Request, identityDocs, sessionDocs []*Document) (Decision, Reason) {
	id := Evaluate(req, identityDocs...)
	if id == ExplicitDeny {
		return ExplicitDeny, ReasonIdentityDeny
	}
	session := Allow
	if sessionDocs != nil {
		session = Evaluate(req, sessionDocs...)
	}
	switch {
	case session == ExplicitDeny:
		return ExplicitDeny, ReasonSessionDeny
	case id != Allow:
		return ImplicitDeny, ReasonNoIdentityAllow
	case session != Allow:
		return ImplicitDeny, ReasonNoSessionAllow
	}
	return Allow, ReasonAllowed
}
