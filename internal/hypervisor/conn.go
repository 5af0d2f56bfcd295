package hypervisor

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"libvirt.org/go/libvirt"
)

// What happens when libvirtd drops:
//
//   - libvirt notices first: the socket closes (the daemon restarted), a
//     keepalive probe goes unanswered (keepalive below), or the SSH or TLS
//     link drops. watch logs why.
//   - The next call on that connection finds it dead (conn.live) and reopens
//     it, once for all waiting callers, trying every half second for at most
//     the reconnect wait (conn.reopen). Objects looked up on the old
//     connection keep their own references; the old connection is closed.
//   - The call that met the dead connection runs once more on the new one
//     when its retry class allows it (conn_retry.go); otherwise it fails
//     with libvirt's error, or with ErrConnection when the daemon did not
//     come back in time.
//   - Over a network transport a call that gets no answer at all sets its
//     connection aside (conn.setAside; see runBounded in conn_retry.go), which then
//     counts as dead and reopens the same way.
//
// Every connection of a client (conn_pool.go) and every transfer connection
// (conn_transfer.go) is a conn and behaves the same way.

// DefaultOpenTimeout bounds how long Open waits for a daemon to answer.
const DefaultOpenTimeout = 10 * time.Second

// RemoteOpenTimeout bounds it over a network transport, where each new
// connection is an SSH or TLS handshake first: into a busy or emulated host
// (a Xen dom0 under TCG, for instance) that alone takes tens of seconds.
const RemoteOpenTimeout = 2 * time.Minute

// DefaultReconnectWait is how long calls wait for a lost daemon to come back.
const DefaultReconnectWait = 60 * time.Second

// OpenTimeout is the open timeout for uri: DefaultOpenTimeout for a local
// daemon, RemoteOpenTimeout for one reached over the network.
func OpenTimeout(uri string) time.Duration {
	if LocalURI(uri) {
		return DefaultOpenTimeout
	}
	return RemoteOpenTimeout
}

// Keepalive settings: a probe every 5 s, and the connection is considered dead
// after 3 unanswered probes. Over a network transport the daemon gets 90 s (9
// probes 10 s apart): a remote host that is busy, or an emulated one such as a
// Xen dom0 under TCG during an upload, can leave probes unanswered for longer
// than 15 s without being gone, and a dropped connection costs a new handshake.
const (
	keepaliveInterval       = 5
	keepaliveCount          = 3
	remoteKeepaliveInterval = 10
	remoteKeepaliveCount    = 9
)

// keepalive returns the keepalive interval (seconds) and count for uri.
func keepalive(uri string) (int, uint) {
	if LocalURI(uri) {
		return keepaliveInterval, keepaliveCount
	}
	return remoteKeepaliveInterval, remoteKeepaliveCount
}

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

// conn is one libvirt connection that reopens itself when libvirt reports it
// dead. It is safe for concurrent use: libvirt connections are thread-safe,
// and the current connection, the reopen in progress, the reconnect wait and
// the connection set aside are guarded by mu.
type conn struct {
	uri string
	log hclog.Logger
	// openTimeout bounds each new connection of a reopen.
	openTimeout time.Duration

	mu        sync.Mutex
	cur       *libvirt.Connect
	reopening chan struct{} // closed when the running reopen ends; nil when none runs
	reopenErr error         // outcome of the last reopen
	closed    bool          // close was called: nothing reopens any more
	// aside is a connection set aside because a call on it got no answer
	// (see runBounded): it counts as dead, and is never closed, since the
	// call may still be inside it.
	aside *libvirt.Connect
	// reconnectWait bounds how long a call waits for a lost daemon to answer
	// again.
	reconnectWait time.Duration
}

// dialConn opens a conn to uri within timeout (DefaultOpenTimeout when zero).
func dialConn(ctx context.Context, uri string, log hclog.Logger, timeout time.Duration) (*conn, error) {
	if timeout <= 0 {
		timeout = DefaultOpenTimeout
	}
	lc, err := openConn(ctx, uri, timeout)
	if err != nil {
		return nil, err
	}
	c := &conn{uri: uri, log: log, cur: lc, openTimeout: timeout, reconnectWait: DefaultReconnectWait}
	c.watch(lc)
	return c, nil
}

// openConn opens one raw connection within timeout and turns keepalive on.
func openConn(ctx context.Context, uri string, timeout time.Duration) (*libvirt.Connect, error) {
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
		// Keepalive is unsupported by some in-process drivers (test:///, ...); that is not an error.
		_ = r.conn.SetKeepAlive(keepalive(uri))
		return r.conn, nil
	case <-timer.C:
		go closeLate(done)
		return nil, &Error{Op: "connect to", Kind: "libvirt daemon", Name: uri, Code: ErrTimeout,
			Message: fmt.Sprintf("no answer within %s", timeout)}
	case <-ctx.Done():
		go closeLate(done)
		return nil, ctxError(ctx, "connect to", "libvirt daemon", uri)
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

// watch logs why libvirt closed lc: end of file (the daemon went away),
// an unanswered keepalive, or an I/O error.
func (c *conn) watch(lc *libvirt.Connect) {
	_ = lc.RegisterCloseCallback(func(_ *libvirt.Connect, reason libvirt.ConnectCloseReason) {
		why := map[libvirt.ConnectCloseReason]string{
			libvirt.CONNECT_CLOSE_REASON_ERROR:     "I/O error",
			libvirt.CONNECT_CLOSE_REASON_EOF:       "the daemon closed the connection",
			libvirt.CONNECT_CLOSE_REASON_KEEPALIVE: "keepalive: no answer to several probes in a row",
			libvirt.CONNECT_CLOSE_REASON_CLIENT:    "closed by the provider",
		}[reason]
		if reason == libvirt.CONNECT_CLOSE_REASON_CLIENT {
			c.log.Debug("libvirt connection closed", "reason", why)
			return
		}
		c.log.Warn("libvirt connection lost", "reason", why)
	})
}

// close closes the connection; nothing reopens it afterwards. A connection
// set aside may still have a call inside: it is left alone.
func (c *conn) close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	cur := c.cur
	c.cur = nil
	c.closed = true
	setAside := cur != nil && cur == c.aside
	c.mu.Unlock()
	if cur == nil || setAside {
		return nil
	}
	_ = cur.UnregisterCloseCallback()
	_, err := cur.Close()
	return err
}

// alive reports whether the connection still answers.
func (c *conn) alive() bool {
	return alive(c.current())
}

func alive(lc *libvirt.Connect) bool {
	if lc == nil {
		return false
	}
	ok, err := lc.IsAlive()
	return err == nil && ok
}

// current is the connection in use, without any check.
func (c *conn) current() *libvirt.Connect {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur
}

// setAside marks used, when it is still the connection in use, as one that
// got no answer: it counts as dead from now on, and is never closed.
func (c *conn) setAside(used *libvirt.Connect) {
	c.mu.Lock()
	if used != nil && c.cur == used {
		c.aside = used
	}
	c.mu.Unlock()
}

// raw returns the current connection, reopened first when libvirt reports
// it dead. When the daemon does not come back within the reconnect wait it
// returns the dead connection, whose calls then fail with libvirt's own error.
func (c *conn) raw() *libvirt.Connect {
	lc, _ := c.live(context.Background())
	if lc == nil {
		// Closed: libvirt refuses every call on a null connection with its own error.
		return &libvirt.Connect{}
	}
	return lc
}

// live returns a live connection: the current one, or a new one once a
// reopen succeeded. Concurrent callers share one reopen. The wait ends early
// when ctx ends.
func (c *conn) live(ctx context.Context) (*libvirt.Connect, error) {
	c.mu.Lock()
	cur := c.cur
	if cur != c.aside && alive(cur) {
		c.mu.Unlock()
		return cur, nil
	}
	if c.closed {
		c.mu.Unlock()
		return nil, &Error{Op: "use", Kind: "libvirt connection to", Name: c.uri, Code: ErrConnection, Message: "the connection was closed"}
	}
	if c.reopening == nil {
		c.reopening = make(chan struct{})
		go c.reopen(cur, c.reopening)
	}
	wait := c.reopening
	c.mu.Unlock()
	select {
	case <-wait:
	case <-ctx.Done():
		return cur, ctxError(ctx, "reconnect to", "libvirt daemon", c.uri)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur, c.reopenErr
}

// reopen opens a new connection (redial), swaps it in, and closes the dead
// one.
func (c *conn) reopen(old *libvirt.Connect, done chan struct{}) {
	lc, err := c.redial()
	c.mu.Lock()
	if lc != nil && c.closed {
		_, _ = lc.Close()
		lc, err = nil, &Error{Op: "use", Kind: "libvirt connection to", Name: c.uri, Code: ErrConnection, Message: "the connection was closed"}
	}
	if lc != nil {
		c.watch(lc)
		c.cur = lc
	}
	c.reopenErr = err
	c.reopening = nil
	setAside := old != nil && old == c.aside
	c.mu.Unlock()
	close(done)
	if lc != nil && old != nil && !setAside {
		// Objects looked up on the old connection keep their own references.
		_ = old.UnregisterCloseCallback()
		_, _ = old.Close()
	}
}

// redial opens a new connection, trying every half second for at most the
// reconnect wait.
func (c *conn) redial() (*libvirt.Connect, error) {
	c.mu.Lock()
	wait := c.reconnectWait
	c.mu.Unlock()
	if wait <= 0 {
		wait = DefaultReconnectWait
	}
	start := time.Now()
	c.log.Warn("libvirt connection is dead; reopening it", "max_wait", wait.String())
	for attempt := 1; ; attempt++ {
		left := wait - time.Since(start)
		if left > c.openTimeout {
			left = c.openTimeout
		}
		lc, err := openConn(context.Background(), c.uri, left)
		if err == nil {
			c.log.Info("libvirt connection reopened", "attempt", attempt, "after", time.Since(start).Round(time.Millisecond).String())
			return lc, nil
		}
		if time.Since(start)+500*time.Millisecond >= wait {
			c.log.Error("libvirt daemon did not come back", "attempts", attempt, "waited", time.Since(start).Round(time.Millisecond).String(), "error", err.Error())
			return nil, &Error{Op: "reconnect to", Kind: "libvirt daemon", Name: c.uri, Code: ErrConnection,
				Message: fmt.Sprintf("the connection was lost and the daemon did not answer again within %s (last error: %s)", wait, messageOf(err))}
		}
		c.log.Debug("libvirt daemon not back yet", "attempt", attempt, "error", err.Error())
		time.Sleep(500 * time.Millisecond)
	}
}

// setReconnectWait sets how long calls wait for a lost daemon to come back.
func (c *conn) setReconnectWait(d time.Duration) {
	c.mu.Lock()
	c.reconnectWait = d
	c.mu.Unlock()
}

// retry runs fn, whose libvirt calls go through c.raw(). When the connection
// died while fn ran, it waits for the reopened connection and runs fn once
// more: only for operations that are safe to repeat, or that check first
// whether the lost attempt took effect.
func (c *conn) retry(ctx context.Context, w what, fn func() error) error {
	lc, err := c.live(ctx)
	if err != nil {
		return err
	}
	err = fn()
	if err == nil || alive(lc) {
		return err
	}
	if ctx.Err() != nil {
		return ctxError(ctx, w.op, w.kind, w.name)
	}
	c.log.Warn("retrying after the libvirt connection was lost", "op", w.op, "kind", w.kind, "name", w.name, "error", messageOf(err))
	if _, lerr := c.live(ctx); lerr != nil {
		return lerr
	}
	return fn()
}
