package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/deploytrail/deploytrail/internal/sigv4"
	"github.com/deploytrail/deploytrail/internal/version"
)

// client calls the agent command service and the bundle store, signing
// with the host's credentials.
type client struct {
	cfg  *Config
	http *http.Client
}

// The agent's HTTP read timeout (AWS's: 80 s), above the service's 20 s long poll.
const httpTimeout = 80 * time.Second

// maxResponse bounds a command service answer (a specification is the largest).
const maxResponse = 1 << 20

func newClient(cfg *Config) *client {
	return &client{cfg: cfg, http: &http.Client{Timeout: httpTimeout}}
}

// serviceError is an error the command service answered.
type serviceError struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
	Status  int
}

func (e *serviceError) Error() string {
	return fmt.Sprintf("%s (HTTP %d): %s", e.Type, e.Status, e.Message)
}

// call sends one command service operation and decodes its answer into out.
func (c *client) call(ctx context.Context, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	target, service := "CodeDeployCommandService_v20141006."+op, "codedeploy-commands"
	if c.cfg.EnableAuthPolicy {
		target, service = "CodeDeployCommandService."+op, "codedeploy-commands-secure"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.cfg.Endpoint, "/")+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("x-amz-codedeploy-agent-version", "deploytrail-agent/"+version.Get().Version)
	if err := c.sign(req, body, service); err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		e := &serviceError{Status: resp.StatusCode}
		json.Unmarshal(b, e)
		return e
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// commandCallAttempts bounds callRetrying: it waits 0.5 s, 1 s, 2 s, 4 s
// and 8 s between tries, about 15 s in all.
const commandCallAttempts = 6

// callRetrying is call tried again after a transport error or a 5xx
// answer, as AWS's agent's SDK client retries: a command's outcome sent
// at the moment its server dies would otherwise be lost, and the
// deployment would wait for the event's timeout. Behind a load balancer
// the next try reaches a live node; a restarting node is back within the
// wait. The command operations are safe to repeat: an acknowledgement
// again answers the command's status, a completion again is refused as
// ended (a 4xx, not retried).
func (c *client) callRetrying(ctx context.Context, op string, in, out any) error {
	wait := 500 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := c.call(ctx, op, in, out)
		if err == nil || !retryable(err) || attempt == commandCallAttempts || ctx.Err() != nil {
			return err
		}
		sleep(ctx, wait)
		wait *= 2
	}
}

// retryable reports whether a call may succeed if sent again: it got no
// answer, or the service could not serve it (5xx).
func retryable(err error) bool {
	var se *serviceError
	return !errors.As(err, &se) || se.Status >= 500
}

func (c *client) sign(req *http.Request, body []byte, service string) error {
	creds, err := c.cfg.Credentials()
	if err != nil {
		return err
	}
	return sigv4.Sign(req, body, creds, c.cfg.Region, service, time.Now())
}

// downloadTimeout bounds a bundle download: large bundles on slow links
// get an hour, a stalled store does not hold the event forever.
const downloadTimeout = time.Hour

// emptySHA256 is the payload hash of a GET, which S3 wants sent.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// download GETs a bundle path-style from the S3 endpoint into file,
// refusing more than limit bytes, and returns the object's ETag.
func (c *client) download(ctx context.Context, bucket, key, versionID, file string, limit int64) (string, error) {
	endpoint := c.cfg.S3Endpoint
	if endpoint == "" {
		endpoint = "https://s3." + c.cfg.Region + ".amazonaws.com"
	}
	u, err := url.Parse(strings.TrimSuffix(endpoint, "/") + "/" + url.PathEscape(bucket) + "/" + escapeKey(key))
	if err != nil {
		return "", err
	}
	if versionID != "" {
		u.RawQuery = "versionId=" + url.QueryEscape(versionID)
	}
	ctx, cancel := context.WithTimeout(ctx, downloadTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	if err := c.sign(req, nil, "s3"); err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return "", fmt.Errorf("GET s3://%s/%s: HTTP %d %s", bucket, key, resp.StatusCode, firstTag(string(b), "Code"))
	}
	if resp.ContentLength > limit {
		return "", fmt.Errorf("The bundle is %d bytes, more than the %d allowed", resp.ContentLength, limit)
	}
	return strings.Trim(resp.Header.Get("ETag"), `"`), writeLimited(file, resp.Body, limit)
}

// fetch GETs a public URL (no signature) into file, bounded in size and
// time like S3 downloads.
func (c *client) fetch(ctx context.Context, rawURL, file string, limit int64) error {
	ctx, cancel := context.WithTimeout(ctx, downloadTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d", rawURL, resp.StatusCode)
	}
	if resp.ContentLength > limit {
		return fmt.Errorf("The bundle is %d bytes, more than the %d allowed", resp.ContentLength, limit)
	}
	return writeLimited(file, resp.Body, limit)
}

func writeLimited(file string, r io.Reader, limit int64) error {
	f, err := os.OpenFile(file, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, io.LimitReader(r, limit+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > limit {
		err = fmt.Errorf("The bundle is more than the %d bytes allowed", limit)
	}
	return err
}

// escapeKey escapes an object key segment by segment, keeping its slashes.
func escapeKey(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// firstTag returns the text of the first <tag> in an S3 XML error.
func firstTag(s, tag string) string {
	_, rest, ok := strings.Cut(s, "<"+tag+">")
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, "</"+tag+">")
	return v
}
