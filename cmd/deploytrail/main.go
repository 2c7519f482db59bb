// Command deploytrail serves the AWS CodeDeploy API with a
// CloudTrail-compatible audit trail, and the IAM, STS and Organizations
// APIs its identities need. Subcommands:
//
//	deploytrail serve     run the server
//	deploytrail events    print the event history of a server
//	deploytrail buckets   create and list the buckets trails deliver to
//	deploytrail validate-logs  check the integrity of a trail's log files
//	deploytrail migrate   apply the database's pending schema migrations
//	deploytrail version   print the version
//
// This is the one place that reads flags and environment variables and
// picks concrete backends.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version, when set at build time with -ldflags "-X main.version=…",
// overrides the module version of the build info.
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return // -h or --help: the usage was asked for and printed
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "deploytrail:", err)
		os.Exit(exitStatus(err))
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return fmt.Errorf("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "events":
		return events(ctx, args[1:], stdout, stderr)
	case "buckets":
		return buckets(ctx, args[1:], stdout, stderr)
	case "agent":
		return agentCmd(ctx, args[1:], stderr)
	case "console":
		return consoleCmd(ctx, args[1:], stdout, stderr)
	case "validate-logs":
		return validateLogs(ctx, args[1:], stdout, stderr)
	case "migrate":
		return migrateCmd(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, versionLine())
		return nil
	case "help", "-h", "--help":
		usage(stdout)
		return nil
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Usage: deploytrail <command> [flags]

Commands:
  serve     run the server (deploytrail serve -h for its flags)
  events    print the event history: who called what, when (deploytrail events -h)
  buckets   create or list the buckets trails deliver to (deploytrail buckets -h)
  validate-logs  check a trail's digest and log files (deploytrail validate-logs -h)
  migrate   apply pending schema migrations; --check lists them (deploytrail migrate -h)
  agent     run deploytrail's CodeDeploy agent on this host (deploytrail agent -h)
  console password  set a new random console password for root, in <data>/console-password
  version   print the version and commit (also --version)
`)
}
