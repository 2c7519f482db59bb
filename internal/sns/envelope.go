package sns

import (
	"bytes"
	"encoding/json"
	"net/url"
	"time"
)

// Envelope types (x-amz-sns-message-type and the body's Type).
const (
	TypeNotification   = "Notification"
	TypeConfirmation   = "SubscriptionConfirmation"
	TypeUnsubscription = "UnsubscribeConfirmation"
)

// field is one key of an envelope body, in the order SNS writes them.
type field struct {
	key   string
	value any // string, or messageAttributes
}

// signedKeys are the keys whose values are signed, in signing order (spec
// §8.3); absent keys are skipped.
var signedKeys = map[string][]string{
	TypeNotification:   {"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"},
	TypeConfirmation:   {"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"},
	TypeUnsubscription: {"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"},
}

// StringToSign is what an envelope's Signature signs: "key\nvalue\n" for
// each signed key present, in signing order. Subscribers verify with it.
func StringToSign(typ string, values map[string]string) string {
	var b bytes.Buffer
	for _, k := range signedKeys[typ] {
		if v, ok := values[k]; ok {
			b.WriteString(k + "\n" + v + "\n")
		}
	}
	return b.String()
}

// timestamp is SNS's Timestamp: ISO 8601 UTC with milliseconds.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// body signs fields and renders the envelope as SNS does: pretty-printed,
// `"key" : value`, keys in SNS's order.
func (s *Service) body(typ string, fields []field, version string) (string, error) {
	values := map[string]string{}
	for _, f := range fields {
		if v, ok := f.value.(string); ok {
			values[f.key] = v
		}
	}
	sig, err := s.signer.Sign(version, StringToSign(typ, values))
	if err != nil {
		return "", err
	}
	signing := []field{{"SignatureVersion", version}, {"Signature", sig},
		{"SigningCertURL", s.baseURL() + s.signer.CertPath()}}
	// Signature fields go after Timestamp.
	var out []field
	for _, f := range fields {
		out = append(out, f)
		if f.key == "Timestamp" {
			out = append(out, signing...)
		}
	}
	return render(out), nil
}

func render(fields []field) string {
	var b bytes.Buffer
	b.WriteString("{\n")
	for i, f := range fields {
		b.WriteString("  " + jsonText(f.key) + " : " + jsonText(f.value))
		if i < len(fields)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("}")
	return b.String()
}

// jsonText encodes v as JSON without Go's HTML escaping, which SNS does
// not do.
func jsonText(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return string(bytes.TrimRight(b.Bytes(), "\n"))
}

// confirmationEnvelope asks sub's endpoint to confirm with token.
func (s *Service) confirmationEnvelope(t *Topic, sub *Subscription, token string) *Envelope {
	msg := "You have chosen to subscribe to the topic " + t.ARN +
		".\nTo confirm the subscription, visit the SubscribeURL included in this message."
	return s.tokenEnvelope(TypeConfirmation, t, sub, token, msg)
}

// unsubscribeEnvelope tells sub's endpoint it was unsubscribed.
func (s *Service) unsubscribeEnvelope(t *Topic, sub *Subscription, token string) *Envelope {
	msg := "You have chosen to deactivate subscription " + sub.ARN +
		".\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message."
	return s.tokenEnvelope(TypeUnsubscription, t, sub, token, msg)
}

func (s *Service) tokenEnvelope(typ string, t *Topic, sub *Subscription, token, msg string) *Envelope {
	id := newUUID()
	subscribeURL := s.baseURL() + "/?Action=ConfirmSubscription&TopicArn=" + url.QueryEscape(t.ARN) + "&Token=" + token
	fields := []field{{"Type", typ}, {"MessageId", id}, {"Token", token}, {"TopicArn", t.ARN}, {"Message", msg},
		{"SubscribeURL", subscribeURL}, {"Timestamp", timestamp(s.now())}}
	return s.envelope(typ, t, sub, id, fields, "")
}

// notificationEnvelope carries a published message to sub.
func (s *Service) notificationEnvelope(t *Topic, sub *Subscription, id string, m *message) *Envelope {
	fields := []field{{"Type", TypeNotification}, {"MessageId", id}, {"TopicArn", t.ARN}}
	if m.subject != "" {
		fields = append(fields, field{"Subject", m.subject})
	}
	fields = append(fields, field{"Message", m.text}, field{"Timestamp", timestamp(m.at)},
		field{"UnsubscribeURL", s.baseURL() + "/?Action=Unsubscribe&SubscriptionArn=" + url.QueryEscape(sub.ARN)})
	if len(m.attributes) > 0 {
		fields = append(fields, field{"MessageAttributes", m.attributes})
	}
	raw := ""
	if sub.Attributes["RawMessageDelivery"] == "true" {
		raw = m.text
	}
	return s.envelope(TypeNotification, t, sub, id, fields, raw)
}

// envelope signs fields into the body to POST to sub (raw, when set,
// replaces the body: raw message delivery). A signing failure leaves the
// body empty, which the dispatcher reports; it cannot happen with an RSA
// key that loaded.
func (s *Service) envelope(typ string, t *Topic, sub *Subscription, id string, fields []field, raw string) *Envelope {
	body, _ := s.body(typ, fields, signatureVersion(t))
	if raw != "" {
		body = raw
	}
	retry := effectiveRetry(t, sub)
	return &Envelope{SubscriptionARN: sub.ARN, TopicARN: t.ARN, Endpoint: sub.Endpoint, Type: typ, MessageID: id,
		Body: body, MaxAttempts: 1 + retry.NumRetries, Next: s.now()}
}

// messageAttributes are Publish's MessageAttributes as the envelope
// carries them: {"name":{"Type":…,"Value":…}} (names sorted, as
// encoding/json writes maps).
type messageAttributes map[string]attributeValue

type attributeValue struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}
