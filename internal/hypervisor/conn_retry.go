package hypervisor

import (
	"context"
	"fmt"
	"time"
)

// Every public call of Client states its retry class in one place, in the
// call that runs it:
//
//	return call(ctx, c, retryRead.on("read", kindDomain, name), func(s *session) (DomainInfo, error) {...})
//	return c.do(ctx, callOnce.on("start", kindNetwork, name), func(s *session) error {...})
//
// fn makes its libvirt calls through the session it is given (s.conn()),
// which is bound to the connection the class chose. Calls that only combine
// other public calls (CreateNetwork, CreateVolumeFrom, ...) have no class of
// their own: each step has its own.

// retryClass says which connection a call runs on and what happens when the
// daemon goes away while it runs (see conn.go).
type retryClass int

const (
	// callOnce runs on the main connection, reopened first when it is dead,
	// and never again: for changes that are not safe to repeat. A lost
	// connection fails the call with libvirt's error.
	callOnce retryClass = iota
	// retryMain runs on the main connection and once more on the reopened
	// one when the connection died while it ran: for calls that are safe to
	// repeat and need the main connection (network and pool changes, which
	// take locks of this process, and console log transfers).
	retryMain
	// retryRead runs on the least busy connection of the pool (conn_pool.go)
	// and, like retryMain, once more when its connection died. Over a network
	// transport the answer is awaited for at most RemoteReadStall (runBounded).
	retryRead
	// retryChange is retryRead for the domain lifecycle calls (define, start,
	// stop, undefine, autostart) and console log deletes, awaited for at most
	// RemoteChangeStall.
	retryChange
)

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

// what names the operation and its object, for errors and logs.
type what struct{ op, kind, name string }

// policy is a retry class applied to one operation.
type policy struct {
	class retryClass
	what
	// extraWait is added to the bound on the wait for an answer (a stop's
	// grace period, during which the call itself waits for the guest).
	extraWait time.Duration
}

// on applies the class to operation op on the object kind name.
func (r retryClass) on(op, kind, name string) policy {
	return policy{class: r, what: what{op, kind, name}}
}

// plus adds d to the bound on the wait for an answer, when there is one.
func (p policy) plus(d time.Duration) policy {
	p.extraWait += d
	return p
}

// do runs fn under policy p (see call).
func (c *Client) do(ctx context.Context, p policy, fn func(s *session) error) error {
	_, err := call(ctx, c, p, func(s *session) (struct{}, error) { return struct{}{}, fn(s) })
	return err
}

// call runs fn under policy p and returns its result.
func call[T any](ctx context.Context, c *Client, p policy, fn func(s *session) (T, error)) (T, error) {
	switch p.class {
	case retryMain:
		return retryOn(ctx, c.session(c.conns.main), p.what, fn)
	case retryRead:
		return runBounded(ctx, c, c.conns.stallFor(RemoteReadStall), p.what, fn)
	case retryChange:
		stall := c.conns.stallFor(RemoteChangeStall)
		if stall > 0 {
			stall += p.extraWait
		}
		return runBounded(ctx, c, stall, p.what, fn)
	default: // callOnce
		return fn(c.session(c.conns.main))
	}
}

// retryOn runs fn on s, with the retry of s's connection on a lost
// connection.
func retryOn[T any](ctx context.Context, s *session, w what, fn func(s *session) (T, error)) (v T, err error) {
	err = s.lv.retry(ctx, w, func() (err error) {
		v, err = fn(s)
		return err
	})
	return v, err
}

// runBounded runs fn on the least busy connection of the pool, with the
// connection's retry on a lost connection, waiting at most stall for the
// answer (no bound when stall is 0). A call without an answer in time sets
// its connection aside: that connection reopens, the abandoned call is left
// to end or not (its connection is never closed under it, and whatever it
// returns goes nowhere), and fn runs once more, which the calls of the
// bounded classes are safe to. A second call without an answer is an error
// of class ErrTimeout. The wait also ends when ctx ends; a call still inside
// its connection then sets it aside as well.
func runBounded[T any](ctx context.Context, c *Client, stall time.Duration, w what, fn func(s *session) (T, error)) (T, error) {
	if stall <= 0 {
		lv, done := c.conns.pick()
		defer done()
		return retryOn(ctx, c.session(lv), w, fn)
	}
	type result struct {
		v   T
		err error
	}
	var zero T
	for attempt := 1; ; attempt++ {
		lv, done := c.conns.pick()
		used := lv.current()
		// Each attempt has its own result: one abandoned that answers late
		// writes nothing the caller sees.
		res := make(chan result, 1)
		go func() {
			defer done()
			var r result
			r.v, r.err = retryOn(ctx, c.session(lv), w, fn)
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
		lv.setAside(used)
		if cancelled {
			return zero, ctxError(ctx, w.op, w.kind, w.name)
		}
		c.log.Warn("a libvirt call got no answer; opening another connection", "op", w.op, "kind", w.kind, "name", w.name,
			"waited", stall.String(), "attempt", attempt)
		if attempt == 2 {
			return zero, &Error{Op: w.op, Kind: w.kind, Name: w.name, Code: ErrTimeout,
				Message: fmt.Sprintf("the daemon did not answer within %s, twice, on different connections", stall)}
		}
	}
}
