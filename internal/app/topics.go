package app

import (
	"context"

	"github.com/deploytrail/deploytrail/internal/sns"
)

// trailTopics lets CloudTrail and its delivery use the SNS service, which
// they do not import: CloudTrail publishes as the cloudtrail.amazonaws.com
// service principal, for a trail, as the topic policy must allow.
type trailTopics struct{ sns *sns.Service }

const cloudTrailPrincipal = "cloudtrail.amazonaws.com"

func publisher(trailARN, account string) sns.Publisher {
	return sns.Publisher{Service: cloudTrailPrincipal, SourceARN: trailARN, SourceAccount: account}
}

func (t trailTopics) CheckPublisher(ctx context.Context, topicARN, trailARN, account string) error {
	return t.sns.CheckPublisher(ctx, topicARN, publisher(trailARN, account))
}

func (t trailTopics) Publish(ctx context.Context, topicARN, message, trailARN, account string) error {
	_, err := t.sns.PublishAs(ctx, topicARN, message, publisher(trailARN, account))
	return err
}
