package validators

import (
	"strings"
	"testing"
)

func TestNameAndPathValidators(t *testing.T) {
	for s, ok := range map[string]bool{
		"kernel.elf": true, "a-b_c.1": true, ".hidden": true, "..": false, "a..b": false, ".": false,
		"a/b": false, "a b": false, "é": false, "": false,
	} {
		if run(ImageName(), s) != ok {
			t.Errorf("image name %q: want ok=%v", s, ok)
		}
	}
	for s, ok := range map[string]bool{"images": true, "a b": true, "a/b": false, "": false, "a\nb": false,
		strings.Repeat("p", 129): false} {
		if run(PoolName(), s) != ok {
			t.Errorf("pool name %q: want ok=%v", s, ok)
		}
	}
	for s, ok := range map[string]bool{"/var/lib/images": true, "/": false, "rel": false, "/a/": false, "/a/../b": false, "/a//b": false} {
		if run(PoolPath(), s) != ok {
			t.Errorf("pool path %q: want ok=%v", s, ok)
		}
	}
}

func TestPoolNameRule(t *testing.T) {
	for s, ok := range map[string]bool{
		"images": true, "unikernel-console": true, "a b": true, "é": true, strings.Repeat("p", 128): true,
		".": false, "..": false, "a/b": false, "": false, "a\tb": false, "a\x7fb": false, strings.Repeat("p", 129): false,
	} {
		if got := run(PoolName(), s); got != ok {
			t.Errorf("PoolName(%q) valid = %v, want %v", s, got, ok)
		}
	}
}

func TestPoolPathRule(t *testing.T) {
	for s, ok := range map[string]bool{
		"/var/lib/unikernel/console": true, "/a b": true, "/": false, "/..": false, "/a\x00b": false, "a": false,
	} {
		if got := run(PoolPath(), s); got != ok {
			t.Errorf("PoolPath(%q) valid = %v, want %v", s, got, ok)
		}
	}
}
