package app

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/deploytrail/deploytrail/internal/codedeploy"
	"github.com/deploytrail/deploytrail/internal/server"
	"github.com/deploytrail/deploytrail/internal/store"
)

// Config is every setting of the server. Precedence: defaults, then the
// config file, then DEPLOYTRAIL_* environment variables, then flags.
type Config struct {
	Listen string `yaml:"listen"`
	Data   string `yaml:"data"`
	// DatabaseURL, a postgres:// URL, keeps the store in PostgreSQL (a
	// database several nodes share); "" keeps it in <Data>/deploytrail.db.
	// It may hold a password: it is never logged.
	DatabaseURL string `yaml:"database-url"`
	// TLS: when both are set the server speaks HTTPS.
	TLSCert string `yaml:"tls-cert"`
	TLSKey  string `yaml:"tls-key"`
	// TrustedProxies may set X-Forwarded-For (CIDRs or addresses).
	TrustedProxies []string `yaml:"trusted-proxies"`
	LogFormat      string   `yaml:"log-format"` // text, json, or "" (text on a terminal)
	LogLevel       string   `yaml:"log-level"`
	// MetricsListen is a separate address for /metrics; "" serves it on
	// Listen.
	MetricsListen string `yaml:"metrics-listen"`
	// MaxBodyBytes, when set, lowers every service's request body limit.
	MaxBodyBytes int64 `yaml:"max-body-bytes"`
	// MaxBodyMemory bounds what large in-flight request bodies hold
	// together (0: server.DefaultBodyMemory).
	MaxBodyMemory int64 `yaml:"max-body-memory"`
	// BodyTimeout is how long a request body may take to arrive beyond
	// what its size needs at 16 KiB/s (0: server.DefaultBodyTimeout).
	BodyTimeout time.Duration `yaml:"body-timeout"`
	// MaxConnections caps open client connections (0:
	// DefaultMaxConnections, or half the open-file limit if lower).
	MaxConnections int `yaml:"max-connections"`
	// PublicURL is where SNS subscribers reach the server (SubscribeURL,
	// UnsubscribeURL, SigningCertURL); "" means the listening address.
	PublicURL string `yaml:"public-url"`
	// SNSAllowedNetworks are CIDRs, addresses and host names SNS may
	// deliver to although they are loopback, link-local, private or
	// unspecified (refused by default, against SSRF).
	SNSAllowedNetworks []string `yaml:"sns-allowed-networks"`
	// RecordAgentCalls records the agent command service's calls (polls,
	// acknowledgements, completions) as CloudTrail events with eventSource
	// codedeploy-commands.amazonaws.com; off by default, as on AWS.
	RecordAgentCalls bool `yaml:"record-agent-calls"`

	// DeliveryInterval is how often trails' log files are written (at
	// least MinDeliveryInterval; 0 is the default, 30s).
	DeliveryInterval time.Duration `yaml:"delivery-interval"`
	// MaxLogFileBytes caps a log file's uncompressed size (0: the
	// default, 4 MiB).
	MaxLogFileBytes int `yaml:"max-log-file-bytes"`
	// DigestInterval is how often digest files are written for trails
	// with log file validation (0: the default, an hour).
	DigestInterval time.Duration `yaml:"digest-interval"`
	// SigningKeyRotation is how long a digest signing key signs before
	// the next takes over (0: the default, 30 days).
	SigningKeyRotation time.Duration `yaml:"signing-key-rotation"`

	// LeaseTTL is how long a node's lease on singleton work (delivery,
	// the SNS dispatcher, the engine, sweeping) lasts without renewal:
	// about how long another node waits to take over from a dead one
	// (0: lease.DefaultTTL, 6s).
	LeaseTTL time.Duration `yaml:"lease-ttl"`

	// S3Domain, when set, lets S3 clients name buckets virtual-hosted
	// style, <bucket>.<S3Domain>; path style always works.
	S3Domain string `yaml:"s3-domain"`

	// S3Endpoint selects an S3-compatible service for trail buckets; empty
	// keeps them in <Data>/buckets. The S3 settings come from the
	// environment only, so that the secret is never in a file or a flag.
	S3Endpoint        string `yaml:"-"`
	S3Region          string `yaml:"-"`
	S3AccessKeyID     string `yaml:"-"`
	S3SecretAccessKey string `yaml:"-"`

	// Used on the first start only.
	AccountID           string `yaml:"account-id"`
	RootAccessKeyID     string `yaml:"root-access-key-id"`
	RootSecretAccessKey string `yaml:"root-secret-access-key"`

	// WrapCodeDeployStore, when set, wraps the CodeDeploy service's store:
	// tests inject store failures through it. It is not a setting.
	WrapCodeDeployStore func(codedeploy.Store) codedeploy.Store `yaml:"-"`
	// DataEvents, when set, replaces the trails' selectors in deciding
	// which S3 data events are recorded: tests inject failures with it.
	// Not a setting.
	DataEvents server.DataEventFilter `yaml:"-"`
	// NoEngine leaves the deployment engine out: deployments stay Created.
	// Tests of the API's view of deployments that have not started set
	// it; it is not a setting.
	NoEngine bool `yaml:"-"`
	// AgentPollHold and AgentRepoll time the agents' long poll (the
	// command service's defaults when zero); tests shorten the hold and
	// lengthen the re-poll to see the in-process wake-up. Not settings.
	AgentPollHold, AgentRepoll time.Duration `yaml:"-"`
	// DataDirLocked is set by serve, which holds <Data>/deploytrail.lock:
	// no other server then uses the SQLite database in Data, and leases
	// left there by a crashed predecessor are taken over at once instead
	// of waited out. Not a setting.
	DataDirLocked bool `yaml:"-"`
	// ConsoleIdle and ConsoleMaxAge end web console sessions (the
	// console's defaults when zero); tests shorten them. Not settings.
	ConsoleIdle, ConsoleMaxAge time.Duration `yaml:"-"`
}

// codeDeployStore is the store the CodeDeploy service uses.
func (c *Config) codeDeployStore(s codedeploy.Store) codedeploy.Store {
	if c.WrapCodeDeployStore != nil {
		return c.WrapCodeDeployStore(s)
	}
	return s
}

// MinDeliveryInterval is the shortest DeliveryInterval.
const MinDeliveryInterval = time.Second

// MinLeaseTTL is the shortest LeaseTTL: renewals every third of it must
// fit a commit on a busy store.
const MinLeaseTTL = time.Second

// DefaultConfig is a working configuration for a fresh machine.
func DefaultConfig() Config {
	return Config{Listen: "127.0.0.1:4590", Data: "./deploytrail-data", LogLevel: "info"}
}

// Load reads a YAML config file over c, expanding ${VAR} references.
func (c *Config) Load(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	dec := yaml.NewDecoder(strings.NewReader(os.ExpandEnv(string(raw))))
	dec.KnownFields(true)
	// An empty file decodes to io.EOF: nothing to set.
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("parse config %s: %w", path, err)
	}
	return nil
}

// Database names the store's database for store.Open: DatabaseURL, or
// the SQLite file in the data directory.
func (c *Config) Database() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	return filepath.Join(c.Data, "deploytrail.db")
}

// Validate checks settings that would otherwise fail late.
func (c *Config) Validate() error {
	if c.DatabaseURL != "" && !store.IsPostgresURL(c.DatabaseURL) {
		return fmt.Errorf("database URL: want postgres://user:password@host:port/database")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("--tls-cert and --tls-key go together")
	}
	if _, err := c.proxies(); err != nil {
		return err
	}
	if _, _, err := c.snsAllowed(); err != nil {
		return err
	}
	if c.DeliveryInterval != 0 && c.DeliveryInterval < MinDeliveryInterval {
		return fmt.Errorf("delivery interval %v: want at least %v", c.DeliveryInterval, MinDeliveryInterval)
	}
	if c.MaxConnections < 0 || c.MaxBodyMemory < 0 || c.BodyTimeout < 0 || c.MaxBodyBytes < 0 {
		return fmt.Errorf("max connections, max body memory, body timeout and max body bytes must not be negative")
	}
	if c.LeaseTTL != 0 && c.LeaseTTL < MinLeaseTTL {
		return fmt.Errorf("lease ttl %v: want at least %v", c.LeaseTTL, MinLeaseTTL)
	}
	if c.MaxLogFileBytes < 0 {
		return fmt.Errorf("max log file bytes %d: want a positive size", c.MaxLogFileBytes)
	}
	switch c.LogFormat {
	case "", "text", "json":
	default:
		return fmt.Errorf("log format %q: want text or json", c.LogFormat)
	}
	return nil
}

// proxies parses TrustedProxies; a bare address is a one-address prefix.
func (c *Config) proxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, p := range c.TrustedProxies {
		prefix, err := parsePrefix(p)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", p, err)
		}
		out = append(out, prefix)
	}
	return out, nil
}

// parsePrefix parses a CIDR or a bare address (a one-address prefix).
func parsePrefix(p string) (netip.Prefix, error) {
	if !strings.Contains(p, "/") {
		addr, err := netip.ParseAddr(p)
		if err != nil {
			return netip.Prefix{}, err
		}
		return netip.PrefixFrom(addr, addr.BitLen()), nil
	}
	prefix, err := netip.ParsePrefix(p)
	return prefix.Masked(), err
}

// hostName matches a DNS host name whose last label is not a number.
var hostName = regexp.MustCompile(`^(?i)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z]([a-z0-9-]{0,61}[a-z0-9])?\.?$`)

// snsAllowed splits SNSAllowedNetworks into networks (CIDRs, addresses)
// and host names.
func (c *Config) snsAllowed() (nets []netip.Prefix, hosts []string, err error) {
	for _, v := range c.SNSAllowedNetworks {
		v = strings.TrimSpace(v)
		if prefix, err := parsePrefix(v); err == nil {
			nets = append(nets, prefix)
		} else if hostName.MatchString(v) && len(v) <= 253 {
			hosts = append(hosts, v)
		} else {
			return nil, nil, fmt.Errorf("SNS allowed network %q: want a CIDR, an IP address or a host name", v)
		}
	}
	return nets, hosts, nil
}
