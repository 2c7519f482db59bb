package app

import (
	"context"
	"time"

	"github.com/deploytrail/deploytrail/internal/cloudtrail"
	"github.com/deploytrail/deploytrail/internal/signing"
	"github.com/deploytrail/deploytrail/internal/sns"
)

// The adapters here let CloudTrail and its delivery use the SNS service
// and the key ring, which they do not import.

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

// publicKeys lists the digest signing keys for CloudTrail's ListPublicKeys.
type publicKeys struct{ keys *signing.Keys }

func (p publicKeys) PublicKeys(ctx context.Context, region string, start, end time.Time) ([]cloudtrail.PublicKey, error) {
	keys, err := p.keys.Public(ctx, region, start, end)
	if err != nil {
		return nil, err
	}
	out := make([]cloudtrail.PublicKey, 0, len(keys))
	for _, k := range keys {
		out = append(out, cloudtrail.PublicKey{Value: k.PublicDER, ValidityStartTime: k.ValidFrom,
			ValidityEndTime: k.ValidTo, Fingerprint: k.Fingerprint})
	}
	return out, nil
}
