package app

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/codedeploy"
	"github.com/deploytrail/deploytrail/internal/iam"
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

// useServiceRole returns CodeDeploy's recorder of its use of a group's
// service role when a deployment starts: an STS AssumeRole by AWSService,
// invokedBy codedeploy.amazonaws.com, with the deployment id as session
// name, so that the trail links the role's use to the deployment. No
// credentials are issued (deploytrail's engine needs none), so the
// record shows the assumed-role user only; a role that does not exist is
// recorded as AssumeRole's AccessDenied.
func useServiceRole(sts *awsproto.Service, roles store.IAM, events store.Events) func(context.Context, codedeploy.Scope, string, string) error {
	return func(ctx context.Context, sc codedeploy.Scope, roleARN, session string) error {
		call := &awsproto.Call{RequestID: trail.NewEventID(), Service: sts, Operation: "AssumeRole", Region: sc.Region,
			Time: time.Now().UTC(), Principal: &awsproto.Principal{Type: awsproto.PrincipalAWSService, AccountID: sc.Account,
				InvokedBy: codeDeployPrincipal}}
		out, err := assumedRoleUser(ctx, roles, roleARN, session)
		if err != nil && awserr.As(err) == nil {
			return err
		}
		params := awsproto.Params{"RoleArn": roleARN, "RoleSessionName": session}
		ev := trail.Build(trail.Input{Call: call, Op: sts.Op("AssumeRole"), Params: params, Output: out, Err: err,
			EventID: trail.NewEventID()})
		return events.Record(ctx, ev)
	}
}

// assumedRoleUser is AssumeRole's output tree for the role's session, or
// AccessDenied when roleARN names no role of its account.
func assumedRoleUser(ctx context.Context, roles store.IAM, roleARN, session string) (map[string]any, error) {
	denied := awserr.New(iam.CodeAccessDenied, "User: "+codeDeployPrincipal+" is not authorized to perform: sts:AssumeRole on resource: "+
		awserr.Cut(roleARN, awserr.EchoLimit)).WithStatus(403)
	account, rest, ok := strings.Cut(strings.TrimPrefix(roleARN, "arn:aws:iam::"), ":role/")
	if !ok || !strings.HasPrefix(roleARN, "arn:aws:iam::") {
		return nil, denied
	}
	name := rest[strings.LastIndex(rest, "/")+1:]
	role, err := roles.Entity(ctx, account, iam.KindRole, name)
	if errors.Is(err, iam.ErrNotFound) || (err == nil && role.ARN() != roleARN) {
		return nil, denied
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{"AssumedRoleUser": map[string]any{"AssumedRoleId": role.ID + ":" + session,
		"Arn": "arn:aws:sts::" + account + ":assumed-role/" + name + "/" + session}}, nil
}
