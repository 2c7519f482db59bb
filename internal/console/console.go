// Package console is deploytrail's web console: sign-in and sessions,
// and pages for CodeDeploy and CloudTrail rendered on the server
// (html/template, assets embedded, a little plain JavaScript for live
// parts; nothing fetched from elsewhere).
//
// The console has no side door: every action is a SigV4-signed API call,
// with the session's temporary credentials, through the same handler the
// CLI reaches (API), so authorization, errors and CloudTrail records are
// those of any other call. Sign-ins are recorded through the Ledger as
// AWS records them (spec Appendix D). It imports iam (passwords,
// credentials), trail (sign-in records), sigv4 (signing) and awsproto,
// never the store or the services.
package console

import (
	"context"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/deploytrail/deploytrail/internal/iam"
	"github.com/deploytrail/deploytrail/internal/trail"
)

// Path is where the console is served.
const Path = "/console"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Ledger is where sign-in records commit (server.Ledger).
type Ledger interface {
	Tx(ctx context.Context, fn func(ctx context.Context) error) error
	Record(ctx context.Context, ev *trail.Event) error
}

// Console serves the web console.
type Console struct {
	IAM    *iam.Service
	Store  Store
	Ledger Ledger
	// API is the server's own handler; console actions are requests to it.
	API http.Handler
	// SourceIP is the address a request came from, as the server computes
	// it for records (trusted proxies' X-Forwarded-For).
	SourceIP func(*http.Request) string
	Logger   *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// MaxAge and Idle end sessions (DefaultMaxAge, DefaultIdle when zero).
	MaxAge, Idle time.Duration
	// Region is the region pages act in (us-east-1 when empty).
	Region string
	// Validate checks log file integrity; nil hides the check.
	Validate Validator

	pages *template.Template
	mux   *http.ServeMux
}

// New returns a console; fill the optional fields before serving.
func New(iamSvc *iam.Service, store Store, ledger Ledger, api http.Handler) *Console {
	c := &Console{IAM: iamSvc, Store: store, Ledger: ledger, API: api, Logger: slog.Default(),
		pages: template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html"))}
	c.routes()
	return c
}

func (c *Console) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Console) maxAge() time.Duration {
	if c.MaxAge > 0 {
		return c.MaxAge
	}
	return DefaultMaxAge
}

func (c *Console) idle() time.Duration {
	if c.Idle > 0 {
		return c.Idle
	}
	return DefaultIdle
}

func (c *Console) region() string {
	if c.Region != "" {
		return c.Region
	}
	return "us-east-1"
}

// ServeHTTP serves the console. Every answer forbids framing (no
// clickjacking), and every page is kept out of caches: they show account
// data.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if !strings.HasPrefix(r.URL.Path, Path+"/static/") {
		h.Set("Cache-Control", "no-store")
	}
	if r.URL.Path == "/" {
		http.Redirect(w, r, Path+"/", http.StatusFound)
		return
	}
	c.mux.ServeHTTP(w, r)
}
