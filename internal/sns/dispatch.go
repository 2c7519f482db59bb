package sns

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Dispatcher defaults.
const (
	DefaultPollInterval = time.Second
	DefaultBatch        = 64
	DefaultWorkers      = 8
	DefaultHTTPTimeout  = 15 * time.Second // SNS's own timeout for HTTP endpoints
)

// Dispatcher sends queued envelopes to their endpoints: each is POSTed
// until the endpoint answers 2xx, retried by its subscription's delivery
// policy and dropped (logged) when the retries are spent, as SNS does.
// Envelopes are stored, so a restart resumes where it stopped; an
// envelope sent just before a crash may be sent again (SNS is
// at-least-once too, and MessageId tells duplicates apart).
type Dispatcher struct {
	sns    *Service
	Client *http.Client
	// PollInterval is how often due retries are looked for; new
	// envelopes wake the dispatcher at once.
	PollInterval time.Duration
	Batch        int
	Workers      int
	Logger       *slog.Logger
	// OnAttempt, when set, is told the outcome of every attempt: err
	// nil for a delivery; abandoned when a failure was the last try.
	// It may be called from several goroutines at once.
	OnAttempt func(err error, abandoned bool)
}

// NewDispatcher returns the dispatcher of s's outbox. Its client connects
// only where s.Egress allows; a refused address fails the attempt like an
// unreachable endpoint (retried, then dropped and logged).
func NewDispatcher(s *Service) *Dispatcher {
	client := &http.Client{Timeout: DefaultHTTPTimeout, Transport: s.Egress.Transport()}
	return &Dispatcher{sns: s, Client: client, PollInterval: DefaultPollInterval,
		Batch: DefaultBatch, Workers: DefaultWorkers, Logger: slog.Default()}
}

// Run sends envelopes until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) error {
	tick := time.NewTicker(d.PollInterval)
	defer tick.Stop()
	for {
		for d.sendDue(ctx) {
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-d.sns.wake:
		}
	}
}

// sendDue sends one batch of due envelopes in parallel; it reports
// whether the batch was full, so more may be due.
func (d *Dispatcher) sendDue(ctx context.Context) bool {
	envs, err := d.sns.store.Due(ctx, d.sns.Now(), d.Batch)
	if err != nil {
		if ctx.Err() == nil {
			d.Logger.Warn("read SNS outbox", "err", err)
		}
		return false
	}
	sem := make(chan struct{}, d.Workers)
	var wg sync.WaitGroup
	for _, env := range envs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			d.deliver(ctx, env)
		}()
	}
	wg.Wait()
	return len(envs) == d.Batch && ctx.Err() == nil
}

// deliver makes one attempt and records its outcome.
func (d *Dispatcher) deliver(ctx context.Context, env *Envelope) {
	err := d.post(ctx, env)
	if ctx.Err() != nil {
		return // shutting down: the envelope stays due
	}
	env.Attempts++
	abandoned := err != nil && env.Attempts >= env.MaxAttempts
	var stored error
	switch {
	case err == nil:
		stored = d.sns.store.Sent(ctx, env.ID)
	case abandoned:
		d.Logger.Warn("SNS delivery abandoned", "subscription", env.SubscriptionARN, "message_id", env.MessageID,
			"attempts", env.Attempts, "err", err)
		stored = d.sns.store.Sent(ctx, env.ID)
	default:
		env.LastError = err.Error()
		env.Next = d.sns.Now().Add(d.retryDelay(ctx, env))
		stored = d.sns.store.Retry(ctx, env)
	}
	if stored != nil && ctx.Err() == nil {
		d.Logger.Warn("update SNS outbox", "err", stored)
	}
	// Counted once the outbox says so, so that a scrape never sees an
	// attempt's outcome before the outbox reflects it.
	if d.OnAttempt != nil {
		d.OnAttempt(err, abandoned)
	}
}

// retryDelay is the wait before env's next attempt, by its delivery
// policy (which may have changed since it was queued).
func (d *Dispatcher) retryDelay(ctx context.Context, env *Envelope) time.Duration {
	retry := defaultRetry
	if sub, err := d.sns.store.Subscription(ctx, env.SubscriptionARN); err == nil {
		if t, err := d.sns.store.Topic(ctx, env.TopicARN); err == nil {
			retry = effectiveRetry(t, sub)
		}
	}
	return retry.delay(env.Attempts)
}

// post POSTs env with SNS's headers; any answer but 2xx is a failure.
func (d *Dispatcher) post(ctx context.Context, env *Envelope) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, env.Endpoint, strings.NewReader(env.Body))
	if err != nil {
		return err
	}
	h := req.Header
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("User-Agent", "Amazon Simple Notification Service Agent")
	h.Set("x-amz-sns-message-type", env.Type)
	h.Set("x-amz-sns-message-id", env.MessageID)
	h.Set("x-amz-sns-topic-arn", env.TopicARN)
	if env.Type != TypeConfirmation {
		h.Set("x-amz-sns-subscription-arn", env.SubscriptionARN)
	}
	resp, err := d.Client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("endpoint answered %s", resp.Status)
	}
	return nil
}
