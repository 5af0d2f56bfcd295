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
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	// Connections outlive the test's last step (the provider keeps its
	// connection): the cleanup closes them.
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
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
			mu.Lock()
			conns = append(conns, in, out)
			mu.Unlock()
			wg.Add(2)
			go func() { defer wg.Done(); _, _ = io.Copy(out, in); _ = out.(*net.TCPConn).CloseWrite() }()
			go func() { defer wg.Done(); _, _ = io.Copy(in, out); _ = in.(*net.TCPConn).CloseWrite() }()
		}
	}()
	return l.Addr().String()
}

// dialIn dials target from inside netns: on a locked OS thread that joins the
// namespace for the dial and returns to its own namespace afterwards (a
// socket keeps the namespace it was created in). The thread must not end
// with the goroutine: a child process started from it earlier (Terraform,
// with a parent-death signal) would be killed.
func dialIn(netns, target string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		self, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{nil, err}
			return
		}
		defer self.Close()
		f, err := os.Open("/run/netns/" + netns)
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{nil, err}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			done <- result{nil, err}
			return
		}
		c, err := net.Dial("tcp", target)
		if rerr := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); rerr == nil {
			runtime.UnlockOSThread()
		} // else the thread stays locked and ends with the goroutine: it is in the wrong namespace
		done <- result{c, err}
	}()
	r := <-done
	return r.c, r.err
}
