package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/deploytrail/deploytrail/internal/app"
	"github.com/deploytrail/deploytrail/internal/objstore"
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
		return createBuckets(ctx, cfg, owner, stdout)
	case "list":
		return listBuckets(ctx, cfg.config, cfg.args, stdout)
	}
	bucketsUsage(stderr)
	return fmt.Errorf("buckets: unknown subcommand %q", sub)
}

func bucketsUsage(w io.Writer) {
	fmt.Fprint(w, `Usage:
  deploytrail buckets create [--data DIR] [--config FILE] [--init] [--account ID] <name>...
                                                                     create buckets for trails
  deploytrail buckets list [--data DIR] [--config FILE] [<name>...]   list buckets (names: report each;
                                                                      exit 1 if one does not exist)
  deploytrail buckets policy put|get <name> ...                      bucket policies (buckets policy -h)
  deploytrail buckets lifecycle put|get|delete|apply <name> ...      lifecycle rules (buckets lifecycle -h)

A new bucket belongs to --account (default: the management account), with
CloudTrail's default bucket policy for it: only that account's trails may
deliver to it, until its policy names other accounts' paths.

Buckets live under <data>/buckets, or on the S3-compatible service that
DEPLOYTRAIL_S3_ENDPOINT, _REGION, _ACCESS_KEY_ID and _SECRET_ACCESS_KEY name.
The data directory must hold deploytrail state (a server ran there, or
buckets were created there); --init creates a new one.
`)
}

// configuredArgs is a resolved configuration and the positional arguments.
type configuredArgs struct {
	config app.Config
	args   []string
	init   bool // buckets create --init: make the data directory if it holds no state
}

// baseConfigFlags resolves the configuration with the flags a bucket
// command takes, --data and --config, and those more adds.
func baseConfigFlags(name string, args []string, stderr io.Writer, more func(*flag.FlagSet)) (*configuredArgs, error) {
	cfg, path, err := baseConfig(args, os.Getenv)
	if err != nil {
		return nil, err
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.String("config", path, "YAML config file (DEPLOYTRAIL_CONFIG)")
	fs.StringVar(&cfg.Data, "data", cfg.Data, "directory holding all state (DEPLOYTRAIL_DATA)")
	c := &configuredArgs{}
	if name == "buckets create" {
		fs.BoolVar(&c.init, "init", false, "create the data directory if it holds no deploytrail state yet")
	}
	more(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	c.config, c.args = cfg, fs.Args()
	return c, nil
}

// createBuckets creates each bucket and gives it to owner ("" for the
// management account) with the default policy (app.CreateBucket). The
// owners and policies live in the data directory's database, whichever
// backend holds the buckets, so the directory must hold deploytrail state
// unless --init.
func createBuckets(ctx context.Context, c *configuredArgs, owner string, stdout io.Writer) error {
	names := c.args
	if len(names) == 0 {
		return errors.New("buckets create: name a bucket")
	}
	if err := checkDataDir(c.config.Data, c.init); err != nil {
		return err
	}
	p, err := app.OpenBuckets(c.config)
	if err != nil {
		return err
	}
	defer closeProvider(p)
	policies, db, err := app.OpenBucketPolicies(ctx, c.config)
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
// deploytrail does not enumerate) and fails if one does not.
func listBuckets(ctx context.Context, cfg app.Config, names []string, stdout io.Writer) error {
	if len(names) == 0 && cfg.S3Endpoint != "" {
		return errors.New("buckets list: with an S3 endpoint, name the buckets to check")
	}
	if cfg.S3Endpoint == "" {
		if err := checkDataDir(cfg.Data, false); err != nil {
			return err
		}
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
	missing := 0
	for _, name := range names {
		ok, err := reportBucket(ctx, p, name, stdout)
		if err != nil {
			return err
		}
		if !ok {
			missing++
		}
	}
	if missing > 0 {
		return fmt.Errorf("buckets list: %d of %d buckets do not exist", missing, len(names))
	}
	return nil
}

// reportBucket prints the bucket's name, with what is wrong with it; ok is
// false when it does not exist or its name is invalid.
func reportBucket(ctx context.Context, p objstore.Provider, name string, stdout io.Writer) (ok bool, err error) {
	b, err := p.Bucket(name)
	if err != nil {
		fmt.Fprintf(stdout, "%s\tinvalid name\n", name)
		return false, nil
	}
	if ok, err = b.Exists(ctx); err != nil {
		return false, fmt.Errorf("bucket %s: %w", name, err)
	}
	if ok {
		fmt.Fprintln(stdout, name)
	} else {
		fmt.Fprintf(stdout, "%s\tdoes not exist\n", name)
	}
	return ok, nil
}

func closeProvider(p any) {
	if c, ok := p.(io.Closer); ok {
		c.Close()
	}
}
