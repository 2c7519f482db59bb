package main

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// errExhausted tells the load runner that a worker has no more work (a
// pool of prepared resources ran out).
var errExhausted = errors.New("work exhausted")

// loadResult is one workload's figures against one server.
type loadResult struct {
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors"`
	FirstError string  `json:"first_error,omitempty"`
	Seconds    float64 `json:"seconds"`
	RPS        float64 `json:"requests_per_second"`
	Latency    latency `json:"latency"`
	callCosts
	// samples are the successful requests' latencies, for workloads that
	// merge several runs (the S3 workload alternates servers in rounds).
	samples []time.Duration
}

// op makes request i (numbered from 0 across all workers).
type op func(ctx context.Context, i int) error

// runLoad runs op from clients workers for d, each starting its next
// request when the last one is answered (a closed loop).
func runLoad(ctx context.Context, clients int, d time.Duration, fn op) *loadResult {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return drive(ctx, clients, -1, fn)
}

// runN makes n requests from clients workers; it is how the benchmark
// prepares resources.
func runN(ctx context.Context, clients, n int, fn op) *loadResult {
	return drive(ctx, clients, n, fn)
}

// drive runs the workers until ctx ends or, when n >= 0, n requests were
// started.
func drive(ctx context.Context, clients, n int, fn op) *loadResult {
	var (
		next  atomic.Int64
		mu    sync.Mutex
		all   []time.Duration
		res   loadResult
		wg    sync.WaitGroup
		start = time.Now()
	)
	for range clients {
		wg.Go(func() {
			var mine []time.Duration
			var errs int
			var first error
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if n >= 0 && i >= n {
					break
				}
				t0 := time.Now()
				err := fn(ctx, i)
				if errors.Is(err, errExhausted) {
					break
				}
				if err != nil {
					if ctx.Err() != nil {
						break // cut off by the end of the measurement
					}
					errs++
					if first == nil {
						first = err
					}
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			defer mu.Unlock()
			all = append(all, mine...)
			res.Errors += errs
			if first != nil && res.FirstError == "" {
				res.FirstError = first.Error()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	res.Requests = len(all)
	res.Seconds = round(elapsed.Seconds())
	res.RPS = round(float64(len(all)) / elapsed.Seconds())
	res.Latency = summarize(all)
	res.samples = all
	return &res
}
