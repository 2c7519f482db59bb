package sns

import (
	"context"
	"errors"
	"time"
)

// Errors a Store returns.
var (
	ErrNotFound = errors.New("sns: not found")
	ErrExists   = errors.New("sns: already exists")
)

// Store persists topics, subscriptions and the outbox of envelopes to
// send; package store implements it. Writes inside a Tx commit together.
type Store interface {
	Tx(ctx context.Context, fn func(ctx context.Context) error) error

	Topic(ctx context.Context, arn string) (*Topic, error)
	// Topics lists the ARNs of an account's topics in a region, sorted.
	Topics(ctx context.Context, account, region string) ([]string, error)
	InsertTopic(ctx context.Context, t *Topic) error // ErrExists
	UpdateTopic(ctx context.Context, t *Topic) error
	// DeleteTopic deletes the topic, its subscriptions and their queued
	// envelopes.
	DeleteTopic(ctx context.Context, arn string) error

	Subscription(ctx context.Context, arn string) (*Subscription, error)
	// Subscriptions lists subscriptions, sorted by ARN: a topic's when
	// topicARN is set, else every one of an account's in a region.
	Subscriptions(ctx context.Context, account, region, topicARN string) ([]*Subscription, error)
	InsertSubscription(ctx context.Context, sub *Subscription) error
	UpdateSubscription(ctx context.Context, sub *Subscription) error
	// DeleteSubscription deletes the subscription and its queued envelopes.
	DeleteSubscription(ctx context.Context, arn string) error

	// Enqueue stores envelopes to send.
	Enqueue(ctx context.Context, envs ...*Envelope) error
	// Due returns at most limit envelopes whose Next is not after now,
	// earliest first.
	Due(ctx context.Context, now time.Time, limit int) ([]*Envelope, error)
	// Sent removes a delivered (or abandoned) envelope.
	Sent(ctx context.Context, id int64) error
	// Retry records a failed attempt and when to try again.
	Retry(ctx context.Context, env *Envelope) error
}

// Topic is a topic with its settable attributes.
type Topic struct {
	ARN     string
	Account string
	Region  string
	Name    string
	// Attributes are the ones SetTopicAttributes sets: Policy,
	// DisplayName, DeliveryPolicy, SignatureVersion, TracingConfig,
	// KmsMasterKeyId.
	Attributes map[string]string
	Tags       []Tag
	Created    time.Time
}

// Tag is a topic tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// Subscription is an endpoint subscribed to a topic.
type Subscription struct {
	ARN      string
	TopicARN string
	Owner    string // the account that subscribed
	Region   string
	Protocol string // http or https
	Endpoint string
	// Confirmed is set once the endpoint confirmed; until then the
	// subscription receives nothing but its confirmation request.
	Confirmed bool
	// TokenHash is the SHA-256 (hex) of the confirmation token: the token
	// itself is a bearer secret and only travels in the envelope.
	TokenHash string
	// Attributes set by Subscribe, ConfirmSubscription and
	// SetSubscriptionAttributes: RawMessageDelivery, DeliveryPolicy,
	// AuthenticateOnUnsubscribe.
	Attributes map[string]string
	Created    time.Time
}

// Envelope is one HTTP POST to send to a subscriber.
type Envelope struct {
	ID              int64
	SubscriptionARN string
	TopicARN        string
	Endpoint        string
	Type            string // Notification, SubscriptionConfirmation, UnsubscribeConfirmation
	MessageID       string
	Body            string // the JSON envelope, or the bare message for raw delivery
	Attempts        int
	// MaxAttempts is 1 + the retries the subscription's delivery policy
	// allows.
	MaxAttempts int
	Next        time.Time
	LastError   string
}
