package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/deploytrail/deploytrail/internal/trail"
)

// historyReport is workload 5: LookupEvents over a large history.
type historyReport struct {
	Events      int                `json:"events"`
	Lookups     map[string]latency `json:"lookup_latency"`
	MeanResults map[string]float64 `json:"mean_events_returned"`
	Concurrent  *loadResult        `json:"concurrent_mixed"`
	PerSecond   float64            `json:"lookups_per_second"`
	Errors      map[string]string  `json:"errors,omitempty"`
}

// historyDays is how far back the generated history reaches.
const historyDays = 60

// timeRange is the report's name for a lookup by time range alone.
const timeRange = "TimeRangeOnly"

// runHistory times lookups on p's recorded history.
func runHistory(ctx context.Context, p *inproc, s settings, ids []string) (*historyReport, error) {
	rep := &historyReport{Events: s.Events, Lookups: map[string]latency{}, MeanResults: map[string]float64{}}
	if err := p.serve(ctx); err != nil {
		return nil, err
	}
	ct := p.target(s.Clients).cloudTrail("us-east-1")
	queries := lookupQueries(ids, time.Now().Add(-historyDays*24*time.Hour))
	for _, name := range lookupNames {
		log.Printf("event history: %s", name)
		lat, mean, err := timeLookups(ctx, ct, queries[name], s.Lookups)
		if err != nil {
			if rep.Errors == nil {
				rep.Errors = map[string]string{}
			}
			rep.Errors[name] = err.Error()
			continue
		}
		rep.Lookups[name], rep.MeanResults[name] = lat, mean
	}
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
// latency and how many events a lookup returned on average.
func timeLookups(ctx context.Context, ct *cloudtrail.Client, q query, n int) (latency, float64, error) {
	var d []time.Duration
	var results int
	for i := range n {
		t0 := time.Now()
		out, err := ct.LookupEvents(ctx, q(i))
		if err != nil {
			return latency{}, 0, err
		}
		d = append(d, time.Since(t0))
		results += len(out.Events)
	}
	return summarize(d), round(float64(results) / float64(n)), nil
}
