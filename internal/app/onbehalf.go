package app

import (
	"context"

	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/codedeploy"
	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// codeDeployPrincipal is the identity of calls CodeDeploy makes on a
// customer's behalf (cloudtrail.md §3, §5.1).
const codeDeployPrincipal = "codedeploy.amazonaws.com"

// recordOnBehalf returns the recorder of CodeDeploy's own calls (an
// automatic rollback's CreateDeployment): an AwsApiCall by AWSService,
// invokedBy codedeploy.amazonaws.com, stored in the transaction of ctx
// with the change it records.
func recordOnBehalf(svc *codedeploy.Service, events store.Events) func(context.Context, codedeploy.Scope, string, any, any) error {
	return func(ctx context.Context, sc codedeploy.Scope, op string, in, out any) error {
		params, err := awsproto.ToTree(in)
		if err != nil {
			return err
		}
		tree, err := awsproto.ToTree(out)
		if err != nil {
			return err
		}
		call := &awsproto.Call{RequestID: trail.NewEventID(), Service: svc.API, Operation: op, Region: sc.Region,
			Time: svc.Now().UTC(), Principal: &awsproto.Principal{Type: awsproto.PrincipalAWSService, AccountID: sc.Account,
				InvokedBy: codeDeployPrincipal}}
		ev := trail.Build(trail.Input{Call: call, Op: svc.API.Op(op), Params: awsproto.Params(params), Output: tree, EventID: trail.NewEventID()})
		return events.Record(ctx, ev)
	}
}
