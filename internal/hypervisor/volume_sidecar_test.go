package hypervisor

import (
	"regexp"
	"testing"
)

// Sidecar names are fixed per object, differ between kinds, pools and
// names, and are safe volume names whatever the object's name holds.
func TestSidecarName(t *testing.T) {
	a := SidecarName(SidecarNetwork, "", "web")
	if a != SidecarName(SidecarNetwork, "", "web") {
		t.Error("the name is not stable")
	}
	seen := map[string]bool{a: true}
	for _, n := range []string{SidecarName(SidecarVolume, "", "web"), SidecarName(SidecarImage, "p", "web"),
		SidecarName(SidecarImage, "q", "web"), SidecarName(SidecarNetwork, "", "web2"), SidecarName(SidecarImage, "p", "../x/y z")} {
		if seen[n] {
			t.Errorf("name %s given twice", n)
		}
		seen[n] = true
		if !regexp.MustCompile(`^create-(network|image|volume)-[0-9a-f]{16}\.json$`).MatchString(n) {
			t.Errorf("name %q", n)
		}
	}
}
