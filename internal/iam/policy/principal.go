package policy

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Principal describes who makes a request, for trust policies and for
// aws:* condition keys the caller derives from it.
type Principal struct {
	// AWS lists every form the caller is known by, and a policy's AWS
	// principal matches if it equals any of them. The caller passes, as
	// applicable: the user or role ARN
	// ("arn:aws:iam::111122223333:user/path/alice"), the assumed-role
	// session ARN and the ARN of its role, and always the account's root
	// ARN ("arn:aws:iam::111122223333:root") — a policy naming an account,
	// by id or root ARN, trusts every principal of that account, and this
	// package learns the caller's account only from that root ARN (or a
	// bare 12-digit account id in the list).
	AWS []string
	// Service is set for service principals, e.g. "codedeploy.amazonaws.com".
	Service string
	// Federated is the identity provider of a federated caller: a SAML or
	// OIDC provider ARN, or a name such as "accounts.google.com".
	Federated string
}

// Regular expressions for principal values IAM accepts.
var (
	accountIDRE = regexp.MustCompile(`^[0-9]{12}$`)
	rootARNRE   = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):root$`)
	// awsARNRE matches IAM and STS principal ARNs without wildcards: IAM
	// refuses "arn:aws:iam::111122223333:user/*" in a principal.
	awsARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:(iam::[0-9]{12}:(root|(user|role)/[^*?]+)|sts::[0-9]{12}:(assumed-role|federated-user)/[^*?]+)$`)
	// uniqueIDRE matches user and role unique ids; IAM stores principals
	// in this form once the named entity is gone.
	uniqueIDRE  = regexp.MustCompile(`^A(IDA|ROA)[A-Z0-9]{12,}$`)
	hostRE      = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)
	providerRE  = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:(saml-provider|oidc-provider)/[^*?]+$`)
	canonicalRE = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
)

// principalKinds maps the keys of a Principal object to a validator and
// to the slice of Principals the values go to.
var principalKinds = map[string]struct {
	valid func(string) bool
	field func(*Principals) *[]string
}{
	"AWS":           {validAWSPrincipal, func(p *Principals) *[]string { return &p.AWS }},
	"Service":       {hostRE.MatchString, func(p *Principals) *[]string { return &p.Service }},
	"Federated":     {validFederated, func(p *Principals) *[]string { return &p.Federated }},
	"CanonicalUser": {canonicalRE.MatchString, func(p *Principals) *[]string { return &p.CanonicalUser }},
}

// validAWSPrincipal reports whether s may appear under "AWS".
func validAWSPrincipal(s string) bool {
	return s == "*" || accountIDRE.MatchString(s) || awsARNRE.MatchString(s) || uniqueIDRE.MatchString(s)
}

// validFederated reports whether s may appear under "Federated".
func validFederated(s string) bool {
	return providerRE.MatchString(s) || hostRE.MatchString(s)
}

// parsePrincipals reads a Principal or NotPrincipal value: "*" or an
// object whose values are strings or non-empty arrays of strings.
func parsePrincipals(raw json.RawMessage) (*Principals, error) {
	if jsonType(raw) == '"' {
		s, err := jsonString(raw)
		if err != nil || s != "*" {
			return nil, errSyntax
		}
		return &Principals{All: true}, nil
	}
	members, err := objectMembers(raw)
	if err != nil || len(members) == 0 {
		return nil, errSyntax
	}
	p := &Principals{}
	for _, m := range members {
		if err := addPrincipals(p, m); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// addPrincipals validates the values of one Principal key and stores them.
func addPrincipals(p *Principals, m member) error {
	kind, ok := principalKinds[m.name]
	if !ok {
		return errSyntax
	}
	values, err := stringList(m.value)
	if err != nil || len(values) == 0 {
		return errSyntax
	}
	for _, v := range values {
		if !kind.valid(v) {
			// IAM names the key in upper case: "AWS", "SERVICE", "FEDERATED".
			return &MalformedError{Message: fmt.Sprintf("Invalid principal in policy: %q:%q", strings.ToUpper(m.name), v)}
		}
	}
	*kind.field(p) = values
	return nil
}

// matches reports whether the caller who is among the principals in ps.
func (ps *Principals) matches(who *Principal) bool {
	if ps.All {
		return true
	}
	for _, v := range ps.AWS {
		if awsPrincipalMatches(v, who.AWS) {
			return true
		}
	}
	if who.Service != "" && slices.ContainsFunc(ps.Service, func(s string) bool { return strings.EqualFold(s, who.Service) }) {
		return true
	}
	return who.Federated != "" && slices.Contains(ps.Federated, who.Federated)
}

// awsPrincipalMatches reports whether the policy value v, under "AWS",
// names a caller known by the forms in have. "*" matches any caller with
// an AWS identity; an account id matches its root ARN and so, as in IAM,
// every principal of the account.
func awsPrincipalMatches(v string, have []string) bool {
	if v == "*" {
		return len(have) > 0
	}
	if acct, ok := accountOf(v); ok {
		return slices.ContainsFunc(have, func(h string) bool {
			a, ok := accountOf(h)
			return ok && a == acct
		})
	}
	return slices.Contains(have, v)
}

// accountOf returns the account id of s if s names a whole account: a
// 12-digit id or a root ARN in any partition.
func accountOf(s string) (string, bool) {
	if accountIDRE.MatchString(s) {
		return s, true
	}
	if m := rootARNRE.FindStringSubmatch(s); m != nil {
		return m[1], true
	}
	return "", false
}
