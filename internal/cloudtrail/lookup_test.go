package cloudtrail_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/cloudtrail"
)

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// fakeStore answers every lookup with its records, cut to the limit, and
// keeps the last query.
type fakeStore struct {
	cloudtrail.TrailStore // not used by LookupEvents
	cloudtrail.FeedStore  // nor this
	recs                  []*cloudtrail.Record
	last                  *cloudtrail.Query
}

func (f *fakeStore) LookupEvents(_ context.Context, q *cloudtrail.Query) ([]*cloudtrail.Record, error) {
	f.last = q
	return f.recs[:min(len(f.recs), q.Limit)], nil
}

func newService(recs ...*cloudtrail.Record) (*cloudtrail.Service, *fakeStore, context.Context) {
	st := &fakeStore{recs: recs}
	s := cloudtrail.New(st, nil, []byte("test-key"))
	s.Now = func() time.Time { return now }
	call := &awsproto.Call{Region: "eu-west-1", Principal: &awsproto.Principal{AccountID: "111122223333"}}
	return s, st, awsproto.NewContext(context.Background(), call)
}

func rec(seq int64) *cloudtrail.Record {
	return &cloudtrail.Record{Seq: seq, Time: now.Add(-time.Duration(seq) * time.Minute), EventID: "e" + string(rune('0'+seq)), JSON: "{}"}
}

func TestLookupEvents_Query(t *testing.T) {
	s, st, ctx := newService()
	old, start, end := now.Add(-400*24*time.Hour), now.Add(-time.Hour), now.Add(-time.Minute)
	for _, tt := range []struct {
		name string
		in   cloudtrail.LookupEventsInput
		want cloudtrail.Query
	}{
		{"Defaults", cloudtrail.LookupEventsInput{},
			cloudtrail.Query{Start: now.Add(-cloudtrail.DefaultRetention), Limit: 51}},
		{"OldStartClamped", cloudtrail.LookupEventsInput{StartTime: &old, EndTime: &end, MaxResults: new(10)},
			cloudtrail.Query{Start: now.Add(-cloudtrail.DefaultRetention), End: end, Limit: 11}},
		{"RangeAndAttributes", cloudtrail.LookupEventsInput{StartTime: &start, EndTime: &end, LookupAttributes: []cloudtrail.LookupAttribute{
			{AttributeKey: new("EventName"), AttributeValue: new("CreateUser")}, {AttributeKey: new("ReadOnly"), AttributeValue: new("false")}}},
			cloudtrail.Query{Start: start, End: end, Limit: 51,
				Attributes: []cloudtrail.Attribute{{Key: "EventName", Value: "CreateUser"}, {Key: "ReadOnly", Value: "false"}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.LookupEvents(ctx, &tt.in); err != nil {
				t.Fatal(err)
			}
			tt.want.Account, tt.want.Region = "111122223333", "eu-west-1"
			if tt.want.Attributes == nil {
				tt.want.Attributes = []cloudtrail.Attribute{}
			}
			if diff := cmp.Diff(&tt.want, st.last); diff != "" {
				t.Fatalf("query (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLookupEvents_Retention(t *testing.T) {
	s, st, ctx := newService()
	s.Retention = 24 * time.Hour
	if _, err := s.LookupEvents(ctx, &cloudtrail.LookupEventsInput{}); err != nil {
		t.Fatal(err)
	}
	if want := now.Add(-24 * time.Hour); !st.last.Start.Equal(want) {
		t.Fatalf("Start=%v, want %v", st.last.Start, want)
	}
}

func TestLookupEvents_Paging(t *testing.T) {
	s, st, ctx := newService(rec(1), rec(2), rec(3))
	out, err := s.LookupEvents(ctx, &cloudtrail.LookupEventsInput{MaxResults: new(2)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) != 2 || out.NextToken == "" {
		t.Fatalf("first page: %d events, token %q", len(out.Events), out.NextToken)
	}
	if _, err := s.LookupEvents(ctx, &cloudtrail.LookupEventsInput{MaxResults: new(2), NextToken: out.NextToken}); err != nil {
		t.Fatal(err)
	}
	if want := (&cloudtrail.Cursor{Time: rec(2).Time, Seq: 2}); !cmp.Equal(st.last.After, want) {
		t.Fatalf("After=%+v, want %+v", st.last.After, want)
	}
	e := out.Events[0]
	if e.ReadOnly != "false" || e.Resources == nil || e.CloudTrailEvent != "{}" || e.EventID != "e1" {
		t.Fatalf("event=%+v", e)
	}

	other := cloudtrail.New(st, nil, []byte("other-key"))
	_, err = other.LookupEvents(ctx, &cloudtrail.LookupEventsInput{MaxResults: new(2), NextToken: out.NextToken})
	if awserr.Code(err) != cloudtrail.CodeInvalidNextToken {
		t.Fatalf("token signed with another key: err=%v", err)
	}
	tampered := "MS4x" + out.NextToken[strings.Index(out.NextToken, "."):] // payload "1.1", the old signature
	_, err = s.LookupEvents(ctx, &cloudtrail.LookupEventsInput{NextToken: tampered})
	if awserr.Code(err) != cloudtrail.CodeInvalidNextToken {
		t.Fatalf("tampered token: err=%v", err)
	}
}

func TestLookupEvents_AttributeValueLength(t *testing.T) {
	s, _, ctx := newService()
	for _, tt := range []struct {
		value string
		ok    bool
	}{
		{"a", true}, {"", false},
		{strings.Repeat("a", 2000), true}, {strings.Repeat("a", 2001), false},
		{strings.Repeat("_", 1000), true}, {strings.Repeat("_", 1001), false},
		{strings.Repeat(" ", 1000) + "a", false}, {strings.Repeat(",", 999) + "ab", true},
		{strings.Repeat("\n", 1001), false}, {strings.Repeat("é", 2000), true},
	} {
		in := &cloudtrail.LookupEventsInput{LookupAttributes: []cloudtrail.LookupAttribute{{AttributeKey: new("EventName"), AttributeValue: &tt.value}}}
		_, err := s.LookupEvents(ctx, in)
		if ok := err == nil; ok != tt.ok {
			t.Errorf("value of %d bytes %.10q…: err=%v, want ok=%v", len(tt.value), tt.value, err, tt.ok)
		}
	}
}

func TestLookupEvents_MissingMembers(t *testing.T) {
	s, _, ctx := newService()
	for _, a := range []cloudtrail.LookupAttribute{{AttributeKey: new("EventName")}, {AttributeValue: new("x")}} {
		_, err := s.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cloudtrail.LookupAttribute{a}})
		if awserr.Code(err) != cloudtrail.CodeInvalidLookupAttributes {
			t.Errorf("attribute %+v: err=%v", a, err)
		}
	}
}
