package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/deploytrail/deploytrail/internal/app"
)

// buckets runs `deploytrail buckets create <name>`, which makes the
// bucket a trail delivers to, and `deploytrail buckets list`, which checks
// given names. It opens the configured object store directly: no server
// needs to run.
func buckets(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		bucketsUsage(stderr)
		return errors.New("buckets: no subcommand given")
	}
	sub, rest := args[0], args[1:]
	if sub == "-h" || sub == "--help" || sub == "help" {
		bucketsUsage(stdout)
		return nil
	}
	if sub == "lifecycle" { // has subcommands of its own
		return bucketsLifecycle(ctx, rest, stdout, stderr)
	}
	if sub == "policy" {
		return bucketsPolicy(ctx, rest, stdout, stderr)
	}
	var owner string
	cfg, err := baseConfigFlags("buckets "+sub, rest, stderr, func(fs *flag.FlagSet) {
		if sub == "create" {
			fs.StringVar(&owner, "account", "", "the owning account's id (default: the management account)")
		}
	})
	if err != nil {
		return err
	}
	switch sub {
	case "create":
		return createBuckets(ctx, cfg.config, cfg.args, owner, stdout)
	case "list":
		return listBuckets(ctx, cfg.config, cfg.args, stdout)
	}
	bucketsUsage(stderr)
	return fmt.Errorf("buckets: unknown subcommand %q", sub)
}

func bucketsUsage(w io.Writer) {
	fmt.Fprint(w, `Usage:
  deploytrail buckets create [--data DIR] [--config FILE] [--account ID] <name>...   create buckets for trails
  deploytrail buckets list [--data DIR] [--config FILE] [<name>...]   list buckets (names: report each)
  deploytrail buckets policy put|get <name> ...                      bucket policies (buckets policy -h)
  deploytrail buckets lifecycle put|get|delete|apply <name> ...      lifecycle rules (buckets lifecycle -h)

A new bucket belongs to --account (default: the management account), with
CloudTrail's default bucket policy for it: only that account's trails may
deliver to it, until its policy names other accounts' paths.

Buckets live under <data>/buckets, or on the S3-compatible service that
DEPLOYTRAIL_S3_ENDPOINT, _REGION, _ACCESS_KEY_ID and _SECRET_ACCESS_KEY name.
`)
}

// configuredArgs is a resolved configuration and the positional arguments.
type configuredArgs struct {
	config app.Config
	args   []string
}

// baseConfigFlags resolves the configuration with the flags a bucket
// command takes, --data and --config.
func baseConfigFlags(name string, args []string, stderr io.Writer, more func(*flag.FlagSet)) (*configuredArgs, error) {
	cfg, path, err := baseConfig(args, os.Getenv)
	if err != nil {
		return nil, err
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.String("config", path, "YAML config file (DEPLOYTRAIL_CONFIG)")
	fs.StringVar(&cfg.Data, "data", cfg.Data, "directory holding all state (DEPLOYTRAIL_DATA)")
	more(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return &configuredArgs{config: cfg, args: fs.Args()}, nil
}

// createBuckets creates each bucket and gives it to owner ("" for the
// management account) with the default policy (app.CreateBucket).
func createBuckets(ctx context.Context, cfg app.Config, names []string, owner string, stdout io.Writer) error {
	if len(names) == 0 {
		return errors.New("buckets create: name a bucket")
	}
	p, err := app.OpenBuckets(cfg)
	if err != nil {
		return err
	}
	defer closeProvider(p)
	policies, db, err := app.OpenBucketPolicies(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	who := "the management account"
	if owner != "" {
		who = "account " + owner
	}
	for _, name := range names {
		if err := app.CreateBucket(ctx, p, policies, name, owner); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created bucket %s for %s\n", name, who)
	}
	return nil
}

// listBuckets lists the buckets of the directory store, or reports
// whether each bucket named exists (the only way with S3, whose buckets
// deploytrail does not enumerate).
func listBuckets(ctx context.Context, cfg app.Config, names []string, stdout io.Writer) error {
	if len(names) == 0 && cfg.S3Endpoint != "" {
		return errors.New("buckets list: with an S3 endpoint, name the buckets to check")
	}
	if len(names) == 0 {
		entries, err := os.ReadDir(app.BucketsDir(cfg))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		for _, e := range entries {
			if e.IsDir() {
				names = append(names, e.Name())
			}
		}
	}
	p, err := app.OpenBuckets(cfg)
	if err != nil {
		return err
	}
	defer closeProvider(p)
	for _, name := range names {
		b, err := p.Bucket(name)
		if err != nil {
			fmt.Fprintf(stdout, "%s\tinvalid name\n", name)
			continue
		}
		ok, err := b.Exists(ctx)
		if err != nil {
			return fmt.Errorf("bucket %s: %w", name, err)
		}
		if ok {
			fmt.Fprintln(stdout, name)
		} else {
			fmt.Fprintf(stdout, "%s\tdoes not exist\n", name)
		}
	}
	return nil
}

func closeProvider(p any) {
	if c, ok := p.(io.Closer); ok {
		c.Close()
	}
}
