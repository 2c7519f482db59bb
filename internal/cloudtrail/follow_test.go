package cloudtrail_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/cloudtrail"
)

// commitLog is a FeedStore whose events commit in the order appended.
type commitLog struct {
	cloudtrail.TrailStore
	recs []*cloudtrail.Record
}

func (c *commitLog) commit(id string, at time.Time) {
	c.recs = append(c.recs, &cloudtrail.Record{Seq: int64(len(c.recs) + 1), EventID: id, Time: at, JSON: "{}"})
}

func (c *commitLog) LastSeq(context.Context) (int64, error) { return int64(len(c.recs)), nil }

func (c *commitLog) EventSeq(_ context.Context, _, _, id string) (int64, error) {
	for _, r := range c.recs {
		if r.EventID == id {
			return r.Seq, nil
		}
	}
	return 0, cloudtrail.ErrNoEvent
}

func (c *commitLog) FollowEvents(_ context.Context, q *cloudtrail.Query, after, upTo int64) ([]*cloudtrail.Record, error) {
	var out []*cloudtrail.Record
	for _, r := range c.recs[after:upTo] {
		if len(out) < q.Limit {
			out = append(out, r)
		}
	}
	return out, nil
}

func (c *commitLog) LookupEvents(_ context.Context, q *cloudtrail.Query) ([]*cloudtrail.Record, error) {
	out := slices.Clone(c.recs)
	slices.Reverse(out)
	return out[:min(len(out), q.Limit)], nil
}

// TestFeed_TimeOrder: a read stamped at second 5 that commits after a
// change stamped at second 6 still goes out first, because new events
// settle before they are sent.
func TestFeed_TimeOrder(t *testing.T) {
	log := &commitLog{}
	log.commit("old", now.Add(-time.Minute))
	s := cloudtrail.New(log, nil, []byte("k"))
	clock := now
	s.Now = func() time.Time { return clock }
	ctx := awsproto.NewContext(context.Background(), &awsproto.Call{Region: "us-east-1", Principal: &awsproto.Principal{AccountID: "111122223333"}})
	next, err := s.OpenFeed(ctx, awsproto.Params{}, 5, "")
	if err != nil {
		t.Fatal(err)
	}
	read := func() []string {
		lines, err := next(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, l := range lines {
			var e struct{ EventId string }
			json.Unmarshal(l, &e)
			ids = append(ids, e.EventId)
		}
		return ids
	}
	if got := read(); !slices.Equal(got, []string{"old"}) {
		t.Fatalf("backlog=%v, want [old]", got)
	}
	log.commit("change", now.Add(6*time.Second))
	log.commit("read", now.Add(5*time.Second))
	clock = now.Add(6 * time.Second)
	if got := read(); len(got) != 0 {
		t.Fatalf("sent %v before they settled", got)
	}
	clock = now.Add(8 * time.Second)
	if got := read(); !slices.Equal(got, []string{"read", "change"}) {
		t.Fatalf("sent %v, want [read change]: time order", got)
	}
	if got := read(); len(got) != 0 {
		t.Fatalf("sent %v again", got)
	}
}
