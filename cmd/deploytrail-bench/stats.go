package main

import (
	"bufio"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// latency summarises a sample of durations, in milliseconds.
type latency struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

// summarize sorts d and returns its percentiles.
func summarize(d []time.Duration) latency {
	if len(d) == 0 {
		return latency{}
	}
	slices.Sort(d)
	return latency{N: len(d), P50: ms(percentile(d, 0.50)), P99: ms(percentile(d, 0.99)), Max: ms(d[len(d)-1])}
}

// percentile of sorted d, nearest rank.
func percentile(d []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p*float64(len(d)))) - 1
	return d[max(0, min(i, len(d)-1))]
}

func ms(d time.Duration) float64 { return round(float64(d) / float64(time.Millisecond)) }

// round keeps three significant decimals, enough for every figure here.
func round(f float64) float64 { return math.Round(f*1000) / 1000 }

// ratio is a/b rounded, or nil when b is zero.
func ratio(a, b float64) *float64 {
	if b == 0 {
		return nil
	}
	r := round(a / b)
	return &r
}

// procField returns the value of the first "key : value" line of a /proc
// file.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// procKB returns a "key: N kB" value of a /proc file.
func procKB(path, key string) int64 {
	v := strings.TrimSuffix(procField(path, key), " kB")
	n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return n
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func trimSpace(s string) string { return strings.TrimSpace(s) }
