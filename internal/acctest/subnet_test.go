package acctest

import (
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
)

// TestCIDR_noTwoAllocationsOverlap allocates from many goroutines at once,
// the way parallel tests do, and holds every subnet: no two may overlap, and
// all lie in SubnetRange.
func TestCIDR_noTwoAllocationsOverlap(t *testing.T) {
	dir := t.TempDir()
	const n = 400
	got := make([]Subnet, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, release, err := allocSubnet(dir, nil)
			if err != nil {
				t.Error(err)
				return
			}
			t.Cleanup(release)
			got[i] = s
		}()
	}
	wg.Wait()
	for i := range got {
		if !SubnetRange.Contains(got[i].p.Addr()) || got[i].p.Bits() != 24 {
			t.Fatalf("allocation %s is not a /24 of %s", got[i], SubnetRange)
		}
		for j := i + 1; j < len(got); j++ {
			if got[i].p.Overlaps(got[j].p) {
				t.Fatalf("allocations %d and %d overlap: %s and %s", i, j, got[i], got[j])
			}
		}
	}
}

// TestCIDR_skipsSubnetsLockedByAnotherSuite: a subnet locked through its lock
// file (by another test process) is never handed out, and once this process
// gives a subnet back it can be handed out again.
func TestCIDR_skipsSubnetsLockedByAnotherSuite(t *testing.T) {
	dir := t.TempDir()
	// Another suite holds every /24 but the last one.
	for i := range subnetCount() - 1 {
		if i%512 == 0 || i == subnetCount()-2 { // a sample is enough to prove the rule...
			f, err := lockSubnet(dir, nthSubnet(i))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = f.Close() })
		}
	}
	// ...and interface addresses make the rest of the range taken.
	var taken []netip.Prefix
	for i := range subnetCount() - 1 {
		if i%512 != 0 && i != subnetCount()-2 {
			taken = append(taken, nthSubnet(i))
		}
	}
	last := nthSubnet(subnetCount() - 1)
	s, release, err := allocSubnet(dir, taken)
	if err != nil {
		t.Fatal(err)
	}
	if s.p != last {
		t.Fatalf("got %s, want the only free subnet %s", s, last)
	}
	if _, _, err := allocSubnet(dir, taken); err == nil {
		t.Fatal("a second allocation succeeded with the whole range in use")
	}
	if _, err := lockSubnet(dir, last); err == nil {
		t.Fatal("another process could lock a subnet this process holds")
	}
	release()
	s2, release2, err := allocSubnet(dir, taken)
	if err != nil {
		t.Fatalf("subnet not free again after release: %v", err)
	}
	defer release2()
	if s2.p != last {
		t.Fatalf("got %s after release, want %s", s2, last)
	}
}

// TestSubnet_derivedAddresses: tests derive every address from their subnet.
func TestSubnet_derivedAddresses(t *testing.T) {
	s := Subnet{netip.MustParsePrefix("10.131.7.0/24")}
	for got, want := range map[string]string{
		s.String():                            "10.131.7.0/24",
		s.CIDR():                              "10.131.7.0/24",
		s.Prefix():                            "10.131.7",
		s.Gateway():                           "10.131.7.1",
		s.Host(60):                            "10.131.7.60",
		s.HostCIDR(60):                        "10.131.7.60/24",
		s.Netmask():                           "255.255.255.0",
		s.IPv6():                              "fd0a:131:7::/64",
		nthSubnet(0).String():                 "10.128.0.0/24",
		nthSubnet(subnetCount() - 1).String(): "10.159.255.0/24",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

// TestSubnetRange_disjointFromLiterals: a CIDR literal left in a test file
// (deliberately invalid input, or a pure unit test) must never overlap the
// range the registry hands out.
func TestSubnetRange_disjointFromLiterals(t *testing.T) {
	cidr := regexp.MustCompile(`\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}/\d{1,2}\b`)
	files, err := filepath.Glob(filepath.Join("..", "provider", "*_test.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no provider test files found: %v", err)
	}
	own, _ := filepath.Glob("*_test.go")
	for _, f := range append(files, own...) {
		if filepath.Base(f) == "subnet_test.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, lit := range cidr.FindAllString(string(b), -1) {
			p, err := netip.ParsePrefix(lit)
			if err != nil {
				continue // deliberately malformed
			}
			if p.Overlaps(SubnetRange) {
				t.Errorf("%s: literal %s overlaps the test subnet range %s; take it from acctest.CIDR(t)", f, lit, SubnetRange)
			}
		}
	}
}
