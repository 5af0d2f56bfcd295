package provider

import (
	"strings"
	"testing"
)

// A start failure of QEMU on a path it may not open is explained: the user,
// the path, the confinement and the fix. Other errors get nothing.
func TestPermissionHint(t *testing.T) {
	msg := "start domain tf-acc-x: internal error: qemu unexpectedly closed the monitor: " +
		"qemu-system-x86_64: could not open kernel file '/root/build/kernel.elf': Permission denied"
	got := permissionHint(msg, "uid 64055, gid 64055", []string{"apparmor", "dac"})
	for _, want := range []string{"uid 64055, gid 64055", "/root/build/kernel.elf", "apparmor", "unikernel_image", "searchable"} {
		if !strings.Contains(got, want) {
			t.Errorf("hint %q lacks %q", got, want)
		}
	}
	if got := permissionHint(msg, "", []string{"dac"}); !strings.Contains(got, "the user the host runs QEMU as") ||
		strings.Contains(got, "confines") {
		t.Errorf("hint without a known user or MAC model: %q", got)
	}
	for _, other := range []string{
		"could not open kernel file '/x': No such file or directory",
		"Permission denied",
		"operation failed: domain is already running",
	} {
		if got := permissionHint(other, "u", nil); got != "" {
			t.Errorf("permissionHint(%q) = %q, want nothing", other, got)
		}
	}
}
