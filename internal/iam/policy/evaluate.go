package policy

import (
	"fmt"
	"slices"
)

// Request is one authorization question.
type Request struct {
	// Action is "service:Operation", e.g. "codedeploy:CreateDeployment".
	// It is matched case-insensitively.
	Action string
	// Resource is the ARN acted on, or "*" for actions without one. It is
	// matched case-sensitively.
	Resource string
	// Principal is the caller. Only statements with Principal or
	// NotPrincipal (trust policies) look at it.
	Principal Principal
	// Context maps condition keys to their values: "aws:SourceIp",
	// "aws:CurrentTime" (ISO 8601), "aws:EpochTime", "aws:username",
	// "aws:PrincipalAccount", "sts:ExternalId", … Keys are looked up
	// case-insensitively; a missing key or an empty list is an absent key.
	// Policy variables (${aws:username}) are resolved from here too.
	Context map[string][]string
}

// Decision is the outcome of evaluating policies.
type Decision int

const (
	// ImplicitDeny means no statement allowed the request.
	ImplicitDeny Decision = iota
	// Allow means some statement allowed it and none denied it.
	Allow
	// ExplicitDeny means a Deny statement matched; nothing overrides it.
	ExplicitDeny
)

// String returns "ImplicitDeny", "Allow" or "ExplicitDeny".
func (d Decision) String() string {
	switch d {
	case ImplicitDeny:
		return "ImplicitDeny"
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	}
	return fmt.Sprintf("Decision(%d)", int(d))
}

// Evaluate returns the combined decision of docs for req: ExplicitDeny if
// any matching statement denies, else Allow if any matching statement
// allows, else ImplicitDeny. A statement matches when its action,
// resource, principal (if it names one) and every condition match. Nil
// documents are skipped.
func Evaluate(req *Request, docs ...*Document) Decision {
	if req == nil {
		return ImplicitDeny
	}
	d := ImplicitDeny
	for _, doc := range docs {
		if doc == nil {
			continue
		}
		switch evaluateDocument(req, doc, d == Allow) {
		case ExplicitDeny:
			return ExplicitDeny
		case Allow:
			d = Allow
		}
	}
	return d
}

// evaluateDocument evaluates one document. Once the request is allowed
// only Deny statements can change the outcome, so allowed skips Allow
// statements.
func evaluateDocument(req *Request, doc *Document, allowed bool) Decision {
	d := ImplicitDeny
	vars := doc.variables()
	for i := range doc.Statements {
		st := &doc.Statements[i]
		if st.Effect == EffectAllow && (allowed || d == Allow) {
			continue
		}
		if !st.matches(req, vars) {
			continue
		}
		switch st.Effect {
		case EffectDeny:
			return ExplicitDeny
		case EffectAllow:
			d = Allow
		}
	}
	return d
}

// matches reports whether st applies to req, cheapest tests first.
func (st *Statement) matches(req *Request, vars bool) bool {
	return st.matchesAction(req.Action) &&
		st.matchesResource(req, vars) &&
		st.matchesPrincipal(&req.Principal) &&
		st.matchesConditions(req.Context, vars)
}

// matchesAction tests Action or NotAction. Actions are case-insensitive.
func (st *Statement) matchesAction(action string) bool {
	matches := func(p string) bool { return globMatch(p, action, true, false) }
	switch {
	case len(st.Action) > 0:
		return slices.ContainsFunc(st.Action, matches)
	case len(st.NotAction) > 0:
		return !slices.ContainsFunc(st.NotAction, matches)
	}
	return false
}

// matchesResource tests Resource or NotResource, after expanding policy
// variables. A statement with neither (a trust policy) applies to every
// resource.
func (st *Statement) matchesResource(req *Request, vars bool) bool {
	matches := func(p string) bool {
		pattern, escaped, ok := expandPattern(p, req.Context, vars)
		return ok && globMatch(pattern, req.Resource, false, escaped)
	}
	switch {
	case len(st.Resource) > 0:
		return slices.ContainsFunc(st.Resource, matches)
	case len(st.NotResource) > 0:
		return !slices.ContainsFunc(st.NotResource, matches)
	}
	return true
}

// matchesPrincipal tests Principal or NotPrincipal; a statement with
// neither (an identity policy) applies to every caller.
func (st *Statement) matchesPrincipal(who *Principal) bool {
	switch {
	case st.Principal != nil:
		return st.Principal.matches(who)
	case st.NotPrincipal != nil:
		return !st.NotPrincipal.matches(who)
	}
	return true
}

// matchesConditions reports whether every condition holds.
func (st *Statement) matchesConditions(ctx map[string][]string, vars bool) bool {
	for i := range st.Conditions {
		if !st.Conditions[i].holds(ctx, vars) {
			return false
		}
	}
	return true
}
