package sns

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/iam/policy"
)

type (
	CreateTopicInput struct {
		Name       string            `json:"Name"`
		Attributes map[string]string `json:"Attributes"`
		Tags       []Tag             `json:"Tags"`
	}
	CreateTopicOutput struct {
		TopicArn string `json:"TopicArn"`
	}
	TopicInput struct {
		TopicArn string `json:"TopicArn"`
	}
	ListTopicsInput struct {
		NextToken string `json:"NextToken"`
	}
	ListTopicsOutput struct {
		Topics    []TopicRef `json:"Topics"`
		NextToken string     `json:"NextToken,omitempty"`
	}
	TopicRef struct {
		TopicArn string `json:"TopicArn"`
	}
	AttributesOutput struct {
		Attributes map[string]string `json:"Attributes"`
	}
	SetTopicAttributesInput struct {
		TopicArn       string  `json:"TopicArn"`
		AttributeName  string  `json:"AttributeName"`
		AttributeValue *string `json:"AttributeValue"`
	}
	AddPermissionInput struct {
		TopicArn     string   `json:"TopicArn"`
		Label        string   `json:"Label"`
		AWSAccountID []string `json:"AWSAccountId"`
		ActionName   []string `json:"ActionName"`
	}
	RemovePermissionInput struct {
		TopicArn string `json:"TopicArn"`
		Label    string `json:"Label"`
	}
)

func (s *Service) registerTopics() {
	awsproto.Handle(s.API, "CreateTopic", s.CreateTopic)
	awsproto.Handle(s.API, "DeleteTopic", s.DeleteTopic)
	awsproto.Handle(s.API, "ListTopics", s.ListTopics)
	awsproto.Handle(s.API, "GetTopicAttributes", s.GetTopicAttributes)
	awsproto.Handle(s.API, "SetTopicAttributes", s.SetTopicAttributes)
	awsproto.Handle(s.API, "AddPermission", s.AddPermission)
	awsproto.Handle(s.API, "RemovePermission", s.RemovePermission)
}

// topicAttributes are the attributes CreateTopic and SetTopicAttributes
// accept, with their checks.
var topicAttributes = map[string]func(v string) error{
	"Policy":           checkPolicy,
	"DisplayName":      checkLength("DisplayName", 100),
	"DeliveryPolicy":   checkTopicDeliveryPolicy,
	"SignatureVersion": checkSignatureVersion,
	"TracingConfig":    checkOneOf("TracingConfig", "PassThrough", "Active"),
	"KmsMasterKeyId":   checkLength("KmsMasterKeyId", 2048),
}

func checkTopicAttribute(name, value string) error {
	check, ok := topicAttributes[name]
	if !ok {
		return invalidParameter("AttributeName")
	}
	return check(value)
}

// CreateTopic creates a topic, or returns the caller's topic of that name
// when it has the same attributes (CreateTopic is idempotent).
//
// Errors: InvalidParameter (name, attributes, tags).
func (s *Service) CreateTopic(ctx context.Context, in *CreateTopicInput) (*CreateTopicOutput, error) {
	if !topicNameRE.MatchString(in.Name) {
		return nil, invalidParameter("Topic Name")
	}
	for k, v := range in.Attributes {
		if err := checkTopicAttribute(k, v); err != nil {
			return nil, err
		}
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	call := awsproto.CallFromContext(ctx)
	t := &Topic{ARN: TopicARN(call.Region, call.Account(), in.Name), Account: call.Account(), Region: call.Region,
		Name: in.Name, Attributes: in.Attributes, Tags: in.Tags, Created: s.now()}
	if t.Attributes == nil {
		t.Attributes = map[string]string{}
	}
	if _, ok := t.Attributes["Policy"]; !ok {
		t.Attributes["Policy"] = defaultPolicy(t.ARN, t.Account)
	}
	err := s.store.InsertTopic(ctx, t)
	if errors.Is(err, ErrExists) {
		return s.existingTopic(ctx, t, in.Attributes)
	}
	if err != nil {
		return nil, err
	}
	return &CreateTopicOutput{TopicArn: t.ARN}, nil
}

// existingTopic answers CreateTopic for a topic that exists: its ARN when
// every attribute asked for has that value.
func (s *Service) existingTopic(ctx context.Context, want *Topic, asked map[string]string) (*CreateTopicOutput, error) {
	t, err := s.store.Topic(ctx, want.ARN)
	if err != nil {
		return nil, err
	}
	for k, v := range asked {
		if t.Attributes[k] != v {
			return nil, invalidParameter("Attributes Reason: Topic already exists with different attributes")
		}
	}
	return &CreateTopicOutput{TopicArn: t.ARN}, nil
}

// DeleteTopic deletes a topic and its subscriptions. Deleting a topic that
// does not exist succeeds, as in AWS.
func (s *Service) DeleteTopic(ctx context.Context, in *TopicInput) (*struct{}, error) {
	if _, err := s.topicOf(ctx, in.TopicArn); err != nil {
		if isNotFound(err) {
			return &struct{}{}, nil
		}
		return nil, err
	}
	return &struct{}{}, s.store.DeleteTopic(ctx, in.TopicArn)
}

// ListTopics lists the caller's topics in the region, 100 per page.
func (s *Service) ListTopics(ctx context.Context, in *ListTopicsInput) (*ListTopicsOutput, error) {
	call := awsproto.CallFromContext(ctx)
	arns, err := s.store.Topics(ctx, call.Account(), call.Region)
	if err != nil {
		return nil, err
	}
	arns, next, err := s.page("ListTopics", in.NextToken, arns)
	if err != nil {
		return nil, err
	}
	out := &ListTopicsOutput{Topics: []TopicRef{}, NextToken: next}
	for _, a := range arns {
		out.Topics = append(out.Topics, TopicRef{TopicArn: a})
	}
	return out, nil
}

// GetTopicAttributes returns the topic's attributes and the computed ones
// AWS adds: Owner, TopicArn, subscription counts, EffectiveDeliveryPolicy.
func (s *Service) GetTopicAttributes(ctx context.Context, in *TopicInput) (*AttributesOutput, error) {
	t, subs, err := s.topicSubscriptions(ctx, in.TopicArn)
	if err != nil {
		return nil, err
	}
	confirmed := 0
	for _, sub := range subs {
		if sub.Confirmed {
			confirmed++
		}
	}
	attrs := maps.Clone(t.Attributes)
	maps.Copy(attrs, map[string]string{
		"TopicArn": t.ARN, "Owner": t.Account, "DisplayName": t.Attributes["DisplayName"],
		"SubscriptionsConfirmed": strconv.Itoa(confirmed), "SubscriptionsPending": strconv.Itoa(len(subs) - confirmed),
		"SubscriptionsDeleted": "0", "EffectiveDeliveryPolicy": effectiveDeliveryPolicy(t.Attributes["DeliveryPolicy"]),
		"SignatureVersion": signatureVersion(t),
	})
	return &AttributesOutput{Attributes: attrs}, nil
}

// SetTopicAttributes sets one attribute; an absent value clears it (a
// cleared Policy is the default policy again).
func (s *Service) SetTopicAttributes(ctx context.Context, in *SetTopicAttributesInput) (*struct{}, error) {
	value := setValue(in.AttributeValue)
	if err := checkTopicAttribute(in.AttributeName, value); err != nil {
		return nil, err
	}
	return s.updateTopic(ctx, in.TopicArn, func(t *Topic) error {
		t.Attributes[in.AttributeName] = value
		if value == "" {
			delete(t.Attributes, in.AttributeName)
		}
		if in.AttributeName == "Policy" && value == "" {
			t.Attributes["Policy"] = defaultPolicy(t.ARN, t.Account)
		}
		return nil
	})
}

// updateTopic loads a topic, changes it with fn and stores it, in one
// transaction.
func (s *Service) updateTopic(ctx context.Context, arn string, fn func(*Topic) error) (*struct{}, error) {
	return &struct{}{}, s.store.Tx(ctx, func(ctx context.Context) error {
		t, err := s.topicOf(ctx, arn)
		if err != nil {
			return err
		}
		if t.Attributes == nil {
			t.Attributes = map[string]string{}
		}
		if err := fn(t); err != nil {
			return err
		}
		return s.store.UpdateTopic(ctx, t)
	})
}

// AddPermission adds a statement labelled Label to the topic policy,
// allowing the accounts the actions.
func (s *Service) AddPermission(ctx context.Context, in *AddPermissionInput) (*struct{}, error) {
	if len(in.AWSAccountID) == 0 || len(in.ActionName) == 0 {
		return nil, invalidParameter("AWSAccountId and ActionName must not be empty")
	}
	return s.updateTopic(ctx, in.TopicArn, func(t *Topic) error {
		doc, err := decodePolicy(t.Attributes["Policy"])
		if err != nil {
			return err
		}
		if doc.statement(in.Label) >= 0 {
			return invalidParameter("Statement already exists")
		}
		doc.Statement = append(doc.Statement, permission(t.ARN, in))
		t.Attributes["Policy"], err = doc.encode()
		return err
	})
}

// RemovePermission removes the statement labelled Label.
func (s *Service) RemovePermission(ctx context.Context, in *RemovePermissionInput) (*struct{}, error) {
	return s.updateTopic(ctx, in.TopicArn, func(t *Topic) error {
		doc, err := decodePolicy(t.Attributes["Policy"])
		if err != nil {
			return err
		}
		i := doc.statement(in.Label)
		if i < 0 {
			return notFound("Statement " + in.Label)
		}
		doc.Statement = append(doc.Statement[:i], doc.Statement[i+1:]...)
		t.Attributes["Policy"], err = doc.encode()
		return err
	})
}

// setValue is a Set*Attributes value; absent is "", which clears.
func setValue(v *string) string {
	if v == nil {
		return ""
	}
	return *v
}

func checkPolicy(v string) error {
	if _, err := policy.Parse(v, policy.ResourceBased); err != nil {
		var m *policy.MalformedError
		if errors.As(err, &m) {
			return invalidParameter("Policy Error: %s", m.Message)
		}
		return invalidParameter("Policy Error: null")
	}
	return nil
}

func checkLength(name string, max int) func(string) error {
	return func(v string) error {
		if len(v) > max {
			return invalidParameter("%s: longer than %d characters", name, max)
		}
		return nil
	}
}

func checkOneOf(name string, values ...string) func(string) error {
	return func(v string) error {
		for _, ok := range values {
			if v == ok || v == "" {
				return nil
			}
		}
		return invalidParameter("%s: must be one of %v", name, values)
	}
}

func checkSignatureVersion(v string) error {
	if v != "" && v != "1" && v != "2" {
		return invalidParameter("SignatureVersion")
	}
	return nil
}

func signatureVersion(t *Topic) string {
	if v := t.Attributes["SignatureVersion"]; v != "" {
		return v
	}
	return defaultVersion
}

func isNotFound(err error) bool { return awserr.Code(err) == CodeNotFound }

// policyDoc is a topic policy as JSON, for AddPermission and
// RemovePermission, which edit its statements by Sid.
type policyDoc struct {
	Version   string           `json:"Version"`
	ID        string           `json:"Id,omitempty"`
	Statement []map[string]any `json:"Statement"`
}

func decodePolicy(s string) (*policyDoc, error) {
	var d policyDoc
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		return nil, fmt.Errorf("decode topic policy: %w", err)
	}
	return &d, nil
}

func (d *policyDoc) statement(sid string) int {
	for i, st := range d.Statement {
		if st["Sid"] == sid {
			return i
		}
	}
	return -1
}

func (d *policyDoc) encode() (string, error) {
	b, err := json.Marshal(d)
	return string(b), err
}

// permission is the statement AddPermission adds, as AWS writes it.
func permission(topicARN string, in *AddPermissionInput) map[string]any {
	var actions []string
	for _, a := range in.ActionName {
		actions = append(actions, "SNS:"+a)
	}
	var principals []string
	for _, a := range in.AWSAccountID {
		principals = append(principals, "arn:aws:iam::"+a+":root")
	}
	return map[string]any{"Sid": in.Label, "Effect": "Allow", "Principal": map[string]any{"AWS": principals},
		"Action": actions, "Resource": topicARN}
}

// defaultPolicy is the policy AWS gives a new topic: the owner account's
// principals may use it.
func defaultPolicy(topicARN, account string) string {
	doc := policyDoc{Version: "2008-10-17", ID: "__default_policy_ID", Statement: []map[string]any{{
		"Sid": "__default_statement_ID", "Effect": "Allow", "Principal": map[string]any{"AWS": "*"},
		"Action": []string{"SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
			"SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"},
		"Resource":  topicARN,
		"Condition": map[string]any{"StringEquals": map[string]any{"AWS:SourceOwner": account}},
	}}}
	s, _ := doc.encode()
	return s
}
