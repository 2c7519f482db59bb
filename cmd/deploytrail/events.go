package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
)

// defaultEndpoint is where `deploytrail serve` listens by default.
const defaultEndpoint = "http://127.0.0.1:4590"

// eventFilters maps the filter flags on LookupEvents' attribute keys.
var eventFilters = []struct{ flag, key, usage string }{
	{"event-name", "EventName", "only events of this API call, e.g. CreateDeployment"},
	{"username", "Username", "only calls by this user (IAM user name, role session name or root)"},
	{"event-source", "EventSource", "only events of this service, e.g. codedeploy.amazonaws.com"},
	{"resource-name", "ResourceName", "only events about this resource name"},
	{"resource-type", "ResourceType", "only events about this resource type, e.g. AWS::CodeDeploy::Application"},
	{"access-key-id", "AccessKeyId", "only calls signed with this access key"},
	{"event-id", "EventId", "only the event with this id"},
	{"read-only", "ReadOnly", "true for reads only, false for changes only"},
}

// eventsOptions is what `deploytrail events` was asked for.
type eventsOptions struct {
	endpoint, profile, region string
	in                        cloudtrail.LookupEventsInput
	max                       int
	output                    string
	follow                    bool
}

// events runs `deploytrail events`: it reads the event history of a
// deploytrail server (CloudTrail LookupEvents) and prints it.
func events(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseEventsFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	cfg, endpoint, err := o.awsConfig(ctx)
	if err != nil {
		return err
	}
	p := newEventPrinter(o.output, stdout)
	if o.follow {
		return followEvents(ctx, cfg, endpoint, o, p)
	}
	client := cloudtrail.NewFromConfig(cfg, func(co *cloudtrail.Options) { co.BaseEndpoint = aws.String(endpoint) })
	evs, err := lookupEvents(ctx, client, &o.in, o.max)
	if err != nil {
		return err
	}
	for _, e := range evs {
		p.print(e)
	}
	return p.flush()
}

func parseEventsFlags(args []string, stderr io.Writer) (*eventsOptions, error) {
	o := &eventsOptions{}
	fs := flag.NewFlagSet("events", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: deploytrail events [flags]\n\nPrints the event history of the caller's account and region, newest first\n(with --follow: oldest first, then new events as they happen). Filters combine with AND.\n\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.endpoint, "endpoint-url", "", "the deploytrail server (default $AWS_ENDPOINT_URL, else "+defaultEndpoint+")")
	fs.StringVar(&o.profile, "profile", "", "AWS profile whose credentials sign the requests (default $AWS_PROFILE)")
	fs.StringVar(&o.region, "region", "", "region whose events to show (default the profile's, else us-east-1)")
	filters := make([]*string, len(eventFilters))
	for i, f := range eventFilters {
		filters[i] = fs.String(f.flag, "", f.usage)
	}
	start := fs.String("start", "", "only events at or after this time (RFC 3339)")
	end := fs.String("end", "", "only events at or before this time (RFC 3339)")
	fs.IntVar(&o.max, "max", 50, "print at most this many events (with --follow: before following, at most 1000)")
	fs.StringVar(&o.output, "output", "table", "table, or json: one CloudTrail record per line")
	fs.BoolVar(&o.follow, "follow", false, "then print new events as they are recorded, until interrupted (one stream: one event)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("events: unexpected argument %q", fs.Arg(0))
	}
	for i, f := range eventFilters {
		if *filters[i] != "" {
			o.in.LookupAttributes = append(o.in.LookupAttributes, types.LookupAttribute{
				AttributeKey: types.LookupAttributeKey(f.key), AttributeValue: aws.String(*filters[i])})
		}
	}
	return o, o.validate(*start, *end)
}

// validate checks the options and sets the time range.
func (o *eventsOptions) validate(start, end string) error {
	var err error
	if o.in.StartTime, err = parseTime("start", start); err != nil {
		return err
	}
	if o.in.EndTime, err = parseTime("end", end); err != nil {
		return err
	}
	switch {
	case o.output != "table" && o.output != "json":
		return fmt.Errorf("events: --output must be table or json, not %q", o.output)
	case o.max < 1:
		return fmt.Errorf("events: --max must be at least 1")
	case o.follow && o.in.EndTime != nil:
		return errors.New("events: --follow and --end exclude each other")
	case o.follow && o.max > maxFollowBacklog:
		return fmt.Errorf("events: with --follow, --max must be at most %d", maxFollowBacklog)
	}
	for _, a := range o.in.LookupAttributes {
		if v := aws.ToString(a.AttributeValue); a.AttributeKey == types.LookupAttributeKeyReadOnly && v != "true" && v != "false" {
			return fmt.Errorf("events: --read-only must be true or false, not %q", v)
		}
	}
	return nil
}

func parseTime(name, v string) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, fmt.Errorf("events: --%s: want an RFC 3339 time such as 2025-01-02T15:04:05Z: %w", name, err)
	}
	return &t, nil
}

// awsConfig returns the SDK configuration that signs for the server (the
// profile's or the environment's credentials) and the server's endpoint.
func (o *eventsOptions) awsConfig(ctx context.Context) (aws.Config, string, error) {
	opts := []func(*config.LoadOptions) error{config.WithDefaultRegion("us-east-1")}
	if o.region != "" {
		opts = append(opts, config.WithRegion(o.region))
	}
	cfg, err := loadAWSConfig(ctx, "events", o.profile, opts...)
	if err != nil {
		return cfg, "", err
	}
	endpoint := o.endpoint
	if endpoint == "" {
		endpoint = aws.ToString(cfg.BaseEndpoint)
	}
	if endpoint == "" {
		endpoint = defaultEndpoint
	}
	return cfg, endpoint, nil
}

// lookupEvents returns up to limit events of in, newest first; limit < 0
// means all.
func lookupEvents(ctx context.Context, c *cloudtrail.Client, in *cloudtrail.LookupEventsInput, limit int) ([]types.Event, error) {
	q := *in
	var out []types.Event
	for limit < 0 || len(out) < limit {
		q.MaxResults = aws.Int32(50)
		if limit >= 0 {
			q.MaxResults = aws.Int32(int32(min(50, limit-len(out))))
		}
		page, err := c.LookupEvents(ctx, &q)
		if err != nil {
			return nil, fmt.Errorf("events: %w", err)
		}
		out = append(out, page.Events...)
		if page.NextToken == nil {
			break
		}
		q.NextToken = page.NextToken
	}
	return out, nil
}

// eventPrinter writes events as a table or as JSON lines.
type eventPrinter struct {
	json   bool
	w      io.Writer
	tw     *tabwriter.Writer
	header bool
}

func newEventPrinter(output string, w io.Writer) *eventPrinter {
	return &eventPrinter{json: output == "json", w: w, tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
}

func (p *eventPrinter) print(e types.Event) {
	if p.json {
		fmt.Fprintln(p.w, aws.ToString(e.CloudTrailEvent))
		return
	}
	if !p.header {
		fmt.Fprintln(p.tw, "TIME\tUSER\tSOURCE\tEVENT\tERROR")
		p.header = true
	}
	var rec struct {
		ErrorCode string `json:"errorCode"`
	}
	json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &rec) // a record without errorCode succeeded
	fmt.Fprintf(p.tw, "%s\t%s\t%s\t%s\t%s\n", aws.ToTime(e.EventTime).UTC().Format(time.RFC3339), orDash(aws.ToString(e.Username)),
		strings.TrimSuffix(aws.ToString(e.EventSource), ".amazonaws.com"), aws.ToString(e.EventName), rec.ErrorCode)
}

// flush writes out the table rows printed so far.
func (p *eventPrinter) flush() error { return p.tw.Flush() }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
