package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/deploytrail/deploytrail/internal/store"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// call is one kind of call of the generated history, shaped like the
// records the server writes for it.
type call struct {
	source, name string
	readOnly     bool
	params       func(r *rand.Rand, i int) map[string]any
}

var calls = []call{
	{"codedeploy.amazonaws.com", "CreateDeployment", false, func(r *rand.Rand, i int) map[string]any {
		return map[string]any{"applicationName": fmt.Sprintf("app-%d", r.IntN(20)), "deploymentGroupName": "prod",
			"revision": map[string]any{"revisionType": "S3", "s3Location": map[string]any{"bucket": "artifacts", "key": "v1.zip", "bundleType": "zip"}}}
	}},
	{"codedeploy.amazonaws.com", "GetDeployment", true, func(r *rand.Rand, i int) map[string]any {
		return map[string]any{"deploymentId": fmt.Sprintf("d-%09d", r.IntN(10000))}
	}},
	{"codedeploy.amazonaws.com", "GetApplication", true, func(r *rand.Rand, i int) map[string]any {
		return map[string]any{"applicationName": fmt.Sprintf("app-%d", r.IntN(20))}
	}},
	{"codedeploy.amazonaws.com", "ListApplications", true, func(*rand.Rand, int) map[string]any { return nil }},
	{"iam.amazonaws.com", "GetUser", true, func(r *rand.Rand, i int) map[string]any {
		return map[string]any{"userName": fmt.Sprintf("user-%d", r.IntN(50))}
	}},
	{"iam.amazonaws.com", "CreateUser", false, func(r *rand.Rand, i int) map[string]any {
		return map[string]any{"userName": fmt.Sprintf("new-%d", i)}
	}},
	{"sts.amazonaws.com", "GetCallerIdentity", true, func(*rand.Rand, int) map[string]any { return nil }},
}

// otherAccount holds a tenth of the generated history.
const otherAccount = "444455556666"

// genEvent makes the i-th event of a history: mostly in the benchmark's
// account, in two regions, by 50 users.
func genEvent(r *rand.Rand, i int, at time.Time, spread bool) *trail.Event {
	c := calls[r.IntN(len(calls))]
	account, region := benchAccount, "us-east-1"
	if spread && r.IntN(10) == 0 {
		account = otherAccount
	}
	if c.source == "codedeploy.amazonaws.com" && r.IntN(3) == 0 {
		region = "us-west-2"
	}
	user := fmt.Sprintf("user-%d", r.IntN(50))
	readOnly, mgmt := c.readOnly, true
	return &trail.Event{
		EventVersion: trail.EventVersion, EventID: uuid(r), RecipientAccountID: account, AWSRegion: region,
		EventTime: at.UTC().Format(time.RFC3339), EventSource: c.source, EventName: c.name, ReadOnly: &readOnly,
		SourceIPAddress: "127.0.0.1", UserAgent: "aws-sdk-go-v2/1.48.0 os/linux lang/go#1.26 md/GOOS#linux md/GOARCH#amd64",
		RequestParameters: c.params(r, i), RequestID: uuid(r), ManagementEvent: &mgmt,
		UserIdentity: &trail.UserIdentity{Type: "IAMUser", UserName: user, AccessKeyID: "AKIA" + user, AccountID: account,
			PrincipalID: "AIDA" + user, ARN: "arn:aws:iam::" + account + ":user/" + user},
		EventType: trail.EventTypeAPICall, EventCategory: trail.CategoryManagement,
		TLSDetails: &trail.TLSDetails{ClientProvidedHostHeader: "127.0.0.1:4590"},
	}
}

func uuid(r *rand.Rand) string {
	a, b := r.Uint64(), r.Uint64()
	return fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", a>>32, a>>16&0xffff, a&0xfff, b>>48&0xfff, b&0xffffffffffff)
}

// txEvents is how many events one bulk transaction records.
const txEvents = 10_000

// record stores n events made by gen through the store's API, in
// transactions of txEvents.
func record(ctx context.Context, db *store.DB, n int, gen func(i int) *trail.Event) error {
	events := store.Events{DB: db}
	for start := 0; start < n; start += txEvents {
		err := db.Tx(ctx, func(ctx context.Context) error {
			for i := start; i < min(n, start+txEvents); i++ {
				if err := events.Record(ctx, gen(i)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("record events: %w", err)
		}
	}
	return nil
}

// historyGenerator returns the generator of workload 5's history of n
// events, spread evenly over the last historyDays days.
func historyGenerator(n int) func(i int) *trail.Event {
	r := rand.New(rand.NewPCG(5, 6))
	start := time.Now().Add(-historyDays * 24 * time.Hour)
	step := historyDays * 24 * time.Hour / time.Duration(n)
	return func(i int) *trail.Event { return genEvent(r, i, start.Add(time.Duration(i)*step), true) }
}

// lookupSample reports whether the EventId lookups use the i-th event ev
// of a history: about one in a thousand of the benchmark account's in
// the lookups' region.
func lookupSample(i int, ev *trail.Event) bool {
	return ev.RecipientAccountID == benchAccount && ev.AWSRegion == "us-east-1" && i%997 == 0
}
