package oci

import (
	"context"
	"sync"
)

// flight runs one call per key at a time: callers that ask for a key while
// its call runs wait for that call and share its result. With memo set,
// successful results stay for later callers too.
type flight[K comparable, V any] struct {
	mu    sync.Mutex
	calls map[K]*call[V]
	memo  bool
}

type call[V any] struct {
	done chan struct{}
	val  V
	err  error
}

// do returns the result of fn for key, running fn at most once at a time
// (and, with memo, once per successful result). A caller whose ctx ends
// stops waiting; the call itself goes on for the others.
func (f *flight[K, V]) do(ctx context.Context, key K, fn func() (V, error)) (V, error) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[K]*call[V]{}
	}
	if c, ok := f.calls[key]; ok {
		f.mu.Unlock()
		select {
		case <-c.done:
			return c.val, c.err
		case <-ctx.Done():
			var zero V
			return zero, ctx.Err()
		}
	}
	c := &call[V]{done: make(chan struct{})}
	f.calls[key] = c
	f.mu.Unlock()

	c.val, c.err = fn()
	f.mu.Lock()
	if !f.memo || c.err != nil {
		delete(f.calls, key)
	}
	f.mu.Unlock()
	close(c.done)
	return c.val, c.err
}
