package policy

import (
	"encoding/json"
	"errors"
	"strings"
)

// Parse parses and validates a JSON policy document of the given kind.
//
// Every error is a *MalformedError carrying IAM's MalformedPolicyDocument
// message. Parse checks only what IAM checks on the document itself: size
// limits (a LimitExceeded error in IAM) and whether principals in a trust
// policy exist are for the caller.
func Parse(doc string, kind Kind) (*Document, error) {
	if !json.Valid([]byte(doc)) {
		return nil, errSyntax
	}
	d, err := parseDocument(json.RawMessage(doc), kind)
	if err != nil {
		return nil, asMalformed(err)
	}
	return d, nil
}

// asMalformed makes sure Parse returns only *MalformedError, even if a
// decoding error slipped through unwrapped.
func asMalformed(err error) *MalformedError {
	var me *MalformedError
	if errors.As(err, &me) {
		return me
	}
	return errSyntax
}

// parseDocument reads the top-level object: Version, Id and Statement.
func parseDocument(raw json.RawMessage, kind Kind) (*Document, error) {
	members, err := objectMembers(raw)
	if err != nil {
		return nil, err
	}
	d := &Document{Version: Version2008, Kind: kind}
	var statements json.RawMessage
	for _, m := range members {
		switch m.name {
		case "Version":
			d.Version, err = parseVersion(m.value)
		case "Id":
			d.ID, err = jsonString(m.value)
		case "Statement":
			statements = m.value
		default:
			err = malformed("Unknown field %s", m.name)
		}
		if err != nil {
			return nil, err
		}
	}
	if statements == nil {
		return nil, malformed("Missing required field Statement")
	}
	d.Statements, err = parseStatements(statements, kind, d.variables())
	if err != nil {
		return nil, err
	}
	return d, nil
}

// parseVersion accepts the two versions of the policy language. IAM
// reports any other version string as a legacy-parsing failure, because
// unknown versions fall through to its oldest parser.
func parseVersion(raw json.RawMessage) (string, error) {
	v, err := jsonString(raw)
	if err != nil {
		return "", err
	}
	if v != Version2012 && v != Version2008 {
		return "", malformed(MsgLegacyParsing)
	}
	return v, nil
}

// parseStatements reads the Statement element, a single object or a
// non-empty array of them, and checks that Sids are unique.
func parseStatements(raw json.RawMessage, kind Kind, vars bool) ([]Statement, error) {
	elems := []json.RawMessage{raw}
	if jsonType(raw) == '[' {
		var err error
		if elems, err = jsonArray(raw); err != nil {
			return nil, err
		}
	}
	if len(elems) == 0 {
		return nil, errSyntax
	}
	out := make([]Statement, 0, len(elems))
	for _, e := range elems {
		st, err := parseStatement(e, kind, vars)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	if err := checkSidsUnique(out); err != nil {
		return nil, err
	}
	return out, nil
}

// checkSidsUnique rejects two statements with the same non-empty Sid.
func checkSidsUnique(sts []Statement) error {
	seen := make(map[string]bool, len(sts))
	for _, st := range sts {
		if st.Sid == "" {
			continue
		}
		if seen[st.Sid] {
			return malformed(MsgSidUnique)
		}
		seen[st.Sid] = true
	}
	return nil
}

// rawStatement holds a statement's elements before they are validated;
// nil means absent.
type rawStatement struct {
	sid, effect             json.RawMessage
	principal, notPrincipal json.RawMessage
	action, notAction       json.RawMessage
	resource, notResource   json.RawMessage
	condition               json.RawMessage
}

// splitStatement sorts a statement object's members into a rawStatement,
// rejecting unknown element names.
func splitStatement(raw json.RawMessage) (*rawStatement, error) {
	members, err := objectMembers(raw)
	if err != nil {
		return nil, err
	}
	var rs rawStatement
	fields := map[string]*json.RawMessage{
		"Sid": &rs.sid, "Effect": &rs.effect,
		"Principal": &rs.principal, "NotPrincipal": &rs.notPrincipal,
		"Action": &rs.action, "NotAction": &rs.notAction,
		"Resource": &rs.resource, "NotResource": &rs.notResource,
		"Condition": &rs.condition,
	}
	for _, m := range members {
		p, ok := fields[m.name]
		if !ok {
			return nil, malformed("Unknown field %s", m.name)
		}
		*p = m.value
	}
	return &rs, nil
}

// parseStatement validates one statement. The checks run in a fixed
// order modelled on IAM's (shape, Sid, Effect, principals, actions,
// resources, conditions), so a statement with several problems always
// reports the same one.
func parseStatement(raw json.RawMessage, kind Kind, vars bool) (Statement, error) {
	rs, err := splitStatement(raw)
	if err != nil {
		return Statement{}, err
	}
	var st Statement
	steps := []func() error{
		func() error { return rs.parseShape() },
		func() error { return rs.parseSid(&st) },
		func() error { return rs.parseEffect(&st) },
		func() error { return rs.parsePrincipals(&st, kind) },
		func() error { return rs.parseActions(&st) },
		func() error { return rs.parseResources(&st, kind) },
		func() error { return rs.parseConditions(&st, vars) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return Statement{}, err
		}
	}
	return st, nil
}

// parseShape rejects statements that pair an element with its negation.
func (rs *rawStatement) parseShape() error {
	if (rs.action != nil && rs.notAction != nil) ||
		(rs.resource != nil && rs.notResource != nil) ||
		(rs.principal != nil && rs.notPrincipal != nil) {
		return errSyntax
	}
	return nil
}

// parseSid reads the optional Sid. IAM allows only letters and digits.
func (rs *rawStatement) parseSid(st *Statement) error {
	if rs.sid == nil {
		return nil
	}
	sid, err := jsonString(rs.sid)
	if err != nil {
		return err
	}
	for _, c := range sid {
		if !isAlnum(c) {
			return malformed(MsgSidAlnum)
		}
	}
	st.Sid = sid
	return nil
}

// isAlnum reports whether c is an ASCII letter or digit.
func isAlnum(c rune) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

// parseEffect reads Effect, which must be exactly "Allow" or "Deny". IAM
// accepts other capitalizations in its first pass and then fails them in
// the legacy pass, hence the two messages.
func (rs *rawStatement) parseEffect(st *Statement) error {
	if rs.effect == nil {
		return malformed("Missing required field Effect")
	}
	e, err := jsonString(rs.effect)
	if err != nil {
		return err
	}
	switch {
	case e == EffectAllow || e == EffectDeny:
		st.Effect = e
		return nil
	case strings.EqualFold(e, EffectAllow) || strings.EqualFold(e, EffectDeny):
		return malformed(MsgLegacyParsing)
	}
	return errSyntax
}

// parsePrincipals reads Principal or NotPrincipal, which identity
// policies must not have and trust and resource-based policies must have.
func (rs *rawStatement) parsePrincipals(st *Statement, kind Kind) error {
	present := rs.principal != nil || rs.notPrincipal != nil
	switch {
	case kind == Identity && present:
		return malformed(MsgNoPrincipalAllowed)
	case kind != Identity && !present:
		return malformed("Missing required field Principal")
	case kind == Identity:
		return nil
	}
	var err error
	if rs.principal != nil {
		st.Principal, err = parsePrincipals(rs.principal)
	} else {
		st.NotPrincipal, err = parsePrincipals(rs.notPrincipal)
	}
	return err
}

// parseActions reads Action or NotAction; one of them must be non-empty.
func (rs *rawStatement) parseActions(st *Statement) error {
	raw, dst := rs.action, &st.Action
	if raw == nil {
		raw, dst = rs.notAction, &st.NotAction
	}
	if raw == nil {
		return malformed(MsgNoActions)
	}
	actions, err := stringList(raw)
	if err != nil {
		return err
	}
	if len(actions) == 0 {
		return malformed(MsgNoActions)
	}
	for _, a := range actions {
		if err := validateAction(a); err != nil {
			return err
		}
	}
	*dst = actions
	return nil
}

// parseResources reads Resource or NotResource. Identity policies need
// one of them; trust policies must have neither, because the only
// resource a trust policy governs is its own role.
func (rs *rawStatement) parseResources(st *Statement, kind Kind) error {
	raw, dst, name := rs.resource, &st.Resource, "Resource"
	if raw == nil {
		raw, dst, name = rs.notResource, &st.NotResource, "NotResource"
	}
	switch {
	case kind == Trust && raw != nil:
		return malformed("Has prohibited field %s", name)
	case kind == Trust:
		return nil
	case raw == nil:
		return malformed(MsgNoResources)
	}
	resources, err := stringList(raw)
	if err != nil {
		return err
	}
	if len(resources) == 0 {
		return malformed(MsgNoResources)
	}
	for _, r := range resources {
		if err := validateResource(r); err != nil {
			return err
		}
	}
	*dst = resources
	return nil
}

// parseConditions reads the optional Condition element.
func (rs *rawStatement) parseConditions(st *Statement, vars bool) error {
	if rs.condition == nil {
		return nil
	}
	conds, err := parseConditionBlock(rs.condition, vars)
	if err != nil {
		return err
	}
	st.Conditions = conds
	return nil
}
