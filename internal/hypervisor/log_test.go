package hypervisor

import (
	"context"
	"testing"
)

func TestRedactURI(t *testing.T) {
	for in, want := range map[string]string{
		"qemu:///system": "qemu:///system",
		"qemu+ssh://root@h/system?keyfile=/root/.ssh/k": "qemu+ssh://root@h/system?...",
		"qemu+tls://h:16514/system?pkipath=/p":          "qemu+tls://h:16514/system?...",
	} {
		if got := redactURI(in); got != want {
			t.Errorf("redactURI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCtxErrorIsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := ctxError(ctx, "upload to", kindVolume, "p/v")
	if !IsCancelled(err) {
		t.Errorf("IsCancelled(%v) = false", err)
	}
	if want := `unable to upload to storage volume "p/v": the operation was cancelled`; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
}

// On the test driver the connection never dies: retry runs fn exactly once,
// and hands back its error unchanged.
func TestRetryRunsOnceOnLiveConnection(t *testing.T) {
	c := testClient(t)
	n := 0
	err := c.do(context.Background(), retryMain.on("read", kindDomain, "x"), func(s *session) error {
		n++
		_, err := s.conn().LookupDomainByName("no-such-domain")
		return wrap(err, "look up", kindDomain, "x")
	})
	if n != 1 || !IsNotFound(err) {
		t.Errorf("ran %d times, err %v; want once and not found", n, err)
	}
}

// A closed client answers with an error, never a panic, and does not reopen.
func TestClosedClientFails(t *testing.T) {
	c, err := Open(context.Background(), "test:///default", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DomainNames(context.Background()); err == nil {
		t.Error("a closed client listed domains")
	}
	if c.Alive() {
		t.Error("a closed client is alive")
	}
}
