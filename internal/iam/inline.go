package iam

import (
	"context"
	"errors"
	"net/url"
	"sort"
	"strings"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/iam/policy"
)

// Quotas on the total size of an entity's inline policies (characters,
// white space excluded), as IAM counts them.
var inlineQuota = map[Kind]int{KindUser: 2048, KindGroup: 5120, KindRole: 10240}

// InlinePolicyInput serves the Put/Get/Delete/List operations of users,
// groups and roles alike: each sends its own owner member.
type InlinePolicyInput struct {
	UserName, GroupName, RoleName string
	PolicyName, PolicyDocument    string
	Marker                        string
	MaxItems                      int
}

func (in *InlinePolicyInput) owner(kind Kind) string {
	switch kind {
	case KindUser:
		return in.UserName
	case KindGroup:
		return in.GroupName
	}
	return in.RoleName
}

// InlinePolicyOutput is GetUserPolicy's, GetGroupPolicy's and
// GetRolePolicy's output; the model drops the members an operation lacks.
type InlinePolicyOutput struct {
	UserName       string `json:",omitempty"`
	GroupName      string `json:",omitempty"`
	RoleName       string `json:",omitempty"`
	PolicyName     string
	PolicyDocument string
}

// ListInlinePoliciesOutput lists inline policy names.
type ListInlinePoliciesOutput struct {
	PolicyNames []string
	page
}

func (s *Service) registerInlinePolicies() {
	for _, kind := range []Kind{KindUser, KindGroup, KindRole} {
		noun := kindTitle(kind)
		awsproto.Handle(s.IAM, "Put"+noun+"Policy", func(ctx context.Context, in *InlinePolicyInput) (*struct{}, error) {
			return nil, s.putInlinePolicy(ctx, kind, in)
		})
		awsproto.Handle(s.IAM, "Get"+noun+"Policy", func(ctx context.Context, in *InlinePolicyInput) (*InlinePolicyOutput, error) {
			return s.getInlinePolicy(ctx, kind, in)
		})
		awsproto.Handle(s.IAM, "Delete"+noun+"Policy", func(ctx context.Context, in *InlinePolicyInput) (*struct{}, error) {
			return nil, s.deleteInlinePolicy(ctx, kind, in)
		})
		awsproto.Handle(s.IAM, "List"+noun+"Policies", func(ctx context.Context, in *InlinePolicyInput) (*ListInlinePoliciesOutput, error) {
			return s.listInlinePolicies(ctx, kind, in)
		})
	}
}

func kindTitle(k Kind) string { return strings.ToUpper(string(k[:1])) + string(k[1:]) }

func (s *Service) putInlinePolicy(ctx context.Context, kind Kind, in *InlinePolicyInput) error {
	if _, err := parsePolicy(in.PolicyDocument, policy.Identity); err != nil {
		return err
	}
	return s.store.Tx(ctx, func(ctx context.Context) error {
		e, err := s.entity(ctx, kind, in.owner(kind))
		if err != nil {
			return err
		}
		docs, err := s.store.InlinePolicies(ctx, e.ID)
		if err != nil {
			return err
		}
		docs[in.PolicyName] = in.PolicyDocument
		if size := inlineSize(docs, in.PolicyName); size > inlineQuota[kind] {
			return awserr.Errorf(CodeLimitExceeded, "Maximum policy size of %d bytes exceeded for %s %s", inlineQuota[kind], kind, e.Name)
		}
		return s.store.PutInlinePolicy(ctx, e.ID, in.PolicyName, in.PolicyDocument)
	})
}

// inlineSize adds up documents without white space, as IAM's quota counts,
// letting replaced stand in for a case-insensitively equal old name.
func inlineSize(docs map[string]string, replaced string) int {
	n := 0
	for name, d := range docs {
		if name != replaced && strings.EqualFold(name, replaced) {
			continue
		}
		n += len(strings.Join(strings.Fields(d), ""))
	}
	return n
}

func (s *Service) inlineNotFound(kind Kind, name string) error {
	return awserr.Errorf(CodeNoSuchEntity, "The %s policy with name %s cannot be found.", kind, name)
}

func (s *Service) getInlinePolicy(ctx context.Context, kind Kind, in *InlinePolicyInput) (*InlinePolicyOutput, error) {
	e, err := s.entity(ctx, kind, in.owner(kind))
	if err != nil {
		return nil, err
	}
	doc, err := s.store.InlinePolicy(ctx, e.ID, in.PolicyName)
	if errors.Is(err, ErrNotFound) {
		return nil, s.inlineNotFound(kind, in.PolicyName)
	} else if err != nil {
		return nil, err
	}
	out := &InlinePolicyOutput{PolicyName: in.PolicyName, PolicyDocument: encodeDocument(doc)}
	switch kind {
	case KindUser:
		out.UserName = e.Name
	case KindGroup:
		out.GroupName = e.Name
	default:
		out.RoleName = e.Name
	}
	return out, nil
}

func (s *Service) deleteInlinePolicy(ctx context.Context, kind Kind, in *InlinePolicyInput) error {
	return s.store.Tx(ctx, func(ctx context.Context) error {
		e, err := s.entity(ctx, kind, in.owner(kind))
		if err != nil {
			return err
		}
		if err := s.store.DeleteInlinePolicy(ctx, e.ID, in.PolicyName); errors.Is(err, ErrNotFound) {
			return s.inlineNotFound(kind, in.PolicyName)
		} else if err != nil {
			return err
		}
		return nil
	})
}

func (s *Service) listInlinePolicies(ctx context.Context, kind Kind, in *InlinePolicyInput) (*ListInlinePoliciesOutput, error) {
	e, err := s.entity(ctx, kind, in.owner(kind))
	if err != nil {
		return nil, err
	}
	docs, err := s.store.InlinePolicies(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(docs))
	for n := range docs {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return strings.ToLower(names[i]) < strings.ToLower(names[j]) })
	names, pg, err := pageNames(names, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &ListInlinePoliciesOutput{PolicyNames: names, page: pg}, nil
}

// parsePolicy parses a document, answering MalformedPolicyDocument.
func parsePolicy(doc string, kind policy.Kind) (*policy.Document, error) {
	d, err := policy.Parse(doc, kind)
	var malformed *policy.MalformedError
	if errors.As(err, &malformed) {
		return nil, awserr.New(CodeMalformedPolicy, malformed.Message)
	}
	return d, err
}

// encodeDocument URL-encodes a policy document as IAM returns them
// (RFC 3986 percent-encoding; clients unquote it without treating + as a
// space, so spaces must be %20).
func encodeDocument(doc string) string {
	if doc == "" {
		return ""
	}
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}
