package apptest_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

// subscriber is an HTTP endpoint that records what SNS posts to it. It
// fails the first failFirst requests with 500.
type subscriber struct {
	*httptest.Server
	mu        sync.Mutex
	got       []posted
	failFirst int
	attempts  int
}

// posted is one request an endpoint received.
type posted struct {
	header http.Header
	body   string
	env    map[string]any
}

func newSubscriber(t *testing.T, failFirst int) *subscriber {
	s := &subscriber{failFirst: failFirst}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.attempts++
		if s.attempts <= s.failFirst {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		p := posted{header: r.Header.Clone(), body: string(body)}
		json.Unmarshal(body, &p.env) // raw deliveries are not JSON
		s.got = append(s.got, p)
	}))
	t.Cleanup(s.Close)
	return s
}

// wait returns the first request of type typ received, waiting for it.
func (s *subscriber) wait(t *testing.T, typ string) posted {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		s.mu.Lock()
		for i, p := range s.got {
			if p.header.Get("x-amz-sns-message-type") == typ {
				s.got = append(s.got[:i], s.got[i+1:]...)
				s.mu.Unlock()
				return p
			}
		}
		s.mu.Unlock()
	}
	t.Fatalf("no %s received", typ)
	return posted{}
}

// verifySignature checks an envelope's signature as a subscriber does:
// it fetches the certificate at SigningCertURL and verifies the string to
// sign of spec §8.3, built here independently of the server's code.
func verifySignature(t *testing.T, env map[string]any) {
	t.Helper()
	str := func(k string) (string, bool) { v, ok := env[k].(string); return v, ok }
	typ, _ := str("Type")
	keys := []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	if typ == "Notification" {
		keys = []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	}
	var b strings.Builder
	for _, k := range keys {
		if v, ok := str(k); ok {
			b.WriteString(k + "\n" + v + "\n")
		}
	}
	certURL, _ := str("SigningCertURL")
	resp, err := http.Get(certURL)
	fatalIf(t, err)
	pemBytes, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		t.Fatalf("SigningCertURL %s served no PEM certificate (status %d)", certURL, resp.StatusCode)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	fatalIf(t, err)
	sigText, _ := str("Signature")
	sig, err := base64.StdEncoding.DecodeString(sigText)
	fatalIf(t, err)
	hash, digest := crypto.SHA1, sha1Sum(b.String())
	if v, _ := str("SignatureVersion"); v == "2" {
		hash, digest = crypto.SHA256, sha256Sum(b.String())
	}
	if err := rsa.VerifyPKCS1v15(cert.PublicKey.(*rsa.PublicKey), hash, digest, sig); err != nil {
		t.Errorf("%s signature (version %v) does not verify: %v", typ, env["SignatureVersion"], err)
	}
}

func sha1Sum(s string) []byte   { h := sha1.Sum([]byte(s)); return h[:] }
func sha256Sum(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

func createTopic(t *testing.T, c *sns.Client, name string) string {
	t.Helper()
	out, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
	fatalIf(t, err)
	return aws.ToString(out.TopicArn)
}

// fastRetries makes a topic retry failing endpoints after 1 s.
const fastRetries = `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":3}}}`

// subscribeConfirmed subscribes endpoint to topic and confirms it through
// the SubscribeURL, as a real endpoint would; it returns the subscription
// ARN.
func subscribeConfirmed(t *testing.T, c *sns.Client, topic string, sub *subscriber) string {
	t.Helper()
	out, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("http"), Endpoint: aws.String(sub.URL)})
	fatalIf(t, err)
	if got := aws.ToString(out.SubscriptionArn); got != "pending confirmation" {
		t.Errorf("Subscribe = %q, want pending confirmation", got)
	}
	conf := sub.wait(t, "SubscriptionConfirmation")
	verifySignature(t, conf.env)
	resp, err := http.Get(conf.env["SubscribeURL"].(string)) // unsigned, like any endpoint
	fatalIf(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "<SubscriptionArn>"+topic+":") {
		t.Fatalf("GET SubscribeURL: %d %s", resp.StatusCode, body)
	}
	subs, err := c.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)})
	fatalIf(t, err)
	for _, s := range subs.Subscriptions {
		if aws.ToString(s.Endpoint) == sub.URL && strings.HasPrefix(aws.ToString(s.SubscriptionArn), topic+":") {
			return aws.ToString(s.SubscriptionArn)
		}
	}
	t.Fatalf("confirmed subscription not listed: %+v", subs.Subscriptions)
	return ""
}

func TestSNSTopics(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.SNS(srv.Root)
	arn := createTopic(t, c, "deploys")
	if want := "arn:aws:sns:us-east-1:" + srv.Account() + ":deploys"; arn != want {
		t.Errorf("TopicArn = %s, want %s", arn, want)
	}
	if again := createTopic(t, c, "deploys"); again != arn {
		t.Errorf("CreateTopic again = %s, want the same topic", again)
	}
	_, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("deploys"), Attributes: map[string]string{"DisplayName": "other"}})
	wantCode(t, err, "InvalidParameter")
	_, err = c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("bad name!")})
	wantCode(t, err, "InvalidParameter")

	attrs, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	fatalIf(t, err)
	a := attrs.Attributes
	if a["Owner"] != srv.Account() || a["TopicArn"] != arn || a["SubscriptionsConfirmed"] != "0" || !strings.Contains(a["Policy"], "__default_policy_ID") {
		t.Errorf("attributes = %v", a)
	}
	_, err = c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: aws.String(arn), AttributeName: aws.String("DisplayName"), AttributeValue: aws.String("Deploys")})
	fatalIf(t, err)
	_, err = c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: aws.String(arn), AttributeName: aws.String("Colour"), AttributeValue: aws.String("blue")})
	wantCode(t, err, "InvalidParameter")
	_, err = c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: aws.String(arn), AttributeName: aws.String("Policy"), AttributeValue: aws.String(`{"Statement":[]}`)})
	wantCode(t, err, "InvalidParameter")
	attrs, err = c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	fatalIf(t, err)
	if attrs.Attributes["DisplayName"] != "Deploys" {
		t.Errorf("DisplayName = %q after a refused change, want Deploys", attrs.Attributes["DisplayName"])
	}

	_, err = c.TagResource(ctx, &sns.TagResourceInput{ResourceArn: aws.String(arn), Tags: []snstypes.Tag{{Key: aws.String("team"), Value: aws.String("ops")}}})
	fatalIf(t, err)
	tags, err := c.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	fatalIf(t, err)
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "ops" {
		t.Errorf("tags = %+v", tags.Tags)
	}

	list, err := c.ListTopics(ctx, &sns.ListTopicsInput{})
	fatalIf(t, err)
	if len(list.Topics) != 1 || aws.ToString(list.Topics[0].TopicArn) != arn {
		t.Errorf("ListTopics = %+v", list.Topics)
	}
	_, err = c.ListTopics(ctx, &sns.ListTopicsInput{NextToken: aws.String("forged")})
	wantCode(t, err, "InvalidParameter")

	missing := "arn:aws:sns:us-east-1:" + srv.Account() + ":missing"
	_, err = c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(missing)})
	wantCode(t, err, "NotFound")
	_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(missing), Message: aws.String("hi")})
	wantCode(t, err, "NotFound")
	_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("")})
	wantCode(t, err, "InvalidParameter")

	// An IAM user without SNS permissions is refused with SNS's code.
	alice := newUser(t, srv, "alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sns:List*","Resource":"*"}]}`)
	_, err = srv.SNS(alice).Publish(ctx, &sns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("hi")})
	if msg := wantCode(t, err, "AuthorizationError"); !strings.Contains(msg, "sns:Publish") {
		t.Errorf("denial message %q does not name the action", msg)
	}

	_, err = c.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(arn)})
	fatalIf(t, err)
	_, err = c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	wantCode(t, err, "NotFound")
}

func TestSNSHTTPSubscription(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.SNS(srv.Root)
	topic := createTopic(t, c, "deploys")
	sub := newSubscriber(t, 0)
	subARN := subscribeConfirmed(t, c, topic, sub)

	out, err := c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topic), Subject: aws.String("Deployed"),
		Message:           aws.String("web <1.2> & more\nline two"),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{"env": {DataType: aws.String("String"), StringValue: aws.String("prod")}}})
	fatalIf(t, err)
	n := sub.wait(t, "Notification")
	verifySignature(t, n.env)
	for k, want := range map[string]string{"MessageId": aws.ToString(out.MessageId), "TopicArn": topic, "Subject": "Deployed",
		"Message": "web <1.2> & more\nline two", "SignatureVersion": "1"} {
		if got, _ := n.env[k].(string); got != want {
			t.Errorf("notification %s = %q, want %q", k, got, want)
		}
	}
	if n.header.Get("x-amz-sns-subscription-arn") != subARN || n.header.Get("x-amz-sns-message-id") != aws.ToString(out.MessageId) {
		t.Errorf("headers = %v", n.header)
	}
	if !strings.HasPrefix(n.body, "{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : ") {
		t.Errorf("body is not in SNS's layout:\n%s", n.body)
	}
	if attrs, _ := n.env["MessageAttributes"].(map[string]any); attrs["env"] == nil {
		t.Errorf("MessageAttributes = %v", n.env["MessageAttributes"])
	}

	// SignatureVersion 2 signs with SHA256.
	_, err = c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: aws.String(topic), AttributeName: aws.String("SignatureVersion"), AttributeValue: aws.String("2")})
	fatalIf(t, err)
	_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String("v2")})
	fatalIf(t, err)
	n = sub.wait(t, "Notification")
	if n.env["SignatureVersion"] != "2" {
		t.Errorf("SignatureVersion = %v, want 2", n.env["SignatureVersion"])
	}
	verifySignature(t, n.env)

	// The unsigned UnsubscribeURL unsubscribes; the endpoint is told.
	resp, err := http.Get(n.env["UnsubscribeURL"].(string))
	fatalIf(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET UnsubscribeURL: %d", resp.StatusCode)
	}
	verifySignature(t, sub.wait(t, "UnsubscribeConfirmation").env)
	subs, err := c.ListSubscriptions(ctx, &sns.ListSubscriptionsInput{})
	fatalIf(t, err)
	if len(subs.Subscriptions) != 0 {
		t.Errorf("subscriptions after Unsubscribe: %+v", subs.Subscriptions)
	}

	// The anonymous confirmation is in the topic owner's event history.
	ev := lookupOne(t, srv, "ConfirmSubscription")
	id, _ := ev["userIdentity"].(map[string]any)
	if id["type"] != "AWSAccount" || id["accountId"] != "ANONYMOUS_PRINCIPAL" || ev["recipientAccountId"] != srv.Account() {
		t.Errorf("ConfirmSubscription recorded as %v, recipient %v", id, ev["recipientAccountId"])
	}
	if p, _ := ev["requestParameters"].(map[string]any); p["token"] != nil && p["token"] != "HIDDEN_DUE_TO_SECURITY_REASONS" {
		t.Errorf("the confirmation token is in the record: %v", p)
	}
}

func TestSNSRetriesFailingEndpoint(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.SNS(srv.Root)
	topic := createTopic(t, c, "deploys")
	_, err := c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: aws.String(topic), AttributeName: aws.String("DeliveryPolicy"), AttributeValue: aws.String(fastRetries)})
	fatalIf(t, err)
	sub := newSubscriber(t, 2) // the confirmation request fails twice
	subscribeConfirmed(t, c, topic, sub)
	sub.mu.Lock()
	attempts := sub.attempts
	sub.mu.Unlock()
	if attempts != 3 {
		t.Errorf("confirmation reached the endpoint after %d attempts, want 3", attempts)
	}
}

// lookupOne returns the newest record of eventName in the root's history.
func lookupOne(t *testing.T, srv *apptest.Server, eventName string) map[string]any {
	t.Helper()
	evs := lookup(t, srv.CloudTrail(srv.Root), &cloudtrail.LookupEventsInput{LookupAttributes: attrs("EventName", eventName)})
	if len(evs) == 0 {
		t.Fatalf("no %s event", eventName)
	}
	return record(t, evs[0])
}

// cloudTrailTopicPolicy is spec §8.2's statement for topic and trail.
func cloudTrailTopicPolicy(topic, trailARN string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"AWSCloudTrailSNSPolicy20131101","Effect":"Allow",
		"Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"SNS:Publish","Resource":"` + topic + `",
		"Condition":{"StringEquals":{"aws:SourceArn":"` + trailARN + `"}}}]}`
}

func TestTrailNotifications(t *testing.T) {
	srv := apptest.Start(t, apptest.WithDeliveryInterval(time.Second))
	createBucket(t, srv, trailBucket)
	c, ct := srv.SNS(srv.Root), srv.CloudTrail(srv.Root)
	topic := createTopic(t, c, "trail-topic")
	sub := newSubscriber(t, 0)
	subscribeConfirmed(t, c, topic, sub)
	trailARN := "arn:aws:cloudtrail:us-east-1:" + srv.Account() + ":trail/main"

	// The default topic policy does not let CloudTrail publish.
	_, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String(trailBucket), SnsTopicName: aws.String("trail-topic")})
	wantCode(t, err, "InsufficientSnsTopicPolicyException")
	// A grant for another trail does not either.
	_, err = c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: aws.String(topic), AttributeName: aws.String("Policy"),
		AttributeValue: aws.String(cloudTrailTopicPolicy(topic, trailARN+"-other"))})
	fatalIf(t, err)
	_, err = ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String(trailBucket), SnsTopicName: aws.String("trail-topic")})
	wantCode(t, err, "InsufficientSnsTopicPolicyException")

	_, err = c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: aws.String(topic), AttributeName: aws.String("Policy"),
		AttributeValue: aws.String(cloudTrailTopicPolicy(topic, trailARN))})
	fatalIf(t, err)
	created, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String(trailBucket), SnsTopicName: aws.String("trail-topic")})
	fatalIf(t, err)
	if aws.ToString(created.SnsTopicARN) != topic || aws.ToString(created.SnsTopicName) != "trail-topic" {
		t.Errorf("CreateTrail: SnsTopicARN=%q SnsTopicName=%q", aws.ToString(created.SnsTopicARN), aws.ToString(created.SnsTopicName))
	}
	if m := sub.wait(t, "Notification"); m.env["Message"] != "CloudTrail validation message." {
		t.Errorf("first notification = %v, want the validation message", m.env["Message"])
	}
	_, err = ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")})
	fatalIf(t, err)

	n := sub.wait(t, "Notification")
	verifySignature(t, n.env)
	if _, ok := n.env["Subject"]; ok {
		t.Errorf("CloudTrail's notification has a Subject: %v", n.env["Subject"])
	}
	var msg struct {
		S3Bucket    string   `json:"s3Bucket"`
		S3ObjectKey []string `json:"s3ObjectKey"`
	}
	if err := json.Unmarshal([]byte(n.env["Message"].(string)), &msg); err != nil || msg.S3Bucket != trailBucket || len(msg.S3ObjectKey) == 0 {
		t.Fatalf("message %q: %+v %v", n.env["Message"], msg, err)
	}
	b, err := srv.App.Buckets.Bucket(trailBucket)
	fatalIf(t, err)
	for _, key := range msg.S3ObjectKey {
		if !logKey.MatchString(key) {
			t.Errorf("notified key %s is not a log file key", key)
		}
		if _, err := b.Head(ctx, key); err != nil {
			t.Errorf("notified key %s: %v", key, err)
		}
	}
	st, err := ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("main")})
	fatalIf(t, err)
	if st.LatestNotificationTime == nil || aws.ToString(st.LatestNotificationError) != "" {
		t.Errorf("status: LatestNotificationTime=%v LatestNotificationError=%q", st.LatestNotificationTime, aws.ToString(st.LatestNotificationError))
	}

	// With the topic gone, deliveries go on and the status names SNS's error.
	_, err = c.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(topic)})
	fatalIf(t, err)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		st, err = ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("main")})
		fatalIf(t, err)
		if aws.ToString(st.LatestNotificationError) == "NotFound" || time.Now().After(deadline) {
			break
		}
	}
	if aws.ToString(st.LatestNotificationError) != "NotFound" || aws.ToString(st.LatestDeliveryError) != "" {
		t.Errorf("after DeleteTopic: LatestNotificationError=%q LatestDeliveryError=%q", aws.ToString(st.LatestNotificationError), aws.ToString(st.LatestDeliveryError))
	}
}

// Bad input gets SNS's error codes, and changes nothing.
func TestSNSInvalidInput(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.SNS(srv.Root)
	topic := createTopic(t, c, "deploys")
	other := "arn:aws:sns:us-east-1:" + srv.Account() + ":missing"
	sub := newSubscriber(t, 0)
	for name, call := range map[string]func() error{
		"unsupported protocol": func() error {
			_, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("sms"), Endpoint: aws.String("+15555550100")})
			return err
		},
		"endpoint of another protocol": func() error {
			_, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("https"), Endpoint: aws.String(sub.URL)})
			return err
		},
		"filter policy": func() error {
			_, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("http"), Endpoint: aws.String(sub.URL),
				Attributes: map[string]string{"FilterPolicy": `{"env":["prod"]}`}})
			return err
		},
		"unknown token": func() error {
			_, err := c.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: aws.String(topic), Token: aws.String("00ff")})
			return err
		},
		"malformed topic arn": func() error {
			_, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String("arn:aws:s3:::bucket")})
			return err
		},
		"subject with a newline": func() error {
			_, err := c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String("m"), Subject: aws.String("a\nb")})
			return err
		},
		"json structure without default": func() error {
			_, err := c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String(`{"http":"x"}`), MessageStructure: aws.String("json")})
			return err
		},
		"message too long": func() error {
			_, err := c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String(strings.Repeat("x", 256*1024+1))})
			return err
		},
		"fifo parameter on a standard topic": func() error {
			_, err := c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String("m"), MessageGroupId: aws.String("g")})
			return err
		},
		"bad delivery policy": func() error {
			_, err := c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: aws.String(topic), AttributeName: aws.String("DeliveryPolicy"),
				AttributeValue: aws.String(`{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":5,"maxDelayTarget":1,"numRetries":3}}}`)})
			return err
		},
		"bad signature version": func() error {
			_, err := c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: aws.String(topic), AttributeName: aws.String("SignatureVersion"), AttributeValue: aws.String("3")})
			return err
		},
	} {
		t.Run(name, func(t *testing.T) { wantCode(t, call(), "InvalidParameter") })
	}
	_, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(other), Protocol: aws.String("http"), Endpoint: aws.String(sub.URL)})
	wantCode(t, err, "NotFound")
	_, err = c.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(topic + ":00000000-0000-4000-8000-000000000000")})
	wantCode(t, err, "NotFound")
	_, err = c.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: aws.String(other)})
	wantCode(t, err, "ResourceNotFound")

	attrs, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(topic)})
	fatalIf(t, err)
	if a := attrs.Attributes; a["SubscriptionsPending"] != "0" || a["SignatureVersion"] != "1" || strings.Contains(a["EffectiveDeliveryPolicy"], `"minDelayTarget":5`) {
		t.Errorf("refused calls changed the topic: %v", a)
	}
	// A subscription confirmed with AuthenticateOnUnsubscribe cannot be
	// removed through the unsigned UnsubscribeURL.
	arn := subscribeConfirmedAuthenticated(t, c, topic, sub)
	resp, err := http.Get(srv.URL + "/?Action=Unsubscribe&SubscriptionArn=" + url.QueryEscape(arn))
	fatalIf(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "<Code>AuthorizationError</Code>") {
		t.Errorf("anonymous Unsubscribe: %d %s", resp.StatusCode, body)
	}
	if _, err := c.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(arn)}); err != nil {
		t.Errorf("the subscription is gone: %v", err)
	}
}

// subscribeConfirmedAuthenticated subscribes and confirms with a signed
// ConfirmSubscription that asks for AuthenticateOnUnsubscribe.
func subscribeConfirmedAuthenticated(t *testing.T, c *sns.Client, topic string, sub *subscriber) string {
	t.Helper()
	_, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("http"), Endpoint: aws.String(sub.URL)})
	fatalIf(t, err)
	conf := sub.wait(t, "SubscriptionConfirmation")
	out, err := c.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: aws.String(topic),
		Token: aws.String(conf.env["Token"].(string)), AuthenticateOnUnsubscribe: aws.String("true")})
	fatalIf(t, err)
	return aws.ToString(out.SubscriptionArn)
}
