package hypervisor_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// Network speed on the real daemon (`make bench`). Each benchmark uses its own
// /24 of 10.214.200.0/22.

func benchClient(b *testing.B) *hypervisor.Client {
	b.Helper()
	acctest.PreCheck(b)
	c, err := acctest.Client(b)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkNetworkCreate: define, start and autostart a NAT network with DHCP
// and a reservation (the overlap check included). Deleting is not timed.
func BenchmarkNetworkCreate(b *testing.B) {
	c := benchClient(b)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		name := acctest.RandName("bench")
		spec := hypervisor.NetworkSpec{Name: name, Mode: "nat", IPv4CIDR: "10.214.200.0/24", DHCP: true, NoPing: true,
			Hosts: []hypervisor.DHCPHost{{MAC: "52:54:00:14:c8:01", IPv4: "10.214.200.10"}}}
		if _, err := c.CreateNetwork(ctx, spec, true); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := c.DeleteNetwork(ctx, name); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkNetworkDelete: stop and undefine a running network.
func BenchmarkNetworkDelete(b *testing.B) {
	c := benchClient(b)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		name := acctest.RandName("bench")
		if _, err := c.CreateNetwork(ctx, hypervisor.NetworkSpec{Name: name, Mode: "nat", IPv4CIDR: "10.214.201.0/24", DHCP: true}, false); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := c.DeleteNetwork(ctx, name); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNetworkLiveUpdate: one live reservation change on a running
// network (remove the old entry, add the new one, live and persistent), as
// an update of `hosts` does it.
func BenchmarkNetworkLiveUpdate(b *testing.B) {
	c := benchClient(b)
	ctx := context.Background()
	name := acctest.RandName("bench")
	host := hypervisor.DHCPHost{MAC: "52:54:00:14:ca:01", IPv4: "10.214.202.10"}
	if _, err := c.CreateNetwork(ctx, hypervisor.NetworkSpec{Name: name, Mode: "nat", IPv4CIDR: "10.214.202.0/24", DHCP: true,
		Hosts: []hypervisor.DHCPHost{host}}, false); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.DeleteNetwork(ctx, name) })
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		next := hypervisor.DHCPHost{MAC: host.MAC, IPv4: fmt.Sprintf("10.214.202.%d", 11+i%100)}
		if next == host {
			next.IPv4 = "10.214.202.120"
		}
		if err := c.UpdateNetworkHosts(ctx, name, hypervisor.NetworkHostsChange{
			RemoveDHCP: []hypervisor.DHCPHost{host}, AddDHCP: []hypervisor.DHCPHost{next},
		}); err != nil {
			b.Fatal(err)
		}
		host = next
	}
}

// BenchmarkNetworkMicroVMReservedLease: a microVM with a reserved MAC from
// define+start until it reports its (reserved) address. Needs the harness
// namespace.
func BenchmarkNetworkMicroVMReservedLease(b *testing.B) {
	c := benchClient(b)
	acctest.RequireHarnessNetns(b)
	guests := acctest.TestGuests(b)
	ctx := context.Background()
	name := acctest.RandName("bench")
	const mac, ip = "52:54:00:14:cb:01", "10.214.203.10"
	if _, err := c.CreateNetwork(ctx, hypervisor.NetworkSpec{Name: name, Mode: "nat", IPv4CIDR: "10.214.203.0/24", DHCP: true,
		NoPing: true, Hosts: []hypervisor.DHCPHost{{MAC: mac, IPv4: ip}}}, false); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.DeleteNetwork(ctx, name) })
	ready := regexp.MustCompile(acctest.MicroVMReady)
	dir := b.TempDir()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		vm := acctest.RandName("vm")
		log := filepath.Join(dir, vm+".log")
		if _, err := c.DefineDomain(ctx, hypervisor.DomainSpec{
			Name: vm, Type: acctest.Hypervisor(), MemoryMiB: 128, VCPUs: 1,
			Kernel: guests.MicroVMKernel, Initrd: guests.MicroVMInitrd, Cmdline: "console=ttyS0 panic=-1 quiet",
			ConsoleLog: log, Interfaces: []hypervisor.InterfaceSpec{{Network: name, MAC: mac}},
		}); err != nil {
			b.Fatal(err)
		}
		if err := c.StartDomain(ctx, vm); err != nil {
			b.Fatal(err)
		}
		m := waitConsoleB(b, log, ready, 120*time.Second)
		b.StopTimer()
		if m[1] != ip {
			b.Errorf("guest got %s, want %s", m[1], ip)
		}
		_ = c.StopDomain(ctx, vm, 0)
		_ = c.UndefineDomain(ctx, vm)
		b.StartTimer()
	}
}

func waitConsoleB(b *testing.B, path string, re *regexp.Regexp, timeout time.Duration) []string {
	b.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if data, err := os.ReadFile(path); err == nil {
			if m := re.FindStringSubmatch(completeLines(data)); m != nil {
				return m
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.Fatalf("console %s did not match %q within %s", path, re, timeout)
	return nil
}
