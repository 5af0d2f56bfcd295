// Package hypervisor is the only package that talks to libvirt. It offers typed
// operations on plain Go descriptions of pools, volumes, networks and domains,
// maps those descriptions to and from libvirtxml structs with pure functions,
// and turns libvirt's errors into typed errors.
package hypervisor

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"libvirt.org/go/libvirt"
)

// DefaultOpenTimeout bounds how long Open waits for a daemon to answer.
const DefaultOpenTimeout = 10 * time.Second

// RemoteOpenTimeout bounds it over a network transport, where each new
// connection is an SSH or TLS handshake first: into a busy or emulated host
// (a Xen dom0 under TCG, for instance) that alone takes tens of seconds.
const RemoteOpenTimeout = 2 * time.Minute

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

// Client is one libvirt connection that reopens itself. It is safe for
// concurrent use: libvirt connections are thread-safe, and the client's
// mutable state is guarded: the current connection, the reopen in progress
// and the reconnect wait by mu; the per-pool locks by a sync.Map; the
// transfer slots and the idle transfer connections are channels.
//
// When libvirt reports the connection dead (the daemon restarted, a keepalive
// went unanswered, the SSH or TLS link dropped), the next call reopens it,
// once for all waiting callers, and waits at most reconnectWait for the daemon
// to come back. Operations that are safe to repeat run once more on the new
// connection (see retry).
type Client struct {
	uri string
	log hclog.Logger

	mu        sync.Mutex
	cur       *libvirt.Connect
	reopening chan struct{} // closed when the running reopen ends; nil when none runs
	reopenErr error         // outcome of the last reopen
	closed    bool          // Close was called: nothing reopens any more
	// aside is a connection set aside because a call on it got no answer
	// (see spreadWait): it counts as dead, and is never closed, since the
	// call may still be inside it.
	aside *libvirt.Connect
	// stall overrides how long spreadWait waits for an answer when stallSet;
	// tests set it.
	stall    time.Duration
	stallSet bool

	// arpRefused is the driver's refusal of libvirt's ARP address source,
	// once seen (see ARPAddresses).
	arpRefused atomic.Pointer[Error]
	// undefineFlags indexes undefineFlagSets: the first set of undefine flags
	// the driver did not refuse (see undefineDomain).
	undefineFlags atomic.Int32

	// reconnectWait bounds how long a call waits for a lost daemon to answer
	// again (guarded by mu).
	reconnectWait time.Duration
	// openTimeout bounds each new connection: transfers and reopens (set by Open).
	openTimeout time.Duration

	poolLocks     sync.Map // pool name -> *sync.Mutex
	poolRefreshes sync.Map // pool name -> *poolRefresh

	// transfers bounds the volume transfers running at once for this client.
	transfers chan struct{}
	// idle holds transfer connections whose transfer ended, for the next one:
	// over SSH a new connection costs a handshake (about a second here).
	idle chan *Client

	// The connections reads are spread over (see spread), guarded by rmu.
	rmu         sync.Mutex
	readMax     int         // connections for reads, counting the main one
	mainReads   readConn    // reads in flight on the main connection
	readers     []*readConn // extra connections, opened on demand
	readOpening bool        // an extra connection is being opened
	readRetryAt time.Time   // no new open before this, after one failed
	parent      *Client     // set on an extra read connection: the client it serves
}

// DefaultReconnectWait is how long calls wait for a lost daemon to come back.
const DefaultReconnectWait = 60 * time.Second

// maxTransfers is how many volume uploads and downloads one client runs at
// once; more wait. A few saturate a local disk and link already.
const maxTransfers = 4

// Open connects to uri and returns within timeout (DefaultOpenTimeout when
// zero), even when the daemon accepts the connection and never answers.
func Open(ctx context.Context, uri string, timeout time.Duration) (*Client, error) {
	if timeout <= 0 {
		timeout = DefaultOpenTimeout
	}
	conn, err := openConn(ctx, uri, timeout)
	if err != nil {
		return nil, err
	}
	c := &Client{uri: uri, log: Logger().With("libvirt_uri", redactURI(uri)), cur: conn, openTimeout: timeout,
		reconnectWait: DefaultReconnectWait, transfers: make(chan struct{}, maxTransfers), idle: make(chan *Client, maxTransfers),
		readMax: defaultReadMax(uri)}
	c.watch(conn)
	c.log.Debug("libvirt connection open")
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

// watch logs why libvirt closed conn: end of file (the daemon went away),
// an unanswered keepalive, or an I/O error.
func (c *Client) watch(conn *libvirt.Connect) {
	_ = conn.RegisterCloseCallback(func(_ *libvirt.Connect, reason libvirt.ConnectCloseReason) {
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
	if c == nil {
		return nil
	}
	c.mu.Lock()
	cur := c.cur
	c.cur = nil
	c.closed = true
	setAside := cur != nil && cur == c.aside
	c.mu.Unlock()
	for tc := c.idleTransfer(); tc != nil; tc = c.idleTransfer() {
		_ = tc.Close()
	}
	c.closeReaders()
	if cur == nil || setAside {
		// A connection set aside may still have a call inside: it is left alone.
		return nil
	}
	_ = cur.UnregisterCloseCallback()
	_, err := cur.Close()
	return err
}

// Alive reports whether the connection still answers.
func (c *Client) Alive() bool {
	c.mu.Lock()
	cur := c.cur
	c.mu.Unlock()
	return alive(cur)
}

func alive(conn *libvirt.Connect) bool {
	if conn == nil {
		return false
	}
	ok, err := conn.IsAlive()
	return err == nil && ok
}

// conn returns the current connection, reopened first when libvirt reports
// it dead. When the daemon does not come back within the reconnect wait it returns
// the dead connection, whose calls then fail with libvirt's own error.
func (c *Client) conn() *libvirt.Connect {
	conn, _ := c.live(context.Background())
	if conn == nil {
		// Closed: libvirt refuses every call on a null connection with its own error.
		return &libvirt.Connect{}
	}
	return conn
}

// live returns a live connection: the current one, or a new one once a
// reopen succeeded. Concurrent callers share one reopen. The wait ends early
// when ctx ends.
func (c *Client) live(ctx context.Context) (*libvirt.Connect, error) {
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

// reopen opens a new connection, trying every half second for at most
// reconnectWait, swaps it in, and closes the dead one.
func (c *Client) reopen(old *libvirt.Connect, done chan struct{}) {
	c.mu.Lock()
	wait := c.reconnectWait
	c.mu.Unlock()
	if wait <= 0 {
		wait = DefaultReconnectWait
	}
	start := time.Now()
	c.log.Warn("libvirt connection is dead; reopening it", "max_wait", wait.String())
	var (
		conn *libvirt.Connect
		err  error
	)
	for attempt := 1; ; attempt++ {
		left := wait - time.Since(start)
		if left > c.openTimeout {
			left = c.openTimeout
		}
		conn, err = openConn(context.Background(), c.uri, left)
		if err == nil {
			c.log.Info("libvirt connection reopened", "attempt", attempt, "after", time.Since(start).Round(time.Millisecond).String())
			break
		}
		if time.Since(start)+500*time.Millisecond >= wait {
			c.log.Error("libvirt daemon did not come back", "attempts", attempt, "waited", time.Since(start).Round(time.Millisecond).String(), "error", err.Error())
			err = &Error{Op: "reconnect to", Kind: "libvirt daemon", Name: c.uri, Code: ErrConnection,
				Message: fmt.Sprintf("the connection was lost and the daemon did not answer again within %s (last error: %s)", wait, messageOf(err))}
			break
		}
		c.log.Debug("libvirt daemon not back yet", "attempt", attempt, "error", err.Error())
		time.Sleep(500 * time.Millisecond)
	}
	c.mu.Lock()
	if conn != nil && c.closed {
		_, _ = conn.Close()
		conn, err = nil, &Error{Op: "use", Kind: "libvirt connection to", Name: c.uri, Code: ErrConnection, Message: "the connection was closed"}
	}
	if conn != nil {
		c.watch(conn)
		c.cur = conn
	}
	c.reopenErr = err
	c.reopening = nil
	setAside := old != nil && old == c.aside
	c.mu.Unlock()
	close(done)
	if conn != nil && old != nil && !setAside {
		// Objects looked up on the old connection keep their own references.
		_ = old.UnregisterCloseCallback()
		_, _ = old.Close()
	}
}

// SetReconnectWait sets how long calls wait for a lost daemon to come back.
// Clients are shared per URI: the last setting wins.
func (c *Client) SetReconnectWait(d time.Duration) {
	c.mu.Lock()
	c.reconnectWait = d
	c.mu.Unlock()
	c.rmu.Lock()
	rs := append([]*readConn(nil), c.readers...)
	c.rmu.Unlock()
	for _, r := range rs {
		r.c.SetReconnectWait(d)
	}
}

// retry runs fn, whose libvirt calls go through c.conn(). When the
// connection died while fn ran, it waits for the reopened connection and runs
// fn once more: callers use it only for operations that are safe to repeat,
// or that check first whether the lost attempt took effect.
func (c *Client) retry(ctx context.Context, op, kind, name string, fn func() error) error {
	conn, err := c.live(ctx)
	if err != nil {
		return err
	}
	err = fn()
	if err == nil || alive(conn) {
		return err
	}
	if ctx.Err() != nil {
		return ctxError(ctx, op, kind, name)
	}
	c.log.Warn("retrying after the libvirt connection was lost", "op", op, "kind", kind, "name", name, "error", messageOf(err))
	if _, lerr := c.live(ctx); lerr != nil {
		return lerr
	}
	return fn()
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
		return nil, nil, nil, ctxError(ctx, "start a transfer for", kindVolume, id)
	}
	release := func() { <-c.transfers }
	tc, err := c.idleTransfer(), error(nil)
	if tc == nil {
		tc, err = Open(ctx, c.uri, c.openTimeout)
	}
	if err != nil && !alive(c.conn()) {
		// The daemon went away: c.conn() waited for it; try once more.
		tc, err = Open(ctx, c.uri, c.openTimeout)
	}
	if err != nil {
		release()
		return nil, nil, nil, err
	}
	closeAll := func() {
		// A live connection serves the next transfer; one that died is closed.
		if tc.Alive() {
			select {
			case c.idle <- tc:
				release()
				return
			default:
			}
		}
		_ = tc.Close()
		release()
	}
	pool, err := tc.conn().LookupStoragePoolByName(poolName)
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
	st, err = tc.conn().NewStream(0)
	if err != nil {
		_ = vol.Free()
		closeAll()
		return nil, nil, nil, wrap(err, "open a stream for", kindVolume, id)
	}
	return vol, st, func() { _ = st.Free(); _ = vol.Free(); closeAll() }, nil
}

// idleTransfer returns a live idle transfer connection, or nil. Dead ones
// (the daemon restarted, the link dropped) are closed on the way.
func (c *Client) idleTransfer() *Client {
	for {
		select {
		case tc := <-c.idle:
			if tc.Alive() {
				return tc
			}
			_ = tc.Close()
		default:
			return nil
		}
	}
}

// poolLock returns the mutex that serialises operations libvirt refuses to
// run concurrently on one pool ("pool has asynchronous jobs running").
func (c *Client) poolLock(pool string) *sync.Mutex {
	if c.parent != nil {
		return c.parent.poolLock(pool)
	}
	m, _ := c.poolLocks.LoadOrStore(pool, &sync.Mutex{})
	return m.(*sync.Mutex)
}
