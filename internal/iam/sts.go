package iam

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/iam/policy"
)

// STS session limits, in seconds.
const (
	defaultAssumeDuration  = 3600
	roleChainingMax        = 3600
	defaultSessionDuration = 43200
	rootSessionMax         = 3600
	maxPackedPolicyChars   = 2048
)

type (
	STSCredentials struct {
		AccessKeyId, SecretAccessKey, SessionToken string
		Expiration                                 time.Time
	}
	PolicyDescriptor        struct{ Arn string }
	GetCallerIdentityOutput struct{ UserId, Account, Arn string }
	AssumeRoleInput         struct {
		RoleArn, RoleSessionName, Policy, ExternalId, SerialNumber, TokenCode, SourceIdentity string
		PolicyArns                                                                            []PolicyDescriptor
		DurationSeconds                                                                       int
	}
	AssumeRoleOutput struct {
		Credentials      *STSCredentials
		AssumedRoleUser  struct{ AssumedRoleId, Arn string }
		PackedPolicySize *int   `json:",omitempty"`
		SourceIdentity   string `json:",omitempty"`
	}
	GetSessionTokenInput struct {
		DurationSeconds         int
		SerialNumber, TokenCode string
	}
	GetSessionTokenOutput   struct{ Credentials *STSCredentials }
	GetFederationTokenInput struct {
		Name, Policy    string
		PolicyArns      []PolicyDescriptor
		DurationSeconds int
	}
	GetFederationTokenOutput struct {
		Credentials      *STSCredentials
		FederatedUser    struct{ FederatedUserId, Arn string }
		PackedPolicySize *int `json:",omitempty"`
	}
)

func (s *Service) registerSTS() {
	awsproto.Handle(s.STS, "GetCallerIdentity", s.GetCallerIdentity)
	awsproto.Handle(s.STS, "AssumeRole", s.AssumeRole)
	awsproto.Handle(s.STS, "GetSessionToken", s.GetSessionToken)
	awsproto.Handle(s.STS, "GetFederationToken", s.GetFederationToken)
	// GetCallerIdentity and GetSessionToken need no permission (as in
	// AWS); AssumeRole weighs the role's trust policy itself.
	s.STS.SelfAuthorized("GetCallerIdentity", "GetSessionToken", "AssumeRole")
	s.STS.Mutating("GetSessionToken", "GetFederationToken")
	s.STS.Authorize(map[string]awsproto.ResourceFunc{
		"GetFederationToken": func(_ context.Context, c *awsproto.Call, p awsproto.Params) (string, error) {
			return "arn:aws:sts::" + c.Account() + ":federated-user/" + str(p, "Name"), nil
		},
	})
	s.STS.RecordResources(map[string]awsproto.EventResourcesFunc{"AssumeRole": assumedRole})
}

// assumedRole is the resource AssumeRole's record lists: the role, in its
// owner's account, which thus receives a copy when it is another account.
// A RoleArn that is no role ARN names nothing.
func assumedRole(_ *awsproto.Call, p awsproto.Params) []awsproto.Resource {
	arn := str(p, "RoleArn")
	acct, _, ok := splitRoleARN(arn)
	if !ok {
		return nil
	}
	return []awsproto.Resource{{ARN: arn, AccountID: acct, Type: "AWS::IAM::Role"}}
}

// GetCallerIdentity tells who signed the request.
func (s *Service) GetCallerIdentity(ctx context.Context, _ *struct{}) (*GetCallerIdentityOutput, error) {
	p := awsproto.CallFromContext(ctx).Principal
	return &GetCallerIdentityOutput{UserId: p.PrincipalID, Account: p.AccountID, Arn: p.ARN}, nil
}

// AssumeRole issues credentials for a role whose trust policy admits the
// caller. Across accounts the caller's own policies must allow
// sts:AssumeRole on the role too; within one account that is needed only
// when the trust policy names the account rather than the caller.
func (s *Service) AssumeRole(ctx context.Context, in *AssumeRoleInput) (*AssumeRoleOutput, error) {
	call := awsproto.CallFromContext(ctx)
	caller := call.Principal
	if caller.Type == awsproto.PrincipalRoot {
		return nil, stsDenied("Roles may not be assumed by root accounts.")
	}
	role, err := s.trustingRole(ctx, call, in)
	if err != nil {
		return nil, err
	}
	duration, err := assumeDuration(in.DurationSeconds, role, caller)
	if err != nil {
		return nil, err
	}
	docs, packed, err := s.sessionPolicies(ctx, in.Policy, in.PolicyArns, role.Account)
	if err != nil {
		return nil, err
	}
	sess := &Session{Account: role.Account, Type: awsproto.PrincipalAssumedRole, Name: in.RoleSessionName,
		IssuerKind: KindRole, IssuerName: role.Name, IssuerID: role.ID, IssuerPath: role.Path,
		Policies: docs, SourceIdentity: in.SourceIdentity}
	creds, err := s.issue(ctx, sess, duration)
	if err != nil {
		return nil, err
	}
	out := &AssumeRoleOutput{Credentials: creds, PackedPolicySize: packed, SourceIdentity: in.SourceIdentity}
	p := sessionPrincipal(sess)
	out.AssumedRoleUser.AssumedRoleId, out.AssumedRoleUser.Arn = p.PrincipalID, p.ARN
	return out, nil
}

// trustingRole loads the role of RoleArn and checks both sides of the
// trust; every failure reads the same, as in AWS, so that a caller cannot
// probe which roles exist.
func (s *Service) trustingRole(ctx context.Context, call *awsproto.Call, in *AssumeRoleInput) (*Entity, error) {
	denied := accessDenied(call.Principal.ARN, "sts:AssumeRole", in.RoleArn, "")
	acct, name, ok := splitRoleARN(in.RoleArn)
	if !ok {
		return nil, awserr.Errorf(CodeValidation, "%s is invalid", in.RoleArn)
	}
	role, err := s.store.Entity(ctx, acct, KindRole, name)
	if errors.Is(err, ErrNotFound) || (err == nil && role.ARN() != in.RoleArn) {
		return nil, withCode(denied)
	}
	if err != nil {
		return nil, err
	}
	trust, err := policy.Parse(role.Data.AssumeRolePolicy, policy.Trust)
	if err != nil {
		return nil, withCode(denied)
	}
	req := &policy.Request{Action: "sts:AssumeRole", Resource: role.ARN(), Context: conditionContext(call, call.Auth.(*Credential))}
	req.Context["sts:RoleSessionName"] = []string{in.RoleSessionName}
	if in.ExternalId != "" {
		req.Context["sts:ExternalId"] = []string{in.ExternalId}
	}
	// Naming the caller's account admits any of its principals whose own
	// policies allow sts:AssumeRole; naming the caller admits it outright
	// within the role's account.
	req.Principal.AWS = append(callerForms(call.Principal), "arn:aws:iam::"+call.Principal.AccountID+":root")
	if policy.Evaluate(req, trust) != policy.Allow {
		return nil, withCode(denied)
	}
	req.Principal.AWS = callerForms(call.Principal)
	named := policy.Evaluate(req, trust) == policy.Allow
	if named && acct == call.Account() {
		return role, nil
	}
	if err := s.Authorize(ctx, call, "sts:AssumeRole", role.ARN()); err != nil {
		return nil, withCode(err)
	}
	return role, nil
}

// callerForms are the ARNs a trust policy may name the caller by (its
// account is added separately).
func callerForms(p *awsproto.Principal) []string {
	forms := []string{p.ARN}
	if p.Session != nil && p.Session.Issuer != nil && p.Type == awsproto.PrincipalAssumedRole {
		forms = append(forms, p.Session.Issuer.ARN)
	}
	return forms
}

// splitRoleARN splits arn:aws:iam::<account>:role<path><name>.
func splitRoleARN(arn string) (account, name string, ok bool) {
	const prefix = "arn:aws:iam::"
	if len(arn) < len(prefix)+12+len(":role/")+1 || arn[:len(prefix)] != prefix {
		return "", "", false
	}
	rest := arn[len(prefix):]
	account, rest = rest[:12], rest[12:]
	if len(rest) < 7 || rest[:6] != ":role/" {
		return "", "", false
	}
	for i := len(rest) - 1; i >= 0; i-- {
		if rest[i] == '/' {
			return account, rest[i+1:], i+1 < len(rest)
		}
	}
	return "", "", false
}

func assumeDuration(requested int, role *Entity, caller *awsproto.Principal) (time.Duration, error) {
	if requested == 0 {
		requested = defaultAssumeDuration
	}
	if caller.Type == awsproto.PrincipalAssumedRole && requested > roleChainingMax {
		return 0, awserr.New(CodeValidation, "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if max := role.Data.MaxSessionDuration; requested > max {
		return 0, awserr.New(CodeValidation, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	return time.Duration(requested) * time.Second, nil
}

// sessionPolicies validates a session's inline policy and managed policy
// ARNs and returns their documents and the packed size (percent of the
// limit), as STS reports it.
func (s *Service) sessionPolicies(ctx context.Context, inline string, arns []PolicyDescriptor, acct string) ([]string, *int, error) {
	var docs []string
	chars := 0
	if inline != "" {
		if _, err := parsePolicy(inline, policy.Identity); err != nil {
			return nil, nil, err
		}
		docs = append(docs, inline)
		chars += len(inline)
	}
	for _, d := range arns {
		doc, err := s.defaultDocument(ctx, d.Arn)
		if err != nil {
			return nil, nil, awserr.Errorf(CodeInvalidInput, "Policy %s does not exist or is not attachable.", d.Arn)
		}
		docs = append(docs, doc)
		chars += len(d.Arn)
	}
	if docs == nil {
		return nil, nil, nil
	}
	packed := chars * 100 / maxPackedPolicyChars
	if packed > 100 {
		return nil, nil, awserr.Errorf("PackedPolicyTooLarge", "Packed policy consumes %d%% of allotted space, please use smaller policy.", packed)
	}
	return docs, &packed, nil
}

// issue stores a session and returns its credentials; only the token's
// hash is kept.
func (s *Service) issue(ctx context.Context, sess *Session, d time.Duration) (*STSCredentials, error) {
	token := newSessionToken()
	sum := sha256.Sum256([]byte(token))
	sess.AccessKeyID, sess.Secret, sess.TokenHash = newTempAccessKeyID(), NewSecretAccessKey(), hex.EncodeToString(sum[:])
	sess.Created = s.now()
	sess.Expires = sess.Created.Add(d)
	if sess.Type == awsproto.PrincipalAssumedRole {
		sess.MFA = false
	}
	if err := s.store.InsertSession(ctx, sess); err != nil {
		return nil, err
	}
	return &STSCredentials{AccessKeyId: sess.AccessKeyID, SecretAccessKey: sess.Secret, SessionToken: token, Expiration: sess.Expires}, nil
}

// GetSessionToken issues temporary credentials with the caller's own
// permissions (an IAM user's or root's long-term key only).
func (s *Service) GetSessionToken(ctx context.Context, in *GetSessionTokenInput) (*GetSessionTokenOutput, error) {
	p := awsproto.CallFromContext(ctx).Principal
	if p.Session != nil {
		return nil, stsDenied("Cannot call GetSessionToken with session credentials")
	}
	if in.SerialNumber != "" || in.TokenCode != "" {
		return nil, stsDenied("MultiFactorAuthentication failed, unable to validate MFA code")
	}
	d, err := sessionDuration(in.DurationSeconds, p)
	if err != nil {
		return nil, err
	}
	sess := &Session{Account: p.AccountID, Type: p.Type}
	if p.Type == awsproto.PrincipalIAMUser {
		if err := s.issuedByUser(ctx, sess, p); err != nil {
			return nil, err
		}
	}
	creds, err := s.issue(ctx, sess, d)
	if err != nil {
		return nil, err
	}
	return &GetSessionTokenOutput{Credentials: creds}, nil
}

func (s *Service) issuedByUser(ctx context.Context, sess *Session, p *awsproto.Principal) error {
	u, err := s.store.EntityByID(ctx, p.PrincipalID)
	if err != nil {
		return err
	}
	sess.IssuerKind, sess.IssuerName, sess.IssuerID, sess.IssuerPath = KindUser, u.Name, u.ID, u.Path
	return nil
}

func sessionDuration(requested int, p *awsproto.Principal) (time.Duration, error) {
	if requested == 0 {
		requested = defaultSessionDuration
		if p.Type == awsproto.PrincipalRoot {
			requested = rootSessionMax
		}
	}
	if p.Type == awsproto.PrincipalRoot && requested > rootSessionMax {
		return 0, awserr.Errorf(CodeValidation, "The requested DurationSeconds exceeds the %d seconds allowed for root credentials.", rootSessionMax)
	}
	return time.Duration(requested) * time.Second, nil
}

// GetFederationToken issues credentials for a federated user: the
// intersection of the caller's permissions and the session policies (none
// at all when no policy is passed, as in AWS).
func (s *Service) GetFederationToken(ctx context.Context, in *GetFederationTokenInput) (*GetFederationTokenOutput, error) {
	p := awsproto.CallFromContext(ctx).Principal
	if p.Session != nil {
		return nil, stsDenied("Cannot call GetFederationToken with session credentials")
	}
	d, err := sessionDuration(in.DurationSeconds, p)
	if err != nil {
		return nil, err
	}
	docs, packed, err := s.sessionPolicies(ctx, in.Policy, in.PolicyArns, p.AccountID)
	if err != nil {
		return nil, err
	}
	sess := &Session{Account: p.AccountID, Type: awsproto.PrincipalFederatedUser, Name: in.Name, Policies: docs}
	if p.Type == awsproto.PrincipalIAMUser {
		if err := s.issuedByUser(ctx, sess, p); err != nil {
			return nil, err
		}
	}
	creds, err := s.issue(ctx, sess, d)
	if err != nil {
		return nil, err
	}
	out := &GetFederationTokenOutput{Credentials: creds, PackedPolicySize: packed}
	fp := sessionPrincipal(sess)
	out.FederatedUser.FederatedUserId, out.FederatedUser.Arn = fp.PrincipalID, fp.ARN
	return out, nil
}

// stsDenied is STS's AccessDenied (HTTP 403).
func stsDenied(msg string) error {
	return awserr.New(CodeAccessDenied, msg).WithStatus(403)
}

// withCode gives an authorization denial STS's Query code.
func withCode(err error) error {
	if e := awserr.As(err); e != nil && e.Code == awserr.CodeAccessDenied {
		return stsDenied(e.Message)
	}
	return err
}

func str(p awsproto.Params, key string) string {
	s, _ := p[key].(string)
	return s
}
