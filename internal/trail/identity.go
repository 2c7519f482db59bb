package trail

import (
	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// principalUnknown is the userIdentity type of a call without a principal;
// the server does not record unauthenticated calls, so it is a safety net.
const principalUnknown = "Unknown"

// identity is the userIdentity of a principal, per spec §3.2.
func identity(p *awsproto.Principal) *UserIdentity {
	if p == nil {
		return &UserIdentity{Type: principalUnknown}
	}
	if p.Type == awsproto.PrincipalAWSService {
		return &UserIdentity{Type: p.Type, InvokedBy: invokedBy(p)}
	}
	id := &UserIdentity{
		Type:           p.Type,
		PrincipalID:    p.PrincipalID,
		ARN:            p.ARN,
		AccountID:      p.AccountID,
		AccessKeyID:    p.AccessKeyID,
		SessionContext: sessionContext(p.Session),
		InvokedBy:      invokedBy(p),
	}
	// Sessions of roles and federated users have no userName: their
	// issuer carries it. Root's is the account alias, when one is set.
	if p.Type == awsproto.PrincipalRoot || p.Type == awsproto.PrincipalIAMUser {
		id.UserName = p.UserName
	}
	return id
}

// sessionContext describes temporary credentials. A user's own
// GetSessionToken session has attributes only; sessions issued by a role,
// user or root name their issuer.
func sessionContext(s *awsproto.Session) *SessionContext {
	if s == nil {
		return nil
	}
	sc := &SessionContext{
		Attributes:     &SessionAttributes{MFAAuthenticated: "false"},
		SourceIdentity: s.SourceIdentity,
	}
	if s.MFA {
		sc.Attributes.MFAAuthenticated = "true"
	}
	if !s.CreationDate.IsZero() {
		sc.Attributes.CreationDate = s.CreationDate.UTC().Format(timeLayout)
	}
	if is := s.Issuer; is != nil {
		sc.SessionIssuer = &SessionIssuer{Type: is.Type, PrincipalID: is.PrincipalID, ARN: is.ARN,
			AccountID: is.AccountID, UserName: is.UserName}
		sc.WebIDFederationData = &WebIDFederationData{}
	}
	return sc
}
