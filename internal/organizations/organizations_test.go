package organizations_test

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/iam"
	"github.com/deploytrail/deploytrail/internal/organizations"
	"github.com/deploytrail/deploytrail/internal/store"
)

const mgmt = "111122223333"

// env is a service on a fresh SQLite store with a management account that
// has no organization yet.
type env struct {
	svc  *organizations.Service
	db   *store.DB
	ctx  context.Context // a call by mgmt's root
	base time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	a := &iam.Account{ID: mgmt, Name: "management", Email: "root@example.com", Status: "ACTIVE", JoinedMethod: "INVITED", Created: base.Add(-time.Hour)}
	if err := (store.IAM{DB: db}).InsertAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	svc := organizations.New(store.Organizations{DB: db})
	now := base
	svc.Now = func() time.Time { now = now.Add(time.Second); return now } // every call a second later
	return &env{svc: svc, db: db, ctx: as(ctx, mgmt), base: base}
}

// as returns ctx carrying a call by account's root.
func as(ctx context.Context, account string) context.Context {
	return awsproto.NewContext(ctx, &awsproto.Call{Principal: &awsproto.Principal{
		Type: awsproto.PrincipalRoot, AccountID: account, ARN: "arn:aws:iam::" + account + ":root", PrincipalID: account}})
}

func (e *env) mustCreateOrg(t *testing.T) *organizations.Organization {
	t.Helper()
	out, err := e.svc.CreateOrganization(e.ctx, &organizations.CreateOrganizationInput{})
	if err != nil {
		t.Fatalf("CreateOrganization: %v", err)
	}
	return out.Organization
}

func (e *env) mustCreateAccount(t *testing.T, name, email string) *organizations.CreateAccountStatus {
	t.Helper()
	out, err := e.svc.CreateAccount(e.ctx, &organizations.CreateAccountInput{AccountName: name, Email: email})
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	return out.CreateAccountStatus
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := awserr.Code(err); got != code {
		t.Fatalf("error=%v, want %s", err, code)
	}
}

func TestService_API(t *testing.T) {
	svc := organizations.New(nil)
	for _, op := range []string{"CreateOrganization", "DescribeOrganization", "CreateAccount",
		"DescribeCreateAccountStatus", "ListAccounts", "DescribeAccount"} {
		if svc.API.Op(op) == nil {
			t.Errorf("Op(%s)=nil, want it served", op)
		}
	}
}

func TestService_CreateOrganization(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newEnv(t)
		org := e.mustCreateOrg(t)
		if !regexp.MustCompile(`^o-[a-z0-9]{10}$`).MatchString(org.Id) {
			t.Fatalf("Id=%q, want o- and 10 characters", org.Id)
		}
		want := &organizations.Organization{Id: org.Id, Arn: "arn:aws:organizations::" + mgmt + ":organization/" + org.Id,
			FeatureSet: "ALL", MasterAccountArn: "arn:aws:organizations::" + mgmt + ":account/" + org.Id + "/" + mgmt,
			MasterAccountId: mgmt, MasterAccountEmail: "root@example.com",
			AvailablePolicyTypes: []organizations.PolicyTypeSummary{{Type: "SERVICE_CONTROL_POLICY", Status: "ENABLED"}}}
		if diff := cmp.Diff(want, org); diff != "" {
			t.Fatalf("Organization (-want +got):\n%s", diff)
		}
		desc, err := e.svc.DescribeOrganization(e.ctx, &organizations.DescribeOrganizationInput{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, desc.Organization); diff != "" {
			t.Fatalf("DescribeOrganization (-want +got):\n%s", diff)
		}
	})
	t.Run("ConsolidatedBilling", func(t *testing.T) {
		e := newEnv(t)
		out, err := e.svc.CreateOrganization(e.ctx, &organizations.CreateOrganizationInput{FeatureSet: "CONSOLIDATED_BILLING"})
		if err != nil {
			t.Fatal(err)
		}
		if got := out.Organization; got.FeatureSet != "CONSOLIDATED_BILLING" || got.AvailablePolicyTypes == nil || len(got.AvailablePolicyTypes) != 0 {
			t.Fatalf("FeatureSet=%s AvailablePolicyTypes=%#v, want CONSOLIDATED_BILLING and []", got.FeatureSet, got.AvailablePolicyTypes)
		}
	})
	t.Run("ErrAlreadyInOrganization", func(t *testing.T) {
		e := newEnv(t)
		e.mustCreateOrg(t)
		_, err := e.svc.CreateOrganization(e.ctx, &organizations.CreateOrganizationInput{})
		wantCode(t, err, organizations.CodeAlreadyInOrganization)
	})
	t.Run("ErrAlreadyInOrganizationMember", func(t *testing.T) {
		e := newEnv(t)
		e.mustCreateOrg(t)
		member := e.mustCreateAccount(t, "dev", "dev@example.com").AccountId
		_, err := e.svc.CreateOrganization(as(context.Background(), member), &organizations.CreateOrganizationInput{})
		wantCode(t, err, organizations.CodeAlreadyInOrganization)
	})
}

func TestService_DescribeOrganization(t *testing.T) {
	t.Run("ErrNotInUse", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.svc.DescribeOrganization(e.ctx, &organizations.DescribeOrganizationInput{})
		wantCode(t, err, organizations.CodeNotInUse)
	})
	t.Run("Member", func(t *testing.T) {
		e := newEnv(t)
		org := e.mustCreateOrg(t)
		member := e.mustCreateAccount(t, "dev", "dev@example.com").AccountId
		out, err := e.svc.DescribeOrganization(as(context.Background(), member), &organizations.DescribeOrganizationInput{})
		if err != nil {
			t.Fatal(err)
		}
		if out.Organization.Id != org.Id || out.Organization.MasterAccountId != mgmt {
			t.Fatalf("Organization=%+v, want %s managed by %s", out.Organization, org.Id, mgmt)
		}
	})
}

func TestService_CreateAccount(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newEnv(t)
		org := e.mustCreateOrg(t)
		st := e.mustCreateAccount(t, "dev", "dev@example.com")
		if st.State != "SUCCEEDED" || st.AccountName != "dev" || st.FailureReason != "" ||
			st.RequestedTimestamp.IsZero() || st.CompletedTimestamp.IsZero() {
			t.Fatalf("CreateAccountStatus=%+v, want SUCCEEDED with timestamps", st)
		}
		if !regexp.MustCompile(`^car-[a-z0-9]{32}$`).MatchString(st.Id) || !regexp.MustCompile(`^[1-9][0-9]{11}$`).MatchString(st.AccountId) {
			t.Fatalf("Id=%q AccountId=%q, want car-… and 12 digits", st.Id, st.AccountId)
		}
		repo := store.IAM{DB: e.db}
		a, err := repo.Account(context.Background(), st.AccountId)
		if err != nil {
			t.Fatal(err)
		}
		want := &iam.Account{ID: st.AccountId, Name: "dev", Email: "dev@example.com", Status: "ACTIVE", JoinedMethod: "CREATED",
			Created: st.RequestedTimestamp, OrgID: org.Id}
		if diff := cmp.Diff(want, a); diff != "" {
			t.Fatalf("Account (-want +got):\n%s", diff)
		}
		checkAccessRole(t, repo, st.AccountId, organizations.DefaultRoleName)
	})
	t.Run("RoleName", func(t *testing.T) {
		e := newEnv(t)
		e.mustCreateOrg(t)
		out, err := e.svc.CreateAccount(e.ctx, &organizations.CreateAccountInput{AccountName: "ops", Email: "ops@example.com",
			RoleName: "Admin", Tags: []organizations.Tag{{Key: "team", Value: "ops"}}})
		if err != nil {
			t.Fatal(err)
		}
		checkAccessRole(t, store.IAM{DB: e.db}, out.CreateAccountStatus.AccountId, "Admin")
	})
	t.Run("EmailAlreadyExists", func(t *testing.T) {
		e := newEnv(t)
		e.mustCreateOrg(t)
		for _, email := range []string{"root@example.com", "ROOT@example.com"} {
			st := e.mustCreateAccount(t, "dup", email)
			if st.State != "FAILED" || st.FailureReason != "EMAIL_ALREADY_EXISTS" || st.AccountId != "" {
				t.Fatalf("CreateAccountStatus=%+v, want FAILED EMAIL_ALREADY_EXISTS", st)
			}
		}
		list, err := e.svc.ListAccounts(e.ctx, &organizations.ListAccountsInput{})
		if err != nil || len(list.Accounts) != 1 {
			t.Fatalf("ListAccounts=%v, %v; want the management account only", list, err)
		}
	})
	t.Run("ErrNotInUse", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.svc.CreateAccount(e.ctx, &organizations.CreateAccountInput{AccountName: "dev", Email: "dev@example.com"})
		wantCode(t, err, organizations.CodeNotInUse)
	})
	t.Run("ErrAccessDeniedMember", func(t *testing.T) {
		e := newEnv(t)
		e.mustCreateOrg(t)
		member := e.mustCreateAccount(t, "dev", "dev@example.com").AccountId
		_, err := e.svc.CreateAccount(as(context.Background(), member), &organizations.CreateAccountInput{AccountName: "x", Email: "x@example.com"})
		wantCode(t, err, organizations.CodeAccessDenied)
	})
}

// checkAccessRole checks that account has role name, assumable by the
// management account, with AdministratorAccess attached.
func checkAccessRole(t *testing.T, repo store.IAM, account, name string) {
	t.Helper()
	ctx := context.Background()
	role, err := repo.Entity(ctx, account, iam.KindRole, name)
	if err != nil {
		t.Fatalf("role %s: %v", name, err)
	}
	const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}`
	if role.Path != "/" || role.Data.AssumeRolePolicy != trust {
		t.Fatalf("role Path=%q trust=%s, want / and %s", role.Path, role.Data.AssumeRolePolicy, trust)
	}
	arns, err := repo.AttachedPolicies(ctx, role.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"arn:aws:iam::aws:policy/AdministratorAccess"}, arns); diff != "" {
		t.Fatalf("AttachedPolicies (-want +got):\n%s", diff)
	}
}

func TestService_DescribeCreateAccountStatus(t *testing.T) {
	e := newEnv(t)
	e.mustCreateOrg(t)
	created := e.mustCreateAccount(t, "dev", "dev@example.com")
	failed := e.mustCreateAccount(t, "dup", "dev@example.com")
	for _, want := range []*organizations.CreateAccountStatus{created, failed} {
		t.Run(want.State, func(t *testing.T) {
			out, err := e.svc.DescribeCreateAccountStatus(e.ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: want.Id})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, out.CreateAccountStatus); diff != "" {
				t.Fatalf("CreateAccountStatus (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := e.svc.DescribeCreateAccountStatus(e.ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: "car-0123456789abcdef"})
		wantCode(t, err, organizations.CodeCreateAccountStatusNotFound)
	})
	t.Run("ErrAccessDeniedMember", func(t *testing.T) {
		_, err := e.svc.DescribeCreateAccountStatus(as(context.Background(), created.AccountId), &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: created.Id})
		wantCode(t, err, organizations.CodeAccessDenied)
	})
}

func TestService_ListAccounts(t *testing.T) {
	e := newEnv(t)
	e.mustCreateOrg(t)
	a := e.mustCreateAccount(t, "a", "a@example.com").AccountId
	b := e.mustCreateAccount(t, "b", "b@example.com").AccountId

	t.Run("Paging", func(t *testing.T) {
		var ids []string
		var token string
		for range 10 {
			out, err := e.svc.ListAccounts(e.ctx, &organizations.ListAccountsInput{MaxResults: 1, NextToken: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, acc := range out.Accounts {
				ids = append(ids, acc.Id)
			}
			if token = out.NextToken; token == "" {
				break
			}
		}
		if diff := cmp.Diff([]string{mgmt, a, b}, ids); diff != "" {
			t.Fatalf("accounts (-want +got):\n%s", diff)
		}
	})
	t.Run("Shapes", func(t *testing.T) {
		out, err := e.svc.ListAccounts(e.ctx, &organizations.ListAccountsInput{})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Accounts) != 3 || out.NextToken != "" {
			t.Fatalf("got %d accounts, NextToken %q; want 3 and none", len(out.Accounts), out.NextToken)
		}
		m, c := out.Accounts[0], out.Accounts[1]
		if m.JoinedMethod != "INVITED" || c.JoinedMethod != "CREATED" || m.State != "ACTIVE" || c.Status != "ACTIVE" {
			t.Fatalf("accounts %+v, %+v: want INVITED and CREATED, ACTIVE", m, c)
		}
		if !m.JoinedTimestamp.After(e.base) || !c.JoinedTimestamp.After(m.JoinedTimestamp) {
			t.Fatalf("JoinedTimestamp %v, %v: want the organization's creation, then later", m.JoinedTimestamp, c.JoinedTimestamp)
		}
	})
	for _, token := range []string{"!!!", "bm90IGEgdG9rZW4", "MTIz"} {
		t.Run("ErrInvalidToken/"+token, func(t *testing.T) {
			_, err := e.svc.ListAccounts(e.ctx, &organizations.ListAccountsInput{NextToken: token})
			wantCode(t, err, organizations.CodeInvalidInput)
		})
	}
	t.Run("ErrAccessDeniedMember", func(t *testing.T) {
		_, err := e.svc.ListAccounts(as(context.Background(), a), &organizations.ListAccountsInput{})
		wantCode(t, err, organizations.CodeAccessDenied)
	})
}

func TestService_DescribeAccount(t *testing.T) {
	e := newEnv(t)
	org := e.mustCreateOrg(t)
	st := e.mustCreateAccount(t, "dev", "dev@example.com")
	outsider := "444455556666"
	err := (store.IAM{DB: e.db}).InsertAccount(context.Background(), &iam.Account{ID: outsider, Name: "x", Email: "x@example.com",
		Status: "ACTIVE", JoinedMethod: "INVITED", Created: e.base})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("OK", func(t *testing.T) {
		out, err := e.svc.DescribeAccount(e.ctx, &organizations.DescribeAccountInput{AccountId: st.AccountId})
		if err != nil {
			t.Fatal(err)
		}
		want := &organizations.Account{Id: st.AccountId, Arn: "arn:aws:organizations::" + mgmt + ":account/" + org.Id + "/" + st.AccountId,
			Email: "dev@example.com", Name: "dev", Status: "ACTIVE", State: "ACTIVE", JoinedMethod: "CREATED", JoinedTimestamp: st.RequestedTimestamp}
		if diff := cmp.Diff(want, out.Account); diff != "" {
			t.Fatalf("Account (-want +got):\n%s", diff)
		}
	})
	t.Run("Management", func(t *testing.T) {
		out, err := e.svc.DescribeAccount(e.ctx, &organizations.DescribeAccountInput{AccountId: mgmt})
		if err != nil {
			t.Fatal(err)
		}
		if out.Account.Id != mgmt || out.Account.JoinedMethod != "INVITED" || out.Account.Email != "root@example.com" {
			t.Fatalf("Account=%+v, want the management account", out.Account)
		}
	})
	for _, id := range []string{"999999999999", outsider} {
		t.Run("ErrAccountNotFound/"+id, func(t *testing.T) {
			_, err := e.svc.DescribeAccount(e.ctx, &organizations.DescribeAccountInput{AccountId: id})
			wantCode(t, err, organizations.CodeAccountNotFound)
		})
	}
	t.Run("ErrAccessDeniedMember", func(t *testing.T) {
		_, err := e.svc.DescribeAccount(as(context.Background(), st.AccountId), &organizations.DescribeAccountInput{AccountId: st.AccountId})
		wantCode(t, err, organizations.CodeAccessDenied)
	})
	t.Run("ErrNotInUse", func(t *testing.T) {
		_, err := e.svc.DescribeAccount(as(context.Background(), outsider), &organizations.DescribeAccountInput{AccountId: mgmt})
		wantCode(t, err, organizations.CodeNotInUse)
	})
}

// TestService_Wire checks the outputs against the model through the codec
// the server uses: member names, epoch-second timestamps, empty lists.
func TestService_Wire(t *testing.T) {
	e := newEnv(t)
	invoke := func(op string, params awsproto.Params) string {
		t.Helper()
		o := e.svc.API.Op(op)
		out, err := o.Invoke(e.ctx, params)
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		tree, err := awsproto.ToTree(out)
		if err != nil {
			t.Fatal(err)
		}
		body, err := awsproto.EncodeJSON(o.Model.OutputShape(), tree)
		if err != nil {
			t.Fatal(err)
		}
		return string(body)
	}
	tests := []struct {
		op     string
		params awsproto.Params
		want   string
	}{
		{"CreateOrganization", awsproto.Params{"FeatureSet": "CONSOLIDATED_BILLING"}, `"AvailablePolicyTypes":[]`},
		{"CreateAccount", awsproto.Params{"AccountName": "dev", "Email": "dev@example.com"}, `"RequestedTimestamp":1740830402`},
		{"ListAccounts", awsproto.Params{"MaxResults": 1}, `"JoinedTimestamp":1740830401`},
		{"ListAccounts", awsproto.Params{"MaxResults": 1}, `"NextToken":"`},
	}
	for _, tt := range tests {
		if body := invoke(tt.op, tt.params); !strings.Contains(body, tt.want) {
			t.Errorf("%s body %s, want it to contain %s", tt.op, body, tt.want)
		}
	}
}
