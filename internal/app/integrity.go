package app

import (
	"context"

	"github.com/deploytrail/deploytrail/internal/console"
	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/validate"
)

// consoleValidator checks a trail's log files for the console with the
// log file validator over the bucket store, as validate-logs does.
func consoleValidator(buckets objstore.Provider) console.Validator {
	return func(ctx context.Context, req console.IntegrityRequest) (*console.Integrity, error) {
		b, err := buckets.Bucket(req.Bucket)
		if err != nil {
			return nil, err
		}
		report, err := validate.Run(ctx, validate.Config{Bucket: b, BucketName: req.Bucket, TrailARN: req.TrailARN,
			Prefix: req.Prefix, Accounts: []string{req.Account}, Regions: []string{req.Region}, Start: req.Start,
			End: req.End, PublicKey: req.PublicKey, OpenBucket: buckets.Bucket})
		if err != nil {
			return nil, err
		}
		out := &console.Integrity{Summary: report.Summary.Lines(), OK: report.Summary.OK()}
		for _, r := range report.Results {
			out.Results = append(out.Results, r.String())
		}
		return out, nil
	}
}
