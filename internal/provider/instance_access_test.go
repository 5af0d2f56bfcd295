package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
)

// A start failure of QEMU on a path it may not open is explained: the user,
// the path, the confinement and the fix. Other errors get nothing.
func TestPermissionHint_explainsStartFailure(t *testing.T) {
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

// The host paths QEMU opens: kernel, initrd and disks by their directories
// only (libvirt hands over the files), shares by the directory itself too,
// writable unless read-only; unknown values are left for the apply's plan.
func TestQEMUHostPaths_kernelDisksAndShares(t *testing.T) {
	m := &instanceModel{
		Kernel: types.StringValue("/k/kernel.elf"),
		Initrd: types.StringUnknown(),
		Disks:  []diskModel{{Path: types.StringValue("/d/disk.raw")}},
		Filesystems: []fsModel{
			{Source: types.StringValue("/srv/rw"), ReadOnly: types.BoolValue(false)},
			{Source: types.StringValue("/srv/ro"), ReadOnly: types.BoolValue(true)},
		},
	}
	var got []string
	for _, u := range qemuHostPaths(m) {
		got = append(got, fmt.Sprintf("%s=%s/%d/%v", u.name, u.path, u.want, u.share))
	}
	want := "kernel=/k/kernel.elf/0/false disks[0]=/d/disk.raw/0/false " +
		"filesystems[0].source=/srv/rw/7/true filesystems[1].source=/srv/ro/5/true"
	if strings.Join(got, " ") != want {
		t.Fatalf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
}
