// Package metrics exposes deploytrail's Prometheus metrics. The app owns
// one Metrics (its own registry, not the global default, so that several
// servers in one process keep apart); components report through narrow
// hooks that the app connects to these methods, so that no other package
// imports Prometheus. State that lives in the store (trails' delivery lag,
// the SNS outbox) is read at scrape time by collectors, never kept here.
//
// It imports nothing of ours.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Path is where the metrics are served.
const Path = "/metrics"

const namespace = "deploytrail"

// Metrics is one server's metrics and the registry that serves them.
type Metrics struct {
	registry *prometheus.Registry

	requests       *prometheus.CounterVec
	requestSeconds *prometheus.HistogramVec
	authFailures   *prometheus.CounterVec
	events         prometheus.Counter

	commitSeconds  prometheus.Histogram
	commitBatch    prometheus.Histogram
	commitFailures prometheus.Counter

	trailFiles    *prometheus.CounterVec
	trailEvents   *prometheus.CounterVec
	trailBytes    *prometheus.CounterVec
	trailErrors   *prometheus.CounterVec
	trailDigests  *prometheus.CounterVec
	snsFailures   *prometheus.CounterVec
	snsDeliveries prometheus.Counter

	leaseHeld *prometheus.GaugeVec
}

// New returns metrics registered, with the Go runtime's and the process's
// collectors, on a registry of their own.
func New() *Metrics {
	m := &Metrics{registry: prometheus.NewRegistry()}
	m.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.requests = m.counterVec("requests_total", "API requests answered, by service, operation and error code (\"\" for success).", "service", "operation", "error_code")
	m.requestSeconds = m.histogramVec("request_duration_seconds", "Time to answer an API request.", prometheus.DefBuckets, "service", "operation")
	m.authFailures = m.counterVec("auth_failures_total", "API requests refused because they failed authentication, by error code.", "error_code")
	m.events = m.counter("events_recorded_total", "CloudTrail events committed to the audit trail.")
	m.commitSeconds = m.histogram("audit_commit_duration_seconds", "Time of one group commit of the store, fsync included.",
		[]float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5})
	m.commitBatch = m.histogram("audit_commit_batch_size", "Transactions that shared one commit.", prometheus.ExponentialBuckets(1, 2, 8))
	m.commitFailures = m.counter("audit_commit_failures_total", "Group commits that failed: none of their transactions is durable.")
	m.trailFiles = m.counterVec("trail_files_delivered_total", "Log files delivered to the trail's bucket.", "trail")
	m.trailEvents = m.counterVec("trail_events_delivered_total", "Events delivered in the trail's log files.", "trail")
	m.trailBytes = m.counterVec("trail_bytes_delivered_total", "Bytes (gzip) of the log files delivered for the trail.", "trail")
	m.trailErrors = m.counterVec("trail_delivery_errors_total", "Failed attempts to write the trail's log or digest files, by error code.", "trail", "error_code")
	m.trailDigests = m.counterVec("trail_digests_delivered_total", "Digest files written for the trail.", "trail")
	m.snsDeliveries = m.counter("sns_deliveries_total", "SNS messages delivered to subscribers' endpoints.")
	m.leaseHeld = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: "lease_held",
		Help: "1 while this node holds the lease of the singleton worker name (across the nodes of a cluster the sum is 1), else 0."}, []string{"name"})
	m.registry.MustRegister(m.leaseHeld)
	m.snsFailures = m.counterVec("sns_delivery_failures_total", "Failed SNS delivery attempts; abandoned=\"true\" when the retries were spent.", "abandoned")
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry, Timeout: scrapeTimeout, ErrorHandling: promhttp.ContinueOnError})
}

// scrapeTimeout bounds one scrape, store reads included.
const scrapeTimeout = 10 * time.Second

// Request counts one answered API request; errorCode is "" for success.
func (m *Metrics) Request(service, operation, errorCode string, took time.Duration) {
	m.requests.WithLabelValues(service, operation, errorCode).Inc()
	m.requestSeconds.WithLabelValues(service, operation).Observe(took.Seconds())
}

// AuthFailure counts a request refused for failing authentication.
func (m *Metrics) AuthFailure(errorCode string) { m.authFailures.WithLabelValues(errorCode).Inc() }

// EventRecorded counts an event committed to the audit trail.
func (m *Metrics) EventRecorded() { m.events.Inc() }

// Commit observes one group commit of units transactions.
func (m *Metrics) Commit(units int, took time.Duration, err error) {
	if err != nil {
		m.commitFailures.Inc()
		return
	}
	m.commitSeconds.Observe(took.Seconds())
	m.commitBatch.Observe(float64(units))
}

// Delivered counts a delivery of files holding events, bytes long, for
// trail.
func (m *Metrics) Delivered(trail string, files, events int, bytes int64) {
	m.trailFiles.WithLabelValues(trail).Add(float64(files))
	m.trailEvents.WithLabelValues(trail).Add(float64(events))
	m.trailBytes.WithLabelValues(trail).Add(float64(bytes))
}

// DeliveryFailed counts a failed attempt to write a trail's files.
func (m *Metrics) DeliveryFailed(trail, errorCode string) {
	m.trailErrors.WithLabelValues(trail, errorCode).Inc()
}

// Digested counts a digest file written for trail.
func (m *Metrics) Digested(trail string) { m.trailDigests.WithLabelValues(trail).Inc() }

// SNSAttempt counts an SNS delivery attempt's outcome: err nil for a
// delivery, else a failure, abandoned when it was the last attempt.
func (m *Metrics) SNSAttempt(err error, abandoned bool) {
	if err == nil {
		m.snsDeliveries.Inc()
		return
	}
	label := "false"
	if abandoned {
		label = "true"
	}
	m.snsFailures.WithLabelValues(label).Inc()
}

// LeaseHeld notes whether this node holds the lease name.
func (m *Metrics) LeaseHeld(name string, held bool) {
	v := 0.0
	if held {
		v = 1
	}
	m.leaseHeld.WithLabelValues(name).Set(v)
}

func (m *Metrics) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help})
	m.registry.MustRegister(c)
	return c
}

func (m *Metrics) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
	m.registry.MustRegister(c)
	return c
}

func (m *Metrics) histogram(name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Name: name, Help: help, Buckets: buckets})
	m.registry.MustRegister(h)
	return h
}

func (m *Metrics) histogramVec(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: name, Help: help, Buckets: buckets}, labels)
	m.registry.MustRegister(h)
	return h
}
