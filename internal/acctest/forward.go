package acctest

import (
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// ForwardInto listens on 127.0.0.1 (an ephemeral port) in this process's
// network namespace and forwards each connection to target inside the
// network namespace netns (a name under /run/netns). It lets a test reach a
// daemon that listens only on the loopback of its own namespace, without
// routing anything between namespaces. It returns the local address.
func ForwardInto(t *testing.T, netns, target string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := dialIn(netns, target)
			if err != nil {
				t.Logf("forward to %s in %s: %v", target, netns, err)
				_ = in.Close()
				continue
			}
			wg.Add(2)
			go func() { defer wg.Done(); _, _ = io.Copy(out, in); _ = out.(*net.TCPConn).CloseWrite() }()
			go func() { defer wg.Done(); _, _ = io.Copy(in, out); _ = in.(*net.TCPConn).CloseWrite() }()
		}
	}()
	return l.Addr().String()
}

// dialIn dials target from inside netns: on a locked OS thread that joins the
// namespace for the dial and is then discarded (a socket keeps the namespace
// it was created in).
func dialIn(netns, target string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		f, err := os.Open("/run/netns/" + netns)
		if err != nil {
			done <- result{nil, err}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			done <- result{nil, err}
			return
		}
		c, err := net.Dial("tcp", target)
		done <- result{c, err}
	}()
	r := <-done
	return r.c, r.err
}
