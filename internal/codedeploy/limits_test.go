package codedeploy_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/codedeploy"
)

// An account with MaxActiveDeployments running gets
// DeploymentLimitExceededException for one more, and creates nothing;
// once one ends, it may deploy again.
func TestCreateDeployment_AccountLimit(t *testing.T) {
	f := newFixture(t, "web-1")
	sc := codedeploy.Scope{Account: "111122223333", Region: "us-east-1"}
	var first string
	for i := range codedeploy.MaxActiveDeployments {
		id := fmt.Sprintf("d-%09d", i)
		if i == 0 {
			first = id
		}
		f.must(t, f.st.InsertDeployment(f.ctx, &codedeploy.Deployment{Scope: sc, AppID: "app-id", GroupID: fmt.Sprintf("other-group-%d", i),
			Info: codedeploy.DeploymentInfo{DeploymentID: id, ApplicationName: "app", DeploymentGroupName: fmt.Sprintf("g%d", i),
				Status: codedeploy.StatusCreated, CreateTime: time.Now()}}))
	}
	_, err := f.svc.CreateDeployment(f.ctx, &codedeploy.CreateDeploymentInput{ApplicationName: "app", DeploymentGroupName: "dg", Revision: revision("v1.zip")})
	if awserr.Code(err) != codedeploy.CodeDeploymentLimitExceeded {
		t.Fatalf("deployment %d: err=%v, want %s", codedeploy.MaxActiveDeployments+1, err, codedeploy.CodeDeploymentLimitExceeded)
	}
	if n, _ := f.st.CountActiveDeployments(f.ctx, sc); n != codedeploy.MaxActiveDeployments {
		t.Fatalf("%d active deployments after the refusal, want %d", n, codedeploy.MaxActiveDeployments)
	}
	d := f.deployment(t, first)
	d.Info.Status = codedeploy.StatusSucceeded
	f.must(t, f.st.UpdateDeployment(f.ctx, d))
	f.create(t, nil)
}
