package acctest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// TestAccLeakChecker leaves a domain, a network reservation by that
// domain's MAC on a network that is not the test's own, and a console log
// file behind on purpose, and proves that the checker finds each of them by
// the test's names, that it ignores objects of other names and a reservation
// of the same MAC on another network, and that RemoveLeaks leaves nothing.
func TestAccLeakChecker(t *testing.T) {
	PreCheck(t)
	c, err := Client(t)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// The "foreign" network stands for a network someone else owns: its name
	// is not one of the names checked below.
	foreign := RandName("foreign")
	lan := CIDR(t)
	if _, err := c.CreateNetwork(ctx, hypervisor.NetworkSpec{Name: foreign, Mode: "isolated",
		IPv4CIDR: lan.CIDR(), DHCP: true, NoPing: true}, false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteNetwork(ctx, foreign) })
	// Another test's network with a reservation for the same MAC: that one is not this test's.
	other := RandName("other")
	otherLAN := CIDR(t)
	if _, err := c.CreateNetwork(ctx, hypervisor.NetworkSpec{Name: other, Mode: "isolated",
		IPv4CIDR: otherLAN.CIDR(), DHCP: true, NoPing: true}, false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteNetwork(ctx, other) })

	name := RandName("leak")
	mac := "52:54:00:22:01:07"
	if _, err := c.DefineDomain(ctx, hypervisor.DomainSpec{Name: name, Type: Hypervisor(), MemoryMiB: 16,
		Kernel: "/nonexistent", Interfaces: []hypervisor.InterfaceSpec{{Network: foreign, MAC: mac}}}); err != nil {
		t.Fatal(err)
	}
	if err := c.AddDHCPHost(ctx, foreign, hypervisor.DHCPHost{MAC: mac, IPv4: lan.Host(7)}); err != nil {
		t.Fatal(err)
	}
	if err := c.AddDHCPHost(ctx, other, hypervisor.DHCPHost{MAC: mac, IPv4: otherLAN.Host(7)}); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(ConsoleDir, 0o700); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(ConsoleDir, name+".log")
	if err := os.WriteFile(logFile, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}

	leaks, err := FindLeaks(ctx, []string{name}, map[string]string{MACKey(foreign, mac): name})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, l := range leaks {
		kinds[l.Kind] = true
		if l.Kind == "network" || strings.Contains(l.Name, foreign) && l.Kind != "dhcp-host" {
			t.Errorf("the foreign network was blamed: %s", l)
		}
		if l.Pool == other || strings.Contains(l.Name, other) {
			t.Errorf("another network's reservation of the same MAC was blamed: %s", l)
		}
	}
	for _, k := range []string{"domain", "dhcp-host", "console-log"} {
		if !kinds[k] {
			t.Errorf("the checker missed the leftover %s; it found %v", k, leaks)
		}
	}
	if err := RemoveLeaks(ctx, leaks); err != nil {
		t.Fatal(err)
	}
	left, err := FindLeaks(ctx, []string{name}, map[string]string{MACKey(foreign, mac): name})
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("left after RemoveLeaks: %v", left)
	}
	if _, err := os.Stat(logFile); !os.IsNotExist(err) {
		t.Errorf("console log %s still there (%v)", logFile, err)
	}
}

// TestLeakRegistryShared proves the attribution rule: a name handed out
// while two tests are tracked belongs to both, and is not checked by the
// first to end while the other still runs.
func TestLeakRegistryShared(t *testing.T) {
	a := &Tracker{}
	b := &Tracker{}
	leakRegistry.Lock()
	leakRegistry.active[a], leakRegistry.active[b] = true, true
	leakRegistry.Unlock()
	n := RandName("shared")
	if !containsAny(n, a.Names()) || !containsAny(n, b.Names()) {
		t.Fatalf("%s not registered with both trackers", n)
	}
	leakRegistry.Lock()
	delete(leakRegistry.active, a)
	leakRegistry.Unlock()
	if !ownedByActive(n + "-0") {
		t.Error("a name of a running test must count as owned by it")
	}
	leakRegistry.Lock()
	delete(leakRegistry.active, b)
	delete(leakRegistry.owners, n)
	leakRegistry.Unlock()
	if ownedByActive(n) {
		t.Error("no test runs any more")
	}
}

// A create marker file is recognised by its name and content, and names the
// object it is of, so that a killed create's marker of a test object counts
// as that test's leak; other files are not markers.
func TestCreateMarkerOf(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	marker := write(hypervisor.SidecarName(hypervisor.SidecarImage, "p", Prefix+"img"),
		`{"kind":"image","pool":"p","name":"`+Prefix+`img","marker":{"id":"a","state":"in-flight"}}`)
	if about, ok := createMarkerOf(marker); !ok || about != "image p/"+Prefix+"img" {
		t.Errorf("createMarkerOf(marker) = %q, %v", about, ok)
	}
	for _, p := range []string{write(Prefix+"x.log", "console"), write("create-network-0123456789abcdef.json", "not JSON")} {
		if about, ok := createMarkerOf(p); ok {
			t.Errorf("createMarkerOf(%s) = %q, true; want no marker", p, about)
		}
	}
	if o := (Object{Kind: "create-marker", Name: marker, About: "image p/" + Prefix + "img"}); !strings.Contains(o.text(), Prefix) || !strings.Contains(o.String(), "killed create") {
		t.Errorf("object %q, text %q", o.String(), o.text())
	}
}
