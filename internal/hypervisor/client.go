// Package hypervisor is the only package that talks to libvirt. It offers typed
// operations on plain Go descriptions of pools, volumes, networks and domains,
// maps those descriptions to and from libvirtxml structs with pure functions,
// and turns libvirt's errors into typed errors.
//
// Layout: the connection layer (conn.go: one connection that reopens itself
// and what happens when libvirtd drops; conn_pool.go: the connections calls
// are spread over; conn_retry.go: the retry classes; conn_transfer.go: the
// connections of volume transfers; refusals.go: what the driver refused for
// good) is unexported. Client's public methods are grouped by object: pool*.go,
// volume*.go, network*.go, domain*.go, console*.go and host*.go.
package hypervisor

import (
	"context"
	"time"

	"github.com/hashicorp/go-hclog"
	"libvirt.org/go/libvirt"
)

// Client is a libvirt connection pool that reopens itself, with typed
// operations on pools, volumes, networks and domains. It is safe for
// concurrent use.
//
// When libvirt reports a connection dead (the daemon restarted, a keepalive
// went unanswered, the SSH or TLS link dropped), the next call reopens it,
// once for all waiting callers, and waits at most the reconnect wait for the
// daemon to come back (conn.go). Each public method states in its body what
// happens to it then: its retry class (conn_retry.go).
type Client struct {
	*shared
	conns *connPool
}

// shared is what every operation of one client shares, whatever connection
// it runs on.
type shared struct {
	uri string
	log hclog.Logger

	pools     poolLocks      // per-pool locks and shared rescans (pool_locks.go)
	refusals  refusals       // what the driver refused for good (refusals.go)
	transfers *transferConns // volume transfer slots and connections (conn_transfer.go)
}

// session is what one operation runs with: the connection its retry class
// chose, and what the client shares. Operations that talk to libvirt are
// methods of session; they make their calls through s.conn().
type session struct {
	*shared
	lv *conn
}

// conn returns the session's libvirt connection, reopened first when libvirt
// reports it dead (see conn.raw).
func (s *session) conn() *libvirt.Connect { return s.lv.raw() }

// session binds an operation to lv.
func (c *Client) session(lv *conn) *session { return &session{shared: c.shared, lv: lv} }

// Open connects to uri and returns within timeout (DefaultOpenTimeout when
// zero), even when the daemon accepts the connection and never answers.
func Open(ctx context.Context, uri string, timeout time.Duration) (*Client, error) {
	if timeout <= 0 {
		timeout = DefaultOpenTimeout
	}
	log := Logger().With("libvirt_uri", redactURI(uri))
	main, err := dialConn(ctx, uri, log, timeout)
	if err != nil {
		return nil, err
	}
	c := &Client{
		shared: &shared{uri: uri, log: log, transfers: newTransferConns(uri, log, timeout)},
		conns:  newConnPool(main),
	}
	c.log.Debug("libvirt connection open")
	return c, nil
}

// URI is the URI the client is connected to.
func (c *Client) URI() string { return c.uri }

// Close closes every connection of the client.
func (c *Client) Close() error {
	if c == nil {
		return nil
	}
	c.transfers.close()
	return c.conns.close()
}

// Alive reports whether the main connection still answers.
func (c *Client) Alive() bool { return c.conns.main.alive() }

// Local reports whether the connection's daemon runs on this host (a URI
// without a host part, such as qemu:///system), so that the guests'
// networks are those of this host.
func (sh *shared) Local() bool { return LocalURI(sh.uri) }

// SetReconnectWait sets how long calls wait for a lost daemon to come back.
// Clients are shared per URI: the last setting wins.
func (c *Client) SetReconnectWait(d time.Duration) { c.conns.setReconnectWait(d) }

// SetConnections sets how many connections calls are spread over,
// counting the main one (1 keeps every call on it; 0 gives the default for
// the URI). Clients are shared per URI: the last setting wins. Extra
// connections above n close once idle.
func (c *Client) SetConnections(n int) { c.conns.setConnections(n) }

// Connections reports how many connections are open for spread calls,
// counting the main one.
func (c *Client) Connections() int { return c.conns.connections() }
