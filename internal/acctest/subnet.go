package acctest

// The registry of test subnets. Every acceptance test that gives a network
// an address range takes it from CIDR, never from a literal: tests of one
// binary run in parallel, and several test binaries (other checkouts, other
// suites) share one libvirtd, so two hand-picked ranges that happen to
// overlap make libvirt refuse the second network, or worse, route a guest's
// packets to another test's bridge.
//
// The registry hands out /24s of SubnetRange. A /24 belongs to one test
// until it ends: inside this process a table says so, and across processes
// an exclusive flock(2) on a file named after the subnet in SubnetLockDir
// (the kernel drops the lock when the process dies, so a crashed run never
// blocks a subnet). A /24 that is already an address of an interface in this
// network namespace (the bridge of a network someone left behind) is skipped.

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
)

// SubnetRange is where test subnets come from. No literal CIDR in a test file
// may overlap it (TestSubnetRange_disjointFromLiterals checks that).
var SubnetRange = netip.MustParsePrefix("10.128.0.0/11")

// SubnetLockDir holds one lock file per subnet in use by a test process.
func SubnetLockDir() string {
	if d := os.Getenv("UNIKERNEL_SUBNET_LOCKS"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "unikernel-acc-subnets")
}

// Subnet is an IPv4 /24 owned by one test, with the addresses tests derive
// from it: its gateway (host 1, the address libvirt gives the bridge), host
// N, and a matching IPv6 /64.
type Subnet struct{ p netip.Prefix }

// String is the CIDR, e.g. "10.131.7.0/24".
func (s Subnet) String() string { return s.p.String() }

// CIDR is the CIDR, e.g. "10.131.7.0/24" (the same as String).
func (s Subnet) CIDR() string { return s.p.String() }

// Prefix is the first three octets, e.g. "10.131.7", for HCL that builds
// addresses itself ("${prefix}.${count.index + 10}").
func (s Subnet) Prefix() string {
	a := s.p.Addr().As4()
	return fmt.Sprintf("%d.%d.%d", a[0], a[1], a[2])
}

// Host is the address of host n (1 to 254) in the subnet, e.g. "10.131.7.60".
func (s Subnet) Host(n int) string {
	if n < 1 || n > 254 {
		panic(fmt.Sprintf("acctest: host %d is not a host of a /24", n))
	}
	return fmt.Sprintf("%s.%d", s.Prefix(), n)
}

// HostCIDR is host n with the subnet's prefix length, e.g. "10.131.7.60/24",
// the form guests take on their kernel command line.
func (s Subnet) HostCIDR(n int) string { return s.Host(n) + "/24" }

// Gateway is host 1, the address libvirt gives the network's bridge.
func (s Subnet) Gateway() string { return s.Host(1) }

// Broadcast is the subnet's broadcast address (host 255), never a host's.
func (s Subnet) Broadcast() string { return s.Prefix() + ".255" }

// Netmask is the subnet's mask in dotted form.
func (s Subnet) Netmask() string { return "255.255.255.0" }

// IPv6 is a unique-local /64 derived from the IPv4 subnet
// (10.131.7.0/24 gives fd0a:131:7::/64), for dual-stack networks.
func (s Subnet) IPv6() string {
	a := s.p.Addr().As4()
	return fmt.Sprintf("fd0a:%d:%d::/64", a[1], a[2])
}

// subnets is this process's table of subnets in use, with their locks.
var subnets = struct {
	sync.Mutex
	held map[netip.Prefix]*os.File
}{held: map[netip.Prefix]*os.File{}}

// CIDR hands the test a /24 that no other running test (of this process or
// another on this host) holds, and gives it back when the test ends. It fails
// the test when the whole range is taken.
func CIDR(t testing.TB) Subnet {
	t.Helper()
	s, release, err := allocSubnet(SubnetLockDir(), hostPrefixes())
	if err != nil {
		t.Fatalf("no test subnet free: %v", err)
	}
	t.Cleanup(release)
	return s
}

// subnetCount is the number of /24s in SubnetRange.
func subnetCount() int { return 1 << (24 - SubnetRange.Bits()) }

// nthSubnet is the i-th /24 of SubnetRange.
func nthSubnet(i int) netip.Prefix {
	a := SubnetRange.Masked().Addr().As4()
	base := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8
	v := base + uint32(i)<<8
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), 0}), 24)
}

// allocSubnet takes the first free /24, starting at a random one so that
// processes starting together rarely race for the same lock file. A /24 is
// free when this process does not hold it, no interface address in taken
// falls into it, and its lock file in dir can be locked.
func allocSubnet(dir string, taken []netip.Prefix) (Subnet, func(), error) {
	if err := os.MkdirAll(dir, 0o1777); err != nil {
		return Subnet{}, nil, err
	}
	subnets.Lock()
	defer subnets.Unlock()
	n := subnetCount()
	start := rand.IntN(n)
	for k := range n {
		p := nthSubnet((start + k) % n)
		if _, mine := subnets.held[p]; mine || overlapsAny(p, taken) {
			continue
		}
		f, err := lockSubnet(dir, p)
		if errors.Is(err, syscall.EWOULDBLOCK) {
			continue
		}
		if err != nil {
			return Subnet{}, nil, err
		}
		subnets.held[p] = f
		return Subnet{p}, func() { releaseSubnet(p) }, nil
	}
	return Subnet{}, nil, fmt.Errorf("all %d /24s of %s are in use", n, SubnetRange)
}

// lockSubnet opens the lock file of p and locks it without waiting.
func lockSubnet(dir string, p netip.Prefix) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, p.Addr().String()+".lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

func releaseSubnet(p netip.Prefix) {
	subnets.Lock()
	defer subnets.Unlock()
	if f := subnets.held[p]; f != nil {
		_ = f.Close() // closing drops the flock
	}
	delete(subnets.held, p)
}

func overlapsAny(p netip.Prefix, others []netip.Prefix) bool {
	for _, o := range others {
		if p.Overlaps(o) {
			return true
		}
	}
	return false
}

// hostPrefixes are the IPv4 networks of this namespace's interfaces.
func hostPrefixes() []netip.Prefix {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Prefix
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Is4() {
			out = append(out, p.Masked())
		}
	}
	return out
}
