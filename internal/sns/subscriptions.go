package sns

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/deploytrail/deploytrail/internal/awsproto"
)

type (
	SubscribeInput struct {
		TopicArn              string            `json:"TopicArn"`
		Protocol              string            `json:"Protocol"`
		Endpoint              string            `json:"Endpoint"`
		Attributes            map[string]string `json:"Attributes"`
		ReturnSubscriptionArn bool              `json:"ReturnSubscriptionArn"`
	}
	SubscriptionArnOutput struct {
		SubscriptionArn string `json:"SubscriptionArn"`
	}
	ConfirmSubscriptionInput struct {
		TopicArn                  string `json:"TopicArn"`
		Token                     string `json:"Token"`
		AuthenticateOnUnsubscribe string `json:"AuthenticateOnUnsubscribe"`
	}
	SubscriptionInput struct {
		SubscriptionArn string `json:"SubscriptionArn"`
	}
	ListSubscriptionsInput struct {
		TopicArn  string `json:"TopicArn"`
		NextToken string `json:"NextToken"`
	}
	ListSubscriptionsOutput struct {
		Subscriptions []SubscriptionRef `json:"Subscriptions"`
		NextToken     string            `json:"NextToken,omitempty"`
	}
	SubscriptionRef struct {
		SubscriptionArn string `json:"SubscriptionArn"`
		Owner           string `json:"Owner"`
		Protocol        string `json:"Protocol"`
		Endpoint        string `json:"Endpoint"`
		TopicArn        string `json:"TopicArn"`
	}
	SetSubscriptionAttributesInput struct {
		SubscriptionArn string  `json:"SubscriptionArn"`
		AttributeName   string  `json:"AttributeName"`
		AttributeValue  *string `json:"AttributeValue"`
	}
)

func (s *Service) registerSubscriptions() {
	awsproto.Handle(s.API, "Subscribe", s.Subscribe)
	awsproto.Handle(s.API, "ConfirmSubscription", s.ConfirmSubscription)
	awsproto.Handle(s.API, "Unsubscribe", s.Unsubscribe)
	awsproto.Handle(s.API, "ListSubscriptions", s.ListSubscriptions)
	awsproto.Handle(s.API, "ListSubscriptionsByTopic", s.ListSubscriptionsByTopic)
	awsproto.Handle(s.API, "GetSubscriptionAttributes", s.GetSubscriptionAttributes)
	awsproto.Handle(s.API, "SetSubscriptionAttributes", s.SetSubscriptionAttributes)
}

// subscriptionAttributes are the attributes Subscribe and
// SetSubscriptionAttributes accept, with their checks. Filter policies
// and redrive policies are not supported: they are refused by name.
var subscriptionAttributes = map[string]func(string) error{
	"RawMessageDelivery": checkOneOf("RawMessageDelivery", "true", "false"),
	"DeliveryPolicy":     checkSubscriptionDeliveryPolicy,
}

func checkSubscriptionAttribute(name, value string) error {
	check, ok := subscriptionAttributes[name]
	if !ok {
		if name == "FilterPolicy" || name == "FilterPolicyScope" || name == "RedrivePolicy" {
			return invalidParameter("Attributes Reason: %s is not supported by deploytrail", name)
		}
		return invalidParameter("AttributeName")
	}
	return check(value)
}

// Subscribe subscribes an HTTP or HTTPS endpoint and sends it a
// SubscriptionConfirmation; the subscription receives notifications once
// the endpoint confirms. Subscribing an endpoint again returns the
// existing subscription (and resends a pending one's confirmation).
//
// Errors: InvalidParameter (protocol, endpoint, attributes; an endpoint
// address the Egress refuses), NotFound.
func (s *Service) Subscribe(ctx context.Context, in *SubscribeInput) (*SubscriptionArnOutput, error) {
	protocol := strings.ToLower(in.Protocol)
	if protocol != "http" && protocol != "https" {
		return nil, invalidParameter("Amazon SNS does not support this protocol: deploytrail delivers to http and https endpoints")
	}
	if !strings.HasPrefix(strings.ToLower(in.Endpoint), protocol+"://") || len(in.Endpoint) <= len(protocol)+3 {
		return nil, invalidParameter("Endpoint must match the specified protocol")
	}
	if err := s.Egress.CheckEndpoint(in.Endpoint); err != nil {
		return nil, err
	}
	for k, v := range in.Attributes {
		if err := checkSubscriptionAttribute(k, v); err != nil {
			return nil, err
		}
	}
	t, subs, err := s.topicSubscriptions(ctx, in.TopicArn)
	if err != nil {
		return nil, err
	}
	for _, sub := range subs {
		if sub.Protocol == protocol && sub.Endpoint == in.Endpoint {
			return s.resubscribe(ctx, t, sub, in.ReturnSubscriptionArn)
		}
	}
	sub := &Subscription{ARN: t.ARN + ":" + newUUID(), TopicARN: t.ARN, Owner: awsproto.CallFromContext(ctx).Account(),
		Region: t.Region, Protocol: protocol, Endpoint: in.Endpoint, Attributes: in.Attributes, Created: s.now()}
	if sub.Attributes == nil {
		sub.Attributes = map[string]string{}
	}
	if err := s.store.InsertSubscription(ctx, sub); err != nil {
		return nil, err
	}
	return s.resubscribe(ctx, t, sub, in.ReturnSubscriptionArn)
}

// resubscribe answers Subscribe for sub: a confirmed subscription's ARN,
// or for a pending one a fresh token sent in a SubscriptionConfirmation.
func (s *Service) resubscribe(ctx context.Context, t *Topic, sub *Subscription, returnARN bool) (*SubscriptionArnOutput, error) {
	if sub.Confirmed {
		return &SubscriptionArnOutput{SubscriptionArn: sub.ARN}, nil
	}
	token := newToken()
	sub.TokenHash, sub.Created = hashToken(token), s.now()
	if err := s.store.UpdateSubscription(ctx, sub); err != nil {
		return nil, err
	}
	if err := s.store.Enqueue(ctx, s.confirmationEnvelope(t, sub, token)); err != nil {
		return nil, err
	}
	s.wakeDispatcher()
	if returnARN {
		return &SubscriptionArnOutput{SubscriptionArn: sub.ARN}, nil
	}
	return &SubscriptionArnOutput{SubscriptionArn: pendingArn}, nil
}

// ConfirmSubscription confirms the subscription the token was sent to. It
// may be called without a signature (the SubscribeURL link).
//
// Errors: InvalidParameter (unknown or expired token), NotFound.
func (s *Service) ConfirmSubscription(ctx context.Context, in *ConfirmSubscriptionInput) (*SubscriptionArnOutput, error) {
	_, subs, err := s.topicSubscriptions(ctx, in.TopicArn)
	if err != nil {
		return nil, err
	}
	want := hashToken(in.Token)
	for _, sub := range subs {
		if sub.TokenHash == "" || subtle.ConstantTimeCompare([]byte(sub.TokenHash), []byte(want)) != 1 {
			continue
		}
		if !sub.Confirmed && s.now().Sub(sub.Created) > tokenLifetime {
			break
		}
		sub.Confirmed = true
		if strings.EqualFold(in.AuthenticateOnUnsubscribe, "true") && !awsproto.CallFromContext(ctx).IsAnonymous() {
			sub.Attributes["AuthenticateOnUnsubscribe"] = "true"
		}
		return &SubscriptionArnOutput{SubscriptionArn: sub.ARN}, s.store.UpdateSubscription(ctx, sub)
	}
	return nil, invalidParameter("Token")
}

// Unsubscribe deletes a subscription and sends the endpoint an
// UnsubscribeConfirmation. Without a signature (the UnsubscribeURL link)
// it is refused for subscriptions confirmed with
// AuthenticateOnUnsubscribe.
func (s *Service) Unsubscribe(ctx context.Context, in *SubscriptionInput) (*struct{}, error) {
	sub, t, err := s.subscription(ctx, in.SubscriptionArn)
	if err != nil {
		return nil, err
	}
	if awsproto.CallFromContext(ctx).IsAnonymous() && sub.Attributes["AuthenticateOnUnsubscribe"] == "true" {
		return nil, authorizationError("Unsubscribe of this subscription requires authentication")
	}
	if err := s.store.DeleteSubscription(ctx, sub.ARN); err != nil {
		return nil, err
	}
	if sub.Confirmed {
		if err := s.store.Enqueue(ctx, s.unsubscribeEnvelope(t, sub, newToken())); err != nil {
			return nil, err
		}
		s.wakeDispatcher()
	}
	return &struct{}{}, nil
}

// topicSubscriptions loads a topic of the caller's and its subscriptions.
func (s *Service) topicSubscriptions(ctx context.Context, arn string) (*Topic, []*Subscription, error) {
	t, err := s.topicOf(ctx, arn)
	if err != nil {
		return nil, nil, err
	}
	subs, err := s.store.Subscriptions(ctx, t.Account, t.Region, t.ARN)
	return t, subs, err
}

// subscription loads a subscription of the caller's account and its topic.
func (s *Service) subscription(ctx context.Context, arn string) (*Subscription, *Topic, error) {
	a, ok := parseSubscriptionARN(arn)
	if !ok {
		return nil, nil, invalidParameter("SubscriptionArn")
	}
	t, err := s.topicOf(ctx, a.topicARN())
	if err != nil {
		return nil, nil, notFound("Subscription")
	}
	sub, err := s.store.Subscription(ctx, arn)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, notFound("Subscription")
	}
	return sub, t, err
}

// ListSubscriptions lists the caller's subscriptions in the region.
func (s *Service) ListSubscriptions(ctx context.Context, in *ListSubscriptionsInput) (*ListSubscriptionsOutput, error) {
	call := awsproto.CallFromContext(ctx)
	subs, err := s.store.Subscriptions(ctx, call.Account(), call.Region, "")
	if err != nil {
		return nil, err
	}
	return s.listSubscriptions("ListSubscriptions", in.NextToken, subs)
}

// ListSubscriptionsByTopic lists a topic's subscriptions.
func (s *Service) ListSubscriptionsByTopic(ctx context.Context, in *ListSubscriptionsInput) (*ListSubscriptionsOutput, error) {
	t, subs, err := s.topicSubscriptions(ctx, in.TopicArn)
	if err != nil {
		return nil, err
	}
	return s.listSubscriptions("ListSubscriptionsByTopic\x00"+t.ARN, in.NextToken, subs)
}

// listSubscriptions pages subs; pending subscriptions show as
// "PendingConfirmation", as in AWS.
func (s *Service) listSubscriptions(binding, token string, subs []*Subscription) (*ListSubscriptionsOutput, error) {
	byARN := map[string]*Subscription{}
	arns := make([]string, 0, len(subs))
	for _, sub := range subs {
		byARN[sub.ARN] = sub
		arns = append(arns, sub.ARN)
	}
	arns, next, err := s.page(binding, token, arns)
	if err != nil {
		return nil, err
	}
	out := &ListSubscriptionsOutput{Subscriptions: []SubscriptionRef{}, NextToken: next}
	for _, arn := range arns {
		sub := byARN[arn]
		ref := SubscriptionRef{SubscriptionArn: sub.ARN, Owner: sub.Owner, Protocol: sub.Protocol, Endpoint: sub.Endpoint,
			TopicArn: sub.TopicARN}
		if !sub.Confirmed {
			ref.SubscriptionArn = "PendingConfirmation"
		}
		out.Subscriptions = append(out.Subscriptions, ref)
	}
	return out, nil
}

// GetSubscriptionAttributes returns a subscription's attributes and the
// computed ones AWS adds.
func (s *Service) GetSubscriptionAttributes(ctx context.Context, in *SubscriptionInput) (*AttributesOutput, error) {
	sub, t, err := s.subscription(ctx, in.SubscriptionArn)
	if err != nil {
		return nil, err
	}
	retry := effectiveRetry(t, sub)
	attrs := map[string]string{
		"SubscriptionArn": sub.ARN, "TopicArn": sub.TopicARN, "Owner": sub.Owner, "Protocol": sub.Protocol,
		"Endpoint": sub.Endpoint, "PendingConfirmation": boolString(!sub.Confirmed),
		"ConfirmationWasAuthenticated": boolString(sub.Attributes["AuthenticateOnUnsubscribe"] == "true"),
		"RawMessageDelivery":           boolString(sub.Attributes["RawMessageDelivery"] == "true"),
		"EffectiveDeliveryPolicy":      effectiveSubscriptionPolicy(retry),
	}
	if v := sub.Attributes["DeliveryPolicy"]; v != "" {
		attrs["DeliveryPolicy"] = v
	}
	return &AttributesOutput{Attributes: attrs}, nil
}

// SetSubscriptionAttributes sets one attribute; an absent value clears it.
func (s *Service) SetSubscriptionAttributes(ctx context.Context, in *SetSubscriptionAttributesInput) (*struct{}, error) {
	value := setValue(in.AttributeValue)
	if err := checkSubscriptionAttribute(in.AttributeName, value); err != nil {
		return nil, err
	}
	sub, _, err := s.subscription(ctx, in.SubscriptionArn)
	if err != nil {
		return nil, err
	}
	sub.Attributes[in.AttributeName] = value
	if value == "" {
		delete(sub.Attributes, in.AttributeName)
	}
	return &struct{}{}, s.store.UpdateSubscription(ctx, sub)
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// newToken is a confirmation token: 64 random bytes, hex, like SNS's long
// tokens.
func newToken() string {
	b := make([]byte, 64)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// newUUID is a random (version 4) UUID, the form of subscription ids and
// message ids.
func newUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
