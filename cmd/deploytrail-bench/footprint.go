package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/deploytrail/deploytrail/internal/server"
)

// startupRuns is how often each start is timed.
const startupRuns = 5

// measureStartup times, from process start to HealthPath answering 200,
// starts with a fresh data directory and restarts on an existing one.
func measureStartup(ctx context.Context, e *env, fp *footprintReport) error {
	log.Printf("footprint: time to ready")
	var fresh, again []time.Duration
	for i := range startupRuns {
		dir := filepath.Join(e.dir, "ready-"+strconv.Itoa(i))
		d, err := timeReady(ctx, e, dir)
		if err != nil {
			return err
		}
		fresh = append(fresh, d)
		if d, err = timeReady(ctx, e, dir); err != nil {
			return err
		}
		again = append(again, d)
	}
	f, a := summarize(fresh), summarize(again)
	fp.ReadyMS, fp.RestartMS = &f, &a
	return nil
}

// timeReady starts the binary on a free port and polls its health check.
func timeReady(ctx context.Context, e *env, dir string) (time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return 0, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(e.binary, "serve", "--listen", addr, "--data", dir)
	cmd.Env = deploytrailEnv(nil)
	c, stdout, err := e.start(cmd, filepath.Join(e.dir, "ready.log"))
	if err != nil {
		return 0, err
	}
	defer c.stop()
	go io.Copy(io.Discard, stdout)
	d, err := c.awaitHTTP(ctx, "http://"+addr+server.HealthPath, 30*time.Second)
	if err != nil {
		return 0, fmt.Errorf("ready: %w", err)
	}
	return d, nil
}
