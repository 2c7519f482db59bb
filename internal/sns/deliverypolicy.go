package sns

import (
	"encoding/json"
	"time"
)

// retryPolicy is how often and how patiently a failing HTTP endpoint is
// retried: NumRetries retries after the first attempt, their delays
// growing linearly from MinDelayTarget to MaxDelayTarget seconds (SNS's
// "linear" backoff function).
type retryPolicy struct {
	MinDelayTarget int `json:"minDelayTarget"`
	MaxDelayTarget int `json:"maxDelayTarget"`
	NumRetries     int `json:"numRetries"`
}

// defaultRetry is SNS's default healthy retry policy for HTTP endpoints.
var defaultRetry = retryPolicy{MinDelayTarget: 20, MaxDelayTarget: 20, NumRetries: 3}

type topicDeliveryPolicy struct {
	HTTP *struct {
		DefaultHealthyRetryPolicy *retryPolicy `json:"defaultHealthyRetryPolicy"`
	} `json:"http"`
}

type subscriptionDeliveryPolicy struct {
	HealthyRetryPolicy *retryPolicy `json:"healthyRetryPolicy"`
}

func (p *retryPolicy) check() error {
	switch {
	case p.NumRetries < 0 || p.NumRetries > 100:
		return invalidParameter("DeliveryPolicy: numRetries must be between 0 and 100")
	case p.MinDelayTarget < 1 || p.MinDelayTarget > p.MaxDelayTarget:
		return invalidParameter("DeliveryPolicy: minDelayTarget must be at least 1 and at most maxDelayTarget")
	case p.MaxDelayTarget > 3600:
		return invalidParameter("DeliveryPolicy: maxDelayTarget must be at most 3600")
	}
	return nil
}

func checkTopicDeliveryPolicy(v string) error {
	_, err := topicRetry(v)
	return err
}

func checkSubscriptionDeliveryPolicy(v string) error {
	_, err := subscriptionRetry(v)
	return err
}

// topicRetry is the retry policy of a topic's DeliveryPolicy attribute;
// nil when it sets none.
func topicRetry(v string) (*retryPolicy, error) {
	if v == "" {
		return nil, nil
	}
	var p topicDeliveryPolicy
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return nil, invalidParameter("DeliveryPolicy: not valid JSON")
	}
	if p.HTTP == nil || p.HTTP.DefaultHealthyRetryPolicy == nil {
		return nil, nil
	}
	return p.HTTP.DefaultHealthyRetryPolicy, p.HTTP.DefaultHealthyRetryPolicy.check()
}

func subscriptionRetry(v string) (*retryPolicy, error) {
	if v == "" {
		return nil, nil
	}
	var p subscriptionDeliveryPolicy
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return nil, invalidParameter("DeliveryPolicy: not valid JSON")
	}
	if p.HealthyRetryPolicy == nil {
		return nil, nil
	}
	return p.HealthyRetryPolicy, p.HealthyRetryPolicy.check()
}

// effectiveRetry is the policy a subscription's envelopes are sent with:
// its own, else its topic's, else SNS's default.
func effectiveRetry(t *Topic, sub *Subscription) retryPolicy {
	if p, err := subscriptionRetry(sub.Attributes["DeliveryPolicy"]); err == nil && p != nil {
		return *p
	}
	if p, err := topicRetry(t.Attributes["DeliveryPolicy"]); err == nil && p != nil {
		return *p
	}
	return defaultRetry
}

// delay is the wait before retry number n (1-based).
func (p retryPolicy) delay(n int) time.Duration {
	secs := p.MinDelayTarget
	if p.NumRetries > 1 {
		secs += (p.MaxDelayTarget - p.MinDelayTarget) * (n - 1) / (p.NumRetries - 1)
	}
	return time.Duration(secs) * time.Second
}

// effectiveDeliveryPolicy is GetTopicAttributes' EffectiveDeliveryPolicy.
func effectiveDeliveryPolicy(v string) string {
	p := defaultRetry
	if own, err := topicRetry(v); err == nil && own != nil {
		p = *own
	}
	b, _ := json.Marshal(map[string]any{"http": map[string]any{
		"defaultHealthyRetryPolicy": map[string]any{"minDelayTarget": p.MinDelayTarget, "maxDelayTarget": p.MaxDelayTarget,
			"numRetries": p.NumRetries, "numMaxDelayRetries": 0, "numNoDelayRetries": 0, "numMinDelayRetries": 0,
			"backoffFunction": "linear"},
		"disableSubscriptionOverrides": false,
		"defaultRequestPolicy":         map[string]any{"headerContentType": "text/plain; charset=UTF-8"},
	}})
	return string(b)
}

// effectiveSubscriptionPolicy is GetSubscriptionAttributes'
// EffectiveDeliveryPolicy.
func effectiveSubscriptionPolicy(p retryPolicy) string {
	b, _ := json.Marshal(map[string]any{"healthyRetryPolicy": map[string]any{"minDelayTarget": p.MinDelayTarget,
		"maxDelayTarget": p.MaxDelayTarget, "numRetries": p.NumRetries, "numMaxDelayRetries": 0, "numNoDelayRetries": 0,
		"numMinDelayRetries": 0, "backoffFunction": "linear"}})
	return string(b)
}
