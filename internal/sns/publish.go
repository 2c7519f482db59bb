package sns

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/deploytrail/deploytrail/internal/iam/policy"
)

type (
	PublishInput struct {
		TopicArn               string                           `json:"TopicArn"`
		TargetArn              string                           `json:"TargetArn"`
		PhoneNumber            string                           `json:"PhoneNumber"`
		Message                string                           `json:"Message"`
		Subject                string                           `json:"Subject"`
		MessageStructure       string                           `json:"MessageStructure"`
		MessageAttributes      map[string]MessageAttributeValue `json:"MessageAttributes"`
		MessageDeduplicationID string                           `json:"MessageDeduplicationId"`
		MessageGroupID         string                           `json:"MessageGroupId"`
	}
	MessageAttributeValue struct {
		DataType    string `json:"DataType"`
		StringValue string `json:"StringValue"`
		BinaryValue []byte `json:"BinaryValue"`
	}
	PublishOutput struct {
		MessageID string `json:"MessageId"`
	}
)

// message is a validated publish.
type message struct {
	text       string
	byProtocol map[string]string // MessageStructure "json": the text per protocol
	subject    string
	attributes messageAttributes
	at         time.Time
}

// textFor is what a subscriber of protocol receives.
func (m *message) textFor(protocol string) string {
	if v, ok := m.byProtocol[protocol]; ok {
		return v
	}
	if m.byProtocol != nil {
		return m.byProtocol["default"]
	}
	return m.text
}

// Publish sends a message to every confirmed subscriber of a topic.
//
// Errors: InvalidParameter (message, subject, attributes, structure, SMS
// and FIFO parameters), NotFound.
func (s *Service) Publish(ctx context.Context, in *PublishInput) (*PublishOutput, error) {
	arn := in.TopicArn
	switch {
	case in.PhoneNumber != "":
		return nil, invalidParameter("PhoneNumber Reason: deploytrail does not send SMS")
	case arn != "" && in.TargetArn != "":
		return nil, invalidParameter("TopicArn or TargetArn Reason: Only one of TopicArn or TargetArn may be specified")
	case arn == "":
		arn = in.TargetArn
	}
	if arn == "" {
		return nil, invalidParameter("TopicArn or TargetArn Reason: no value for required parameter")
	}
	m, err := s.newMessage(in)
	if err != nil {
		return nil, err
	}
	t, err := s.topicOf(ctx, arn)
	if err != nil {
		return nil, err
	}
	id, err := s.fanOut(ctx, t, m)
	if err != nil {
		return nil, err
	}
	return &PublishOutput{MessageID: id}, nil
}

func (s *Service) newMessage(in *PublishInput) (*message, error) {
	if in.MessageGroupID != "" || in.MessageDeduplicationID != "" {
		return nil, invalidParameter("The request includes MessageGroupId or MessageDeduplicationId, which are only valid for FIFO topics")
	}
	if in.Message == "" {
		return nil, invalidParameter("Empty message")
	}
	if len(in.Message) > maxMessage {
		return nil, invalidParameter("Message too long")
	}
	if !utf8.ValidString(in.Subject) || len(in.Subject) > maxSubject || strings.ContainsAny(in.Subject, "\r\n") {
		return nil, invalidParameter("Subject")
	}
	m := &message{text: in.Message, subject: in.Subject, at: s.now()}
	if in.MessageStructure != "" {
		if err := m.structure(in.MessageStructure); err != nil {
			return nil, err
		}
	}
	attrs, err := attributesOf(in.MessageAttributes)
	if err != nil {
		return nil, err
	}
	m.attributes = attrs
	return m, nil
}

// structure parses a MessageStructure "json" message: an object of
// per-protocol texts with a "default".
func (m *message) structure(kind string) error {
	if kind != "json" {
		return invalidParameter("MessageStructure")
	}
	if err := json.Unmarshal([]byte(m.text), &m.byProtocol); err != nil {
		return invalidParameter("Message Structure - JSON message body failed to parse")
	}
	if _, ok := m.byProtocol["default"]; !ok {
		return invalidParameter("Message Structure - No default entry in JSON message body")
	}
	return nil
}

func attributesOf(in map[string]MessageAttributeValue) (messageAttributes, error) {
	out := messageAttributes{}
	for name, v := range in {
		switch {
		case strings.HasPrefix(v.DataType, "String"), strings.HasPrefix(v.DataType, "Number"):
			out[name] = attributeValue{Type: v.DataType, Value: v.StringValue}
		case strings.HasPrefix(v.DataType, "Binary"):
			out[name] = attributeValue{Type: v.DataType, Value: base64.StdEncoding.EncodeToString(v.BinaryValue)}
		default:
			return nil, invalidParameter("The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name)
		}
	}
	return out, nil
}

// fanOut queues the message for every confirmed subscriber of t and
// returns its MessageId.
func (s *Service) fanOut(ctx context.Context, t *Topic, m *message) (string, error) {
	subs, err := s.store.Subscriptions(ctx, t.Account, t.Region, t.ARN)
	if err != nil {
		return "", err
	}
	id := newUUID()
	var envs []*Envelope
	for _, sub := range subs {
		if sub.Confirmed {
			text := *m
			text.text = m.textFor(sub.Protocol)
			envs = append(envs, s.notificationEnvelope(t, sub, id, &text))
		}
	}
	if err := s.store.Enqueue(ctx, envs...); err != nil {
		return "", err
	}
	s.wakeDispatcher()
	return id, nil
}

// Publisher is a service that publishes on a customer's behalf, as the
// topic policy must allow (CloudTrail: spec §8.2).
type Publisher struct {
	Service       string // cloudtrail.amazonaws.com
	SourceARN     string // the trail
	SourceAccount string
}

// CheckPublisher reports whether topicARN exists and its policy lets
// the publisher publish: NotFound or AuthorizationError otherwise.
func (s *Service) CheckPublisher(ctx context.Context, topicARN string, by Publisher) error {
	_, err := s.publishableTopic(ctx, topicARN, by)
	return err
}

// PublishAs publishes message (no subject, no attributes) to topicARN for
// a service, after checking the topic policy allows it. Its errors carry
// SNS's codes, for GetTrailStatus' LatestNotificationError.
func (s *Service) PublishAs(ctx context.Context, topicARN, text string, by Publisher) (string, error) {
	return s.PublishSubjectAs(ctx, topicARN, "", text, by)
}

// PublishSubjectAs is PublishAs with a subject (none when empty). Inside
// a transaction of ctx, the envelopes are queued in it.
func (s *Service) PublishSubjectAs(ctx context.Context, topicARN, subject, text string, by Publisher) (string, error) {
	var id string
	err := s.store.Tx(ctx, func(ctx context.Context) error {
		t, err := s.publishableTopic(ctx, topicARN, by)
		if err != nil {
			return err
		}
		id, err = s.fanOut(ctx, t, &message{text: text, subject: subject, at: s.now()})
		return err
	})
	return id, err
}

func (s *Service) publishableTopic(ctx context.Context, topicARN string, by Publisher) (*Topic, error) {
	t, err := s.store.Topic(ctx, topicARN)
	if errors.Is(err, ErrNotFound) {
		return nil, notFound("Topic")
	}
	if err != nil {
		return nil, err
	}
	doc, err := policy.Parse(t.Attributes["Policy"], policy.ResourceBased)
	if err != nil {
		return nil, authorizationError("The topic policy of %s cannot be read", topicARN)
	}
	req := &policy.Request{Action: "SNS:Publish", Resource: topicARN, Principal: policy.Principal{Service: by.Service},
		Context: map[string][]string{"aws:SourceArn": {by.SourceARN}, "aws:SourceAccount": {by.SourceAccount}}}
	if policy.Evaluate(req, doc) != policy.Allow {
		return nil, authorizationError("%s is not authorized to perform: SNS:Publish on resource: %s", by.Service, topicARN)
	}
	return t, nil
}
