package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	ctservice "github.com/deploytrail/deploytrail/internal/cloudtrail"
	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// historyReport is workload 5: LookupEvents over a large history.
type historyReport struct {
	Events  int                `json:"events"`
	Lookups map[string]latency `json:"lookup_latency"`
	// NextPages is the latency of the second page of the same lookups,
	// through the first page's NextToken.
	NextPages map[string]latency `json:"next_page_latency"`
	// StoreLookups is the same first pages' query alone, at the store
	// (store.Events.LookupEvents in process: no HTTP, no SigV4, no event
	// of its own), to tell the query from the call around it.
	StoreLookups map[string]latency `json:"store_lookup_latency"`
	// AuditedFloor is a call that reads next to nothing (DescribeTrails)
	// but records its event durably as a lookup does: the part of a
	// lookup's latency that is not the lookup.
	AuditedFloor *latency           `json:"audited_call_floor"`
	MeanResults  map[string]float64 `json:"mean_events_returned"`
	Concurrent   *loadResult        `json:"concurrent_mixed"`
	PerSecond    float64            `json:"lookups_per_second"`
	Errors       map[string]string  `json:"errors,omitempty"`
}

// historyDays is how far back the generated history reaches.
const historyDays = 60

// timeRange is the report's name for a lookup by time range alone.
const timeRange = "TimeRangeOnly"

// runHistory times lookups on p's recorded history.
func runHistory(ctx context.Context, p *inproc, s settings, ids []string) (*historyReport, error) {
	rep := &historyReport{Events: s.Events, Lookups: map[string]latency{}, NextPages: map[string]latency{},
		StoreLookups: map[string]latency{}, MeanResults: map[string]float64{}}
	if err := p.serve(ctx); err != nil {
		return nil, err
	}
	ct := p.target(s.Clients).cloudTrail("us-east-1")
	queries := lookupQueries(ids, time.Now().Add(-historyDays*24*time.Hour))
	for _, name := range lookupNames {
		log.Printf("event history: %s", name)
		lat, next, mean, err := timeLookups(ctx, ct, queries[name], s.Lookups)
		if err != nil {
			if rep.Errors == nil {
				rep.Errors = map[string]string{}
			}
			rep.Errors[name] = err.Error()
			continue
		}
		rep.Lookups[name], rep.MeanResults[name] = lat, mean
		if next != nil {
			rep.NextPages[name] = *next
		}
		if rep.StoreLookups[name], err = timeStoreLookups(ctx, p, queries[name], s.Lookups); err != nil {
			return nil, fmt.Errorf("%s at the store: %w", name, err)
		}
	}
	floor, err := timeAuditedFloor(ctx, ct, s.Lookups)
	if err != nil {
		return nil, err
	}
	rep.AuditedFloor = &floor
	log.Printf("event history: %d concurrent clients", s.Clients)
	rep.Concurrent = runLoad(ctx, s.Clients, s.Duration, func(ctx context.Context, i int) error {
		q := queries[lookupNames[i%len(lookupNames)]]
		_, err := ct.LookupEvents(ctx, q(i/len(lookupNames)))
		return err
	})
	rep.PerSecond = rep.Concurrent.RPS
	return rep, nil
}

var lookupNames = []string{"EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName",
	"EventSource", "AccessKeyId", timeRange}

// query makes the i-th lookup of one kind.
type query func(i int) *cloudtrail.LookupEventsInput

// lookupQueries returns, per kind, lookups whose values cycle through the
// values of the generated history.
func lookupQueries(ids []string, start time.Time) map[string]query {
	by := func(key cttypes.LookupAttributeKey, values func(i int) string) query {
		return func(i int) *cloudtrail.LookupEventsInput {
			return &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: key, AttributeValue: aws.String(values(i))}}}
		}
	}
	cycle := func(vs ...string) func(int) string { return func(i int) string { return vs[i%len(vs)] } }
	return map[string]query{
		"EventId":      by(cttypes.LookupAttributeKeyEventId, cycle(ids...)),
		"EventName":    by(cttypes.LookupAttributeKeyEventName, func(i int) string { return calls[i%len(calls)].name }),
		"ReadOnly":     by(cttypes.LookupAttributeKeyReadOnly, cycle("true", "false")),
		"Username":     by(cttypes.LookupAttributeKeyUsername, func(i int) string { return fmt.Sprintf("user-%d", i%50) }),
		"ResourceType": by(cttypes.LookupAttributeKeyResourceType, cycle(trail.TypeApplication, trail.TypeIAMUser, trail.TypeDeploymentGroup)),
		"ResourceName": by(cttypes.LookupAttributeKeyResourceName, func(i int) string { return fmt.Sprintf("app-%d", i%20) }),
		"EventSource":  by(cttypes.LookupAttributeKeyEventSource, cycle("codedeploy.amazonaws.com", "iam.amazonaws.com", "sts.amazonaws.com")),
		"AccessKeyId":  by(cttypes.LookupAttributeKeyAccessKeyId, func(i int) string { return fmt.Sprintf("AKIAuser-%d", i%50) }),
		timeRange: func(i int) *cloudtrail.LookupEventsInput {
			from := start.Add(time.Duration(i*7919%(historyDays*24)) * time.Hour)
			return &cloudtrail.LookupEventsInput{StartTime: aws.Time(from), EndTime: aws.Time(from.Add(time.Hour))}
		},
	}
}

// timeLookups makes n lookups one after another and returns their
// latency, that of the second pages (each through its first page's
// NextToken, right after it; nil when no first page had a NextToken) and
// how many events a first page returned on average.
func timeLookups(ctx context.Context, ct *cloudtrail.Client, q query, n int) (first latency, next *latency, mean float64, err error) {
	var d, dNext []time.Duration
	var results int
	for i := range n {
		in := q(i)
		t0 := time.Now()
		out, err := ct.LookupEvents(ctx, in)
		if err != nil {
			return latency{}, nil, 0, err
		}
		d = append(d, time.Since(t0))
		results += len(out.Events)
		if out.NextToken == nil {
			continue
		}
		in.NextToken = out.NextToken
		t0 = time.Now()
		if _, err := ct.LookupEvents(ctx, in); err != nil {
			return latency{}, nil, 0, fmt.Errorf("next page: %w", err)
		}
		dNext = append(dNext, time.Since(t0))
	}
	if len(dNext) > 0 {
		l := summarize(dNext)
		next = &l
	}
	return summarize(d), next, round(float64(results) / float64(n)), nil
}

// timeStoreLookups makes the store queries of n first pages of q one
// after another, as the service asks them (a page and one more event, the
// retention's lower bound), and returns their latency.
func timeStoreLookups(ctx context.Context, p *inproc, q query, n int) (latency, error) {
	events := store.Events{DB: p.app.DB}
	var d []time.Duration
	for i := range n {
		sq := storeQuery(q(i), time.Now())
		t0 := time.Now()
		if _, err := events.LookupEvents(ctx, sq); err != nil {
			return latency{}, err
		}
		d = append(d, time.Since(t0))
	}
	return summarize(d), nil
}

// storeQuery is the store query the service makes of a first page of in
// at now.
func storeQuery(in *cloudtrail.LookupEventsInput, now time.Time) *ctservice.Query {
	q := &ctservice.Query{Account: benchAccount, Region: "us-east-1", Start: now.Add(-ctservice.DefaultRetention),
		Limit: historyPage + 1}
	for _, a := range in.LookupAttributes {
		q.Attributes = append(q.Attributes, ctservice.Attribute{Key: string(a.AttributeKey), Value: aws.ToString(a.AttributeValue)})
	}
	if in.StartTime != nil && in.StartTime.After(q.Start) {
		q.Start = *in.StartTime
	}
	if in.EndTime != nil {
		q.End = *in.EndTime
	}
	return q
}

// historyPage is LookupEvents' default page size, the one the lookups use.
const historyPage = 50

// timeAuditedFloor makes n DescribeTrails calls one after another.
func timeAuditedFloor(ctx context.Context, ct *cloudtrail.Client, n int) (latency, error) {
	var d []time.Duration
	for range n {
		t0 := time.Now()
		if _, err := ct.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{}); err != nil {
			return latency{}, fmt.Errorf("describe trails: %w", err)
		}
		d = append(d, time.Since(t0))
	}
	return summarize(d), nil
}
