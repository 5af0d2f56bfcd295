package hypervisor

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
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
// own connections (conn_transfer.go). Pool locks, pool rescans and the
// driver's refusals belong to the client, whatever connection a call runs on.
//
// Extra connections open lazily, in the background, when every open one is
// busy: no call waits for a handshake (about a second over SSH). Each is a
// conn, so it reopens itself after a daemon restart exactly as the main one
// does, and the call that met the dead connection runs once more when it is
// safe to repeat.

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

// readRetryAfter is how long the pool waits after a failed open of an extra
// connection before it tries another; calls use the open ones meanwhile.
const readRetryAfter = 10 * time.Second

// connPool is the main connection and the extra ones calls are spread over.
type connPool struct {
	uri  string
	log  hclog.Logger
	main *conn

	mu            sync.Mutex
	max           int           // connections, counting the main one
	mainBusy      pooledConn    // calls in flight on the main connection
	extra         []*pooledConn // extra connections, opened on demand
	opening       bool          // an extra connection is being opened
	retryAt       time.Time     // no new open before this, after one failed
	reconnectWait time.Duration // for the extra connections
	closed        bool
	// stall overrides how long bounded calls wait for an answer when
	// stallSet; tests set it.
	stall    time.Duration
	stallSet bool
}

// pooledConn is a connection of the pool and the calls in flight on it.
type pooledConn struct {
	c    *conn
	busy int
}

func newConnPool(main *conn) *connPool {
	return &connPool{uri: main.uri, log: main.log, main: main, max: defaultConnections(main.uri),
		mainBusy: pooledConn{c: main}, reconnectWait: DefaultReconnectWait}
}

// defaultConnections is the pool size a new client starts with: the
// in-process test driver has no request limit, and a test:///path URI gives
// every connection its own fresh host, so it keeps one connection.
func defaultConnections(uri string) int {
	if strings.HasPrefix(uri, "test:") || strings.HasPrefix(uri, "test+") {
		return 1
	}
	return DefaultConnections
}

// setConnections sets the pool size, counting the main connection (0 gives
// the default for the URI). Extra connections above n close once idle.
func (p *connPool) setConnections(n int) {
	if n <= 0 {
		n = defaultConnections(p.uri)
	}
	if n > MaxConnections {
		n = MaxConnections
	}
	p.mu.Lock()
	p.max = n
	var drop []*conn
	keep := p.extra[:0]
	for _, r := range p.extra {
		if len(keep)+1 < n || r.busy > 0 {
			keep = append(keep, r)
			continue
		}
		drop = append(drop, r.c)
	}
	p.extra = keep
	p.mu.Unlock()
	for _, r := range drop {
		_ = r.close()
	}
}

// connections is how many connections are open, counting the main one.
func (p *connPool) connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.extra) + 1
}

// setReconnectWait sets the reconnect wait of every connection, and of the
// ones opened later.
func (p *connPool) setReconnectWait(d time.Duration) {
	p.main.setReconnectWait(d)
	p.mu.Lock()
	p.reconnectWait = d
	rs := append([]*pooledConn(nil), p.extra...)
	p.mu.Unlock()
	for _, r := range rs {
		r.c.setReconnectWait(d)
	}
}

// stallFor is how long a bounded call waits for an answer: remote over a
// network transport, 0 (no bound) on a local daemon, where keepalive and the
// socket tell all, or what a test set.
func (p *connPool) stallFor(remote time.Duration) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stallSet {
		return p.stall
	}
	if LocalURI(p.uri) {
		return 0
	}
	return remote
}

// pick returns the least busy connection and marks it busy until done is
// called. When every open one is busy and the pool may grow, it starts
// opening one more in the background.
func (p *connPool) pick() (c *conn, done func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	best := &p.mainBusy
	for _, r := range p.extra {
		if r.busy < best.busy {
			best = r
		}
	}
	if best.busy >= readBusy && len(p.extra)+1 < p.max && !p.opening && !p.closed && time.Now().After(p.retryAt) {
		p.opening = true
		go p.openExtra()
	}
	best.busy++
	return best.c, func() {
		p.mu.Lock()
		best.busy--
		p.mu.Unlock()
	}
}

// openExtra opens one more connection and adds it to the pool.
func (p *connPool) openExtra() {
	c, err := dialConn(context.Background(), p.uri, p.log, DefaultOpenTimeout)
	p.mu.Lock()
	p.opening = false
	switch {
	case err != nil:
		p.retryAt = time.Now().Add(readRetryAfter)
		p.mu.Unlock()
		p.log.Debug("cannot open another libvirt connection; calls share the open ones", "error", err.Error())
		return
	case p.closed || len(p.extra)+1 >= p.max:
		p.mu.Unlock()
		_ = c.close()
		return
	}
	c.setReconnectWait(p.reconnectWait)
	p.extra = append(p.extra, &pooledConn{c: c})
	n := len(p.extra) + 1
	p.mu.Unlock()
	p.log.Debug("opened another libvirt connection", "connections", n)
}

// close closes every connection of the pool.
func (p *connPool) close() error {
	p.mu.Lock()
	p.closed = true
	rs := p.extra
	p.extra = nil
	p.mu.Unlock()
	for _, r := range rs {
		_ = r.c.close()
	}
	return p.main.close()
}
