package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrail/deploytrail/internal/iam"
	"github.com/deploytrail/deploytrail/internal/organizations"
	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/store/storetest"
)

// mustOrgAccount inserts an account created at minute min of the test's day.
func mustOrgAccount(tb testing.TB, s store.Organizations, id, email, org string, min int) {
	tb.Helper()
	a := &iam.Account{ID: id, Name: id, Email: email, Status: "ACTIVE", JoinedMethod: "CREATED",
		Created: orgTestDay.Add(time.Duration(min) * time.Minute), OrgID: org}
	if err := s.InsertAccount(context.Background(), a); err != nil {
		tb.Fatal(err)
	}
}

var orgTestDay = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

func TestOrganizations_InsertOrg(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.Organizations{DB: db}
		mustOrgAccount(t, s, "111111111111", "m@example.com", "", 0)
		o := &organizations.Org{ID: "o-aaaaaaaaaa", ManagementAccount: "111111111111", FeatureSet: "ALL", Created: orgTestDay.Add(time.Hour)}
		if err := s.InsertOrg(ctx, o); err != nil {
			t.Fatal(err)
		}
		got, err := s.Org(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(o, got); diff != "" {
			t.Fatalf("Org (-want +got):\n%s", diff)
		}
		a, err := s.Account(ctx, "111111111111")
		if err != nil || a.OrgID != o.ID {
			t.Fatalf("Account=%+v, %v; want OrgID %s", a, err, o.ID)
		}
		again := &organizations.Org{ID: "o-bbbbbbbbbb", ManagementAccount: "111111111111", FeatureSet: "ALL", Created: orgTestDay}
		if err := s.InsertOrg(ctx, again); !errors.Is(err, organizations.ErrExists) {
			t.Fatalf("second InsertOrg=%v, want ErrExists", err)
		}
		if _, err := s.Org(ctx, "o-cccccccccc"); !errors.Is(err, organizations.ErrNotFound) {
			t.Fatalf("Org(unknown)=%v, want ErrNotFound", err)
		}
		if _, err := s.Account(ctx, "999999999999"); !errors.Is(err, organizations.ErrNotFound) {
			t.Fatalf("Account(unknown)=%v, want ErrNotFound", err)
		}
	})
}

func TestOrganizations_Members(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.Organizations{DB: db}
		const org = "o-aaaaaaaaaa"
		mustOrgAccount(t, s, "100000000000", "m@example.com", "", 0)
		if err := s.InsertOrg(ctx, &organizations.Org{ID: org, ManagementAccount: "100000000000", FeatureSet: "ALL", Created: orgTestDay.Add(10 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		// Two accounts join in the same instant: the id breaks the tie.
		mustOrgAccount(t, s, "300000000000", "c@example.com", org, 20)
		mustOrgAccount(t, s, "200000000000", "b@example.com", org, 20)
		mustOrgAccount(t, s, "400000000000", "d@example.com", org, 30)
		mustOrgAccount(t, s, "500000000000", "x@example.com", "", 5) // in no organization

		t.Run("Order", func(t *testing.T) {
			var ids []string
			var after organizations.Cursor
			for {
				page, more, err := s.Members(ctx, org, after, 2)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range page {
					ids = append(ids, m.ID)
				}
				if !more {
					break
				}
				last := page[len(page)-1]
				after = organizations.Cursor{Joined: last.Joined, ID: last.ID}
			}
			if diff := cmp.Diff([]string{"100000000000", "200000000000", "300000000000", "400000000000"}, ids); diff != "" {
				t.Fatalf("members (-want +got):\n%s", diff)
			}
		})
		t.Run("Member", func(t *testing.T) {
			m, err := s.Member(ctx, org, "100000000000")
			if err != nil {
				t.Fatal(err)
			}
			if want := orgTestDay.Add(10 * time.Minute); !m.Joined.Equal(want) || m.Email != "m@example.com" {
				t.Fatalf("management member Joined=%v Email=%s, want the organization's creation %v", m.Joined, m.Email, want)
			}
			if _, err := s.Member(ctx, org, "500000000000"); !errors.Is(err, organizations.ErrNotFound) {
				t.Fatalf("Member(outsider)=%v, want ErrNotFound", err)
			}
		})
		t.Run("EmailInUse", func(t *testing.T) {
			for email, want := range map[string]bool{"B@Example.com": true, "x@example.com": false, "new@example.com": false} {
				if got, err := s.EmailInUse(ctx, org, email); err != nil || got != want {
					t.Errorf("EmailInUse(%s)=%v, %v; want %v", email, got, err, want)
				}
			}
		})
	})
}

func TestOrganizations_CreateAccountRequest(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.Organizations{DB: db}
		mustOrgAccount(t, s, "100000000000", "m@example.com", "", 0)
		if err := s.InsertOrg(ctx, &organizations.Org{ID: "o-aaaaaaaaaa", ManagementAccount: "100000000000", FeatureSet: "ALL", Created: orgTestDay}); err != nil {
			t.Fatal(err)
		}
		r := &organizations.CreateAccountRequest{ID: "car-aaaaaaaa", OrgID: "o-aaaaaaaaaa", AccountName: "dev", State: "FAILED",
			Requested: orgTestDay, Completed: orgTestDay.Add(time.Millisecond), FailureReason: "EMAIL_ALREADY_EXISTS"}
		if err := s.InsertCreateAccountRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
		got, err := s.CreateAccountRequest(ctx, "o-aaaaaaaaaa", r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(r, got); diff != "" {
			t.Fatalf("CreateAccountRequest (-want +got):\n%s", diff)
		}
		if _, err := s.CreateAccountRequest(ctx, "o-bbbbbbbbbb", r.ID); !errors.Is(err, organizations.ErrNotFound) {
			t.Fatalf("request of another organization: %v, want ErrNotFound", err)
		}
	})
}

func TestOrganizations_InsertRole(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.Organizations{DB: db}
		mustOrgAccount(t, s, "100000000000", "m@example.com", "", 0)
		role := iam.NewRole("100000000000", "Admin", "/", `{"Version":"2012-10-17","Statement":[]}`, orgTestDay)
		arn := "arn:aws:iam::aws:policy/AdministratorAccess"
		if err := s.InsertRole(ctx, role, arn); err != nil {
			t.Fatal(err)
		}
		got, err := (store.IAM{DB: db}).AttachedPolicies(ctx, role.ID)
		if err != nil || len(got) != 1 || got[0] != arn {
			t.Fatalf("AttachedPolicies=%v, %v; want [%s]", got, err, arn)
		}
		if err := s.InsertRole(ctx, iam.NewRole("100000000000", "admin", "/", "{}", orgTestDay)); !errors.Is(err, organizations.ErrExists) {
			t.Fatalf("InsertRole(duplicate)=%v, want ErrExists", err)
		}
	})
}
