// Package apptest runs deploytrail in-process on 127.0.0.1:0 for
// end-to-end tests and hands out real aws-sdk-go-v2 clients signed with
// its root key or any other credentials.
package apptest

import (
	"bytes"
	"context"
	"crypto/tls"
	"database/sql"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/deploytrail/deploytrail/internal/app"
	cd "github.com/deploytrail/deploytrail/internal/codedeploy"
	"github.com/deploytrail/deploytrail/internal/server"
	"github.com/deploytrail/deploytrail/internal/store/storetest"
)

// Region is the region clients sign for.
const Region = "us-east-1"

// Server is a running deploytrail.
type Server struct {
	App  *app.App
	URL  string
	Data string
	// Root signs as the management account's root.
	Root Creds
	// RootPassword is the root user's console password.
	RootPassword string
	// DatabaseURL is the store's PostgreSQL database, "" for SQLite in
	// Data.
	DatabaseURL string

	tb       testing.TB
	certFile string // the certificate served over HTTPS (WithTLS)
	cancel   context.CancelFunc
	done     chan error
	logs     *syncBuffer
}

// Creds are AWS credentials.
type Creds struct{ AccessKeyID, SecretAccessKey, SessionToken string }

// Option changes the configuration of a server before it starts.
type Option func(*app.Config)

// Start runs a server with a fresh data directory until the test ends.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	return StartIn(tb, tb.TempDir(), opts...)
}

// StartIn runs a server on an existing data directory (to test restarts).
func StartIn(tb testing.TB, dir string, opts ...Option) *Server {
	tb.Helper()
	cfg := app.DefaultConfig()
	cfg.Data = dir
	cfg.Listen = "127.0.0.1:0"
	cfg.SNSAllowedNetworks = TestSubscriberNetworks
	if os.Getenv(StoreVariable) == "postgres" {
		WithPostgres(tb)(&cfg)
	}
	for _, o := range opts {
		o(&cfg)
	}
	logs := &syncBuffer{}
	a, err := app.Open(context.Background(), cfg, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		a.Close()
		tb.Fatalf("listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{App: a, URL: "http://" + ln.Addr().String(), Data: dir, DatabaseURL: cfg.DatabaseURL, tb: tb, cancel: cancel, done: make(chan error, 1), logs: logs}
	if cfg.TLSCert != "" {
		s.URL, s.certFile = "https://"+ln.Addr().String(), cfg.TLSCert
	}
	if a.Root.Created {
		s.Root = Creds{AccessKeyID: a.Root.AccessKeyID, SecretAccessKey: a.Root.SecretAccessKey}
		s.RootPassword = a.RootPassword
	}
	go func() { s.done <- a.Serve(ctx, ln) }()
	tb.Cleanup(s.Stop)
	return s
}

// StoreVariable, set to "postgres", makes every server the tests start
// keep its store in PostgreSQL (WithPostgres): make test runs the package
// once that way, beside the run on SQLite.
const StoreVariable = "DEPLOYTRAIL_TEST_APP_STORE"

// postgresByDir remembers the database of each data directory, so that a
// server started again in a directory (StartIn) finds its state.
var postgresByDir sync.Map

// WithPostgres keeps the server's store in a PostgreSQL database of its
// own (storetest.PostgresURL: skipped without DEPLOYTRAIL_TEST_DATABASE_URL,
// failed under CI), dropped when the test ends; a server started again in
// the same data directory uses the same database.
func WithPostgres(tb testing.TB) Option {
	return func(cfg *app.Config) {
		tb.Helper()
		if url, ok := postgresByDir.Load(cfg.Data); ok {
			cfg.DatabaseURL = url.(string)
			return
		}
		cfg.DatabaseURL = storetest.PostgresURL(tb)
		postgresByDir.Store(cfg.Data, cfg.DatabaseURL)
		tb.Cleanup(func() { postgresByDir.Delete(cfg.Data) })
	}
}

// OnPostgres reports whether s keeps its store in PostgreSQL.
func (s *Server) OnPostgres() bool { return s.DatabaseURL != "" }

// SQL opens the server's database directly, past the store, for tests
// that look at or tamper with what is stored; closed when the test ends.
// Parameters are written $1, $2, … (both engines take that form).
func (s *Server) SQL(tb testing.TB) *sql.DB {
	tb.Helper()
	driver, dsn := "sqlite", "file:"+filepath.Join(s.Data, "deploytrail.db")+"?_pragma=busy_timeout(10000)"
	if s.OnPostgres() {
		driver, dsn = "pgx", s.DatabaseURL
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// TestSubscriberNetworks are where tests' SNS subscribers listen (httptest
// servers on loopback), which a server refuses by default; Start allows
// them unless WithSNSAllowedNetworks says otherwise.
var TestSubscriberNetworks = []string{"127.0.0.0/8", "::1"}

// WithSNSAllowedNetworks sets the networks and hosts SNS may deliver to
// although refused by default; none restores the default refusal.
func WithSNSAllowedNetworks(allowed ...string) Option {
	return func(cfg *app.Config) { cfg.SNSAllowedNetworks = allowed }
}

// WithRoot fixes the management account and its root key.
func WithRoot(account string, c Creds) Option {
	return func(cfg *app.Config) {
		cfg.AccountID, cfg.RootAccessKeyID, cfg.RootSecretAccessKey = account, c.AccessKeyID, c.SecretAccessKey
	}
}

// WithDeliveryInterval sets how often trails' log files are delivered.
func WithDeliveryInterval(d time.Duration) Option {
	return func(cfg *app.Config) { cfg.DeliveryInterval = d }
}

// WithMetricsListen serves /metrics on a separate address.
func WithMetricsListen(addr string) Option {
	return func(cfg *app.Config) { cfg.MetricsListen = addr }
}

// WithDigestInterval sets how often digest files are written.
func WithDigestInterval(d time.Duration) Option {
	return func(cfg *app.Config) { cfg.DigestInterval = d }
}

// WithSigningKeyRotation sets how long a digest signing key signs.
func WithSigningKeyRotation(d time.Duration) Option {
	return func(cfg *app.Config) { cfg.SigningKeyRotation = d }
}

// WithCodeDeployStore wraps the CodeDeploy service's store, to inject
// store failures.
func WithCodeDeployStore(wrap func(cd.Store) cd.Store) Option {
	return func(cfg *app.Config) { cfg.WrapCodeDeployStore = wrap }
}

// WithDataEvents records the S3 data events filter selects.
func WithDataEvents(filter server.DataEventFilter) Option {
	return func(c *app.Config) { c.DataEvents = filter }
}

// WithS3Domain serves virtual-hosted-style S3 requests under domain.
func WithS3Domain(domain string) Option {
	return func(c *app.Config) { c.S3Domain = domain }
}

// WithoutEngine runs the server without the deployment engine, so that
// deployments stay Created for tests of how the API shows them.
func WithoutEngine() Option {
	return func(cfg *app.Config) { cfg.NoEngine = true }
}

// WithAgentPolling times the agent command service's long poll: how long
// a poll waits, and how often it re-queries without a wake-up.
func WithAgentPolling(hold, repoll time.Duration) Option {
	return func(cfg *app.Config) { cfg.AgentPollHold, cfg.AgentRepoll = hold, repoll }
}

// WithRecordAgentCalls records the agent command service's calls.
func WithRecordAgentCalls() Option {
	return func(cfg *app.Config) { cfg.RecordAgentCalls = true }
}

// WithConsoleSessions sets how long web console sessions last, idle and
// at most.
func WithConsoleSessions(idle, maxAge time.Duration) Option {
	return func(cfg *app.Config) { cfg.ConsoleIdle, cfg.ConsoleMaxAge = idle, maxAge }
}

// HTTPClient returns a client for the server's URL (trusting its
// certificate under WithTLS) that does not follow redirects.
func (s *Server) HTTPClient() *http.Client {
	c := *s.httpClient(0)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// Stop shuts the server down gracefully; it is safe to call twice.
func (s *Server) Stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	if err := <-s.done; err != nil {
		s.tb.Errorf("serve: %v", err)
	}
	if err := s.App.Close(); err != nil {
		s.tb.Errorf("close: %v", err)
	}
}

// Logs returns what the server logged so far.
func (s *Server) Logs() string { return s.logs.String() }

// Account is the management account id.
func (s *Server) Account() string { return s.App.Root.AccountID }

// Config returns an SDK configuration signing with c, without retries so
// that tests see every error as the server sent it.
func (s *Server) Config(c Creds) aws.Config {
	return aws.Config{
		Region:           Region,
		Credentials:      credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken),
		RetryMaxAttempts: 1,
		BaseEndpoint:     aws.String(s.URL),
		HTTPClient:       s.httpClient(0),
	}
}

// ConfigTLS12 is Config over TLS 1.2 at most (WithTLS servers only).
func (s *Server) ConfigTLS12(c Creds) aws.Config {
	cfg := s.Config(c)
	cfg.HTTPClient = s.httpClient(tls.VersionTLS12)
	return cfg
}

// IAM returns an IAM client signing with c.
func (s *Server) IAM(c Creds) *awsiam.Client { return awsiam.NewFromConfig(s.Config(c)) }

// STS returns an STS client signing with c.
func (s *Server) STS(c Creds) *sts.Client { return sts.NewFromConfig(s.Config(c)) }

// CodeDeploy returns a CodeDeploy client signing with c.
func (s *Server) CodeDeploy(c Creds) *codedeploy.Client { return codedeploy.NewFromConfig(s.Config(c)) }

// CloudTrail returns a CloudTrail client signing with c.
func (s *Server) CloudTrail(c Creds) *cloudtrail.Client { return cloudtrail.NewFromConfig(s.Config(c)) }

// SNS returns an SNS client signing with c.
func (s *Server) SNS(c Creds) *sns.Client { return sns.NewFromConfig(s.Config(c)) }

// S3 returns an S3 client signing with c, path-style (buckets in the
// path, as the server serves them without a configured domain), sending
// checksums whenever the operation supports them, as clients of
// config.LoadDefaultConfig do (over HTTPS: aws-chunked bodies with a
// trailing CRC32).
func (s *Server) S3(c Creds) *s3.Client {
	return s3.NewFromConfig(s.Config(c), func(o *s3.Options) {
		o.UsePathStyle = true
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenSupported
	})
}

// Organizations returns an Organizations client signing with c.
func (s *Server) Organizations(c Creds) *organizations.Client {
	return organizations.NewFromConfig(s.Config(c))
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
