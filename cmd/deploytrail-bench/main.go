// Command deploytrail-bench measures deploytrail with real SigV4-signing
// aws-sdk-go-v2 clients over loopback and prints one JSON object with
// every figure (BENCHMARKS.md explains them). It starts what it needs
// itself: the deploytrail binary (built with go build), a baseline server
// (this program re-executed with -serve-baseline), moto_server and MinIO.
//
// Progress goes to stderr; only the JSON goes to stdout.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"syscall"
	"time"
)

// settings are the knobs of one run.
type settings struct {
	Quick    bool          `json:"quick"`
	Clients  int           `json:"clients"`
	Duration time.Duration `json:"-"`
	Seconds  float64       `json:"duration_seconds"`
	Events   int           `json:"backlog_events"`
	// PostgresEvents is the bulk-loaded history of history-10m and
	// history-postgres.
	PostgresEvents int `json:"history_postgres_events"`
	// HistoryDatabase is an earlier history-postgres run's database, to
	// time lookups on again; a URL that may hold a password, never shown.
	// For history-10m, the data directory to load into and keep, or to
	// time lookups on again.
	HistoryDatabase string        `json:"-"`
	Lookups         int           `json:"lookups_per_attribute"`
	Delivery        time.Duration `json:"-"`
	Only            string        `json:"only,omitempty"`
	Hosts           []int         `json:"simulated_hosts"`
	// ValidationDelays are the delays the validation workload's proxy adds
	// to every S3 request, one case each.
	ValidationDelays []time.Duration `json:"validation_s3_delays_ns"`
}

// report is the one JSON object the program prints.
type report struct {
	Date       string            `json:"date"`
	Machine    machine           `json:"machine"`
	Settings   settings          `json:"settings"`
	API        *apiReport        `json:"api"`
	Delivery   *deliveryReport   `json:"delivery_latency"`
	Throughput *throughputReport `json:"delivery_throughput"`
	History    *historyReport    `json:"event_history"`
	Validation any               `json:"validation"` // *validationReport or *nullFigure
	Footprint  *footprintReport  `json:"footprint"`
	// Deployments is workload 7 (--only deployments).
	Deployments *deploymentsReport `json:"deployments"`
	// S3 is the S3 workload beside MinIO (--only s3).
	S3 *s3Report `json:"s3"`
	// Cluster is issue 15's nodes-on-PostgreSQL workload (--only cluster).
	Cluster *clusterReport `json:"cluster"`
	// HistoryPostgres is workload 5's lookups over a history bulk-loaded
	// into PostgreSQL (--only history-postgres).
	HistoryPostgres *bulkHistoryReport `json:"event_history_postgres"`
	// History10M is workload 5's lookups over 10 M events bulk-loaded
	// into SQLite, the default backend (history-10m).
	History10M *bulkHistoryReport `json:"event_history_10m"`
	Errors     []string           `json:"errors,omitempty"`
	Seconds    float64            `json:"run_seconds"`
}

// nullFigure stands for a figure that could not be measured.
type nullFigure struct {
	Value  any    `json:"value"`
	Reason string `json:"reason"`
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("deploytrail-bench: ")
	baseline := flag.String("serve-baseline", "", "internal: serve the baseline server with data in this directory")
	ceiling := flag.Bool("serve-ceiling", false, "internal: serve the ceiling server (canned answers)")
	var s settings
	flag.BoolVar(&s.Quick, "quick", false, "a run of about a minute with smaller data sets")
	flag.IntVar(&s.Clients, "clients", 32, "concurrent clients of the API workloads")
	flag.DurationVar(&s.Duration, "duration", 0, "length of each API measurement (default 3s quick, 15s full)")
	flag.IntVar(&s.Events, "events", 0, "stored events of the delivery and history workloads (default 100000 quick, 1000000 full; history-10m and history-postgres 200000 quick, 10000000 full)")
	flag.StringVar(&s.Only, "only", "", "comma-separated workloads to run: api,delivery,throughput,history,validation,footprint,deployments,s3,cluster,history-10m,history-postgres (default all but history-postgres)")
	flag.StringVar(&s.HistoryDatabase, "history-database", "", "history-postgres: time the lookups on this postgres:// database an earlier run loaded with --events events, instead of loading one; history-10m: the data directory to load and keep, or, when it holds a database, to time the lookups on")
	hosts := flag.String("hosts", "1,10,100,1000", "simulated fleet sizes of the deployments workload, among 1,10,100,1000")
	delays := flag.String("validation-delays", "5ms,20ms", "validation: delays a proxy in front of MinIO adds to every S3 request, one case each (empty: none)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of this process (the in-process workloads 3-5) to this file")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *baseline != "" {
		if err := serveBaseline(ctx, *baseline, os.Stdout); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *ceiling {
		if err := serveCeiling(ctx, os.Stdout); err != nil {
			log.Fatal(err)
		}
		return
	}
	s.fill()
	for _, h := range splitComma(*hosts) {
		n, err := strconv.Atoi(h)
		if err != nil || !slices.Contains(hostCounts, n) {
			log.Fatalf("--hosts: %q is not one of %v", h, hostCounts)
		}
		s.Hosts = append(s.Hosts, n)
	}
	if len(s.Hosts) == 0 {
		log.Fatal("--hosts: no fleet size")
	}
	for _, d := range splitComma(*delays) {
		v, err := time.ParseDuration(d)
		if err != nil || v <= 0 || v > time.Second {
			log.Fatalf("--validation-delays: %q is not a duration between 0 and 1s", d)
		}
		s.ValidationDelays = append(s.ValidationDelays, v)
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	rep := run(ctx, s)
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		log.Fatal(err)
	}
}

// fill sets the defaults that depend on -quick.
func (s *settings) fill() {
	if s.Duration == 0 {
		s.Duration = 15 * time.Second
		if s.Quick {
			s.Duration = 3 * time.Second
		}
	}
	s.PostgresEvents = s.Events
	if s.PostgresEvents == 0 {
		s.PostgresEvents = 10_000_000
		if s.Quick {
			s.PostgresEvents = 200_000
		}
	}
	if s.Events == 0 {
		s.Events = 1_000_000
		if s.Quick {
			s.Events = 100_000
		}
	}
	s.Lookups = 200
	if s.Quick {
		s.Lookups = 25
	}
	s.Delivery = time.Second
	s.Seconds = s.Duration.Seconds()
}

// run runs every workload; a failing workload leaves its figure null and
// adds an error, so that one failure does not lose the other figures.
func run(ctx context.Context, s settings) *report {
	start := time.Now()
	rep := &report{Date: start.UTC().Format(time.RFC3339), Machine: describeMachine(), Settings: s}
	fail := func(what string, err error) {
		log.Printf("%s: %v", what, err)
		rep.Errors = append(rep.Errors, fmt.Sprintf("%s: %v", what, err))
	}
	env, err := newEnv(ctx)
	if err != nil {
		fail("setup", err)
		return rep
	}
	defer env.close()
	if s.wants("api") || s.wants("footprint") {
		rep.API, rep.Footprint, err = runAPI(ctx, env, s, s.wants("api"))
		if err != nil {
			fail("api", err)
		}
	}
	if s.wants("footprint") && rep.Footprint != nil {
		if err := measureStartup(ctx, env, rep.Footprint); err != nil {
			fail("footprint", err)
		}
	}
	if s.wants("delivery") {
		if rep.Delivery, err = runDeliveryLatency(ctx, env, s); err != nil {
			fail("delivery latency", err)
		}
	}
	if s.wants("throughput") || s.wants("history") {
		if rep.Throughput, rep.History, err = runBacklog(ctx, env, s, s.wants("throughput"), s.wants("history")); err != nil {
			fail("backlog", err)
		}
	}
	if s.wants("validation") {
		if rep.Validation, err = runValidation(ctx, env, s); err != nil {
			fail("validation", err)
			rep.Validation = &nullFigure{Reason: err.Error()}
		}
	}
	if s.wants("deployments") {
		if rep.Deployments, err = runDeployments(ctx, env, s); err != nil {
			fail("deployments", err)
		}
	}
	if s.wants("s3") {
		if rep.S3, err = runS3(ctx, env, s); err != nil {
			fail("s3", err)
		}
	}
	if s.wants("cluster") {
		if rep.Cluster, err = runCluster(ctx, env, s); err != nil {
			fail("cluster", err)
		}
	}
	if s.wants("history-10m") {
		if rep.History10M, err = runHistory10M(ctx, env, s); err != nil {
			fail("history at 10 M events", err)
		}
	}
	// Named only: its default history takes many minutes to load.
	if slices.Contains(splitComma(s.Only), "history-postgres") {
		if rep.HistoryPostgres, err = runHistoryPostgres(ctx, env, s); err != nil {
			fail("history on postgres", err)
		}
	}
	rep.Seconds = round(time.Since(start).Seconds())
	return rep
}

func (s *settings) wants(w string) bool {
	if s.Only == "" {
		return true
	}
	for _, o := range splitComma(s.Only) {
		if o == w {
			return true
		}
	}
	return false
}

// machine describes where the figures were taken.
type machine struct {
	CPUs     int    `json:"nproc"`
	Model    string `json:"cpu_model"`
	MemoryMB int    `json:"memory_mb"`
	Kernel   string `json:"kernel"`
	Go       string `json:"go"`
	// LoadAvg shows other work on the machine when the run started.
	LoadAvg string `json:"loadavg_at_start"`
}

func describeMachine() machine {
	m := machine{CPUs: runtime.NumCPU(), Go: runtime.Version()}
	m.Model = procField("/proc/cpuinfo", "model name")
	if kb := procKB("/proc/meminfo", "MemTotal"); kb > 0 {
		m.MemoryMB = int(kb / 1024)
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.LoadAvg = trimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = trimSpace(string(b))
	}
	return m
}
