package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/deploytrail/deploytrail/internal/app"
	"github.com/deploytrail/deploytrail/internal/bucketpolicy"
)

// bucketsPolicy runs `deploytrail buckets policy put|get BUCKET`: the
// bucket policy deploytrail keeps for a bucket (S3's JSON format), which
// decides whose trails may deliver to it.
func bucketsPolicy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w, err := stdout, error(nil)
		if len(args) == 0 {
			w, err = stderr, errors.New("buckets policy: no subcommand given")
		}
		policyUsage(w)
		return err
	}
	sub := args[0]
	l, err := parseLifecycleFlags("buckets policy "+sub, args[1:], stderr)
	if err != nil {
		return err
	}
	run, ok := map[string]func(context.Context, *lifecycleCmd, *bucketpolicy.Policies, io.Writer, io.Writer) error{
		"put": putBucketPolicy, "get": getBucketPolicy,
	}[sub]
	if !ok {
		policyUsage(stderr)
		return fmt.Errorf("buckets policy: unknown subcommand %q", sub)
	}
	if _, release, err := openBucket(ctx, l.config, l.bucket); err != nil {
		return fmt.Errorf("buckets policy %s %s: %s", sub, l.bucket, describeError(err))
	} else {
		release()
	}
	if err := checkDataDir(l.config.Data, false); err != nil { // policies live in its database
		return err
	}
	policies, db, err := app.OpenBucketPolicies(ctx, l.config)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := run(ctx, l, policies, stdout, stderr); err != nil {
		return fmt.Errorf("buckets policy %s %s: %w", sub, l.bucket, err)
	}
	return nil
}

func policyUsage(w io.Writer) {
	fmt.Fprint(w, `Usage:
  deploytrail buckets policy put BUCKET --file POLICY.json   replace the bucket's policy
  deploytrail buckets policy get BUCKET                      print it (the owner goes to stderr)
Each also takes --data DIR and --config FILE.

POLICY.json is what aws s3api put-bucket-policy takes. CloudTrail delivers
a trail's files only where it lets the service principal
cloudtrail.amazonaws.com perform s3:GetBucketAcl on arn:aws:s3:::BUCKET
and s3:PutObject on arn:aws:s3:::BUCKET/[prefix/]AWSLogs/<account or o-id>/*
(conditions on aws:SourceArn, aws:SourceAccount and s3:x-amz-acl are
evaluated). An empty file restores the owner's default policy.
`)
}

func putBucketPolicy(ctx context.Context, l *lifecycleCmd, policies *bucketpolicy.Policies, stdout, _ io.Writer) error {
	if l.file == "" {
		return errors.New("name the policy file with --file")
	}
	text, err := readBounded(l.file, bucketpolicy.MaxPolicyBytes)
	if err != nil {
		return err
	}
	if err := policies.SetPolicy(ctx, l.bucket, strings.TrimSpace(string(text))); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "put the policy of bucket", l.bucket)
	return nil
}

func getBucketPolicy(ctx context.Context, l *lifecycleCmd, policies *bucketpolicy.Policies, stdout, stderr io.Writer) error {
	r, err := policies.Effective(ctx, l.bucket)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "bucket %s belongs to account %s\n", l.bucket, r.Owner)
	fmt.Fprintln(stdout, r.Policy)
	return nil
}

// readBounded reads a file of at most limit bytes.
func readBounded(path string, limit int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, fmt.Errorf("%s: a bucket policy is at most %d bytes", path, limit)
	}
	return b, nil
}
