package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/deploytrail/deploytrail/internal/app"
	"github.com/deploytrail/deploytrail/internal/objstore"
)

// validationCase is both validators on the same chain read from one S3:
// MinIO directly, MinIO behind a delaying proxy, or deploytrail's own S3
// API holding a copy of the chain.
type validationCase struct {
	Store              string   `json:"store"`
	DelayMS            float64  `json:"added_delay_ms_per_request"`
	DeploytrailSeconds float64  `json:"deploytrail_seconds"`
	AWSCLISeconds      float64  `json:"aws_cli_seconds"`
	Ratio              *float64 `json:"ratio"`
	Error              string   `json:"error,omitempty"`

	Deploytrail validatorFigure `json:"deploytrail_validate_logs"`
	AWSCLI      validatorFigure `json:"aws_cloudtrail_validate_logs"`
	// Variants are the extra validators BENCH_VALIDATOR_VARIANTS names,
	// run in the same case (e.g. the validator before a change).
	Variants []variantFigure `json:"variants,omitempty"`
}

type variantFigure struct {
	Name string `json:"name"`
	validatorFigure
}

// s3Source is one S3 endpoint the validators read the chain from.
type s3Source struct {
	name     string
	url      string
	delay    time.Duration
	storePid int
	// proxyCPU reports the CPU the delaying proxy (this process) used; nil
	// without a proxy.
	proxyCPU func() float64
}

// validatorVariant is an extra validator to run beside the two: a label,
// a deploytrail binary and extra arguments.
type validatorVariant struct {
	name, binary string
	args         []string
}

// validatorVariants parses BENCH_VALIDATOR_VARIANTS:
// "label=/path/to/deploytrail [args…];label2=…". It lets one run compare
// the validator before and after a change, or several --concurrency
// values, side by side on the same chain.
func validatorVariants() ([]validatorVariant, error) {
	var out []validatorVariant
	for _, spec := range strings.Split(os.Getenv("BENCH_VALIDATOR_VARIANTS"), ";") {
		if spec = strings.TrimSpace(spec); spec == "" {
			continue
		}
		name, cmdline, ok := strings.Cut(spec, "=")
		f := strings.Fields(cmdline)
		if !ok || name == "" || len(f) == 0 {
			return nil, fmt.Errorf("BENCH_VALIDATOR_VARIANTS: %q is not label=/path/to/deploytrail [args]", spec)
		}
		out = append(out, validatorVariant{name: name, binary: f[0], args: f[1:]})
	}
	return out, nil
}

// startDelayProxy serves a proxy to target that waits delay before
// forwarding each request: an S3 that is one added round trip farther
// away. It keeps the client's Host header, which SigV4 signed, passes
// bodies as stored (no transparent gzip), and sends user metadata headers
// in lower case as S3 does: the AWS CLI looks up "signature", and
// httputil.ReverseProxy would canonicalize it to "Signature".
func startDelayProxy(target string, delay time.Duration) (string, func(), error) {
	u, err := url.Parse(target)
	if err != nil {
		return "", nil, err
	}
	tr := &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: time.Minute, DisableCompression: true}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		out := r.Clone(r.Context())
		out.RequestURI, out.URL.Scheme, out.URL.Host = "", u.Scheme, u.Host
		out.Header.Del("Connection")
		resp, err := tr.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, vs := range resp.Header {
			if lower := strings.ToLower(k); strings.HasPrefix(lower, "x-amz-meta-") {
				w.Header()[lower] = vs
			} else {
				w.Header()[k] = vs
			}
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	})}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close(); tr.CloseIdleConnections() }, nil
}

// selfCPU is this process's user+system CPU seconds.
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// startDeploytrailS3 starts a second deploytrail on the directory store,
// whose S3 API serves the bucket, and copies every object of the chain
// into it from src with its metadata: the same chain, at the same bucket
// and keys, so the digests' locations, hashes and signatures still hold.
// It signs with the same root key as the first.
func (e *env) startDeploytrailS3(ctx context.Context, dir string, src objstore.Bucket, keyID, secret string) (*child, int, error) {
	data := filepath.Join(dir, "data-s3")
	if err := os.Mkdir(data, 0o700); err != nil {
		return nil, 0, err
	}
	dt, err := e.startDeploytrailIn(ctx, data, validationBucket,
		"DEPLOYTRAIL_ROOT_ACCESS_KEY_ID="+keyID, "DEPLOYTRAIL_ROOT_SECRET_ACCESS_KEY="+secret)
	if err != nil {
		return nil, 0, err
	}
	p, err := app.OpenBuckets(app.Config{S3Endpoint: dt.url, S3Region: "us-east-1", S3AccessKeyID: keyID, S3SecretAccessKey: secret})
	if err != nil {
		dt.stop()
		return nil, 0, err
	}
	if c, ok := p.(interface{ Close() error }); ok {
		defer c.Close()
	}
	dst, err := p.Bucket(validationBucket)
	if err != nil {
		dt.stop()
		return nil, 0, err
	}
	n, err := copyObjects(ctx, src, dst, "AWSLogs/")
	if err != nil {
		dt.stop()
		return nil, 0, fmt.Errorf("copy the chain to deploytrail's S3: %w", err)
	}
	return dt, n, nil
}

// copyObjects copies every object under prefix from src to dst, eight at
// a time, keeping content type, encoding and user metadata.
func copyObjects(ctx context.Context, src, dst objstore.Bucket, prefix string) (int, error) {
	var keys []string
	for after := ""; ; {
		objs, err := src.List(ctx, prefix, after, 0)
		if err != nil {
			return 0, err
		}
		for _, o := range objs {
			keys = append(keys, o.Key)
		}
		if len(objs) == 0 {
			break
		}
		after = objs[len(objs)-1].Key
	}
	work := make(chan string)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for range 8 {
		wg.Go(func() {
			for k := range work {
				err := copyObject(ctx, src, dst, k)
				mu.Lock()
				first = errors.Join(first, err)
				mu.Unlock()
			}
		})
	}
	for _, k := range keys {
		work <- k
	}
	close(work)
	wg.Wait()
	return len(keys), first
}

func copyObject(ctx context.Context, src, dst objstore.Bucket, key string) error {
	obj, err := src.Get(ctx, key)
	if err != nil {
		return err
	}
	return dst.Put(ctx, key, obj.Body, objstore.PutOptions{ContentType: obj.ContentType,
		ContentEncoding: obj.ContentEncoding, Metadata: obj.Metadata})
}
