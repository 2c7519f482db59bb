package policy

import "fmt"

// Policy language versions IAM accepts.
const (
	// Version2012 is the current language version; only documents with
	// this version get policy variables such as ${aws:username}.
	Version2012 = "2012-10-17"
	// Version2008 is the legacy version, also assumed when a document has
	// no Version element; ${…} is plain text in it.
	Version2008 = "2008-10-17"
)

// Statement effects.
const (
	EffectAllow = "Allow"
	EffectDeny  = "Deny"
)

// Kind tells [Parse] which rules a document must follow.
type Kind int

const (
	// Identity documents are attached to users, groups and roles, or
	// passed as session and federation policies. They must not have
	// Principal or NotPrincipal, and every statement needs Resource or
	// NotResource.
	Identity Kind = iota
	// Trust documents are a role's trust (assume-role) policy. Every
	// statement needs Principal or NotPrincipal and, as in IAM, must not
	// have Resource or NotResource: the resource is the role itself.
	Trust
	// ResourceBased documents are attached to a resource (an SNS topic's
	// policy). Every statement needs Principal or NotPrincipal, and
	// Resource or NotResource.
	ResourceBased
)

// String returns "Identity", "Trust" or "ResourceBased".
func (k Kind) String() string {
	switch k {
	case Identity:
		return "Identity"
	case Trust:
		return "Trust"
	case ResourceBased:
		return "ResourceBased"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Document is a parsed and validated policy document. Build it with
// [Parse]: evaluation relies on the checks Parse makes.
type Document struct {
	// Version is Version2012 or Version2008; it is Version2008 when the
	// document had no Version element.
	Version string
	// ID is the optional Id element.
	ID string
	// Kind is the kind the document was parsed as.
	Kind Kind
	// Statements are in document order; there is at least one.
	Statements []Statement
}

// variables reports whether ${…} policy variables are expanded in d.
func (d *Document) variables() bool { return d.Version == Version2012 }

// Statement is one element of a document's Statement list.
//
// Exactly one of Action and NotAction is non-empty. In Identity documents
// exactly one of Resource and NotResource is non-empty; in Trust documents
// both are nil, which matches every resource. In Trust documents exactly
// one of Principal and NotPrincipal is set; in Identity documents both are
// nil.
type Statement struct {
	Sid    string
	Effect string // EffectAllow or EffectDeny

	Principal    *Principals
	NotPrincipal *Principals

	Action    []string
	NotAction []string

	Resource    []string
	NotResource []string

	// Conditions are all the (operator, key) pairs of the Condition
	// element, in document order; all must hold for the statement to apply.
	Conditions []Condition
}

// Principals is the value of a Principal or NotPrincipal element.
type Principals struct {
	// All is set for "Principal": "*", which matches every caller.
	All bool
	// AWS holds account ids, "*", and IAM/STS ARNs.
	AWS []string
	// Service holds service principals such as "codedeploy.amazonaws.com".
	Service []string
	// Federated holds identity providers: SAML/OIDC provider ARNs or
	// names such as "accounts.google.com".
	Federated []string
	// CanonicalUser holds S3 canonical user ids. IAM accepts them, but no
	// caller of this server has one, so they never match.
	CanonicalUser []string
}

// Condition is one key of one operator block of a Condition element:
//
//	"Condition": {"StringEquals": {"aws:username": ["alice", "bob"]}}
//
// is Condition{Operator: "StringEquals", Key: "aws:username",
// Values: []string{"alice", "bob"}}.
type Condition struct {
	// Operator is the operator as written, including any ForAllValues: or
	// ForAnyValue: prefix and IfExists suffix.
	Operator string
	// Key is the condition key as written; it is looked up in
	// Request.Context case-insensitively.
	Key string
	// Values are the policy values; JSON numbers keep their literal text
	// and booleans become "true" and "false". Any of them may match.
	Values []string
}

// MalformedError reports a document IAM would refuse. Message is IAM's
// MalformedPolicyDocument message, suitable for returning to clients.
type MalformedError struct {
	Message string
}

// Error returns e.Message.
func (e *MalformedError) Error() string { return e.Message }

// malformed returns a *MalformedError with a formatted message.
func malformed(format string, args ...any) *MalformedError {
	return &MalformedError{Message: fmt.Sprintf(format, args...)}
}

// Messages IAM uses for MalformedPolicyDocument. They are repeated as
// constants so tests and callers can compare against them.
const (
	MsgSyntax             = "Syntax errors in policy."
	MsgLegacyParsing      = "The policy failed legacy parsing"
	MsgNoPrincipalAllowed = "Policy document should not specify a principal."
	MsgNoActions          = "Policy statement must contain actions."
	MsgNoResources        = "Policy statement must contain resources."
	MsgVendor             = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	MsgOneColon           = "Actions/Condition can contain only one colon."
	MsgSidUnique          = "Statement IDs (SID) in a single policy must be unique."
	MsgSidAlnum           = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
	MsgResourceVendor     = "Resource vendor must be fully qualified and cannot contain regexes."
)
