// Package app wires deploytrail together: it opens the store, builds the
// services and the HTTP server, and runs them. cmd/deploytrail resolves
// the configuration and calls it; apptest runs it in-process for
// end-to-end tests. It reads no flags and no environment.
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/deploytrail/deploytrail/internal/bucketpolicy"
	"github.com/deploytrail/deploytrail/internal/cloudtrail"
	"github.com/deploytrail/deploytrail/internal/codedeploy"
	"github.com/deploytrail/deploytrail/internal/console"
	"github.com/deploytrail/deploytrail/internal/delivery"
	"github.com/deploytrail/deploytrail/internal/iam"
	"github.com/deploytrail/deploytrail/internal/lease"
	"github.com/deploytrail/deploytrail/internal/lifecycle"
	"github.com/deploytrail/deploytrail/internal/metrics"
	"github.com/deploytrail/deploytrail/internal/objstore"
	"github.com/deploytrail/deploytrail/internal/objstore/fs"
	"github.com/deploytrail/deploytrail/internal/objstore/s3"
	"github.com/deploytrail/deploytrail/internal/organizations"
	"github.com/deploytrail/deploytrail/internal/s3api"
	"github.com/deploytrail/deploytrail/internal/server"
	"github.com/deploytrail/deploytrail/internal/signing"
	"github.com/deploytrail/deploytrail/internal/sns"
	"github.com/deploytrail/deploytrail/internal/store"
)

// ShutdownGrace bounds how long in-flight requests may take to finish.
const ShutdownGrace = 30 * time.Second

// App is a deploytrail instance: its store, services and HTTP server.
type App struct {
	DB  *store.DB
	IAM *iam.Service
	// CodeDeploy is also the deployment state machine the engine drives.
	CodeDeploy *codedeploy.Service
	Server     *server.Server
	Logger     *slog.Logger
	// Buckets holds the buckets trails deliver to.
	Buckets objstore.Provider
	// BucketPolicies holds their owners and policies.
	BucketPolicies *bucketpolicy.Policies
	// Commands is the agent command service agents poll.
	Commands *codedeploy.CommandService
	// Delivery writes the trails' log files; Serve runs it.
	Delivery *delivery.Deliverer
	// DataEvents tells whether a trail selects a data event: the S3 API
	// asks it before storing one.
	DataEvents *delivery.Filter
	// Lifecycle enforces the lifecycle rules of file-backend buckets;
	// Serve runs it (an S3 service enforces its own).
	Lifecycle *lifecycle.Enforcer
	// SNS is the topic service; Serve runs its dispatcher.
	SNS *sns.Service
	// Engine runs deployments; Serve runs it.
	Engine *codedeploy.Engine
	// Leases runs the singleton workers (delivery, the SNS dispatcher,
	// the engine, lifecycle rules, sweeping) while this node holds their
	// leases.
	Leases     *lease.Runner
	dispatcher *sns.Dispatcher
	signer     *sns.Signer
	publicURL  string
	noEngine   bool
	// Root is the management account, and on the first start its key.
	Root *iam.Root
	// RootPassword is the root user's first console password, set on the
	// first start only (Announce writes it to a 0600 file).
	RootPassword string
	// Console is the web console the server serves at /console.
	Console *console.Console
	// TLS makes Serve speak HTTPS with these files.
	TLSCert, TLSKey string
	// Metrics are served at /metrics: on MetricsListener when the
	// configuration names a metrics address, else on the main listener.
	Metrics         *metrics.Metrics
	MetricsListener net.Listener

	started      time.Time
	storeHealth  *storeHealth
	healthMu     sync.Mutex // guards healthTrails, read at healthAt
	healthAt     time.Time
	healthTrails []trailHealth

	// MaxConnections caps the connections Serve keeps open.
	MaxConnections int
}

// Open opens the data directory and wires the services.
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*App, error) {
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	dsn := cfg.Database()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := takeOverLeases(ctx, cfg, dsn, db); err != nil {
		db.Close()
		return nil, err
	}
	iamSvc := iam.New(store.IAM{DB: db})
	orgs := organizations.New(store.Organizations{DB: db})
	root, err := iamSvc.Bootstrap(ctx, iam.Root{AccountID: cfg.AccountID, AccessKeyID: cfg.RootAccessKeyID, SecretAccessKey: cfg.RootSecretAccessKey})
	if err != nil {
		db.Close()
		return nil, err
	}
	proxies, err := cfg.proxies()
	if err != nil {
		db.Close()
		return nil, err
	}
	key, err := paginationKey(ctx, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	buckets, err := OpenBuckets(cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	signer, err := loadSNSSigner(ctx, db, cfg.Data)
	if err != nil {
		db.Close()
		return nil, err
	}
	rules, err := lifecycleRules(ctx, db, cfg.Data)
	if err != nil {
		db.Close()
		return nil, err
	}
	topics := sns.New(store.SNS{DB: db}, signer, key)
	if topics.Egress.AllowedNetworks, topics.Egress.AllowedHosts, err = cfg.snsAllowed(); err != nil {
		db.Close()
		return nil, err
	}
	deploy := codedeploy.New(cfg.codeDeployStore(store.CodeDeploy{DB: db}), key)
	deploy.OnBehalf = recordOnBehalf(deploy, store.Events{DB: db})
	deploy.PublishTrigger = publishTriggers(topics, store.Events{DB: db})
	deploy.UseServiceRole = useServiceRole(iamSvc.STS, store.IAM{DB: db}, store.Events{DB: db})
	deploy.Revisions = revisionStore{buckets: buckets, logger: logger.With("component", "codedeploy")}
	engine := codedeploy.NewEngine(deploy)
	engine.Logger = logger.With("component", "engine")
	history := cloudtrail.New(store.CloudTrail{Events: store.Events{DB: db}}, buckets, key)
	history.Topics = trailTopics{topics}
	policies := newBucketPolicies(db)
	history.Policies = policies
	keys := signing.New(store.SigningKeys{DB: db})
	if cfg.SigningKeyRotation > 0 {
		keys.Rotation = cfg.SigningKeyRotation
	}
	history.Keys = publicKeys{keys}
	commands, err := newCommandService(ctx, cfg, db, deploy)
	if err != nil {
		db.Close()
		return nil, err
	}
	srv := server.New(iamSvc, store.Events{DB: db}, iamSvc.IAM, iamSvc.STS, orgs.API, deploy.API, history.API, topics.API,
		commands.Legacy, commands.Secure)
	srv.Logger = logger.With("component", "server")
	srv.TrustedProxies = proxies
	srv.MaxBodyBytes, srv.BodyMemory, srv.BodyTimeout = cfg.MaxBodyBytes, cfg.MaxBodyMemory, cfg.BodyTimeout
	srv.Feeds = history // deploytrail events --follow
	dataEvents := delivery.NewFilter(store.DataTrails{DB: db})
	if fsBuckets, ok := buckets.(*fs.Store); ok {
		// With an S3-compatible service behind the buckets, clients talk
		// to that service directly; deploytrail serves S3 over its own
		// directory buckets only.
		srv.S3 = &s3api.Service{Buckets: fsBuckets, Registry: bucketDirs{dir: BucketsDir(cfg)}, Policies: policies, Auth: iamSvc,
			Lifecycle: rules}
		srv.S3Domain = cfg.S3Domain
		srv.DataEvents = dataEvents
		if cfg.DataEvents != nil { // a test's stand-in, to inject failures
			srv.DataEvents = cfg.DataEvents
		}
	}
	web := newConsole(cfg, iamSvc, db, srv, logger)
	web.Validate = consoleValidator(buckets)
	dispatcher := sns.NewDispatcher(topics)
	dispatcher.Logger = logger.With("component", "sns")
	deliverer := newDeliverer(cfg, db, buckets, policies, logger)
	deliverer.Notifier = trailTopics{topics}
	deliverer.Signer = keys
	deliverer.DataEvents, deliverer.Owners = dataEvents, bucketOwners{policies}
	leases := newLeases(cfg, db, logger)
	// The engine lease already keeps other nodes' engines from committing;
	// a deployment's own claim then only needs to outlast a pass, and a
	// short one lets the next engine resume a dead node's deployments
	// soon after it takes the engine lease.
	engine.LeaseTTL = 2 * leases.TTL
	a := &App{DB: db, IAM: iamSvc, CodeDeploy: deploy, Engine: engine, Leases: leases, Commands: commands, Server: srv, Logger: logger, Root: root, Buckets: buckets, BucketPolicies: policies,
		Lifecycle: lifecycle.ForData(rules, cfg.Data, buckets, logger.With("component", "lifecycle")),
		Delivery:  deliverer, DataEvents: dataEvents, SNS: topics, dispatcher: dispatcher, signer: signer, publicURL: cfg.PublicURL,
		TLSCert: cfg.TLSCert, TLSKey: cfg.TLSKey, noEngine: cfg.NoEngine,
		MaxConnections: cfg.MaxConnections, Console: web}
	if root.Created {
		if a.RootPassword, err = newRootPassword(ctx, iamSvc, root.AccountID); err != nil {
			db.Close()
			return nil, err
		}
	}
	a.observe()
	if cfg.MetricsListen != "" {
		if a.MetricsListener, err = net.Listen("tcp", cfg.MetricsListen); err != nil {
			db.Close()
			return nil, fmt.Errorf("metrics listener: %w", err)
		}
	}
	return a, nil
}

// takeOverLeases ends the leases a crashed predecessor left when this
// server is alone on its database: the SQLite file in a data directory
// it holds the lock of. A shared database's leases are left to expire.
func takeOverLeases(ctx context.Context, cfg Config, dsn string, db *store.DB) error {
	if !cfg.DataDirLocked || dsn != filepath.Join(cfg.Data, "deploytrail.db") {
		return nil
	}
	if err := (store.Leases{DB: db}).ExpireAll(ctx); err != nil {
		return fmt.Errorf("take over leases: %w", err)
	}
	return nil
}

// newLeases builds the runner of this node's singleton workers.
func newLeases(cfg Config, db *store.DB, logger *slog.Logger) *lease.Runner {
	r := lease.NewRunner(store.Leases{DB: db})
	r.Logger = logger.With("component", "lease")
	if cfg.LeaseTTL > 0 {
		r.TTL = cfg.LeaseTTL
	}
	return r
}

// newDeliverer builds the trails' log file delivery with cfg's knobs.
func newDeliverer(cfg Config, db *store.DB, buckets objstore.Provider, policies *bucketpolicy.Policies, logger *slog.Logger) *delivery.Deliverer {
	d := delivery.New(store.Delivery{DB: db}, buckets, policies)
	d.Logger = logger.With("component", "delivery")
	if cfg.DeliveryInterval > 0 {
		d.Interval = cfg.DeliveryInterval
	}
	if cfg.MaxLogFileBytes > 0 {
		d.MaxFileBytes = cfg.MaxLogFileBytes
	}
	if cfg.DigestInterval > 0 {
		d.DigestInterval = cfg.DigestInterval
	}
	return d
}

// BucketsDir is the directory of the default bucket store: a
// subdirectory per bucket.
func BucketsDir(cfg Config) string { return filepath.Join(cfg.Data, "buckets") }

// MasterKeyFile holds the key that wraps the data keys of the objects in
// the default bucket store (encryption at rest): kept beside the buckets,
// not in them, so that a copy of the buckets alone reveals nothing.
func MasterKeyFile(cfg Config) string { return filepath.Join(cfg.Data, "keys", "s3-master.key") }

// OpenBuckets returns the bucket provider cfg chooses: the S3-compatible
// service at S3Endpoint, or else directories under <Data>/buckets (0700),
// encrypted with the key in MasterKeyFile.
func OpenBuckets(cfg Config) (objstore.Provider, error) {
	if cfg.S3Endpoint != "" {
		p, err := s3.New(s3.Config{Endpoint: cfg.S3Endpoint, Region: cfg.S3Region,
			AccessKeyID: cfg.S3AccessKeyID, SecretAccessKey: cfg.S3SecretAccessKey})
		if err != nil {
			return nil, fmt.Errorf("open buckets: %w", err)
		}
		return p, nil
	}
	p, err := fs.Open(BucketsDir(cfg), fs.WithMasterKeyFile(MasterKeyFile(cfg)))
	if err != nil {
		return nil, fmt.Errorf("open buckets: %w", err)
	}
	return p, nil
}

// paginationKey is the server's key for signing pagination tokens, made by
// the first server to start and kept, so that tokens survive restarts and
// one server's tokens page on another.
func paginationKey(ctx context.Context, db *store.DB) ([]byte, error) {
	key := make([]byte, 32)
	rand.Read(key)
	v, err := db.EnsureSetting(ctx, "pagination_key", hex.EncodeToString(key))
	if err != nil {
		return nil, fmt.Errorf("pagination key: %w", err)
	}
	return hex.DecodeString(v)
}

// Close releases the store, the buckets and the metrics listener.
func (a *App) Close() error {
	var err error
	if a.MetricsListener != nil {
		a.MetricsListener.Close() // Serve may have closed it already
	}
	if c, ok := a.Buckets.(io.Closer); ok {
		err = c.Close()
	}
	a.storeHealth.probes.Wait() // bounded by probeTimeout
	return errors.Join(err, a.DB.Close())
}

// Announce writes the first start's credentials files and prints how to
// use them. The secret goes to the 0600 file only, never to the output or
// the log.
func (a *App) Announce(cfg Config, addr string, stdout io.Writer) error {
	creds, conf, err := profilePaths(cfg.Data)
	if err != nil {
		return err
	}
	if a.Root.Created {
		if err := writeProfile(creds, conf, a.Root); err != nil {
			return err
		}
		if err := writeRootPassword(cfg.Data, a.RootPassword); err != nil {
			return err
		}
	}
	scheme := "http"
	if a.TLSCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(stdout, "deploytrail: serving management account %s on %s://%s; try:\n  AWS_CONFIG_FILE=%s AWS_SHARED_CREDENTIALS_FILE=%s aws --profile deploytrail --endpoint-url %s://%s sts get-caller-identity\n",
		a.Root.AccountID, scheme, addr, conf, creds, scheme, addr)
	fmt.Fprintf(stdout, "deploytrail: web console at %s://%s/console/ (root password in %s on the first start)\n",
		scheme, addr, filepath.Join(filepath.Dir(creds), RootPasswordFile))
	return nil
}

func profilePaths(data string) (creds, conf string, err error) {
	abs, err := filepath.Abs(data)
	if err != nil {
		return "", "", err
	}
	return filepath.Join(abs, "credentials"), filepath.Join(abs, "config"), nil
}

// writeProfile writes an AWS shared-credentials file and a config file
// with a [deploytrail] profile, both 0600.
func writeProfile(creds, conf string, root *iam.Root) error {
	body := fmt.Sprintf("[deploytrail]\naws_access_key_id = %s\naws_secret_access_key = %s\n", root.AccessKeyID, root.SecretAccessKey)
	if err := os.WriteFile(creds, []byte(body), 0o600); err != nil {
		return fmt.Errorf("write credentials file: %w", err)
	}
	if err := os.WriteFile(conf, []byte("[profile deploytrail]\nregion = us-east-1\noutput = json\n"), 0o600); err != nil {
		return fmt.Errorf("write config file: %w", err)
	}
	return nil
}

// every runs job every interval until ctx ends; a failure is logged and
// the job tried again at the next tick.
func every(ctx context.Context, interval time.Duration, job func(context.Context) error, logger *slog.Logger, what string) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := job(ctx); err != nil && ctx.Err() == nil {
				logger.Warn(what, "err", err)
			}
		}
	}
}

// Serve serves on ln until ctx ends, then lets in-flight requests finish
// (for up to ShutdownGrace) and stops its background work.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	a.SNS.SetPublicURL(a.baseURL(ln))
	a.SNS.Egress.SetOwnAddress(ln.Addr())
	var metricsHandler http.Handler
	if a.MetricsListener == nil {
		metricsHandler = a.Metrics.Handler()
	} else {
		stopMetrics := a.serveMetrics()
		defer stopMetrics()
	}
	handler := a.handler(metricsHandler)
	// ReadTimeout is a backstop for handlers that set no body deadline of
	// their own (server.Server sets one per request).
	hs := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(a.Logger.Handler(), slog.LevelWarn)}
	hs.RegisterOnShutdown(a.Server.EndStreams) // Shutdown waits for handlers; event streams end instead
	hs.RegisterOnShutdown(a.Commands.EndPolls) // and agents' long polls answer at once
	ln = a.limit(ln, hs)
	var wg sync.WaitGroup
	defer wg.Wait()
	bgCtx, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	// Delivery stops after the HTTP server has drained (deferred cancel),
	// so that its final flush includes the last requests' events.
	a.runSingletons(bgCtx, &wg)

	errc := make(chan error, 1)
	go func() {
		if a.TLSCert != "" {
			errc <- hs.ServeTLS(ln, a.TLSCert, a.TLSKey)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	a.Server.SetReady(true)
	a.Logger.Info("listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.Server.SetReady(false)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownGrace)
	defer cancel()
	err := hs.Shutdown(shutdownCtx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	a.Logger.Info("stopped")
	return err
}

// baseURL is where clients reach the server: the configured public URL,
// else the listening address.
func (a *App) baseURL(ln net.Listener) string {
	if a.publicURL != "" {
		return a.publicURL
	}
	scheme := "http"
	if a.TLSCert != "" {
		scheme = "https"
	}
	return scheme + "://" + ln.Addr().String()
}

// NewLogger builds the logger: text on a terminal, JSON otherwise, unless
// the configuration chooses.
func NewLogger(cfg Config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" || (cfg.LogFormat == "" && !isTerminal(w)) {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// handler routes the main listener's requests: the SNS signing
// certificate, /metrics (when served here), and everything else to the
// API server. It is not an http.ServeMux, which would redirect the paths
// it deems unclean ("a//b", "x/../y"): S3 keys are paths the server must
// see as sent. A request signed for S3 reaches the server even at
// /metrics (a bucket of that name).
func (a *App) handler(metricsHandler http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, sns.CertPathPrefix):
			a.signer.ServeHTTP(w, r)
		case metricsHandler != nil && r.URL.Path == metrics.Path && !a.Server.IsS3Signed(r):
			metricsHandler.ServeHTTP(w, r)
		default:
			a.Server.ServeHTTP(w, r)
		}
	})
}
