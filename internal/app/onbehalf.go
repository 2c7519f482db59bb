package app

import (
	"context"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/codedeploy"
	"github.com/deploytrail/deploytrail/internal/sns"
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

// publishTriggers returns CodeDeploy's publisher of trigger
// notifications: an SNS Publish by codedeploy.amazonaws.com for the
// deployment group (the topic policy must allow it), recorded as an
// AwsApiCall by AWSService, invokedBy codedeploy.amazonaws.com, in the
// transaction of ctx with the state change that fired it. A publish SNS
// refuses (no topic, policy) is recorded with its error and does not
// hold the deployment back.
func publishTriggers(topics *sns.Service, events store.Events) codedeploy.TriggerPublisher {
	return func(ctx context.Context, sc codedeploy.Scope, groupARN, topicARN, subject, message string) error {
		call := &awsproto.Call{RequestID: trail.NewEventID(), Service: topics.API, Operation: "Publish", Region: sc.Region,
			Time: topics.Now().UTC(), Principal: &awsproto.Principal{Type: awsproto.PrincipalAWSService, AccountID: sc.Account,
				InvokedBy: codeDeployPrincipal}}
		id, err := topics.PublishSubjectAs(ctx, topicARN, subject, message,
			sns.Publisher{Service: codeDeployPrincipal, SourceARN: groupARN, SourceAccount: sc.Account})
		if err != nil && awserr.As(err) == nil {
			return err
		}
		var out map[string]any
		if err == nil {
			out = map[string]any{"MessageId": id}
		}
		params := awsproto.Params{"TopicArn": topicARN, "Subject": subject, "Message": message}
		ev := trail.Build(trail.Input{Call: call, Op: topics.API.Op("Publish"), Params: params, Output: out, Err: err,
			EventID: trail.NewEventID()})
		return events.Record(ctx, ev)
	}
}
