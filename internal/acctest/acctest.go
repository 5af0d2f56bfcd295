// Package acctest holds helpers shared by acceptance tests: where the test
// guests are, checks that the local hypervisor harness is up, naming, the
// connection to the test daemon and the checks made through it (checks.go:
// MustClient, CheckDomain and the like, and the CheckDestroy of every
// resource type).
//
// Acceptance tests run only with TF_ACC=1. When TF_ACC is set, a missing
// prerequisite (daemon, guest images, Terraform CLI, namespace) fails the
// test; it never skips.
package acctest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Prefix starts the name of every object an acceptance test creates, so that
// the sweeper can find leftovers.
const Prefix = "tf-acc-"

// URI is the libvirt URI acceptance tests use: UNIKERNEL_URI (which
// `scripts/harness.sh exec` sets), else LIBVIRT_DEFAULT_URI, else the socket of
// the harness daemon when it runs, else qemu:///system.
func URI() string {
	for _, v := range []string{"UNIKERNEL_URI", "LIBVIRT_DEFAULT_URI"} {
		if u := os.Getenv(v); u != "" {
			return u
		}
	}
	if sock := filepath.Join(HarnessState(), "run", "libvirt-sock"); fileExists(sock) {
		return "qemu:///system?socket=" + sock
	}
	return "qemu:///system"
}

// HarnessState is the state directory of the harness (scripts/harness.sh):
// its pid files, its ssh keys, and the directories its daemons see as
// /run/libvirt (run), /var/lib/libvirt (lib), /var/log/libvirt (log) and
// /etc/libvirt (etc).
func HarnessState() string {
	if d := os.Getenv("UNIKERNEL_HARNESS_STATE"); d != "" {
		return d
	}
	return "/run/unikernel-harness"
}

// DaemonPath is the host path of a file that the harness daemon sees at p (a
// path under /run/libvirt, /var/lib/libvirt, /var/cache/libvirt or
// /var/log/libvirt): the harness runs libvirtd in a mount namespace of its
// own, where those are directories under HarnessState. Other paths, and every
// path when the harness does not run, are returned unchanged.
func DaemonPath(p string) string {
	state := HarnessState()
	if !fileExists(filepath.Join(state, "run", "libvirt-sock")) {
		return p
	}
	for prefix, dir := range map[string]string{
		"/run/libvirt": "run", "/var/lib/libvirt": "lib", "/var/cache/libvirt": "cache", "/var/log/libvirt": "log",
	} {
		if rest, ok := strings.CutPrefix(p, prefix); ok && (rest == "" || rest[0] == '/') {
			return filepath.Join(state, dir) + rest
		}
	}
	return p
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Hypervisor is the domain type acceptance tests boot with. On the test
// machines nested KVM is far slower than TCG, so the default is qemu.
func Hypervisor() string {
	if h := os.Getenv("UNIKERNEL_TEST_HYPERVISOR"); h != "" {
		return h
	}
	return "qemu"
}

// Enabled reports whether acceptance tests were asked for.
func Enabled() bool { return os.Getenv("TF_ACC") != "" }

// PreCheck skips the test when TF_ACC is unset, and fails it when TF_ACC is
// set but the local daemon does not answer.
func PreCheck(t testing.TB) {
	t.Helper()
	if !Enabled() {
		t.Skip("acceptance test: set TF_ACC=1 (the README's test command does)")
	}
	if _, err := Client(t); err != nil {
		t.Fatalf("TF_ACC is set but libvirt at %s does not answer: %v (start it with `scripts/harness.sh up`)", URI(), err)
	}
	CheckLeaks(t)
}

// RandName returns a unique name with the acceptance prefix, and registers
// it with the running tests for the leak checker (see CheckLeaks): anything
// on the host whose name contains it belongs to them.
func RandName(kind string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := Prefix + kind + "-" + hex.EncodeToString(b)
	registerName(name)
	return name
}

// RepoRoot is the directory holding go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
}

// Guests are the paths of the test guests built by `make guests`.
type Guests struct {
	// MultibootKernel is the C multiboot unikernel. It prints
	// "UNIKERNEL-READY cmdline=<cmdline>" on COM1.
	MultibootKernel string
	// MicroVMKernel and MicroVMInitrd form the Linux microVM. It prints
	// "MICROVM-READY ipv4=<addr>/<prefix> mac=<mac>" and serves its kernel
	// command line over HTTP on port MicroVMPort.
	MicroVMKernel string
	MicroVMInitrd string
	// MicroVMGenericKernel and MicroVMGenericInitrd are the same guest on
	// Debian's generic kernel, with the 9p modules (microvm.9p=<tag>).
	MicroVMGenericKernel string
	MicroVMGenericInitrd string
	// BootDiskRaw and BootDiskQCOW2 are a 1 MiB disk whose MBR boot sector
	// prints "DISK-READY boot=mbr" on COM1, as raw and as qcow2.
	BootDiskRaw   string
	BootDiskQCOW2 string
	// EFIDisk is a raw disk whose EFI system partition holds the microVM as
	// a unified kernel image (\EFI\BOOT\BOOTX64.EFI, not signed): UEFI
	// firmware boots it from the disk, and it prints MICROVM-READY once it
	// has an address by DHCP.
	EFIDisk string
}

// MicroVMPort is the TCP port the microVM's HTTP server listens on.
const MicroVMPort = 8080

// Ready-line patterns of the test guests.
const (
	MultibootReady = `UNIKERNEL-READY cmdline=(.*)`
	MicroVMReady   = `MICROVM-READY ipv4=([0-9.]+)/([0-9]+) mac=([0-9a-f:]+)`
	BootDiskReady  = `DISK-READY boot=mbr`
)

// TestGuests returns the guest paths and fails the test when one is missing.
func TestGuests(t testing.TB) Guests {
	t.Helper()
	dir := os.Getenv("UNIKERNEL_TEST_GUESTS")
	if dir == "" {
		dir = filepath.Join(RepoRoot(t), "build", "guests")
	}
	g := Guests{
		MultibootKernel: filepath.Join(dir, "multiboot", "kernel.elf"),
		MicroVMKernel:   filepath.Join(dir, "microvm", "vmlinuz"),
		MicroVMInitrd:   filepath.Join(dir, "microvm", "initramfs.cpio"),
		BootDiskRaw:     filepath.Join(dir, "bootdisk", "disk.raw"),
		BootDiskQCOW2:   filepath.Join(dir, "bootdisk", "disk.qcow2"),
		EFIDisk:         filepath.Join(dir, "efidisk", "disk.raw"),

		MicroVMGenericKernel: filepath.Join(dir, "microvm-generic", "vmlinuz"),
		MicroVMGenericInitrd: filepath.Join(dir, "microvm-generic", "initramfs.cpio"),
	}
	for _, p := range []string{g.MultibootKernel, g.MicroVMKernel, g.MicroVMInitrd, g.MicroVMGenericKernel,
		g.MicroVMGenericInitrd, g.BootDiskRaw, g.BootDiskQCOW2, g.EFIDisk} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("test guest missing: %v (build them with `make guests`)", err)
		}
	}
	return g
}

// HarnessNetns is the network namespace the harness runs libvirtd in.
func HarnessNetns() string {
	if ns := os.Getenv("UNIKERNEL_HARNESS_NETNS"); ns != "" {
		return ns
	}
	return "unikernel-harness"
}

// RequireHarnessNetns fails the test unless this process runs inside the
// harness's network namespace. Tests that send packets to guests call it
// first, so that guest traffic never leaves that namespace.
func RequireHarnessNetns(t testing.TB) {
	t.Helper()
	var self, want syscall.Stat_t
	if err := syscall.Stat("/proc/self/ns/net", &self); err != nil {
		t.Fatalf("cannot read this process's network namespace: %v", err)
	}
	nsPath := filepath.Join("/run/netns", HarnessNetns())
	if err := syscall.Stat(nsPath, &want); err != nil {
		t.Fatalf("harness namespace %s not found: %v (run `scripts/harness.sh up`)", nsPath, err)
	}
	if self.Ino != want.Ino || self.Dev != want.Dev {
		t.Fatalf("this test talks to guests and must run inside the %q network namespace "+
			"(`make testacc` does that; by hand: scripts/harness.sh exec go test ...)", HarnessNetns())
	}
}

// TerraformCLI fails the test unless TF_ACC_TERRAFORM_PATH names an executable
// Terraform or OpenTofu binary, so that no test ever tries to download one.
func TerraformCLI(t testing.TB) string {
	t.Helper()
	p := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if p == "" {
		t.Fatal("TF_ACC_TERRAFORM_PATH is not set; `make testacc` sets it to terraform or a locally built tofu")
	}
	if _, err := exec.LookPath(p); err != nil {
		t.Fatalf("TF_ACC_TERRAFORM_PATH=%s is not executable: %v", p, err)
	}
	return p
}
