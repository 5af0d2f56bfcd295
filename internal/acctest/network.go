package acctest

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// Network is a libvirt network made for one test outside Terraform (the
// network instances attach to), with the subnet it routes.
type Network struct {
	Name string
	Subnet
}

// TestNetwork creates a running network of the given mode ("nat",
// "isolated", ...) on a subnet from CIDR, with DHCP handing out hosts 100 to
// 200, and removes it when the test ends.
func TestNetwork(t testing.TB, mode string) Network {
	t.Helper()
	return TestNetworkOn(t, mode, CIDR(t))
}

// TestNetworkOn is TestNetwork on a given subnet, for guests whose address
// is fixed when they are built (see SubnetOf).
func TestNetworkOn(t testing.TB, mode string, s Subnet) Network {
	t.Helper()
	c := MustClient(t)
	ctx := context.Background()
	n := Network{Name: RandName("net"), Subnet: s}
	spec := hypervisor.NetworkSpec{Name: n.Name, Mode: mode, IPv4CIDR: s.CIDR(), DHCP: true, NoPing: true,
		DHCPStart: s.Host(100), DHCPEnd: s.Host(200)}
	if _, err := c.CreateNetwork(ctx, spec, false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.DeleteNetwork(ctx, n.Name); err != nil {
			t.Errorf("delete network %s: %v", n.Name, err)
		}
	})
	return n
}

// SubnetOf is a fixed /24 outside the registry's range, for a guest whose
// address was built into it by its authors (a third-party test image). The
// test holds the subnet's lock file until it ends, waiting while another test
// (of this process or another) holds it, so tests of one fixed subnet run one
// at a time.
func SubnetOf(t testing.TB, cidr string) Subnet {
	t.Helper()
	p, err := netip.ParsePrefix(cidr)
	if err != nil || p.Bits() != 24 || !p.Addr().Is4() || p.Masked() != p {
		t.Fatalf("SubnetOf(%q): want an IPv4 /24", cidr)
	}
	if p.Overlaps(SubnetRange) {
		t.Fatalf("SubnetOf(%q): overlaps the registry's range %s; use CIDR(t)", cidr, SubnetRange)
	}
	dir := SubnetLockDir()
	if err := os.MkdirAll(dir, 0o1777); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, p.Addr().String()+".lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		_ = f.Close()
		t.Fatalf("lock subnet %s: %v", p, err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return Subnet{p}
}
