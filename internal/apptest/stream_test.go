package apptest_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/deploytrail/deploytrail/internal/apptest"
	"github.com/deploytrail/deploytrail/internal/server"
)

// eventStream is an open follow stream.
type eventStream struct {
	resp   *http.Response
	lines  chan streamLine
	cancel context.CancelFunc
}

// streamLine is one event of a stream.
type streamLine struct {
	EventID, EventName, Username, CloudTrailEvent string
	EventTime                                     time.Time
}

// openStream opens EventStreamPath on the server at base, signed with cfg's credentials and
// region; query is "backlog=N" or "after=ID", body LookupEvents' input.
func openStream(tb testing.TB, base string, cfg aws.Config, query, body string) *eventStream {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+server.EventStreamPath+"?"+query, strings.NewReader(body))
	fatalIf(tb, err)
	if cfg.Credentials != nil {
		creds, err := cfg.Credentials.Retrieve(ctx)
		fatalIf(tb, err)
		sum := sha256.Sum256([]byte(body))
		fatalIf(tb, v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "cloudtrail", cfg.Region, time.Now()))
	}
	resp, err := http.DefaultClient.Do(req)
	fatalIf(tb, err)
	s := &eventStream{resp: resp, lines: make(chan streamLine, 100), cancel: cancel}
	if resp.StatusCode != http.StatusOK {
		return s
	}
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if len(bytes.TrimSpace(sc.Bytes())) == 0 {
				continue // heartbeat
			}
			var l streamLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				tb.Errorf("stream line is not an event: %v\n%s", err, sc.Text())
				return
			}
			s.lines <- l
		}
	}()
	return s
}

// refused returns the code of a stream the server refused.
func (s *eventStream) refused(tb testing.TB) (int, string) {
	tb.Helper()
	defer s.resp.Body.Close()
	var e struct {
		Type string `json:"__type"`
	}
	b, _ := io.ReadAll(s.resp.Body)
	if s.resp.StatusCode == http.StatusOK || json.Unmarshal(b, &e) != nil {
		tb.Fatalf("stream: %s %s, want a refusal", s.resp.Status, b)
	}
	return s.resp.StatusCode, e.Type
}

// next waits for the stream's next event.
func (s *eventStream) next(tb testing.TB) streamLine {
	tb.Helper()
	select {
	case l, ok := <-s.lines:
		if !ok {
			tb.Fatal("the stream ended")
		}
		return l
	case <-time.After(10 * time.Second):
		tb.Fatal("no event from the stream within 10s")
	}
	return streamLine{}
}

// followRecords returns the recorded stream openings of the caller.
func followRecords(tb testing.TB, c *cloudtrail.Client) []map[string]any {
	tb.Helper()
	var out []map[string]any
	for _, e := range lookup(tb, c, &cloudtrail.LookupEventsInput{LookupAttributes: attrs("EventName", "LookupEvents")}) {
		rec := record(tb, e)
		if rp, _ := rec["requestParameters"].(map[string]any); rp["follow"] == true {
			out = append(out, rec)
		}
	}
	return out
}

// TestEventStream follows the history: the backlog oldest first, then the
// stream's own opening and each new call in time order, and the whole
// session is one event however long it lasts.
func TestEventStream(t *testing.T) {
	srv := apptest.Start(t)
	iamc := srv.IAM(srv.Root)
	for _, name := range []string{"u1", "u2", "u3"} {
		noErr(t)(iamc.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String(name)}))
	}
	s := openStream(t, srv.URL, srv.Config(srv.Root), "backlog=2", `{"LookupAttributes":[{"AttributeKey":"ReadOnly","AttributeValue":"false"}]}`)
	var got []streamLine
	for range 2 {
		got = append(got, s.next(t))
	}
	if want := []string{"u2", "u3"}; !strings.Contains(got[0].CloudTrailEvent, `"userName":"u2"`) || !strings.Contains(got[1].CloudTrailEvent, `"userName":"u3"`) {
		t.Fatalf("backlog=%v, want the CreateUser of %v, oldest first", got, want)
	}
	time.Sleep(2 * time.Second) // four polls: none of them may be an event
	noErr(t)(iamc.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("u4")}))
	noErr(t)(iamc.ListUsers(ctx, &awsiam.ListUsersInput{})) // a read: filtered out
	noErr(t)(iamc.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("g1")}))
	got = append(got, s.next(t), s.next(t))
	if names := []string{got[2].EventName, got[3].EventName}; !slices.Equal(names, []string{"CreateUser", "CreateGroup"}) {
		t.Fatalf("new events=%v, want CreateUser, CreateGroup", names)
	}
	for i := 1; i < len(got); i++ {
		if got[i].EventTime.Before(got[i-1].EventTime) {
			t.Errorf("event %d at %v before event %d at %v", i, got[i].EventTime, i-1, got[i-1].EventTime)
		}
	}
	time.Sleep(time.Second)
	if recs := followRecords(t, srv.CloudTrail(srv.Root)); len(recs) != 1 || recs[0]["errorCode"] != nil || recs[0]["readOnly"] != true {
		t.Fatalf("stream records=%v, want exactly one successful read", recs)
	}
}

// TestEventStream_Resume: without filters, the stream's first new event is
// its own opening, and a stream resumed after an event id continues
// exactly there.
func TestEventStream_Resume(t *testing.T) {
	srv := apptest.Start(t)
	iamc := srv.IAM(srv.Root)
	noErr(t)(iamc.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("u1")}))
	first := openStream(t, srv.URL, srv.Config(srv.Root), "backlog=1", `{}`)
	u1 := first.next(t)
	if own := first.next(t); own.EventName != "LookupEvents" || !strings.Contains(own.CloudTrailEvent, `"follow":true`) {
		t.Fatalf("first new event=%+v, want the stream's own LookupEvents", own)
	}
	first.cancel()
	noErr(t)(iamc.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("u2")}))
	resumed := openStream(t, srv.URL, srv.Config(srv.Root), "after="+u1.EventID, `{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"CreateUser"}]}`)
	if l := resumed.next(t); !strings.Contains(l.CloudTrailEvent, `"userName":"u2"`) {
		t.Fatalf("resumed with %+v, want CreateUser u2", l)
	}
	if recs := followRecords(t, srv.CloudTrail(srv.Root)); len(recs) != 2 {
		t.Fatalf("%d stream records, want 2 (one per stream)", len(recs))
	}
}

// TestEventStream_Refusals: a stream is authenticated, authorized as
// cloudtrail:LookupEvents (a denial is recorded, as for any call),
// validated, and capped per account.
func TestEventStream_Refusals(t *testing.T) {
	srv := apptest.Start(t)
	if status, code := openStream(t, srv.URL, aws.Config{}, "backlog=1", `{}`).refused(t); status != 403 || code != "MissingAuthenticationTokenException" {
		t.Errorf("unsigned: %d %s", status, code)
	}
	nobody := newUser(t, srv, "nobody", "")
	if _, code := openStream(t, srv.URL, srv.Config(nobody), "backlog=1", `{}`).refused(t); code != "AccessDeniedException" {
		t.Errorf("without cloudtrail:LookupEvents: %s, want AccessDeniedException", code)
	}
	root := srv.Config(srv.Root)
	for query, want := range map[string]string{"after=no-such-event": "InvalidLookupAttributesException",
		"backlog=1001": "InvalidMaxResultsException", "backlog=x": "ValidationException"} {
		if _, code := openStream(t, srv.URL, root, query, `{}`).refused(t); code != want {
			t.Errorf("%s: %s, want %s", query, code, want)
		}
	}
	if _, code := openStream(t, srv.URL, root, "backlog=0", `{"EndTime":1}`).refused(t); code != "InvalidTimeRangeException" {
		t.Errorf("EndTime: %s, want InvalidTimeRangeException", code)
	}
	var open []*eventStream
	for range server.DefaultMaxStreamsPerAccount {
		open = append(open, openStream(t, srv.URL, root, "backlog=0", `{}`))
		if open[len(open)-1].resp.StatusCode != 200 {
			t.Fatalf("stream %d refused", len(open))
		}
	}
	if _, code := openStream(t, srv.URL, root, "backlog=0", `{}`).refused(t); code != "ThrottlingException" {
		t.Fatalf("one stream over the cap: %s, want ThrottlingException", code)
	}
	open[0].cancel()
	waitUntil(t, func() bool { return openStream(t, srv.URL, root, "backlog=0", `{}`).resp.StatusCode == 200 })
	recs := followRecords(t, srv.CloudTrail(srv.Root))
	codes := map[string]int{}
	for _, r := range recs {
		codes[errorCode(r["errorCode"])]++
	}
	if codes["AccessDeniedException"] != 1 || codes["ThrottlingException"] < 1 || codes[""] != server.DefaultMaxStreamsPerAccount+1 {
		t.Errorf("recorded stream outcomes=%v", codes)
	}
}

// errorCode is a record's errorCode, "" for a success.
func errorCode(v any) string {
	s, _ := v.(string)
	return s
}

// waitUntil polls cond for up to 10 s.
func waitUntil(tb testing.TB, cond func() bool) {
	tb.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return
		}
	}
	tb.Fatal("condition not met within 10s")
}

// TestEventStream_AccountsAreIsolated: a member account's stream sees only
// its own events.
func TestEventStream_AccountsAreIsolated(t *testing.T) {
	srv := apptest.Start(t)
	member, inMember := memberSession(t, srv, "ops")
	s := openStream(t, srv.URL, srv.Config(inMember), "backlog=100", `{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"CreateUser"}]}`)
	noErr(t)(srv.IAM(srv.Root).CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("management-only")}))
	noErr(t)(srv.IAM(inMember).CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("member-only")}))
	if l := s.next(t); !strings.Contains(l.CloudTrailEvent, `"userName":"member-only"`) || !strings.Contains(l.CloudTrailEvent, `"recipientAccountId":"`+member+`"`) {
		t.Fatalf("member's stream got %+v, want only its own CreateUser", l)
	}
}

// TestEventStream_Shutdown: stopping the server ends open streams at once
// rather than holding the graceful shutdown for its 30 s.
func TestEventStream_Shutdown(t *testing.T) {
	srv := apptest.Start(t)
	s := openStream(t, srv.URL, srv.Config(srv.Root), "backlog=0", `{}`)
	s.next(t) // its own opening
	began := time.Now()
	srv.Stop()
	if d := time.Since(began); d > 5*time.Second {
		t.Fatalf("shutdown took %v with a stream open", d)
	}
	select {
	case _, ok := <-s.lines:
		if ok {
			t.Fatal("an event after shutdown")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stream is still open after shutdown")
	}
}

// TestEventStream_OutlivesServerTimeouts serves the same handler from an
// http.Server with one-second read and write timeouts: a stream extends
// its deadlines per batch, so it still delivers after them.
func TestEventStream_OutlivesServerTimeouts(t *testing.T) {
	srv := apptest.Start(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	fatalIf(t, err)
	hs := &http.Server{Handler: srv.App.Server, ReadTimeout: time.Second, WriteTimeout: time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	s := openStream(t, "http://"+ln.Addr().String(), srv.Config(srv.Root), "backlog=0", `{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"CreateUser"}]}`)
	time.Sleep(2500 * time.Millisecond)
	noErr(t)(srv.IAM(srv.Root).CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("late")}))
	if l := s.next(t); !strings.Contains(l.CloudTrailEvent, `"userName":"late"`) {
		t.Fatalf("got %+v, want CreateUser late", l)
	}
}
