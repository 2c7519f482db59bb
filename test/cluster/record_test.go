package cluster_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// ack is one acknowledged call: the server answered it, with a result or
// an AWS error, so its event must exist and be delivered exactly once.
type ack struct {
	requestID, operation string
	resource             string // what the call made or read ("" for none)
	code                 string // the AWS error it was answered with ("" for success)
	status               int    // its HTTP status
}

// recorder keeps every acknowledged call. A call cut off by a kill (no
// answer, or a body cut short) is counted as unanswered and claims
// nothing.
type recorder struct {
	t          *testing.T
	mu         sync.Mutex
	acks       map[string]ack
	unanswered int
}

func newRecorder(t *testing.T) *recorder { return &recorder{t: t, acks: map[string]ack{}} }

type resourceKey struct{}

// withResource names, for the recorder, the resource a call acts on.
func withResource(ctx context.Context, resource string) context.Context {
	return context.WithValue(ctx, resourceKey{}, resource)
}

// config signs with the root key and never retries, so that each call
// is one request with one answer or none, and records every answer.
func (r *recorder) config(endpoint, key, secret string) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(key, secret, ""),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}},
		APIOptions:       []func(*middleware.Stack) error{r.addMiddleware},
	}
}

// addMiddleware records each call's outcome after its operation name is
// known (after the service's own initialize steps).
func (r *recorder) addMiddleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("RecordAnswers",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleInitialize(ctx, in)
			resource, _ := ctx.Value(resourceKey{}).(string)
			r.record(middleware.GetOperationName(ctx), resource, md, err)
			return out, md, err
		}), middleware.After)
}

// record counts a call as acknowledged when it returned a result or a
// decoded AWS error.
func (r *recorder) record(op, resource string, md middleware.Metadata, err error) {
	var apiErr smithy.APIError
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil && !errors.As(err, &apiErr) {
		r.unanswered++
		return
	}
	id, _ := awsmw.GetRequestIDMetadata(md)
	var re *awshttp.ResponseError
	errors.As(err, &re)
	if id == "" && re != nil {
		id = re.ServiceRequestID()
	}
	if id == "" {
		r.t.Errorf("%s answered (err=%v) without a request id", op, err)
		return
	}
	if prev, ok := r.acks[id]; ok {
		r.t.Errorf("request id %s answered twice: %s and %s", id, prev.operation, op)
	}
	a := ack{requestID: id, operation: op, resource: resource, status: http.StatusOK}
	if err != nil {
		a.code = apiErr.ErrorCode()
		if re != nil {
			a.status = re.HTTPStatusCode()
		}
	}
	r.acks[id] = a
}

// reset forgets the calls recorded so far: those made before the trail
// logged, which it does not deliver.
func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.acks, r.unanswered = map[string]ack{}, 0
}

// failures counts the calls answered with a 5xx or not at all.
func (r *recorder) failures() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.unanswered
	for _, a := range r.acks {
		if !a.recorded() {
			n++
		}
	}
	return n
}

// acknowledged returns the acknowledged calls, by request id, and how
// many calls got no answer.
func (r *recorder) acknowledged() ([]ack, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	acks := slices.Collect(maps.Values(r.acks))
	slices.SortFunc(acks, func(a, b ack) int { return strings.Compare(a.requestID, b.requestID) })
	return acks, r.unanswered
}

// recorded reports whether the server must have stored the call's event:
// it succeeded or failed as a client error. A 5xx answer (the store was
// unreachable) may have stored none, but never two.
func (a ack) recorded() bool { return a.status < 500 }

// answered reports whether err is an answer from the server (nil or an
// AWS error) rather than a call cut off.
func answered(err error) bool {
	var apiErr smithy.APIError
	return err == nil || errors.As(err, &apiErr)
}
