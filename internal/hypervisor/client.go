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

	// transfers bounds the volume transfers running at once for this client.
	transfers chan struct{}
}

// maxTransfers is how many volume uploads and downloads one client runs at
// once; more wait. A few saturate a local disk and link already.
const maxTransfers = 4

// Open connects to uri and returns within timeout (DefaultOpenTimeout when
// zero), even when the daemon accepts the connection and never answers.
func Open(ctx context.Context, uri string, timeout time.Duration) (*Client, error) {
	if timeout <= 0 {
		timeout = DefaultOpenTimeout
	}
	if err := checkLibrary(); err != nil {
		return nil, err
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

// openTransfer waits for a transfer slot, then opens a connection of its
// own for one volume upload or download, looks the volume up on it and opens
// a stream. done releases all of it.
//
// Streams never share the main connection: libvirtd (seen with 9.0) stops
// answering a connection for good when stream traffic meets its per-client
// request limit ("stream is not open"), which would hang every other call.
func (c *Client) openTransfer(ctx context.Context, poolName, volName string) (vol *libvirt.StorageVol, st *libvirt.Stream, done func(), err error) {
	id := poolName + "/" + volName
	select {
	case c.transfers <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, nil, &Error{Op: "start a transfer for", Kind: kindVolume, Name: id, Code: ErrTimeout, Message: ctx.Err().Error()}
	}
	release := func() { <-c.transfers }
	tc, err := Open(ctx, c.uri, DefaultOpenTimeout)
	if err != nil {
		release()
		return nil, nil, nil, err
	}
	closeAll := func() { _ = tc.Close(); release() }
	pool, err := tc.conn.LookupStoragePoolByName(poolName)
	if err != nil {
		closeAll()
		return nil, nil, nil, wrap(err, "look up", kindPool, poolName)
	}
	vol, err = pool.LookupStorageVolByName(volName)
	_ = pool.Free()
	if err != nil {
		closeAll()
		return nil, nil, nil, wrap(err, "look up", kindVolume, id)
	}
	st, err = tc.conn.NewStream(0)
	if err != nil {
		_ = vol.Free()
		closeAll()
		return nil, nil, nil, wrap(err, "open a stream for", kindVolume, id)
	}
	return vol, st, func() { _ = st.Free(); _ = vol.Free(); closeAll() }, nil
}

// poolLock returns the mutex that serialises operations libvirt refuses to
// run concurrently on one pool ("pool has asynchronous jobs running").
func (c *Client) poolLock(pool string) *sync.Mutex {
	m, _ := c.poolLocks.LoadOrStore(pool, &sync.Mutex{})
	return m.(*sync.Mutex)
}
