package codedeploy_test

import (
	"context"
	"strings"
	"testing"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/codedeploy"
	"github.com/deploytrail/deploytrail/internal/store"
)

// staleActive is a real store whose next read of a group's active
// deployment misses it: what a read made before a concurrent
// CreateDeployment committed sees, on a database that does not run its
// writers one at a time (PostgreSQL's read committed without the
// committer's batch lock).
type staleActive struct {
	store.CodeDeploy
	missed bool
}

func (s *staleActive) ActiveDeploymentOfGroup(ctx context.Context, groupID string) (*codedeploy.Deployment, error) {
	d, err := s.CodeDeploy.ActiveDeploymentOfGroup(ctx, groupID)
	if err == nil && !s.missed {
		s.missed = true
		return nil, codedeploy.ErrNotFound
	}
	return d, err
}

// TestCreateDeployment_LateConflict: when the group's check misses a
// deployment that committed after it, the database's one-active index
// refuses the insert, and the caller still gets CodeDeploy's
// DeploymentLimitExceededException naming the deployment that holds the
// group, with nothing of its own stored.
func TestCreateDeployment_LateConflict(t *testing.T) {
	f := newFixture(t, "web-1")
	first := f.create(t, nil)
	stale := &staleActive{CodeDeploy: f.st}
	svc := codedeploy.New(stale, []byte("k"))
	_, err := svc.CreateDeployment(f.ctx, &codedeploy.CreateDeploymentInput{ApplicationName: "app", DeploymentGroupName: "dg", Revision: revision("v2.zip")})
	if !stale.missed {
		t.Fatal("the check did not list the group's active deployments")
	}
	if awserr.Code(err) != codedeploy.CodeDeploymentLimitExceeded || !strings.Contains(awserr.Message(err), first) {
		t.Fatalf("CreateDeployment=%v, want %s naming %s", err, codedeploy.CodeDeploymentLimitExceeded, first)
	}
	all, err := f.st.Deployments(f.ctx, codedeploy.DeploymentFilter{Scope: codedeploy.Scope{Account: "111122223333", Region: "us-east-1"}})
	if err != nil || len(all) != 1 {
		t.Fatalf("deployments stored=%d, %v, want only %s", len(all), err, first)
	}
	if last := f.groupInfo(t).LastAttemptedDeployment; last == nil || last.DeploymentID != first {
		t.Fatalf("group's last attempted deployment=%+v, want %s", last, first)
	}
}
