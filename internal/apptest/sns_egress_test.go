package apptest_test

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/deploytrail/deploytrail/internal/apptest"
)

// By default a subscription may not make the server send to loopback,
// link-local, private or unspecified addresses, or to itself (SSRF).
func TestSNSRefusesInternalEndpointsAtSubscribe(t *testing.T) {
	srv := apptest.Start(t, apptest.WithSNSAllowedNetworks())
	c := srv.SNS(srv.Root)
	topic := createTopic(t, c, "deploys")
	sub := newSubscriber(t, 0)
	port := portOf(sub)
	self, _ := url.Parse(srv.URL)
	for _, endpoint := range []string{
		"http://127.0.0.1:" + port + "/internal-admin?x=1",
		"http://169.254.169.254/latest/meta-data/iam/security-credentials/",
		"http://[::1]:" + port + "/",
		"http://0.0.0.0:" + port + "/",
		"http://[::]:" + port + "/",
		"http://[::ffff:127.0.0.1]:" + port + "/",
		"http://[fe80::1]/",
		"http://10.1.2.3/hook",
		"http://192.168.1.1/hook",
		"http://localhost:" + port + "/",
		"http://127.1:" + port + "/",
		"http://2130706433:" + port + "/",
		srv.URL + "/",
		"https://" + self.Host + "/",
	} {
		t.Run(endpoint, func(t *testing.T) {
			_, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String(strings.SplitN(endpoint, ":", 2)[0]),
				Endpoint: aws.String(endpoint)})
			if msg := wantCode(t, err, "InvalidParameter"); !strings.HasPrefix(msg, "Invalid parameter: Endpoint Reason: ") {
				t.Errorf("message %q, want Invalid parameter: Endpoint Reason: …", msg)
			}
		})
	}
	subs, err := c.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)})
	fatalIf(t, err)
	if len(subs.Subscriptions) != 0 {
		t.Errorf("refused endpoints were subscribed: %+v", subs.Subscriptions)
	}
	time.Sleep(500 * time.Millisecond) // the dispatcher would have posted by now
	if sub.requests() != 0 {
		t.Errorf("the endpoint received %d requests, want none", sub.requests())
	}
}

// Allowing loopback (as the tests' subscribers need) never allows the
// server's own address.
func TestSNSRefusesOwnAddress(t *testing.T) {
	srv := apptest.Start(t) // allows 127.0.0.0/8 and ::1
	c := srv.SNS(srv.Root)
	topic := createTopic(t, c, "deploys")
	_, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("http"),
		Endpoint: aws.String(srv.URL + "/?Action=CreateTopic&Name=x")})
	if msg := wantCode(t, err, "InvalidParameter"); !strings.Contains(msg, "the server's own address") {
		t.Errorf("message %q, want it to say the endpoint is the server's own address", msg)
	}
	subscribeConfirmed(t, c, topic, newSubscriber(t, 0)) // other loopback endpoints are allowed
}

// A host name is checked at every delivery on what it resolves to then: a
// subscription to a name that now resolves to a refused address (here
// "localhost", confirmed while loopback was allowed) gets nothing; the
// refused delivery is retried like a failing endpoint, then dropped and
// logged.
func TestSNSRefusesInternalEndpointsAtDelivery(t *testing.T) {
	dir := t.TempDir()
	srv := apptest.StartIn(t, dir)
	root := srv.Root
	c := srv.SNS(root)
	topic := createTopic(t, c, "deploys")
	sub := newSubscriber(t, 0)
	endpoint := "http://localhost:" + portOf(sub) + "/hook"
	_, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("http"), Endpoint: aws.String(endpoint),
		Attributes: map[string]string{"DeliveryPolicy": `{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":1}}`}})
	fatalIf(t, err)
	resp, err := http.Get(sub.wait(t, "SubscriptionConfirmation").env["SubscribeURL"].(string))
	fatalIf(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	srv.Stop()

	srv = apptest.StartIn(t, dir, apptest.WithSNSAllowedNetworks()) // the default: loopback refused
	c = srv.SNS(root)
	noErr(t)(c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String("to an internal address")}))
	abandoned := waitLog(t, srv, "SNS delivery abandoned")
	if !strings.Contains(abandoned, `"attempts":2`) || !strings.Contains(abandoned, "127.0.0.1 is a loopback address") {
		t.Errorf("log line %s, want 2 attempts refused as loopback", abandoned)
	}
	if n := sub.requests(); n != 1 {
		t.Errorf("the endpoint received %d requests, want only the confirmation", n)
	}
}

// requests counts the requests the endpoint received.
func (s *subscriber) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// waitLog returns the first server log line containing text, waiting
// for it.
func waitLog(t *testing.T, srv *apptest.Server, text string) string {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for _, line := range strings.Split(srv.Logs(), "\n") {
			if strings.Contains(line, text) {
				return line
			}
		}
	}
	t.Fatalf("no log line %q in:\n%s", text, srv.Logs())
	return ""
}

// portOf is the port the endpoint listens on.
func portOf(s *subscriber) string {
	_, port, _ := net.SplitHostPort(s.Listener.Addr().String())
	return port
}
