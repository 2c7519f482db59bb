package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/codedeploy"
	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/store/storetest"
)

var cdScope = codedeploy.Scope{Account: "111122223333", Region: "us-east-1"}

func cdDeployment(id, group, status string) *codedeploy.Deployment {
	return &codedeploy.Deployment{Scope: cdScope, AppID: "app-id", GroupID: group,
		Info: codedeploy.DeploymentInfo{DeploymentID: id, Status: status, CreateTime: time.Now()}}
}

// TestCodeDeploy_OneActiveDeploymentPerGroup: the database refuses a
// second active deployment in a group (ErrGroupActive), whatever the
// service checked, and leaves the transaction usable, so that the
// service can read which deployment holds the group; ended deployments
// and other groups are not limited.
func TestCodeDeploy_OneActiveDeploymentPerGroup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.CodeDeploy{DB: db}
		insert := func(d *codedeploy.Deployment) error {
			return db.Tx(ctx, func(ctx context.Context) error { return s.InsertDeployment(ctx, d) })
		}
		if err := insert(cdDeployment("d-AAAAAAAA1", "g1", codedeploy.StatusCreated)); err != nil {
			t.Fatal(err)
		}
		for _, status := range []string{codedeploy.StatusCreated, codedeploy.StatusQueued, codedeploy.StatusInProgress,
			codedeploy.StatusBaking, codedeploy.StatusReady} {
			if err := insert(cdDeployment("d-AAAAAAAA2", "g1", status)); !errors.Is(err, codedeploy.ErrGroupActive) {
				t.Errorf("a second %s deployment in g1: err=%v, want ErrGroupActive", status, err)
			}
		}
		if err := insert(cdDeployment("d-AAAAAAAA1", "g2", codedeploy.StatusSucceeded)); !errors.Is(err, codedeploy.ErrExists) {
			t.Errorf("a deployment id taken: err=%v, want ErrExists", err)
		}
		for id, d := range map[string]*codedeploy.Deployment{
			"another group":        cdDeployment("d-AAAAAAAA3", "g2", codedeploy.StatusInProgress),
			"an ended deployment":  cdDeployment("d-AAAAAAAA4", "g1", codedeploy.StatusFailed),
			"a stopped deployment": cdDeployment("d-AAAAAAAA5", "g1", codedeploy.StatusStopped),
		} {
			if err := insert(d); err != nil {
				t.Errorf("%s: %v", id, err)
			}
		}
		err := db.Tx(ctx, func(ctx context.Context) error {
			if err := s.InsertDeployment(ctx, cdDeployment("d-AAAAAAAA6", "g1", codedeploy.StatusCreated)); !errors.Is(err, codedeploy.ErrGroupActive) {
				t.Errorf("err=%v, want ErrGroupActive", err)
			}
			active, err := s.Deployments(ctx, codedeploy.DeploymentFilter{Scope: cdScope, GroupID: "g1", Statuses: []string{codedeploy.StatusCreated}})
			if err != nil || len(active) != 1 || active[0].Info.DeploymentID != "d-AAAAAAAA1" {
				t.Errorf("the group's active deployments after the refusal=%v, %v, want d-AAAAAAAA1", active, err)
			}
			d := cdDeployment("d-AAAAAAAA1", "g1", codedeploy.StatusSucceeded)
			if err := s.UpdateDeployment(ctx, d); err != nil {
				return err
			}
			return s.InsertDeployment(ctx, cdDeployment("d-AAAAAAAA7", "g1", codedeploy.StatusCreated))
		})
		if err != nil {
			t.Fatalf("ending the active deployment and starting the next in one transaction: %v", err)
		}
	})
}

// TestCreateDeployment_RacingHandles: CreateDeployment for one group from
// two services, each on its own handle of one database (two processes, or
// two nodes), racing round after round: each round exactly one call
// creates a deployment and the other gets CodeDeploy's
// DeploymentLimitExceededException naming it.
func TestCreateDeployment_RacingHandles(t *testing.T) {
	storetest.EachShared(t, func(t *testing.T, a, b *store.DB) {
		ctx := awsproto.NewContext(context.Background(), &awsproto.Call{Region: cdScope.Region,
			Principal: &awsproto.Principal{AccountID: cdScope.Account, Type: "Root"}})
		mustDeploymentGroup(t, store.CodeDeploy{DB: a})
		svcs := []*codedeploy.Service{codedeploy.New(store.CodeDeploy{DB: a}, []byte("k")), codedeploy.New(store.CodeDeploy{DB: b}, []byte("k"))}
		in := func() *codedeploy.CreateDeploymentInput {
			return &codedeploy.CreateDeploymentInput{ApplicationName: "app", DeploymentGroupName: "dg",
				Revision: &codedeploy.RevisionLocation{RevisionType: "S3", S3Location: &codedeploy.S3Location{Bucket: "b", Key: "v1.zip", BundleType: "zip"}}}
		}
		for round := range 10 {
			var ids [2]string
			var errs [2]error
			var wg sync.WaitGroup
			for i, svc := range svcs {
				wg.Go(func() {
					out, err := svc.CreateDeployment(ctx, in())
					if errs[i] = err; err == nil {
						ids[i] = out.DeploymentID
					}
				})
			}
			wg.Wait()
			won, lost := 0, 1
			if errs[0] != nil {
				won, lost = 1, 0
			}
			if errs[won] != nil || awserr.Code(errs[lost]) != codedeploy.CodeDeploymentLimitExceeded ||
				!strings.Contains(awserr.Message(errs[lost]), ids[won]) {
				t.Fatalf("round %d: CreateDeployment=%q, %v and %q, %v: want one created and the other refused naming it",
					round, ids[0], errs[0], ids[1], errs[1])
			}
			if _, err := svcs[lost].StopDeployment(ctx, &codedeploy.StopDeploymentInput{DeploymentID: ids[won]}); err != nil {
				t.Fatalf("round %d: StopDeployment: %v", round, err)
			}
		}
	})
}

// mustDeploymentGroup stores application "app" with group "dg", which
// selects no instance.
func mustDeploymentGroup(t *testing.T, s store.CodeDeploy) {
	t.Helper()
	err := s.Tx(context.Background(), func(ctx context.Context) error {
		err := s.InsertApplication(ctx, &codedeploy.Application{Scope: cdScope, Info: codedeploy.ApplicationInfo{
			ApplicationID: "app-id", ApplicationName: "app", ComputePlatform: codedeploy.PlatformServer}})
		if err != nil {
			return err
		}
		return s.InsertDeploymentGroup(ctx, &codedeploy.DeploymentGroup{Scope: cdScope, AppID: "app-id", Info: codedeploy.DeploymentGroupInfo{
			ApplicationName: "app", DeploymentGroupID: "dg-id", DeploymentGroupName: "dg", DeploymentConfigName: codedeploy.DefaultConfigName,
			ComputePlatform: codedeploy.PlatformServer}})
	})
	if err != nil {
		t.Fatal(err)
	}
}
