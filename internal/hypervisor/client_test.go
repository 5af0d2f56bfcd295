package hypervisor

import (
	"context"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// These tests use libvirt's in-process test driver: fast, no daemon. They
// cover the adapter's calls and error mapping, not real guests.
const testURI = "test:///default"

func testClient(t *testing.T) *Client {
	t.Helper()
	c, err := Open(context.Background(), testURI, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestOpenBadURI(t *testing.T) {
	_, err := Open(context.Background(), "bogus://nowhere/system", 5*time.Second)
	if err == nil {
		t.Fatal("expected an error")
	}
	var e *Error
	if !asError(err, &e) || e.Name != "bogus://nowhere/system" {
		t.Errorf("error should name the URI: %v", err)
	}
}

// A daemon that accepts the connection and never answers must not hang Open.
func TestOpenSilentDaemonTimesOut(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "silent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // hold it open, say nothing
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	start := time.Now()
	_, err = Open(context.Background(), "qemu+unix:///system?socket="+sock, 500*time.Millisecond)
	if err == nil {
		t.Fatal("expected a timeout")
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("Open took %s with a 500ms timeout", el)
	}
	var e *Error
	if !asError(err, &e) || e.Code != ErrTimeout {
		t.Errorf("want ErrTimeout, got %v", err)
	}
}

func TestHostOnTestDriver(t *testing.T) {
	c := testClient(t)
	h, err := c.Host(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if h.Driver != "TEST" || h.CPUs <= 0 || h.MemoryMiB <= 0 || h.Hostname == "" {
		t.Errorf("unexpected host facts: %+v", h)
	}
	if len(h.Networks) == 0 || len(h.Pools) == 0 {
		t.Errorf("the test driver has a default network and pool: %+v", h)
	}
}

func TestDomainLifecycleOnTestDriver(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	name := "unit-dom-1"
	if _, err := c.ReadDomain(ctx, name); !IsNotFound(err) {
		t.Fatalf("ReadDomain of a missing domain: want not-found, got %v", err)
	}
	spec := DomainSpec{Name: name, Type: "qemu", MemoryMiB: 32, VCPUs: 2, Kernel: "/k", Cmdline: "a=b",
		Interfaces: []InterfaceSpec{{Network: "default", MAC: "52:54:00:12:34:56"}}}
	uuid, err := c.DefineDomain(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.UndefineDomain(ctx, name) })
	if got, err := c.LookupDomainName(ctx, uuid); err != nil || got != name {
		t.Errorf("LookupDomainName(uuid) = %q, %v", got, err)
	}
	if err := c.StartDomain(ctx, name); err != nil {
		t.Fatal(err)
	}
	if err := c.StartDomain(ctx, name); err != nil {
		t.Errorf("starting a running domain: %v", err)
	}
	info, err := c.ReadDomain(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if info.State != StateRunning || info.Spec.MemoryMiB != 32 || info.Spec.VCPUs != 2 || info.Spec.Cmdline != "a=b" {
		t.Errorf("unexpected domain info: %+v", info)
	}
	if len(info.Spec.Interfaces) != 1 || info.Spec.Interfaces[0].MAC != "52:54:00:12:34:56" {
		t.Errorf("interfaces: %+v", info.Spec.Interfaces)
	}
	if err := c.SetDomainAutostart(ctx, name, true); err != nil {
		t.Fatal(err)
	}
	if err := c.StopDomain(ctx, name, 0); err != nil {
		t.Fatal(err)
	}
	if err := c.StopDomain(ctx, name, 0); err != nil {
		t.Errorf("stopping a stopped domain: %v", err)
	}
	info, err = c.ReadDomain(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if info.State != StateShutoff || !info.Autostart {
		t.Errorf("after stop: %+v", info)
	}
	if err := c.UndefineDomain(ctx, name); err != nil {
		t.Fatal(err)
	}
	if err := c.UndefineDomain(ctx, name); err != nil {
		t.Errorf("undefining a missing domain: %v", err)
	}
	if err := c.StartDomain(ctx, name); !IsNotFound(err) {
		t.Errorf("StartDomain of a missing domain: want not-found, got %v", err)
	}
}

func TestNetworkLifecycleOnTestDriver(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	spec := NetworkSpec{Name: "unit-net-1", Mode: "nat", IPv4CIDR: "10.250.1.0/24", DHCP: true,
		DHCPStart: "10.250.1.10", DHCPEnd: "10.250.1.20"}
	if _, err := c.CreateNetwork(ctx, spec, true); err != nil {
		t.Fatal(err)
	}
	h, err := c.Host(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range h.Networks {
		found = found || n == spec.Name
	}
	if !found {
		t.Errorf("network not listed: %v", h.Networks)
	}
	if err := c.DeleteNetwork(ctx, spec.Name); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteNetwork(ctx, spec.Name); err != nil {
		t.Errorf("deleting a missing network: %v", err)
	}
	if _, err := c.Leases(ctx, spec.Name); !IsNotFound(err) {
		t.Errorf("Leases of a missing network: want not-found, got %v", err)
	}
}

// The test driver keeps one connection: a test:///path URI gives every
// connection a host of its own.
func TestConnectionsTestDriver(t *testing.T) {
	c, err := Open(context.Background(), "test:///default", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.ReadDomain(context.Background(), "test"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	time.Sleep(100 * time.Millisecond)
	if n := c.Connections(); n != 1 {
		t.Errorf("test driver: %d read connections, want 1", n)
	}
}
