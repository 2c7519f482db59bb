package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/deploytrail/deploytrail/internal/app"
)

// env maps environment variables onto settings.
func applyEnv(c *app.Config, getenv func(string) string) error {
	for name, field := range map[string]*string{
		"DEPLOYTRAIL_LISTEN": &c.Listen, "DEPLOYTRAIL_DATA": &c.Data,
		"DEPLOYTRAIL_TLS_CERT": &c.TLSCert, "DEPLOYTRAIL_TLS_KEY": &c.TLSKey,
		"DEPLOYTRAIL_LOG_FORMAT": &c.LogFormat, "DEPLOYTRAIL_LOG_LEVEL": &c.LogLevel,
		"DEPLOYTRAIL_ACCOUNT_ID": &c.AccountID, "DEPLOYTRAIL_ROOT_ACCESS_KEY_ID": &c.RootAccessKeyID,
		"DEPLOYTRAIL_ROOT_SECRET_ACCESS_KEY": &c.RootSecretAccessKey,
		"DEPLOYTRAIL_S3_ENDPOINT":            &c.S3Endpoint, "DEPLOYTRAIL_S3_REGION": &c.S3Region,
		"DEPLOYTRAIL_S3_ACCESS_KEY_ID": &c.S3AccessKeyID, "DEPLOYTRAIL_S3_SECRET_ACCESS_KEY": &c.S3SecretAccessKey,
		"DEPLOYTRAIL_PUBLIC_URL": &c.PublicURL, "DEPLOYTRAIL_METRICS_LISTEN": &c.MetricsListen,
		"DEPLOYTRAIL_S3_DOMAIN": &c.S3Domain, "DEPLOYTRAIL_DATABASE_URL": &c.DatabaseURL,
	} {
		if v := getenv(name); v != "" {
			*field = v
		}
	}
	if v := getenv("DEPLOYTRAIL_TRUSTED_PROXIES"); v != "" {
		c.TrustedProxies = strings.Split(v, ",")
	}
	if v := getenv("DEPLOYTRAIL_SNS_ALLOWED_NETWORKS"); v != "" {
		c.SNSAllowedNetworks = splitList(v)
	}
	if err := applyLimitsEnv(c, getenv); err != nil {
		return err
	}
	if v := getenv("DEPLOYTRAIL_RECORD_AGENT_CALLS"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("DEPLOYTRAIL_RECORD_AGENT_CALLS %q: want true or false", v)
		}
		c.RecordAgentCalls = b
	}
	if v := getenv("DEPLOYTRAIL_LEASE_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < app.MinLeaseTTL {
			return fmt.Errorf("DEPLOYTRAIL_LEASE_TTL %q: want a duration of at least %v", v, app.MinLeaseTTL)
		}
		c.LeaseTTL = d
	}
	return applyDeliveryEnv(c, getenv)
}

// applyLimitsEnv reads the request limits: DEPLOYTRAIL_MAX_CONNECTIONS,
// DEPLOYTRAIL_MAX_BODY_MEMORY (bytes) and DEPLOYTRAIL_BODY_TIMEOUT (a Go
// duration).
func applyLimitsEnv(c *app.Config, getenv func(string) string) error {
	if v := getenv("DEPLOYTRAIL_MAX_CONNECTIONS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return fmt.Errorf("DEPLOYTRAIL_MAX_CONNECTIONS %q: want a positive number", v)
		}
		c.MaxConnections = n
	}
	if v := getenv("DEPLOYTRAIL_MAX_BODY_MEMORY"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("DEPLOYTRAIL_MAX_BODY_MEMORY %q: want a positive number of bytes", v)
		}
		c.MaxBodyMemory = n
	}
	if v := getenv("DEPLOYTRAIL_BODY_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("DEPLOYTRAIL_BODY_TIMEOUT %q: want a positive duration", v)
		}
		c.BodyTimeout = d
	}
	return nil
}

// applyDeliveryEnv reads the log file delivery knobs:
// DEPLOYTRAIL_DELIVERY_INTERVAL (a Go duration, at least 1s),
// DEPLOYTRAIL_MAX_LOG_FILE_BYTES and DEPLOYTRAIL_DIGEST_INTERVAL (a Go
// duration, at least 1s).
func applyDeliveryEnv(c *app.Config, getenv func(string) string) error {
	if v := getenv("DEPLOYTRAIL_DIGEST_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			return fmt.Errorf("DEPLOYTRAIL_DIGEST_INTERVAL %q: want a duration of at least 1s", v)
		}
		c.DigestInterval = d
	}
	if v := getenv("DEPLOYTRAIL_DELIVERY_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("DEPLOYTRAIL_DELIVERY_INTERVAL: %w", err)
		}
		if d < app.MinDeliveryInterval {
			return fmt.Errorf("DEPLOYTRAIL_DELIVERY_INTERVAL %v: want at least %v", d, app.MinDeliveryInterval)
		}
		c.DeliveryInterval = d
	}
	if v := getenv("DEPLOYTRAIL_MAX_LOG_FILE_BYTES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return fmt.Errorf("DEPLOYTRAIL_MAX_LOG_FILE_BYTES %q: want a positive number of bytes", v)
		}
		c.MaxLogFileBytes = n
	}
	return nil
}

// parseConfig resolves the configuration of `serve`.
func parseConfig(args []string, getenv func(string) string) (app.Config, error) {
	cfg, path, err := baseConfig(args, getenv)
	if err != nil {
		return cfg, err
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.String("config", path, "YAML config file (DEPLOYTRAIL_CONFIG)")
	fs.StringVar(&cfg.Listen, "listen", cfg.Listen, "address to serve the AWS APIs on (DEPLOYTRAIL_LISTEN)")
	fs.StringVar(&cfg.MetricsListen, "metrics-listen", cfg.MetricsListen, "separate address to serve /metrics on (DEPLOYTRAIL_METRICS_LISTEN; default: the --listen address)")
	fs.StringVar(&cfg.Data, "data", cfg.Data, "directory holding all state (DEPLOYTRAIL_DATA)")
	fs.StringVar(&cfg.TLSCert, "tls-cert", cfg.TLSCert, "TLS certificate file; with --tls-key, serve HTTPS")
	fs.StringVar(&cfg.TLSKey, "tls-key", cfg.TLSKey, "TLS private key file")
	fs.StringVar(&cfg.LogFormat, "log-format", cfg.LogFormat, "log format: text or json (default: text on a terminal)")
	fs.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "log level: debug, info, warn, error")
	proxies := fs.String("trusted-proxies", strings.Join(cfg.TrustedProxies, ","), "comma-separated CIDRs allowed to set X-Forwarded-For")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	cfg.TrustedProxies = splitList(*proxies)
	return cfg, cfg.Validate()
}

// baseConfig is the configuration before flags: defaults, then the config
// file (--config among args, else DEPLOYTRAIL_CONFIG), then the
// environment. It also returns the file's path.
func baseConfig(args []string, getenv func(string) string) (app.Config, string, error) {
	cfg := app.DefaultConfig()
	path := getenv("DEPLOYTRAIL_CONFIG")
	for i, a := range args { // the file comes before flags, so find it first
		if v, ok := strings.CutPrefix(a, "--config="); ok {
			path = v
		} else if (a == "--config" || a == "-config") && i+1 < len(args) {
			path = args[i+1]
		}
	}
	if path != "" {
		if err := cfg.Load(path); err != nil {
			return cfg, path, err
		}
	}
	return cfg, path, applyEnv(&cfg, getenv)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
