package validate

import (
	"context"
	"sync"

	"github.com/deploytrail/deploytrail/internal/objstore"
)

// prefetcher reads a chain's listed digests ahead of the walk, in the
// order the walk asks for them, at most window at a time (fetched and not
// yet taken): the walk is sequential by nature (each digest names its
// predecessor), but the keys it will read are known from the listing, so
// their round trips need not be paid one after the other.
type prefetcher struct {
	v      *validator
	ctx    context.Context
	keys   []string // in the order the walk reads them
	next   int      // keys[next] is the next to start
	window int
	held   int // started and not yet taken
	ahead  map[string]*fetch
	wg     sync.WaitGroup
}

// fetch is one read in flight or done.
type fetch struct {
	done chan struct{}
	obj  *objstore.Object
	err  error
}

func (v *validator) newPrefetcher(ctx context.Context, keys []string) *prefetcher {
	p := &prefetcher{v: v, ctx: ctx, keys: keys, window: v.cfg.Concurrency, ahead: map[string]*fetch{}}
	p.fill()
	return p
}

// fill starts reads until window are held or every key is started.
func (p *prefetcher) fill() {
	for ; p.next < len(p.keys) && p.held < p.window; p.next++ {
		key := p.keys[p.next]
		if _, dup := p.ahead[key]; dup {
			continue
		}
		f := &fetch{done: make(chan struct{})}
		p.ahead[key] = f
		p.held++
		p.wg.Go(func() {
			defer close(f.done)
			f.obj, f.err = p.v.get(p.ctx, p.v.cfg.BucketName, key)
		})
	}
}

// get is validator.get of a key of the walked bucket, from the read ahead
// when there is one.
func (p *prefetcher) get(ctx context.Context, bucket, key string) (*objstore.Object, error) {
	f, ok := p.ahead[key]
	if bucket != p.v.cfg.BucketName || !ok {
		return p.v.get(ctx, bucket, key)
	}
	delete(p.ahead, key)
	p.held--
	p.fill()
	select {
	case <-f.done:
		return f.obj, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// close waits for the reads still in flight, whose results are dropped.
func (p *prefetcher) close() { p.wg.Wait() }
