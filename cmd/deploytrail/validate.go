package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/deploytrail/deploytrail/internal/app"
	"github.com/deploytrail/deploytrail/internal/digest"
	"github.com/deploytrail/deploytrail/internal/lifecycle"
	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/validate"
)

// publicKeyMargin is how far past the end ListPublicKeys looks, as the
// AWS CLI does: the digest covering the last files ends up to an hour
// after them.
const publicKeyMargin = 2 * time.Hour

// trailARNPattern is the AWS CLI's check of --trail-arn.
var trailARNPattern = regexp.MustCompile(`^arn:.+:cloudtrail:.+:\d{12}:trail/.+$`)

// exitError is an error that ends the program with its own exit status.
type exitError struct {
	status int
	err    error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// exitStatus is the exit status for an error run returned: 1 unless the
// error says otherwise (2 for a command used wrongly).
func exitStatus(err error) int {
	if e, ok := errors.AsType[*exitError](err); ok {
		return e.status
	}
	return 1
}

// validateOptions is what `deploytrail validate-logs` was asked for.
type validateOptions struct {
	config                    app.Config // where the buckets are
	endpoint, profile, region string     // the server, and the caller's identity
	trailARN                  string
	bucket, prefix, accountID string
	start, end                time.Time
	verbose                   bool
	concurrency               int
}

// validateLogs runs `deploytrail validate-logs`: it checks a trail's
// digest and log files as `aws cloudtrail validate-logs` does (spec §9.8),
// asking the server for the trail and its public keys and reading the
// bucket directly. Exit status 0: all valid; 1: something invalid or
// missing (or the run failed); 2: wrong usage.
func validateLogs(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseValidateFlags(args, stderr, os.Getenv, time.Now())
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return &exitError{2, err}
	}
	if o.config.S3Endpoint == "" {
		if err := checkDataDir(o.config.Data, false); err != nil { // before asking the server anything
			return err
		}
	}
	began := time.Now()
	cfg, done, err := o.runConfig(ctx)
	if err != nil {
		return err
	}
	defer done()
	fmt.Fprintf(stdout, "Validating log files for trail %s between %s and %s\n\n", o.trailARN, digest.FormatTime(o.start), digest.FormatTime(o.end))
	report, err := validate.Run(ctx, cfg)
	if err != nil {
		return fmt.Errorf("validate-logs: %w", err)
	}
	printReport(report, o.verbose, stdout, stderr)
	if o.verbose {
		n, elapsed := len(report.Results), time.Since(began)
		fmt.Fprintf(stderr, "checked %d files in %v (%.1f files/s)\n", n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())
	}
	if s := report.Summary; !s.OK() {
		return fmt.Errorf("validate-logs: %d digest files, %d log files and %d chain gaps invalid",
			s.InvalidDigests+s.InvalidBackfill, s.InvalidLogFiles, s.Gaps)
	}
	return nil
}

func parseValidateFlags(args []string, stderr io.Writer, getenv func(string) string, now time.Time) (*validateOptions, error) {
	cfg, path, err := baseConfig(args, getenv)
	if err != nil {
		return nil, err
	}
	o := &validateOptions{config: cfg}
	fs := flag.NewFlagSet("validate-logs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, validateUsage)
		fs.PrintDefaults()
	}
	fs.String("config", path, "YAML config file (DEPLOYTRAIL_CONFIG)")
	fs.StringVar(&o.config.Data, "data", o.config.Data, "directory holding all state, for the directory bucket store (DEPLOYTRAIL_DATA)")
	fs.StringVar(&o.endpoint, "endpoint-url", "", "the deploytrail server (default $AWS_ENDPOINT_URL, else "+defaultEndpoint+")")
	fs.StringVar(&o.profile, "profile", "", "AWS profile whose credentials sign the requests (default $AWS_PROFILE)")
	fs.StringVar(&o.region, "region", "", "region whose digests to check and whose keys to fetch (default the trail's home region)")
	fs.StringVar(&o.trailARN, "trail-arn", "", "ARN of the trail to validate (required)")
	start := fs.String("start-time", "", "check files delivered at or after this time (required), e.g. 2026-01-02T15:04Z")
	end := fs.String("end-time", "", "check files delivered up to this time (default now)")
	fs.StringVar(&o.bucket, "s3-bucket", "", "bucket to read, if not the trail's current one (then DescribeTrails is not called)")
	fs.StringVar(&o.prefix, "s3-prefix", "", "key prefix of the files, with --s3-bucket")
	fs.StringVar(&o.accountID, "account-id", "", "account whose files to check (default the trail's; required for organization trails)")
	fs.BoolVar(&o.verbose, "verbose", false, "print every valid file, and the time taken")
	fs.IntVar(&o.concurrency, "concurrency", validate.DefaultConcurrency, "log files fetched and hashed at once, and digests read ahead (1 to 128)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("validate-logs: unexpected argument %q", fs.Arg(0))
	}
	return o, o.check(*start, *end, now)
}

const validateUsage = `Usage: deploytrail validate-logs --trail-arn ARN --start-time T [flags]

Checks the digest and log files of a trail with log file validation, like
aws cloudtrail validate-logs: it asks the server (DescribeTrails,
ListPublicKeys) for the trail's bucket and keys and reads the bucket from
<data>/buckets, or from the S3-compatible service DEPLOYTRAIL_S3_* names.
Exit status 0: all valid; 1: a file is invalid or missing; 2: wrong usage.

`

// check validates the options and sets the time range.
func (o *validateOptions) check(start, end string, now time.Time) error {
	var err error
	switch {
	case o.trailARN == "":
		return errors.New("validate-logs: --trail-arn is required")
	case !trailARNPattern.MatchString(o.trailARN):
		return fmt.Errorf("validate-logs: invalid trail ARN provided: %s", o.trailARN)
	case start == "":
		return errors.New("validate-logs: --start-time is required")
	case o.concurrency < 1 || o.concurrency > validate.MaxConcurrency:
		return fmt.Errorf("validate-logs: --concurrency must be between 1 and %d", validate.MaxConcurrency)
	case o.prefix != "" && o.bucket == "":
		return errors.New("validate-logs: --s3-prefix needs --s3-bucket")
	}
	if o.start, err = parseLenientTime(start); err != nil {
		return fmt.Errorf("validate-logs: --start-time: %w", err)
	}
	o.end = now.UTC().Truncate(time.Second)
	if end != "" {
		if o.end, err = parseLenientTime(end); err != nil {
			return fmt.Errorf("validate-logs: --end-time: %w", err)
		}
	}
	if o.start.After(o.end) {
		return errors.New("validate-logs: invalid time range specified: start-time must occur before end-time")
	}
	if o.region == "" {
		o.region = strings.Split(o.trailARN, ":")[3]
	}
	return nil
}

// timeLayouts are the forms --start-time and --end-time accept; without a
// zone, UTC.
var timeLayouts = []string{
	time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05", "2006-01-02 15:04", "20060102T150405Z", "2006-01-02",
}

// parseLenientTime parses the times the AWS CLI takes, and Unix seconds.
func parseLenientTime(s string) (time.Time, error) {
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("unable to parse date value %q: want e.g. 2026-01-02T15:04:05Z, 2026-01-02T15:04Z or 2026-01-02", s)
}

// runConfig asks the server what a run needs and opens the buckets. The
// function it returns closes them.
func (o *validateOptions) runConfig(ctx context.Context) (validate.Config, func(), error) {
	awsCfg, err := o.awsConfig(ctx)
	if err != nil {
		return validate.Config{}, nil, err
	}
	ct := cloudtrail.NewFromConfig(awsCfg)
	f := strings.Split(o.trailARN, ":")
	cfg := validate.Config{TrailARN: o.trailARN, BucketName: o.bucket, Prefix: o.prefix, Accounts: []string{f[4]},
		Regions: []string{o.region}, Start: o.start, End: o.end, Concurrency: o.concurrency}
	if o.accountID != "" {
		cfg.Accounts = []string{o.accountID}
	}
	if cfg.BucketName == "" {
		if err := o.describeTrail(ctx, awsCfg, ct, &cfg); err != nil {
			return cfg, nil, err
		}
	}
	if cfg.PublicKey, err = publicKeys(ctx, ct, o.start, o.end.Add(publicKeyMargin)); err != nil {
		return cfg, nil, err
	}
	p, err := openBuckets(o.config, false)
	if err != nil {
		return cfg, nil, err
	}
	cfg.OpenBucket = p.Bucket
	if cfg.Bucket, err = p.Bucket(cfg.BucketName); err != nil {
		closeProvider(p)
		return cfg, nil, fmt.Errorf("validate-logs: bucket %s: %w", cfg.BucketName, err)
	}
	cfg.Expired = o.expiredByPolicy(ctx, cfg.Bucket, cfg.BucketName)
	return cfg, func() { closeProvider(p) }, nil
}

// expiredByPolicy tells the files the bucket's lifecycle rules removed on
// purpose, so that they are reported as expired rather than deleted; nil
// when the bucket has no rules (or they cannot be read: then every
// missing file is reported as missing, the safe side).
func (o *validateOptions) expiredByPolicy(ctx context.Context, b objstore.Bucket, name string) func(string) bool {
	rules, err := loadLifecycle(ctx, &lifecycleCmd{config: o.config, bucket: name}, b)
	if err != nil {
		return nil
	}
	return lifecycle.ExpiredFunc(rules, time.Now)
}

// awsConfig is the SDK configuration for the server, found as `events`
// finds it, in the region to check.
func (o *validateOptions) awsConfig(ctx context.Context) (aws.Config, error) {
	cfg, err := loadAWSConfig(ctx, "validate-logs", o.profile, config.WithRegion(o.region))
	if err != nil {
		return cfg, err
	}
	if o.endpoint != "" {
		cfg.BaseEndpoint = aws.String(o.endpoint)
	}
	if aws.ToString(cfg.BaseEndpoint) == "" {
		cfg.BaseEndpoint = aws.String(defaultEndpoint)
	}
	return cfg, nil
}

// describeTrail sets the bucket, prefix and organization from the trail
// DescribeTrails lists with the ARN (spec §9.8 step 3).
func (o *validateOptions) describeTrail(ctx context.Context, awsCfg aws.Config, ct *cloudtrail.Client, cfg *validate.Config) error {
	out, err := ct.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	if err != nil {
		return fmt.Errorf("validate-logs: DescribeTrails: %w", err)
	}
	for _, tr := range out.TrailList {
		if aws.ToString(tr.TrailARN) != o.trailARN {
			continue
		}
		cfg.BucketName, cfg.Prefix = aws.ToString(tr.S3BucketName), aws.ToString(tr.S3KeyPrefix)
		if !aws.ToBool(tr.IsOrganizationTrail) {
			return nil
		}
		if o.accountID == "" {
			return &exitError{2, errors.New("validate-logs: missing required parameter for organization trail: --account-id")}
		}
		org, err := organizations.NewFromConfig(awsCfg).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
		if err != nil {
			return fmt.Errorf("validate-logs: DescribeOrganization: %w", err)
		}
		cfg.OrgID = aws.ToString(org.Organization.Id)
		return nil
	}
	return fmt.Errorf("validate-logs: a trail could not be found for %s in %s", o.trailARN, o.region)
}

// publicKeys fetches the keys valid between start and end with one
// ListPublicKeys call, as the AWS CLI does, and looks them up by
// fingerprint.
func publicKeys(ctx context.Context, ct *cloudtrail.Client, start, end time.Time) (func(string) ([]byte, bool), error) {
	out, err := ct.ListPublicKeys(ctx, &cloudtrail.ListPublicKeysInput{StartTime: aws.Time(start), EndTime: aws.Time(end)})
	if err != nil {
		return nil, fmt.Errorf("validate-logs: ListPublicKeys: %w", err)
	}
	if len(out.PublicKeyList) == 0 {
		return nil, fmt.Errorf("validate-logs: no public keys found between %s and %s", digest.FormatTime(start), digest.FormatTime(end))
	}
	keys := map[string][]byte{}
	for _, k := range out.PublicKeyList {
		keys[aws.ToString(k.Fingerprint)] = k.Value
	}
	return func(fp string) ([]byte, bool) { k, ok := keys[fp]; return k, ok }, nil
}

// printReport writes the results as the AWS CLI does: with --verbose the
// valid files on stdout; problems and warnings always, on stderr; then the
// summary.
func printReport(r *validate.Report, verbose bool, stdout, stderr io.Writer) {
	for _, res := range r.Results {
		if res.Status == validate.StatusValid {
			if verbose {
				fmt.Fprintln(stdout, res)
			}
			continue
		}
		fmt.Fprintln(stderr, res)
	}
	fmt.Fprintln(stdout)
	for _, line := range r.Summary.Lines() {
		fmt.Fprintln(stdout, line)
	}
}
