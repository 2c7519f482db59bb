package server

import (
	"sync"
	"sync/atomic"
	"time"
)

// authLogInterval is how often failed authentications are summarized in
// the log: a flood of bad signatures must not flood the log too.
const authLogInterval = 10 * time.Second

// authFailures counts requests that failed authentication. They carry no
// identity, so they are not audit events; operators see them counted here
// and summarized in the log.
type authFailures struct {
	total atomic.Int64

	mu      sync.Mutex
	pending map[string]int // error code → failures since the last log line
	lastLog time.Time
}

// note counts one failure and reports what to log now, if anything: the
// failures per code since the last summary.
func (a *authFailures) note(code string, now time.Time) map[string]int {
	a.total.Add(1)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.pending == nil {
		a.pending = map[string]int{}
	}
	a.pending[code]++
	if now.Sub(a.lastLog) < authLogInterval {
		return nil
	}
	out := a.pending
	a.pending, a.lastLog = map[string]int{}, now
	return out
}

// Total is the number of failed authentications since the server started.
func (a *authFailures) Total() int64 { return a.total.Load() }
