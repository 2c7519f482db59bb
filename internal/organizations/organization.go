package organizations

import (
	"context"
	"errors"
	"fmt"

	"github.com/deploytrail/deploytrail/internal/awserr"
)

// Organization is Organizations' Organization shape.
type Organization struct {
	Id                   string
	Arn                  string
	FeatureSet           string
	MasterAccountArn     string
	MasterAccountId      string
	MasterAccountEmail   string
	AvailablePolicyTypes []PolicyTypeSummary
}

// PolicyTypeSummary is a policy type of the organization's root.
type PolicyTypeSummary struct{ Type, Status string }

func organizationShape(o *Org, managementEmail string) *Organization {
	types := []PolicyTypeSummary{}
	if o.FeatureSet == FeatureSetAll {
		types = append(types, PolicyTypeSummary{Type: "SERVICE_CONTROL_POLICY", Status: "ENABLED"})
	}
	return &Organization{Id: o.ID, Arn: o.ARN(), FeatureSet: o.FeatureSet,
		MasterAccountArn: o.AccountARN(o.ManagementAccount), MasterAccountId: o.ManagementAccount,
		MasterAccountEmail: managementEmail, AvailablePolicyTypes: types}
}

type (
	CreateOrganizationInput   struct{ FeatureSet string }
	DescribeOrganizationInput struct{}
	OrganizationOutput        struct{ Organization *Organization }
)

// CreateOrganization creates an organization whose management account is
// the caller's.
func (s *Service) CreateOrganization(ctx context.Context, in *CreateOrganizationInput) (*OrganizationOutput, error) {
	featureSet := in.FeatureSet
	if featureSet == "" {
		featureSet = FeatureSetAll
	}
	var out *OrganizationOutput
	err := s.store.Tx(ctx, func(ctx context.Context) error {
		a, err := s.callerAccount(ctx)
		if err != nil {
			return err
		}
		if a.OrgID != "" {
			return errAlreadyInOrganization()
		}
		o := &Org{ID: newOrgID(), ManagementAccount: a.ID, FeatureSet: featureSet, Created: s.now()}
		err = s.store.InsertOrg(ctx, o)
		if errors.Is(err, ErrExists) {
			return errAlreadyInOrganization()
		}
		if err != nil {
			return fmt.Errorf("insert organization: %w", err)
		}
		out = &OrganizationOutput{Organization: organizationShape(o, a.Email)}
		return nil
	})
	return out, err
}

func errAlreadyInOrganization() error {
	return awserr.New(CodeAlreadyInOrganization, "The AWS account is already a member of an organization.")
}

// DescribeOrganization describes the caller's organization, to its
// management account and its members alike.
func (s *Service) DescribeOrganization(ctx context.Context, _ *DescribeOrganizationInput) (*OrganizationOutput, error) {
	o, err := s.callerOrg(ctx)
	if err != nil {
		return nil, err
	}
	m, err := s.store.Account(ctx, o.ManagementAccount)
	if err != nil {
		return nil, fmt.Errorf("load management account: %w", err)
	}
	return &OrganizationOutput{Organization: organizationShape(o, m.Email)}, nil
}
