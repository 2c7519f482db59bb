package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/deploytrail/deploytrail/internal/app"
	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/lifecycle"
	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/objstore/s3"
)

// Where the file backend archives transitioned objects, beside
// <data>/buckets.
func archiveDir(cfg app.Config) string { return lifecycle.ArchiveDir(cfg.Data) }

// withRules runs fn with the lifecycle rules of cfg's store (the file
// backend's: S3 keeps its own).
func withRules(ctx context.Context, cfg app.Config, fn func(lifecycle.Rules) error) error {
	rules, db, err := app.OpenLifecycleRules(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(rules)
}

// bucketsLifecycle runs `deploytrail buckets lifecycle put|get|delete|apply
// BUCKET`. On the file backend the rules are kept in the database and
// enforced by the server (hourly) or by apply; on S3 they are the bucket's own lifecycle configuration, which
// the service enforces.
func bucketsLifecycle(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w, err := stdout, error(nil)
		if len(args) == 0 {
			w, err = stderr, errors.New("buckets lifecycle: no subcommand given")
		}
		lifecycleUsage(w)
		return err
	}
	sub := args[0]
	l, err := parseLifecycleFlags("buckets lifecycle "+sub, args[1:], stderr)
	if err != nil {
		return err
	}
	if l.config.S3Endpoint == "" {
		if err := checkDataDir(l.config.Data, false); err != nil { // rules of a bucket that cannot be here
			return err
		}
	}
	run, ok := map[string]func(context.Context, *lifecycleCmd, io.Writer) error{
		"put": putLifecycle, "get": getLifecycle, "delete": deleteLifecycle, "apply": applyLifecycle,
	}[sub]
	if !ok {
		lifecycleUsage(stderr)
		return fmt.Errorf("buckets lifecycle: unknown subcommand %q", sub)
	}
	if err := run(ctx, l, stdout); err != nil {
		return fmt.Errorf("buckets lifecycle %s %s: %s", sub, l.bucket, describeError(err))
	}
	return nil
}

func lifecycleUsage(w io.Writer) {
	fmt.Fprint(w, `Usage:
  deploytrail buckets lifecycle put BUCKET --file RULES.json   set the bucket's lifecycle rules
  deploytrail buckets lifecycle get BUCKET                     print them as JSON
  deploytrail buckets lifecycle delete BUCKET                  remove them
  deploytrail buckets lifecycle apply BUCKET                   enforce them now (file backend)
Each also takes --data DIR and --config FILE.

RULES.json is what aws s3api put-bucket-lifecycle-configuration takes, e.g.
  {"Rules":[{"ID":"logs","Status":"Enabled","Filter":{"Prefix":"AWSLogs/"},
    "Transitions":[{"Days":90,"StorageClass":"GLACIER"}],"Expiration":{"Days":365}}]}
On the file backend the rules live in the server's database; the server
applies them hourly: expired objects are deleted, transitioned ones
moved to <data>/archive/BUCKET/. On S3 (DEPLOYTRAIL_S3_ENDPOINT) they are
the bucket's own configuration and the service enforces them.
`)
}

// lifecycleCmd is a parsed lifecycle command line.
type lifecycleCmd struct {
	config app.Config
	bucket string
	file   string // put's --file
}

// parseLifecycleFlags resolves the configuration and takes flags before
// and after the bucket name, which must be the one positional argument.
func parseLifecycleFlags(name string, args []string, stderr io.Writer) (*lifecycleCmd, error) {
	cfg, path, err := baseConfig(args, os.Getenv)
	if err != nil {
		return nil, err
	}
	l := &lifecycleCmd{}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.String("config", path, "YAML config file (DEPLOYTRAIL_CONFIG)")
	fs.StringVar(&cfg.Data, "data", cfg.Data, "directory holding all state (DEPLOYTRAIL_DATA)")
	fs.StringVar(&l.file, "file", "", "JSON file with the lifecycle configuration (put)")
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) != 1 {
		return nil, fmt.Errorf("%s: name one bucket", name)
	}
	l.config, l.bucket = cfg, positional[0]
	return l, nil
}

// describeError shows a service's or a validation's error as S3 code and
// message, and anything else as it is.
func describeError(err error) string {
	if e := awserr.As(err); e != nil {
		return e.Code + ": " + e.Message
	}
	if code, msg := s3.ErrorCode(err); code != "" {
		if code == "InvalidStorageClass" {
			msg += " (MinIO accepts only storage classes that name a remote tier configured with mc ilm tier add)"
		}
		return code + ": " + msg
	}
	switch {
	case errors.Is(err, objstore.ErrNoBucket):
		return "NoSuchBucket: The specified bucket does not exist"
	case errors.Is(err, objstore.ErrInvalidBucketName):
		return "InvalidBucketName: The specified bucket is not valid"
	case errors.Is(err, s3.ErrNoLifecycle):
		return lifecycle.ErrNoSuchConfiguration.Error()
	}
	return err.Error()
}

// openBucket returns the bucket after checking that it exists, as S3 does
// for lifecycle calls.
func openBucket(ctx context.Context, cfg app.Config, name string) (objstore.Bucket, func(), error) {
	p, err := openBuckets(cfg, false)
	if err != nil {
		return nil, nil, err
	}
	closeFn := func() { closeProvider(p) }
	b, err := p.Bucket(name)
	if err == nil {
		var ok bool
		if ok, err = b.Exists(ctx); err == nil && !ok {
			err = objstore.ErrNoBucket
		}
	}
	if err != nil {
		closeFn()
		return nil, nil, err
	}
	return b, closeFn, nil
}

func putLifecycle(ctx context.Context, l *lifecycleCmd, stdout io.Writer) error {
	if l.file == "" {
		return errors.New("--file is required")
	}
	data, err := os.ReadFile(l.file)
	if err != nil {
		return err
	}
	cfg, err := lifecycle.Parse(data)
	if err != nil {
		return err
	}
	b, done, err := openBucket(ctx, l.config, l.bucket)
	if err != nil {
		return err
	}
	defer done()
	if sb, ok := b.(*s3.Bucket); ok {
		canonical, _ := json.Marshal(cfg)
		if err := sb.PutLifecycle(ctx, canonical); err != nil {
			return err
		}
	} else if err := withRules(ctx, l.config, func(r lifecycle.Rules) error { return r.Put(ctx, l.bucket, cfg) }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "put %d lifecycle rules on bucket %s\n", len(cfg.Rules), l.bucket)
	return nil
}

func getLifecycle(ctx context.Context, l *lifecycleCmd, stdout io.Writer) error {
	b, done, err := openBucket(ctx, l.config, l.bucket)
	if err != nil {
		return err
	}
	defer done()
	cfg, err := loadLifecycle(ctx, l, b)
	if err != nil {
		return err
	}
	out, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", out)
	return nil
}

// loadLifecycle reads the configuration from the S3 bucket or the store.
func loadLifecycle(ctx context.Context, l *lifecycleCmd, b objstore.Bucket) (*lifecycle.Configuration, error) {
	sb, ok := b.(*s3.Bucket)
	if !ok {
		var cfg *lifecycle.Configuration
		err := withRules(ctx, l.config, func(r lifecycle.Rules) (err error) {
			cfg, err = r.Get(ctx, l.bucket)
			return err
		})
		return cfg, err
	}
	data, err := sb.GetLifecycle(ctx)
	if err != nil {
		return nil, err
	}
	var cfg lifecycle.Configuration // leniently: S3 sends nulls and fields we do not model
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, err
	}
	return &cfg, nil
}

func deleteLifecycle(ctx context.Context, l *lifecycleCmd, stdout io.Writer) error {
	b, done, err := openBucket(ctx, l.config, l.bucket)
	if err != nil {
		return err
	}
	defer done()
	if sb, ok := b.(*s3.Bucket); ok {
		err = sb.DeleteLifecycle(ctx)
	} else {
		err = withRules(ctx, l.config, func(r lifecycle.Rules) error { return r.Delete(ctx, l.bucket) })
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "deleted the lifecycle rules of bucket", l.bucket)
	return nil
}

func applyLifecycle(ctx context.Context, l *lifecycleCmd, stdout io.Writer) error {
	if l.config.S3Endpoint != "" {
		fmt.Fprintf(stdout, "bucket %s is on the S3 service at %s, which enforces its lifecycle rules itself\n", l.bucket, l.config.S3Endpoint)
		return nil
	}
	rules, db, err := app.OpenLifecycleRules(ctx, l.config)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := rules.Get(ctx, l.bucket); err != nil {
		return err
	}
	p, err := openBuckets(l.config, false)
	if err != nil {
		return err
	}
	defer closeProvider(p)
	res, err := lifecycle.NewEnforcer(rules, p, archiveDir(l.config)).Enforce(ctx, l.bucket)
	if res != nil {
		for _, k := range res.Expired {
			fmt.Fprintf(stdout, "expired\t%s\n", k)
		}
		for _, k := range res.Archived {
			fmt.Fprintf(stdout, "archived\t%s\t%s\n", k, filepath.Join(archiveDir(l.config), l.bucket, filepath.FromSlash(k)))
		}
		fmt.Fprintf(stdout, "bucket %s: %d expired, %d archived\n", l.bucket, len(res.Expired), len(res.Archived))
	}
	return err
}
