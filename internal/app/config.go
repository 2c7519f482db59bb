package app

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is every setting of the server. Precedence: defaults, then the
// config file, then DEPLOYTRAIL_* environment variables, then flags.
type Config struct {
	Listen string `yaml:"listen"`
	Data   string `yaml:"data"`
	// TLS: when both are set the server speaks HTTPS.
	TLSCert string `yaml:"tls-cert"`
	TLSKey  string `yaml:"tls-key"`
	// TrustedProxies may set X-Forwarded-For (CIDRs or addresses).
	TrustedProxies []string `yaml:"trusted-proxies"`
	LogFormat      string   `yaml:"log-format"` // text, json, or "" (text on a terminal)
	LogLevel       string   `yaml:"log-level"`
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
}

// MinDeliveryInterval is the shortest DeliveryInterval.
const MinDeliveryInterval = time.Second

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

// Validate checks settings that would otherwise fail late.
func (c *Config) Validate() error {
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("--tls-cert and --tls-key go together")
	}
	if _, err := c.proxies(); err != nil {
		return err
	}
	if c.DeliveryInterval != 0 && c.DeliveryInterval < MinDeliveryInterval {
		return fmt.Errorf("delivery interval %v: want at least %v", c.DeliveryInterval, MinDeliveryInterval)
	}
	if c.MaxConnections < 0 || c.MaxBodyMemory < 0 || c.BodyTimeout < 0 || c.MaxBodyBytes < 0 {
		return fmt.Errorf("max connections, max body memory, body timeout and max body bytes must not be negative")
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
		if !strings.Contains(p, "/") {
			addr, err := netip.ParseAddr(p)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: %w", p, err)
			}
			out = append(out, netip.PrefixFrom(addr, addr.BitLen()))
			continue
		}
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", p, err)
		}
		out = append(out, prefix)
	}
	return out, nil
}
