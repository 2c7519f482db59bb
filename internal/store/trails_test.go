package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrail/deploytrail/internal/cloudtrail"
	"github.com/deploytrail/deploytrail/internal/organizations"
	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/store/storetest"
)

func TestCloudTrail_Trails(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.CloudTrail{Events: store.Events{DB: db}}
		orgs := store.Organizations{DB: db}
		mustOrgAccount(t, orgs, "111111111111", "m@example.com", "", 0)
		mustOrgAccount(t, orgs, "222222222222", "x@example.com", "", 1)
		if _, err := s.Organization(ctx, "111111111111"); !errors.Is(err, cloudtrail.ErrNotFound) {
			t.Fatalf("Organization before CreateOrganization: err=%v", err)
		}
		if err := orgs.InsertOrg(ctx, &organizations.Org{ID: "o-abc", ManagementAccount: "111111111111", FeatureSet: "ALL", Created: orgTestDay}); err != nil {
			t.Fatal(err)
		}
		org, err := s.Organization(ctx, "111111111111")
		if err != nil || *org != (cloudtrail.Organization{ID: "o-abc", ManagementAccount: "111111111111", FeatureSet: "ALL"}) {
			t.Fatalf("Organization=%+v, %v", org, err)
		}

		mk := func(account, region, name, orgID string) *cloudtrail.Trail {
			return &cloudtrail.Trail{ARN: cloudtrail.ARN(region, account, name), Account: account, HomeRegion: region, OrgID: orgID,
				Created: orgTestDay, Config: cloudtrail.TrailConfig{Name: name, S3BucketName: "b"}}
		}
		orgTrail, own, other := mk("111111111111", "us-east-1", "org", "o-abc"), mk("222222222222", "eu-west-1", "own", ""), mk("111111111111", "us-east-1", "private", "")
		for _, tr := range []*cloudtrail.Trail{orgTrail, own, other} {
			if err := s.InsertTrail(ctx, tr); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.InsertTrail(ctx, own); !errors.Is(err, cloudtrail.ErrExists) {
			t.Fatalf("second InsertTrail: err=%v", err)
		}
		got, err := s.Trails(ctx, "222222222222", "o-abc")
		if err != nil || len(got) != 2 || got[0].ARN != own.ARN || got[1].ARN != orgTrail.ARN {
			t.Fatalf("Trails of the member=%v, %v", got, err)
		}

		own.Status = cloudtrail.Status{IsLogging: true, StartLoggingTime: time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC)}
		own.Tags = []cloudtrail.Tag{{Key: "k"}}
		if err := s.UpdateTrail(ctx, own); err != nil {
			t.Fatal(err)
		}
		read, err := s.Trail(ctx, own.ARN)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(own, read); diff != "" {
			t.Fatalf("Trail (-want +got):\n%s", diff)
		}
		if err := s.DeleteTrail(ctx, own.ARN); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Trail(ctx, own.ARN); !errors.Is(err, cloudtrail.ErrNotFound) {
			t.Fatalf("Trail after delete: err=%v", err)
		}
		if err := s.UpdateTrail(ctx, own); !errors.Is(err, cloudtrail.ErrNotFound) {
			t.Fatalf("UpdateTrail after delete: err=%v", err)
		}
	})
}
