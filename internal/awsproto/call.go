package awsproto

import (
	"context"
	"time"
)

// Principal types, as CloudTrail's userIdentity.type names them.
const (
	PrincipalRoot          = "Root"
	PrincipalIAMUser       = "IAMUser"
	PrincipalAssumedRole   = "AssumedRole"
	PrincipalFederatedUser = "FederatedUser"
	PrincipalAWSService    = "AWSService"
	// PrincipalAWSAccount is also the type of anonymous callers, whose
	// account id CloudTrail writes as AnonymousAccount.
	PrincipalAWSAccount = "AWSAccount"
)

// AnonymousAccount is the userIdentity accountId of an unsigned call.
const AnonymousAccount = "ANONYMOUS_PRINCIPAL"

// Anonymous is the principal of an unsigned call.
func Anonymous() *Principal {
	return &Principal{Type: PrincipalAWSAccount, AccountID: AnonymousAccount}
}

// Principal is who made a call: everything CloudTrail's userIdentity needs,
// so that the trail can record a call without knowing IAM.
type Principal struct {
	Type        string
	PrincipalID string // account id (Root), AIDA… (user), AROA…:session (role), account:name (federated)
	ARN         string
	AccountID   string // the account whose entity granted the permissions
	AccessKeyID string
	UserName    string // IAM user name; the account alias for Root when one is set
	Session     *Session
	InvokedBy   string // service DNS name when a service acted on the customer's behalf
}

// Session describes temporary credentials (CloudTrail's sessionContext).
type Session struct {
	Issuer         *SessionIssuer // nil for a user's own GetSessionToken session
	CreationDate   time.Time
	MFA            bool
	SourceIdentity string
	// Console is set for credentials a console sign-in issued (their
	// calls' records carry sessionCredentialFromConsole).
	Console bool
}

// SessionIssuer is the entity whose credentials issued a session.
type SessionIssuer struct {
	Type        string // Role, IAMUser or Root
	PrincipalID string
	ARN         string
	AccountID   string
	UserName    string
}

// TLSDetails describes the TLS connection a call came over.
type TLSDetails struct {
	Version     string // TLSv1.2, TLSv1.3
	CipherSuite string
	Host        string // the Host header the client sent
	KeyExchange string // x25519, X25519MLKEM768, secp256r1…; "" when unknown
}

// Call is one API request's facts, carried in its context.
type Call struct {
	RequestID string
	Service   *Service
	Operation string
	Region    string
	Time      time.Time // when the request arrived
	SourceIP  string
	UserAgent string
	TLS       *TLSDetails
	Principal *Principal
	// Recipient is the account an anonymous call acts in (the owner of
	// the topic it names); "" for signed calls, which act in their
	// principal's account.
	Recipient string
	// Auth is what the authenticator learned about the credential, for the
	// authorizer; opaque to everyone else.
	Auth any
}

// Account is the account a call acts in: its principal's, or an anonymous
// call's Recipient.
func (c *Call) Account() string {
	if c.Recipient != "" {
		return c.Recipient
	}
	if c.Principal == nil {
		return ""
	}
	return c.Principal.AccountID
}

// IsAnonymous reports whether the call came without a signature.
func (c *Call) IsAnonymous() bool {
	return c.Principal != nil && c.Principal.AccountID == AnonymousAccount
}

type callKey struct{}

// NewContext returns ctx carrying call.
func NewContext(ctx context.Context, call *Call) context.Context {
	return context.WithValue(ctx, callKey{}, call)
}

// CallFromContext returns the call in ctx, or nil.
func CallFromContext(ctx context.Context) *Call {
	c, _ := ctx.Value(callKey{}).(*Call)
	return c
}
