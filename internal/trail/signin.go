package trail

import (
	"time"

	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// Console sign-in records (spec Appendix D).
const (
	EventTypeConsoleSignIn = "AwsConsoleSignIn"
	SignInEventSource      = "signin.amazonaws.com"
	EventConsoleLogin      = "ConsoleLogin"
	// EventConsoleSignout is our extension: AWS records no sign-out.
	EventConsoleSignout = "ConsoleSignout"
	// signInRegion: sign-in is global and recorded in us-east-1.
	signInRegion         = "us-east-1"
	signInFailureMessage = "Failed authentication"
)

// SignInInput is one console sign-in attempt or sign-out.
type SignInInput struct {
	EventName string // EventConsoleLogin or EventConsoleSignout
	// Principal is who signed in, or was tried; nil when the user name
	// does not exist (the record then hides the name typed).
	Principal *awsproto.Principal
	// Account is the account the attempt was made in (recipientAccountId).
	Account             string
	Time                time.Time
	SourceIP, UserAgent string
	Success             bool
	// LoginTo is the console's home URL.
	LoginTo string
	MFAUsed bool
	EventID string
}

// SignIn returns the record of a console sign-in or sign-out.
func SignIn(in SignInInput) *Event {
	e := &Event{
		EventVersion:       EventVersion,
		UserIdentity:       signInIdentity(in),
		EventTime:          in.Time.UTC().Format(timeLayout),
		EventSource:        SignInEventSource,
		EventName:          in.EventName,
		AWSRegion:          signInRegion,
		SourceIPAddress:    in.SourceIP,
		UserAgent:          truncate(in.UserAgent, maxField),
		EventID:            in.EventID,
		ReadOnly:           new(false),
		EventType:          EventTypeConsoleSignIn,
		ManagementEvent:    new(true),
		RecipientAccountID: in.Account,
		EventCategory:      CategoryManagement,
	}
	outcome := "Success"
	if !in.Success {
		outcome, e.ErrorMessage = "Failure", signInFailureMessage
	}
	e.ResponseElements = map[string]any{in.EventName: outcome}
	if in.EventName == EventConsoleLogin {
		e.AdditionalEventData = map[string]any{"LoginTo": in.LoginTo, "MobileVersion": "No", "MFAUsed": yesNo(in.MFAUsed)}
	}
	return e
}

// signInIdentity is the userIdentity of a sign-in: the principal without
// an access key (none was used), or for an unknown user name only
// HIDDEN_DUE_TO_SECURITY_REASONS, since people paste passwords into the
// name field.
func signInIdentity(in SignInInput) *UserIdentity {
	p := in.Principal
	if p == nil {
		return &UserIdentity{Type: awsproto.PrincipalIAMUser, AccountID: in.Account, UserName: Hidden}
	}
	id := &UserIdentity{Type: p.Type, PrincipalID: p.PrincipalID, ARN: p.ARN, AccountID: p.AccountID}
	if p.Type == awsproto.PrincipalIAMUser || p.Type == awsproto.PrincipalRoot {
		id.UserName = p.UserName
	}
	return id
}

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}
