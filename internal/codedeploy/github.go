package codedeploy

import (
	"context"
	"errors"
	"slices"

	"github.com/deploytrail/deploytrail/internal/awsproto"
)

// Error codes of the GitHub token operations.
const (
	CodeGitHubTokenNameRequired = "GitHubAccountTokenNameRequiredException"
	CodeGitHubTokenDoesNotExist = "GitHubAccountTokenDoesNotExistException"
)

type (
	ListGitHubAccountTokenNamesInput struct {
		NextToken string `json:"nextToken"`
	}
	ListGitHubAccountTokenNamesOutput struct {
		TokenNameList []string `json:"tokenNameList"`
		NextToken     string   `json:"nextToken,omitempty"`
	}
	DeleteGitHubAccountTokenInput struct {
		TokenName string `json:"tokenName"`
	}
	DeleteGitHubAccountTokenOutput struct {
		TokenName string `json:"tokenName"`
	}
	DeleteResourcesByExternalIDInput struct {
		ExternalID string `json:"externalId"`
	}
)

// registerGitHub registers the GitHub token operations, and
// DeleteResourcesByExternalId, which has no better home.
func (s *Service) registerGitHub() {
	awsproto.Handle(s.API, "ListGitHubAccountTokenNames", s.ListGitHubAccountTokenNames)
	awsproto.Handle(s.API, "DeleteGitHubAccountToken", s.DeleteGitHubAccountToken)
	awsproto.Handle(s.API, "DeleteResourcesByExternalId", s.DeleteResourcesByExternalID)
}

// ListGitHubAccountTokenNames lists the names of the caller's GitHub
// connections. Tokens are stored by the operator (Store.PutGitHubToken):
// AWS creates them only through its console's OAuth flow.
func (s *Service) ListGitHubAccountTokenNames(ctx context.Context, in *ListGitHubAccountTokenNamesInput) (*ListGitHubAccountTokenNamesOutput, error) {
	names, err := s.store.GitHubTokenNames(ctx, scope(ctx))
	if err != nil {
		return nil, err
	}
	slices.Sort(names) // the cursor needs byte order, whatever the database's collation
	page, next, err := s.tokens.page("ListGitHubAccountTokenNames", in.NextToken, names)
	if err != nil {
		return nil, err
	}
	return &ListGitHubAccountTokenNamesOutput{TokenNameList: append([]string{}, page...), NextToken: next}, nil
}

// DeleteGitHubAccountToken deletes a GitHub connection and echoes its
// name. Unlike CodeDeploy's other deletes it is not idempotent: the model
// gives it a DoesNotExist error.
func (s *Service) DeleteGitHubAccountToken(ctx context.Context, in *DeleteGitHubAccountTokenInput) (*DeleteGitHubAccountTokenOutput, error) {
	if in.TokenName == "" {
		return nil, errorf(CodeGitHubTokenNameRequired, "The GitHub account token name is required.")
	}
	err := s.store.DeleteGitHubToken(ctx, scope(ctx), in.TokenName)
	if errors.Is(err, ErrNotFound) {
		return nil, errorf(CodeGitHubTokenDoesNotExist, "No GitHub account connection found for name: %s", in.TokenName)
	} else if err != nil {
		return nil, err
	}
	return &DeleteGitHubAccountTokenOutput{TokenName: in.TokenName}, nil
}

// DeleteResourcesByExternalID deletes the resources an external resource
// (a CloudFormation stack) created. Nothing here is linked to external
// ids, so there is nothing to delete and the call always succeeds.
func (s *Service) DeleteResourcesByExternalID(ctx context.Context, in *DeleteResourcesByExternalIDInput) (*done, error) {
	return ok, nil
}
