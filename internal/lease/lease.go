// Package lease runs singleton work (delivery, the SNS dispatcher, the
// deployment engine, sweeping) on one node of a cluster at a time. A
// lease is a row in the shared store: a holder, a fencing token that
// grows whenever the lease changes hands, and an expiry. Runner takes a
// lease, renews it, and runs the work with a context that carries it;
// the store checks that lease inside every transaction made with that
// context (fencing), so that a deposed holder cannot commit.
//
// It imports nothing of ours.
package lease

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrLost is the outcome of a renewal, or of a transaction fenced by a
// lease, when the lease no longer has that holder and token or has
// expired.
var ErrLost = errors.New("lease lost")

// HeldError is Acquire's answer when another holder has the lease.
type HeldError struct {
	Name   string
	Holder string
	Until  time.Time
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("lease %s is held by %s until %s", e.Name, e.Holder, e.Until.Format(time.RFC3339Nano))
}

// Held is one lease as its holder took it.
type Held struct {
	Name   string
	Holder string
	Token  int64
}

type heldKey struct{}

// With returns ctx carrying h: the store fences every transaction made
// with it.
func With(ctx context.Context, h Held) context.Context {
	return context.WithValue(ctx, heldKey{}, h)
}

// From returns the lease ctx carries, if any.
func From(ctx context.Context) (Held, bool) {
	h, ok := ctx.Value(heldKey{}).(Held)
	return h, ok
}
