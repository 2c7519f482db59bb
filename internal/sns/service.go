// Package sns serves an SNS-compatible topic service (AWS Query protocol)
// for HTTP and HTTPS subscribers: topics with policies, subscriptions
// confirmed through SNS's SubscriptionConfirmation flow, and Publish,
// whose messages reach every confirmed subscriber as signed envelopes
// (spec cloudtrail.md §8.3), retried with backoff. CloudTrail announces
// its deliveries here, and CodeDeploy's triggers will.
//
// A publish is durable: the envelopes to send are stored in an outbox in
// the same transaction as the call (and its audit event), and the
// Dispatcher sends them afterwards, across restarts. Where it may send is
// guarded by Egress (no loopback, link-local, private or own addresses
// unless the operator allows them).
//
// It imports awserr, awsproto, pagetoken and IAM's policy language; the
// store implements Store.
package sns

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/pagetoken"
)

// SNS's error codes (the model's exception shapes' wire codes).
const (
	CodeInvalidParameter = "InvalidParameter"
	CodeNotFound         = "NotFound"
	CodeAuthorization    = "AuthorizationError"
	CodeTagLimit         = "TagLimitExceeded"
	CodeResourceNotFound = "ResourceNotFound"
)

// Quotas and page sizes.
const (
	pageSize       = 100
	maxMessage     = 256 * 1024 // bytes of Message, AWS's limit
	maxSubject     = 100
	maxTags        = 50
	tokenLifetime  = 3 * 24 * time.Hour // an unconfirmed subscription's token
	pendingArn     = "pending confirmation"
	defaultVersion = "1" // SignatureVersion of a new topic
)

// Service implements SNS.
type Service struct {
	store  Store
	signer *Signer
	tokens pagetoken.Sealer
	// Now is the clock; tests replace it.
	Now func() time.Time
	// wake tells the Dispatcher that envelopes were queued.
	wake chan struct{}
	// publicURL is where subscribers reach this server: the base of
	// SubscribeURL, UnsubscribeURL and SigningCertURL.
	publicURL atomic.Pointer[string]
	// Egress decides which endpoint addresses may be subscribed and sent
	// to; set its allowances before serving.
	Egress *Egress

	API *awsproto.Service
}

// New returns the SNS service backed by store, signing envelopes with
// signer and sealing NextTokens with key.
func New(store Store, signer *Signer, key []byte) *Service {
	s := &Service{store: store, signer: signer, tokens: pagetoken.Sealer{Key: key}, Now: time.Now,
		wake: make(chan struct{}, 1), Egress: &Egress{}}
	s.SetPublicURL("http://127.0.0.1:4590")
	s.API = &awsproto.Service{
		Name: "sns", EventSource: "sns.amazonaws.com", Protocol: awsproto.Query,
		Model: awsproto.MustLoadModel("sns"), ValidationCode: CodeInvalidParameter,
		ErrorCodes: map[string]string{awserr.CodeAccessDenied: CodeAuthorization},
	}
	s.registerTopics()
	s.registerSubscriptions()
	awsproto.Handle(s.API, "Publish", s.Publish)
	s.registerTags()
	s.API.Authorize(resources)
	s.API.AllowAnonymous("ConfirmSubscription", scopeOf("TopicArn"))
	s.API.AllowAnonymous("Unsubscribe", scopeOf("SubscriptionArn"))
	return s
}

// SetPublicURL sets the base URL subscribers reach this server at, e.g.
// "https://deploytrail.example.com". Envelopes queued later use it.
func (s *Service) SetPublicURL(u string) {
	u = strings.TrimRight(u, "/")
	s.publicURL.Store(&u)
}

func (s *Service) baseURL() string { return *s.publicURL.Load() }

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Millisecond) }

// resources names the ARN each operation is authorized on.
var resources = map[string]awsproto.ResourceFunc{
	"DeleteTopic":               param("TopicArn"),
	"GetTopicAttributes":        param("TopicArn"),
	"SetTopicAttributes":        param("TopicArn"),
	"AddPermission":             param("TopicArn"),
	"RemovePermission":          param("TopicArn"),
	"Subscribe":                 param("TopicArn"),
	"ConfirmSubscription":       param("TopicArn"),
	"ListSubscriptionsByTopic":  param("TopicArn"),
	"Publish":                   publishTarget,
	"Unsubscribe":               subscriptionTopic,
	"GetSubscriptionAttributes": subscriptionTopic,
	"SetSubscriptionAttributes": subscriptionTopic,
	"TagResource":               param("ResourceArn"),
	"UntagResource":             param("ResourceArn"),
	"ListTagsForResource":       param("ResourceArn"),
	"CreateTopic": func(_ context.Context, c *awsproto.Call, p awsproto.Params) (string, error) {
		name, _ := p["Name"].(string)
		return TopicARN(c.Region, c.Account(), name), nil
	},
}

// The resources are the ARNs the request names; none is looked up, so
// none fails.

func param(name string) awsproto.ResourceFunc {
	return func(_ context.Context, _ *awsproto.Call, p awsproto.Params) (string, error) {
		if v, _ := p[name].(string); v != "" {
			return v, nil
		}
		return "*", nil
	}
}

func publishTarget(ctx context.Context, c *awsproto.Call, p awsproto.Params) (string, error) {
	if v, _ := p["TargetArn"].(string); v != "" {
		return v, nil
	}
	return param("TopicArn")(ctx, c, p)
}

// subscriptionTopic authorizes subscription operations on the topic, as
// AWS does.
func subscriptionTopic(_ context.Context, _ *awsproto.Call, p awsproto.Params) (string, error) {
	arn, _ := p["SubscriptionArn"].(string)
	if a, ok := parseSubscriptionARN(arn); ok {
		return a.topicARN(), nil
	}
	return "*", nil
}

// scopeOf names the account and region of an anonymous call by the ARN
// in its param name.
func scopeOf(name string) func(awsproto.Params) (string, string, bool) {
	return func(p awsproto.Params) (string, string, bool) {
		v, _ := p[name].(string)
		a, ok := parseARN(v)
		return a.Account, a.Region, ok
	}
}

// TopicARN is the ARN of topic name in an account and region.
func TopicARN(region, account, name string) string {
	return fmt.Sprintf("arn:aws:sns:%s:%s:%s", region, account, name)
}

var (
	topicNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
	arnRE       = regexp.MustCompile(`^arn:aws:sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256})(?::([0-9a-f-]{36}))?$`)
)

// ARN is a parsed topic or subscription ARN.
type ARN struct {
	Region, Account, Topic string
	Subscription           string // the subscription id; "" for a topic
}

func parseARN(s string) (ARN, bool) {
	m := arnRE.FindStringSubmatch(s)
	if m == nil {
		return ARN{}, false
	}
	return ARN{Region: m[1], Account: m[2], Topic: m[3], Subscription: m[4]}, true
}

func parseSubscriptionARN(s string) (ARN, bool) {
	a, ok := parseARN(s)
	return a, ok && a.Subscription != ""
}

func (a ARN) topicARN() string { return TopicARN(a.Region, a.Account, a.Topic) }

// ParseTopic resolves a topic name or ARN as CloudTrail's SnsTopicName
// gives it to the topic's ARN in the caller's account and region; ok is
// false for a malformed name.
func ParseTopic(nameOrARN, region, account string) (string, bool) {
	if topicNameRE.MatchString(nameOrARN) {
		return TopicARN(region, account, nameOrARN), true
	}
	if a, ok := parseARN(nameOrARN); ok && a.Subscription == "" {
		return nameOrARN, true
	}
	return "", false
}

func invalidParameter(format string, args ...any) error {
	return awserr.New(CodeInvalidParameter, "Invalid parameter: "+fmt.Sprintf(format, args...))
}

func notFound(what string) error {
	return awserr.New(CodeNotFound, what+" does not exist")
}

func authorizationError(format string, args ...any) error {
	return awserr.New(CodeAuthorization, fmt.Sprintf(format, args...))
}

// topicOf parses a TopicArn param and loads the topic, which must be in
// the caller's account and region (deploytrail has no cross-account
// topic access).
func (s *Service) topicOf(ctx context.Context, arn string) (*Topic, error) {
	a, ok := parseARN(arn)
	if !ok || a.Subscription != "" {
		return nil, invalidParameter("TopicArn")
	}
	call := awsproto.CallFromContext(ctx)
	if a.Account != call.Account() || a.Region != call.Region {
		return nil, notFound("Topic")
	}
	t, err := s.store.Topic(ctx, arn)
	if errors.Is(err, ErrNotFound) {
		return nil, notFound("Topic")
	}
	return t, err
}

// wakeDispatcher tells the Dispatcher that envelopes are due, without
// waiting for it.
func (s *Service) wakeDispatcher() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// page cuts keys (sorted) after the position in token and returns one page
// and the token for the next, "" when none follows.
func (s *Service) page(binding, token string, keys []string) ([]string, string, error) {
	start := 0
	if token != "" {
		after, ok := s.tokens.Open(binding, token)
		if !ok {
			return nil, "", invalidParameter("NextToken")
		}
		for start < len(keys) && keys[start] <= after {
			start++
		}
	}
	keys = keys[start:]
	if len(keys) <= pageSize {
		return keys, "", nil
	}
	keys = keys[:pageSize]
	return keys, s.tokens.Seal(binding, keys[len(keys)-1]), nil
}

func errorCode(code, message string) error { return awserr.New(code, message) }
