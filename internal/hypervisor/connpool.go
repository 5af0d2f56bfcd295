package hypervisor

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Calls are spread over a few connections. libvirtd serves at most
// max_client_requests (5 by default) calls of one connection at once and
// queues the rest, so at Terraform's parallelism of 10 or more one connection
// makes a refresh wait in that queue while the daemon idles, and lets only
// five domains start or stop at a time (each call holds its slot while QEMU
// starts or exits). Reads (lookups, definitions, states, leases) and the
// domain lifecycle calls (define, start, stop, undefine, autostart, deleting
// a console log) run on the least busy of the main connection and up to
// Connections-1 extra ones: libvirt orders the calls on one domain itself.
// Everything that needs one connection's view stays on the main connection
// (network and pool changes with their locks); volume transfers have their
// own connections. Pool locks and pool rescans are shared with the main
// connection.
//
// Extra connections open lazily, in the background, when every open one is
// busy: no call waits for a handshake (about a second over SSH). Each is a
// Client of its own, so it reopens itself after a daemon restart exactly as
// the main one does, and the call that met the dead connection runs once
// more when it is safe to repeat.

// DefaultConnections is how many connections calls are spread over by
// default: the main one and three more, that is up to 20 calls in flight at
// libvirtd's default per-connection limit (and its default of 20 workers).
const DefaultConnections = 4

// MaxConnections bounds the connections setting: every connection is a
// socket and a client on the daemon, and over SSH a process and a handshake.
const MaxConnections = 16

// readBusy is how many calls in flight make a connection busy: one below
// libvirtd's default per-connection limit, so a change on the main
// connection rarely queues behind them.
const readBusy = 4

// readRetryAfter is how long the client waits after a failed open of an extra
// connection before it tries another; calls use the open ones meanwhile.
const readRetryAfter = 10 * time.Second

type readConn struct {
	c    *Client // nil for the main connection
	busy int
}

// SetConnections sets how many connections calls are spread over,
// counting the main one (1 keeps every call on it; 0 gives the default for
// the URI). Clients are shared per URI: the last setting wins. Extra
// connections above n close once idle.
func (c *Client) SetConnections(n int) {
	if n <= 0 {
		n = defaultReadMax(c.uri)
	}
	if n > MaxConnections {
		n = MaxConnections
	}
	c.rmu.Lock()
	c.readMax = n
	var drop []*Client
	keep := c.readers[:0]
	for _, r := range c.readers {
		if len(keep)+1 < n || r.busy > 0 {
			keep = append(keep, r)
			continue
		}
		drop = append(drop, r.c)
	}
	c.readers = keep
	c.rmu.Unlock()
	for _, r := range drop {
		_ = r.Close()
	}
}

// Connections reports how many connections are open for spread calls,
// counting the main one.
func (c *Client) Connections() int {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	return len(c.readers) + 1
}

// spread runs fn on the least busy connection, with the same retry on a
// lost connection as Client.retry, and over a network transport a bound of
// RemoteChangeStall on the wait for an answer (see spreadWait). fn must make
// its libvirt calls through the client it is given, and be safe to repeat.
func (c *Client) spread(ctx context.Context, op, kind, name string, fn func(rc *Client) error) error {
	return c.spreadFor(ctx, c.stallFor(RemoteChangeStall), op, kind, name, fn)
}

// spreadFor is spread with its own bound on the wait for an answer.
func (c *Client) spreadFor(ctx context.Context, stall time.Duration, op, kind, name string, fn func(rc *Client) error) error {
	_, err := spreadWait(ctx, c, stall, op, kind, name, func(rc *Client) (struct{}, error) {
		return struct{}{}, fn(rc)
	})
	return err
}

// spreadRead is spread for reads, whose answer is awaited for at most
// RemoteReadStall over a network transport.
func spreadRead[T any](ctx context.Context, c *Client, op, kind, name string, fn func(rc *Client) (T, error)) (T, error) {
	return spreadWait(ctx, c, c.stallFor(RemoteReadStall), op, kind, name, fn)
}

// Over a network transport, keepalive finds a dead peer, not a live one that
// never answers one call: libvirtd 9.0 in a Xen dom0 reached over xen+ssh has
// been seen to leave a network lookup unanswered for good while it answered
// keepalive probes and other connections, and to never answer a domain start
// whose hotplug script hung. Without a bound such a call outlives every
// timeout of the resource that made it.
//
// RemoteReadStall bounds reads: far above what a read takes on a loaded
// emulated host (a few seconds), and above the keepalive window (90 s), so
// that a dead peer is still found by keepalive first. RemoteChangeStall
// bounds the domain lifecycle calls (define, start, destroy, undefine,
// autostart), of which a start on a busy Xen host takes tens of seconds; a
// stop adds its grace period.
const (
	RemoteReadStall   = 2 * time.Minute
	RemoteChangeStall = 5 * time.Minute
)

// spreadWait runs fn as spread does, waiting at most stall for the answer
// (no bound when stall is 0). A call without an answer in time sets its
// connection aside: that client reopens, the abandoned call is left to end
// or not (its connection is never closed under it, and whatever it returns
// goes nowhere), and fn runs once more, which the calls spread are safe to.
// A second call without an answer is an error of class ErrTimeout. The wait
// also ends when ctx ends; a call still inside its connection then sets it
// aside as well.
func spreadWait[T any](ctx context.Context, c *Client, stall time.Duration, op, kind, name string, fn func(rc *Client) (T, error)) (T, error) {
	if stall <= 0 {
		rc, done := c.reader()
		defer done()
		return retryOn(ctx, rc, op, kind, name, fn)
	}
	type result struct {
		v   T
		err error
	}
	var zero T
	for attempt := 1; ; attempt++ {
		rc, done := c.reader()
		rc.mu.Lock()
		used := rc.cur
		rc.mu.Unlock()
		// Each attempt has its own result: one abandoned that answers late
		// writes nothing the caller sees.
		res := make(chan result, 1)
		go func() {
			defer done()
			var r result
			r.v, r.err = retryOn(ctx, rc, op, kind, name, fn)
			res <- r
		}()
		timer := time.NewTimer(stall)
		var cancelled bool
		select {
		case r := <-res:
			timer.Stop()
			return r.v, r.err
		case <-ctx.Done():
			timer.Stop()
			cancelled = true
		case <-timer.C:
		}
		rc.mu.Lock()
		if used != nil && rc.cur == used {
			rc.aside = used
		}
		rc.mu.Unlock()
		if cancelled {
			return zero, ctxError(ctx, op, kind, name)
		}
		c.log.Warn("a libvirt call got no answer; opening another connection", "op", op, "kind", kind, "name", name,
			"waited", stall.String(), "attempt", attempt)
		if attempt == 2 {
			return zero, &Error{Op: op, Kind: kind, Name: name, Code: ErrTimeout,
				Message: fmt.Sprintf("the daemon did not answer within %s, twice, on different connections", stall)}
		}
	}
}

// retryOn runs fn on rc, with rc's retry on a lost connection.
func retryOn[T any](ctx context.Context, rc *Client, op, kind, name string, fn func(rc *Client) (T, error)) (v T, err error) {
	err = rc.retry(ctx, op, kind, name, func() (err error) {
		v, err = fn(rc)
		return err
	})
	return v, err
}

// stallFor is how long spreadWait waits for an answer: remote over a
// network transport, 0 (no bound) on a local daemon, where keepalive and the
// socket tell all, or what a test set.
func (c *Client) stallFor(remote time.Duration) time.Duration {
	if c.parent != nil {
		return c.parent.stallFor(remote)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stallSet {
		return c.stall
	}
	if LocalURI(c.uri) {
		return 0
	}
	return remote
}

// reader picks the least busy connection and marks it busy until done
// is called. When every open one is busy and the pool may grow, it starts
// opening one more in the background.
func (c *Client) reader() (rc *Client, done func()) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	best := &c.mainReads
	for _, r := range c.readers {
		if r.busy < best.busy {
			best = r
		}
	}
	if best.busy >= readBusy && len(c.readers)+1 < c.readMax && !c.readOpening && time.Now().After(c.readRetryAt) {
		c.readOpening = true
		go c.openReader()
	}
	best.busy++
	rc = best.c
	if rc == nil {
		rc = c
	}
	return rc, func() {
		c.rmu.Lock()
		best.busy--
		c.rmu.Unlock()
	}
}

// openReader opens one more connection and adds it to the pool.
func (c *Client) openReader() {
	rc, err := Open(context.Background(), c.uri, DefaultOpenTimeout)
	c.rmu.Lock()
	// Lock order: rmu, then mu (Close takes mu, lets go, then rmu).
	c.mu.Lock()
	closed, wait := c.closed, c.reconnectWait
	c.mu.Unlock()
	c.readOpening = false
	switch {
	case err != nil:
		c.readRetryAt = time.Now().Add(readRetryAfter)
		c.rmu.Unlock()
		c.log.Debug("cannot open another libvirt connection; calls share the open ones", "error", err.Error())
		return
	case closed || len(c.readers)+1 >= c.readMax:
		c.rmu.Unlock()
		_ = rc.Close()
		return
	}
	rc.readMax = 1 // an extra connection spreads nothing further
	rc.parent = c  // and shares the main connection's pool locks
	rc.SetReconnectWait(wait)
	c.readers = append(c.readers, &readConn{c: rc})
	n := len(c.readers) + 1
	c.rmu.Unlock()
	c.log.Debug("opened another libvirt connection", "connections", n)
}

// closeReaders closes the extra connections.
func (c *Client) closeReaders() {
	c.rmu.Lock()
	rs := c.readers
	c.readers = nil
	c.rmu.Unlock()
	for _, r := range rs {
		_ = r.c.Close()
	}
}

// defaultReadMax is the pool size a new client starts with: the in-process
// test driver has no request limit, and a test:///path URI gives every
// connection its own fresh host, so it keeps one connection.
func defaultReadMax(uri string) int {
	if strings.HasPrefix(uri, "test:") || strings.HasPrefix(uri, "test+") {
		return 1
	}
	return DefaultConnections
}
