// Package hypervisor is the only package that talks to libvirt. It offers typed
// operations on plain Go descriptions of pools, volumes, networks and domains,
// maps those descriptions to and from libvirtxml structs with pure functions,
// and turns libvirt's errors into typed errors.
package hypervisor

import (
	"context"
	"fmt"
	"sync"
	"time"

	"libvirt.org/go/libvirt"
)

// DefaultOpenTimeout bounds how long Open waits for a daemon to answer.
const DefaultOpenTimeout = 10 * time.Second

// Keepalive settings: a probe every 5 s, and the connection is considered dead
// after 3 unanswered probes.
const (
	keepaliveInterval = 5
	keepaliveCount    = 3
)

var (
	eventLoopOnce sync.Once
	eventLoopErr  error
)

// startEventLoop registers libvirt's default event loop implementation and runs
// it for the life of the process. Keepalive needs it.
func startEventLoop() error {
	eventLoopOnce.Do(func() {
		if err := libvirt.EventRegisterDefaultImpl(); err != nil {
			eventLoopErr = err
			return
		}
		go func() {
			for {
				if err := libvirt.EventRunDefaultImpl(); err != nil {
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
	})
	return eventLoopErr
}

// Client is one libvirt connection. It is safe for concurrent use: libvirt
// connections are thread-safe, and the client holds no mutable state of its
// own besides per-pool upload locks.
type Client struct {
	conn *libvirt.Connect
	uri  string

	poolLocks sync.Map // pool name -> *sync.Mutex

	// streamMu serialises the short calls that set up and tear down
	// streams (volume upload/download start, finish, abort) on this
	// connection; the data transfers themselves run in parallel. libvirtd
	// 9.0 was seen to stop answering a connection after overlapping stream
	// teardowns ("stream is not open").
	streamMu sync.Mutex

	// transfers bounds the streams open at once on this connection. libvirtd
	// 9.0 was seen to drop a connection with 50 concurrent uploads.
	transfers chan struct{}
}

// maxTransfers is how many volume uploads and downloads one connection runs
// at once; more wait. A few saturate a local disk and link already.
const maxTransfers = 4

// Open connects to uri and returns within timeout (DefaultOpenTimeout when
// zero), even when the daemon accepts the connection and never answers.
func Open(ctx context.Context, uri string, timeout time.Duration) (*Client, error) {
	if timeout <= 0 {
		timeout = DefaultOpenTimeout
	}
	if err := startEventLoop(); err != nil {
		return nil, wrap(err, "start", "event loop", "libvirt")
	}
	done := make(chan openResult, 1)
	go func() {
		c, err := libvirt.NewConnect(uri)
		done <- openResult{c, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, &Error{Op: "connect to", Kind: "libvirt daemon", Name: uri, Code: codeOf(r.err), Message: messageOf(r.err)}
		}
		c := &Client{conn: r.conn, uri: uri, transfers: make(chan struct{}, maxTransfers)}
		// Keepalive is unsupported by some in-process drivers (test:///, ...); that is not an error.
		_ = r.conn.SetKeepAlive(keepaliveInterval, keepaliveCount)
		return c, nil
	case <-timer.C:
		go closeLate(done)
		return nil, &Error{Op: "connect to", Kind: "libvirt daemon", Name: uri, Code: ErrTimeout,
			Message: fmt.Sprintf("no answer within %s", timeout)}
	case <-ctx.Done():
		go closeLate(done)
		return nil, &Error{Op: "connect to", Kind: "libvirt daemon", Name: uri, Code: ErrTimeout, Message: ctx.Err().Error()}
	}
}

type openResult struct {
	conn *libvirt.Connect
	err  error
}

// closeLate closes a connection that completed after its caller gave up.
func closeLate(done <-chan openResult) {
	if r := <-done; r.conn != nil {
		_, _ = r.conn.Close()
	}
}

// URI is the URI the client is connected to.
func (c *Client) URI() string { return c.uri }

// Close closes the connection.
func (c *Client) Close() error {
	if c == nil || c.conn == nil {
		return nil
	}
	_, err := c.conn.Close()
	return err
}

// Alive reports whether the connection still answers.
func (c *Client) Alive() bool {
	ok, err := c.conn.IsAlive()
	return err == nil && ok
}

// openStream waits for a transfer slot and opens a stream; done frees both.
func (c *Client) openStream(ctx context.Context) (st *libvirt.Stream, done func(), err error) {
	select {
	case c.transfers <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	st, err = c.conn.NewStream(0)
	if err != nil {
		<-c.transfers
		return nil, nil, err
	}
	return st, func() { _ = st.Free(); <-c.transfers }, nil
}

// streamCall runs one stream setup or teardown call under streamMu.
func (c *Client) streamCall(f func() error) error {
	c.streamMu.Lock()
	defer c.streamMu.Unlock()
	return f()
}

// poolLock returns the mutex that serialises operations libvirt refuses to
// run concurrently on one pool ("pool has asynchronous jobs running").
func (c *Client) poolLock(pool string) *sync.Mutex {
	m, _ := c.poolLocks.LoadOrStore(pool, &sync.Mutex{})
	return m.(*sync.Mutex)
}
