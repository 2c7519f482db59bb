package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/deploytrail/deploytrail/internal/app"
)

// consoleCmd runs `deploytrail console password`: a new random console
// password for the root user, written to <data>/console-password (0600)
// and never printed.
func consoleCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "password" {
		fmt.Fprint(stderr, "Usage: deploytrail console password [--data DIR] [--config FILE]\n"+
			"  sets a new random console password for the root user and writes it to <data>/console-password (0600)\n")
		return errors.New("console: unknown or missing subcommand")
	}
	c, err := baseConfigFlags("console password", args[1:], stderr, func(*flag.FlagSet) {})
	if err != nil {
		return err
	}
	if err := checkDataDir(c.config.Data, false); err != nil {
		return err
	}
	path, err := app.ResetRootPassword(ctx, c.config)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deploytrail: the root user's new console password is in %s\n", path)
	return nil
}
