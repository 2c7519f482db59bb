package iam

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// Authentication failures; the server answers them with each protocol's
// code (UnrecognizedClientException / InvalidClientTokenId and
// ExpiredTokenException / ExpiredToken).
var (
	ErrInvalidToken = errors.New("iam: the security token included in the request is invalid")
	ErrExpiredToken = errors.New("iam: the security token included in the request is expired")
)

// keyUseInterval limits how often a key's last use is written: once a
// minute is precise enough for GetAccessKeyLastUsed and keeps a write off
// most requests.
const keyUseInterval = time.Minute

// Credential is what the server learns from an access key id: the secret
// to verify the signature with, and who signs with it.
type Credential struct {
	Principal *awsproto.Principal
	secret    string
	tokenHash string // temporary credentials only
	expires   time.Time

	// What authorization needs to find the principal's policies.
	entityID       string    // the user or role whose policies apply; "" for root
	sessionDocs    []string  // session policies; with restricted, nil means none
	restricted     bool      // session policies cap permissions (AssumeRole with policies, federation)
	tokenIssued    time.Time // aws:TokenIssueTime
	lastUsed       time.Time
	longTermKeyRef *AccessKey
}

// Secret returns the secret access key the request must be signed with.
func (c *Credential) Secret() string { return c.secret }

// CheckToken verifies the X-Amz-Security-Token a request carried: required
// and equal (compared in constant time) for temporary credentials, absent
// for long-term keys; and that temporary credentials have not expired.
func (c *Credential) CheckToken(token string, now time.Time) error {
	if c.tokenHash == "" {
		if token != "" {
			return ErrInvalidToken
		}
		return nil
	}
	sum := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(c.tokenHash)) != 1 {
		return ErrInvalidToken
	}
	if !now.Before(c.expires) {
		return ErrExpiredToken
	}
	return nil
}

// Credential looks up an access key id: a long-term key (AKIA…) of a user
// or root, or temporary credentials (ASIA…) issued by STS.
func (s *Service) Credential(ctx context.Context, accessKeyID string) (*Credential, error) {
	if strings.HasPrefix(accessKeyID, prefixTempKey) {
		return s.sessionCredential(ctx, accessKeyID)
	}
	k, err := s.store.AccessKey(ctx, accessKeyID)
	if errors.Is(err, ErrNotFound) || (err == nil && k.Status != StatusActive) {
		return nil, ErrInvalidToken
	}
	if err != nil {
		return nil, err
	}
	c := &Credential{secret: k.Secret, lastUsed: k.LastUsed, longTermKeyRef: k}
	if k.UserID == "" {
		if c.Principal, err = s.rootPrincipal(ctx, k.Account); err != nil {
			return nil, err
		}
		c.Principal.AccessKeyID = k.ID
		return c, nil
	}
	u, err := s.store.EntityByID(ctx, k.UserID)
	if err != nil {
		return nil, errors.Join(err, ErrInvalidToken)
	}
	c.entityID = u.ID
	c.Principal = userPrincipal(u, k.ID)
	return c, nil
}

func (s *Service) rootPrincipal(ctx context.Context, accountID string) (*awsproto.Principal, error) {
	a, err := s.store.Account(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return &awsproto.Principal{Type: awsproto.PrincipalRoot, PrincipalID: a.ID, ARN: "arn:aws:iam::" + a.ID + ":root",
		AccountID: a.ID, UserName: a.Alias}, nil
}

func userPrincipal(u *Entity, keyID string) *awsproto.Principal {
	return &awsproto.Principal{Type: awsproto.PrincipalIAMUser, PrincipalID: u.ID, ARN: u.ARN(), AccountID: u.Account,
		AccessKeyID: keyID, UserName: u.Name}
}

func (s *Service) sessionCredential(ctx context.Context, accessKeyID string) (*Credential, error) {
	sess, err := s.store.Session(ctx, accessKeyID)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrInvalidToken
	}
	if err != nil {
		return nil, err
	}
	c := &Credential{secret: sess.Secret, tokenHash: sess.TokenHash, expires: sess.Expires, tokenIssued: sess.Created,
		sessionDocs: sess.Policies, restricted: sess.Type == awsproto.PrincipalFederatedUser || len(sess.Policies) > 0}
	if sess.IssuerKind != "" {
		c.entityID = sess.IssuerID
	}
	c.Principal = sessionPrincipal(sess)
	return c, nil
}

// sessionPrincipal describes a session as CloudTrail's userIdentity does.
func sessionPrincipal(sess *Session) *awsproto.Principal {
	acct := sess.Account
	p := &awsproto.Principal{Type: sess.Type, AccountID: acct, AccessKeyID: sess.AccessKeyID,
		Session: &awsproto.Session{CreationDate: sess.Created, MFA: sess.MFA, SourceIdentity: sess.SourceIdentity,
			Console: sess.Console}}
	issuer := &awsproto.SessionIssuer{AccountID: acct, PrincipalID: sess.IssuerID, UserName: sess.IssuerName}
	switch sess.IssuerKind {
	case KindRole:
		issuer.Type, issuer.ARN = "Role", "arn:aws:iam::"+acct+":role"+sess.IssuerPath+sess.IssuerName
	case KindUser:
		issuer.Type, issuer.ARN = "IAMUser", "arn:aws:iam::"+acct+":user"+sess.IssuerPath+sess.IssuerName
	default:
		issuer = &awsproto.SessionIssuer{Type: "Root", PrincipalID: acct, ARN: "arn:aws:iam::" + acct + ":root", AccountID: acct}
	}
	switch sess.Type {
	case awsproto.PrincipalAssumedRole:
		p.PrincipalID = sess.IssuerID + ":" + sess.Name
		p.ARN = "arn:aws:sts::" + acct + ":assumed-role/" + sess.IssuerName + "/" + sess.Name
		p.Session.Issuer = issuer
	case awsproto.PrincipalFederatedUser:
		p.PrincipalID = acct + ":" + sess.Name
		p.ARN = "arn:aws:sts::" + acct + ":federated-user/" + sess.Name
		p.Session.Issuer = issuer
	case awsproto.PrincipalIAMUser: // GetSessionToken of a user
		p.PrincipalID, p.ARN, p.UserName = sess.IssuerID, issuer.ARN, sess.IssuerName
	default: // GetSessionToken of root
		p.PrincipalID, p.ARN = acct, issuer.ARN
	}
	return p
}

// NoteKeyUse records that a long-term key was used for service in region,
// at most once per keyUseInterval, for GetAccessKeyLastUsed.
func (s *Service) NoteKeyUse(ctx context.Context, c *Credential, service, region string) error {
	k := c.longTermKeyRef
	now := s.now()
	if k == nil || now.Sub(c.lastUsed) < keyUseInterval {
		return nil
	}
	if last, ok := s.keyUse.Load(k.ID); ok && now.Sub(last.(time.Time)) < keyUseInterval {
		return nil
	}
	s.keyUse.Store(k.ID, now)
	return s.store.TouchAccessKey(ctx, k.ID, now, service, region)
}
