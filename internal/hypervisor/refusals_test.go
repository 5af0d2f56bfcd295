package hypervisor

import (
	"testing"

	"libvirt.org/go/libvirt"
)

// The registry lists every refusal the client keeps. A new one must be added
// here, with what it keeps, so that a reader finds them all in one place.
func TestRegisteredRefusals(t *testing.T) {
	want := map[refusal]string{
		refusalARPSource:     "ARP address source",
		refusalUndefineFlags: "undefine flags",
	}
	if int(numRefusals) != len(want) {
		t.Fatalf("%d refusals registered, the test lists %d", numRefusals, len(want))
	}
	for r := refusal(0); r < numRefusals; r++ {
		if got := r.String(); got == "" || got != want[r] {
			t.Errorf("refusal %d is named %q, want %q", r, got, want[r])
		}
	}
}

// A kept refusal and fallback are what the next call sees, and one refusal
// does not leak into another.
func TestRefusalsKeep(t *testing.T) {
	var rs refusals
	for r := refusal(0); r < numRefusals; r++ {
		if rs.refused(r) != nil || rs.fallback(r) != 0 {
			t.Fatalf("a new registry holds a refusal of %s", r)
		}
	}
	e := &Error{Op: "read the ARP addresses of", Kind: kindDomain, Name: "x", Message: "unsupported"}
	rs.keep(refusalARPSource, e)
	rs.keepFallback(refusalUndefineFlags, 2)
	if rs.refused(refusalARPSource) != e {
		t.Errorf("the ARP source refusal was not kept")
	}
	if rs.refused(refusalUndefineFlags) != nil || rs.fallback(refusalARPSource) != 0 {
		t.Errorf("one refusal leaked into another")
	}
	if got := rs.fallback(refusalUndefineFlags); got != 2 {
		t.Errorf("undefine fallback = %d, want 2", got)
	}
}

// On the test driver (no NVRAM), undefine falls back to the set of flags the
// driver accepts, and the client starts from it the next time.
func TestUndefineKeepsTheAcceptedFlags(t *testing.T) {
	c := testClient(t)
	for _, name := range []string{"unit-undefine-a", "unit-undefine-b"} {
		if _, err := c.DefineDomain(t.Context(), DomainSpec{Name: name, Type: "qemu", MemoryMiB: 16, Kernel: "/k"}); err != nil {
			t.Fatal(err)
		}
		if err := c.UndefineDomain(t.Context(), name); err != nil {
			t.Fatalf("undefine %s: %v", name, err)
		}
		if _, err := c.ReadDomain(t.Context(), name); !IsNotFound(err) {
			t.Fatalf("%s still defined: %v", name, err)
		}
	}
	i := c.refusals.fallback(refusalUndefineFlags)
	if i == 0 {
		t.Fatalf("the test driver accepted every undefine flag; the fallback was not exercised")
	}
	if undefineFlagSets[i]&libvirt.DOMAIN_UNDEFINE_NVRAM != 0 {
		t.Errorf("kept flag set %d still asks for NVRAM, which the test driver refuses", i)
	}
}
