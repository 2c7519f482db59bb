package server

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/deploytrail/deploytrail/internal/awserr"
	"github.com/deploytrail/deploytrail/internal/awsproto"
	"github.com/deploytrail/deploytrail/internal/sigv4"
)

// Request body limits. AWS documents no byte limit per API; these are the
// largest legitimate input of each service, encoded, with headroom:
//
//   - IAM: a policy document of 131,072 characters (Latin-1 allowed),
//     form-encoded at up to 6 bytes a character → 1 MiB;
//   - SNS: a 262,144-byte message plus attributes, form-encoded → 1 MiB;
//   - STS: a 2,048-character session policy, 10 policy ARNs and 50 tags
//     → 256 KiB;
//   - CodeDeploy: AppSpec and string revisions, whose models set no
//     bound, → 1 MiB;
//   - CloudTrail: event selectors with up to 250 data resources of 2,048
//     characters → 1 MiB;
//   - Organizations: names, tags and tokens → 256 KiB;
//   - the agents' command services: an 8,192-character envelope payload
//     (diagnostics) and ids → 64 KiB.
//
// A request whose service is not known from its headers (unsigned, or an
// unknown target) gets unroutedMaxBodyBytes.
var serviceMaxBodyBytes = map[string]int64{
	"iam": 1 << 20, "sns": 1 << 20, "sts": 256 << 10,
	"codedeploy": 1 << 20, "cloudtrail": 1 << 20, "organizations": 256 << 10,
	"codedeploy-commands": 64 << 10, "codedeploy-commands-secure": 64 << 10,
}

const (
	unroutedMaxBodyBytes = 64 << 10
	// smallBodyBytes and smaller bodies (most calls) are not charged to
	// the body memory budget, so that they are never throttled behind
	// large ones; the connection cap bounds what they hold together.
	smallBodyBytes = 8 << 10
	// DefaultBodyMemory bounds the bytes that large in-flight request
	// bodies may hold together.
	DefaultBodyMemory = 8 << 20
	// DefaultBodyTimeout is how long a body may take to arrive, on top of
	// the time its size needs at minBodyRate.
	DefaultBodyTimeout = 10 * time.Second
	// minBodyRate is the slowest upload the server waits for (bytes/s).
	minBodyRate = 16 << 10
	// maxMessageBytes cuts error messages: none may echo a large input.
	maxMessageBytes = 4 << 10
)

// bodyLimit is the largest body the request's service takes, known from
// the headers alone: X-Amz-Target names a JSON service, the signature's
// scope a Query one. MaxBodyBytes, when set, lowers every limit.
func (s *Server) bodyLimit(r *http.Request) int64 {
	limit := int64(unroutedMaxBodyBytes)
	if svc := s.serviceFromHeaders(r); svc != nil {
		if n, ok := serviceMaxBodyBytes[svc.Name]; ok {
			limit = n
		}
	}
	if s.MaxBodyBytes > 0 && s.MaxBodyBytes < limit {
		limit = s.MaxBodyBytes
	}
	return limit
}

func (s *Server) serviceFromHeaders(r *http.Request) *awsproto.Service {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		i := strings.LastIndex(target, ".")
		if i < 0 {
			return nil
		}
		return s.jsonTargets[target[:i]]
	}
	sig, err := sigv4.Parse(r)
	if err != nil {
		return nil
	}
	return s.bySigning[sig.Scope.Service]
}

// codeRequestTimeout answers a body that did not arrive in time (S3's
// code for it; the other services name none).
const codeRequestTimeout = "RequestTimeout"

func tooLarge(limit int64) error {
	return awserr.Errorf(awserr.CodeRequestTooLarge, "Request body exceeds the limit of %d bytes.", limit).WithStatus(http.StatusRequestEntityTooLarge)
}

// throttled answers a request whose body finds the memory budget spent;
// SDKs retry it with backoff.
var throttled = awserr.New(awserr.CodeThrottling, "Rate exceeded")

// bodyDeadline is when a body of n bytes must have arrived: the base
// timeout plus the time n needs at the slowest rate we wait for.
func (s *Server) bodyDeadline(n int64) time.Time {
	base := s.BodyTimeout
	if base <= 0 {
		base = DefaultBodyTimeout
	}
	return time.Now().Add(base + time.Duration(n)*time.Second/minBodyRate)
}

// bodyBudget is a byte semaphore over the memory large bodies hold, from
// before they are read until their request is answered. It never waits:
// a request that does not fit is throttled at once, so that an attack
// cannot queue work either.
type bodyBudget struct {
	mu   sync.Mutex
	used int64
}

// take charges n bytes against max and returns how to give them back,
// or false when they do not fit.
func (b *bodyBudget) take(n, max int64) (release func(), ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used > 0 && b.used+n > max { // a lone body always fits
		return nil, false
	}
	b.used += n
	return func() {
		b.mu.Lock()
		b.used -= n
		b.mu.Unlock()
	}, true
}

func (s *Server) bodyMemory() int64 {
	if s.BodyMemory > 0 {
		return s.BodyMemory
	}
	return DefaultBodyMemory
}

// cutMessage bounds an error message, whatever a service put in it.
func cutMessage(msg string) string {
	return awserr.Cut(msg, maxMessageBytes)
}

// bodyReads are the bodies being read, with when each began, so that they
// can be shed when connections run out.
type bodyReads struct {
	mu    sync.Mutex
	start map[*http.ResponseController]time.Time
}

func (b *bodyReads) begin(rc *http.ResponseController) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.start == nil {
		b.start = map[*http.ResponseController]time.Time{}
	}
	b.start[rc] = time.Now()
}

func (b *bodyReads) end(rc *http.ResponseController) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.start, rc)
}

// ShedStalledBodies ends the body reads that have lasted longer than
// after: their requests fail with RequestTimeout and their connections
// close. The listener calls it when all connections are taken, so that
// clients stalled mid-body give way to waiting ones.
func (s *Server) ShedStalledBodies(after time.Duration) {
	s.reads.mu.Lock()
	defer s.reads.mu.Unlock()
	now := time.Now()
	for rc, start := range s.reads.start {
		if now.Sub(start) > after {
			rc.SetReadDeadline(now)
		}
	}
}
