package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
)

const (
	// eventStreamPath is the server's follow stream (server.EventStreamPath).
	eventStreamPath = "/_deploytrail/events/stream"
	// maxFollowBacklog is the most history a stream sends first.
	maxFollowBacklog = 1000
	// streamSilence is how long a stream may send nothing, not even its
	// heartbeat (every 15 s), before the server counts as gone.
	streamSilence = 45 * time.Second
	// maxStreamLine bounds one event's line.
	maxStreamLine = 4 << 20
	// reconnects is how often in a row a broken stream is reopened.
	reconnects = 5
)

// streamClient opens streams: no overall timeout (a stream lasts), but a
// server that does not answer within 30 s is given up on; after that the
// watchdog in stream watches for silence.
var streamClient = func() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = 30 * time.Second
	return &http.Client{Transport: t}
}()

// followEvents prints the newest o.max events oldest first, then every
// event as it commits, until ctx ends. It is one long-lived call (one
// event in the history, not one per poll); if the connection breaks, it
// resumes after the last event printed.
func followEvents(ctx context.Context, cfg aws.Config, endpoint string, o *eventsOptions, p *eventPrinter) error {
	f := &follower{cfg: cfg, endpoint: endpoint, o: o, p: p}
	for failures := 0; ; failures++ {
		opened, err := f.stream(ctx)
		if ctx.Err() != nil {
			return nil // interrupted: the normal way to stop
		}
		if opened {
			failures = 0
		}
		if _, refused := errors.AsType[*streamError](err); refused || f.lastID == "" || failures >= reconnects {
			return err // nothing to resume after, or the server says no
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second << failures):
		}
	}
}

// follower is one --follow session.
type follower struct {
	cfg      aws.Config
	endpoint string
	o        *eventsOptions
	p        *eventPrinter
	lastID   string // the newest event printed: where a reconnect resumes
}

// streamError is the server's refusal of a stream, with its AWS code.
type streamError struct{ code, message string }

func (e *streamError) Error() string { return "events: " + e.code + ": " + e.message }

// stream opens one stream and prints its lines until it ends; opened
// says whether the server accepted it.
func (f *follower) stream(ctx context.Context) (opened bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := f.request(ctx)
	if err != nil {
		return false, err
	}
	resp, err := streamClient.Do(req)
	if err != nil {
		return false, fmt.Errorf("events: open the event stream: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, refusal(resp)
	}
	watchdog := time.AfterFunc(streamSilence, cancel) // a silent server is gone
	defer watchdog.Stop()
	return true, f.printLines(bufio.NewReaderSize(resp.Body, maxStreamLine), watchdog)
}

// request builds the stream's POST, SigV4-signed for cloudtrail: the
// backlog, or the event to resume after, and the filters as LookupEvents
// takes them.
func (f *follower) request(ctx context.Context) (*http.Request, error) {
	q := url.Values{}
	if f.lastID != "" {
		q.Set("after", f.lastID)
	} else {
		q.Set("backlog", strconv.Itoa(f.o.max))
	}
	body, err := json.Marshal(streamInput(f.o))
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.endpoint+eventStreamPath+"?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	creds, err := f.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("events: credentials: %w", err)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "cloudtrail", f.cfg.Region, time.Now()); err != nil {
		return nil, fmt.Errorf("events: sign: %w", err)
	}
	return req, nil
}

// streamInput is LookupEvents' input for the stream's body.
func streamInput(o *eventsOptions) map[string]any {
	in := map[string]any{}
	if attrs := o.in.LookupAttributes; len(attrs) > 0 {
		list := make([]map[string]string, len(attrs))
		for i, a := range attrs {
			list[i] = map[string]string{"AttributeKey": string(a.AttributeKey), "AttributeValue": aws.ToString(a.AttributeValue)}
		}
		in["LookupAttributes"] = list
	}
	if o.in.StartTime != nil {
		in["StartTime"] = o.in.StartTime.Unix() // JSON 1.1: epoch seconds
	}
	return in
}

// refusal turns an error response into the server's code and message.
func refusal(resp *http.Response) error {
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(body, &e) != nil || e.Type == "" {
		return fmt.Errorf("events: the event stream answered %s", resp.Status)
	}
	return &streamError{code: e.Type, message: e.Message}
}

// streamEvent is one line of the stream: LookupEvents' Event.
type streamEvent struct {
	EventID         string    `json:"EventId"`
	EventName       string    `json:"EventName"`
	ReadOnly        string    `json:"ReadOnly"`
	AccessKeyID     string    `json:"AccessKeyId"`
	EventTime       time.Time `json:"EventTime"`
	EventSource     string    `json:"EventSource"`
	Username        string    `json:"Username"`
	CloudTrailEvent string    `json:"CloudTrailEvent"`
}

// printLines prints each event line (empty lines are heartbeats) and
// flushes whenever no more has arrived; it returns when the stream ends.
func (f *follower) printLines(r *bufio.Reader, watchdog *time.Timer) error {
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			f.p.flush()
			if errors.Is(err, io.EOF) {
				err = errors.New("events: the server ended the event stream")
			}
			return err
		}
		watchdog.Reset(streamSilence)
		if line = bytes.TrimSpace(line); len(line) > 0 {
			var e streamEvent
			if err := json.Unmarshal(line, &e); err != nil {
				return fmt.Errorf("events: a stream line is not an event: %w", err)
			}
			f.p.print(types.Event{EventId: &e.EventID, EventName: &e.EventName, EventSource: &e.EventSource, Username: &e.Username,
				AccessKeyId: &e.AccessKeyID, ReadOnly: &e.ReadOnly, EventTime: &e.EventTime, CloudTrailEvent: &e.CloudTrailEvent})
			f.lastID = e.EventID
		}
		if r.Buffered() == 0 {
			if err := f.p.flush(); err != nil {
				return err
			}
		}
	}
}
