package hypervisor

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"libvirt.org/go/libvirt"
)

// stallClient is a test driver client whose reads give up after stall, with
// every read on the main connection.
func stallClient(t *testing.T, stall time.Duration) *Client {
	t.Helper()
	c := testClient(t)
	c.SetConnections(1)
	c.conns.mu.Lock()
	c.conns.stall, c.conns.stallSet = stall, true
	c.conns.mu.Unlock()
	return c
}

func current(c *Client) *libvirt.Connect { return c.conns.main.current() }

// A read that gets no answer sets its connection aside without closing it
// (the call is still inside) and runs again on a new connection.
func TestBoundedReadSetsAnUnansweredConnectionAside(t *testing.T) {
	c := stallClient(t, 100*time.Millisecond)
	first := current(c)
	release := make(chan struct{})
	var calls atomic.Int32
	late := make(chan struct{})
	got, err := call(t.Context(), c, retryRead.on("read", "test object", "x"), func(s *session) (string, error) {
		if calls.Add(1) == 1 {
			<-release
			defer close(late)
			return "late answer", nil
		}
		// The repeat must not run on the connection set aside.
		if s.conn() == first {
			return "", errors.New("the repeat ran on the connection that was set aside")
		}
		return "answer", nil
	})
	if err != nil || got != "answer" {
		t.Fatalf("a bounded read = %q, %v; want the repeat's answer", got, err)
	}
	if now := current(c); now == first || !alive(now) {
		t.Errorf("the client did not move to a new, live connection")
	}
	if !alive(first) {
		t.Errorf("the connection set aside was closed while a call was inside it")
	}
	// The abandoned call ends; its answer goes nowhere.
	close(release)
	<-late
	// Later reads use the new connection and need no repeat.
	if _, err := c.ReadPool(t.Context(), "default-pool"); err != nil {
		t.Errorf("a read after the repeat: %v", err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("the read ran %d times, want 2", n)
	}
}

// Two reads in a row without an answer are an error that names the object,
// the operation and the wait.
func TestBoundedReadGivesUpAfterTwoUnansweredTries(t *testing.T) {
	c := stallClient(t, 50*time.Millisecond)
	release := make(chan struct{})
	defer close(release)
	_, err := call(t.Context(), c, retryRead.on("read the leases of", "network", "n1"), func(s *session) (int, error) {
		<-release
		return 1, nil
	})
	var e *Error
	if !errors.As(err, &e) || e.Code != ErrTimeout {
		t.Fatalf("err = %v, want an ErrTimeout error", err)
	}
	for _, want := range []string{"read the leases of", "n1", "50ms", "twice"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// The wait for an answer ends with the caller's context, before the stall
// bound.
func TestBoundedReadEndsWithTheContext(t *testing.T) {
	c := stallClient(t, time.Hour)
	release := make(chan struct{})
	defer close(release)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := call(ctx, c, retryRead.on("read", "domain", "d1"), func(s *session) (int, error) {
		<-release
		return 1, nil
	})
	if err == nil || !strings.Contains(err.Error(), "d1") {
		t.Fatalf("err = %v, want the context's error naming the domain", err)
	}
	if waited := time.Since(start); waited > 10*time.Second {
		t.Errorf("a bounded read returned %s after its context ended", waited)
	}
}

// Calls on a local daemon are not bounded; over a network transport they
// are.
func TestStallByTransport(t *testing.T) {
	for uri, want := range map[string]time.Duration{
		"qemu:///system":                 0,
		"test:///default":                0,
		"qemu+ssh://root@host/system":    RemoteReadStall,
		"xen+ssh://root@dom0/system":     RemoteReadStall,
		"qemu+tls://host.example/system": RemoteReadStall,
	} {
		if got := (&connPool{uri: uri}).stallFor(RemoteReadStall); got != want {
			t.Errorf("stallFor(%s) = %s, want %s", uri, got, want)
		}
	}
}
