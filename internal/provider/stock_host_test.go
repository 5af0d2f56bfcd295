package provider

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
)

// The stock-host tests run against a private libvirtd with a stock host's
// qemu.conf (scripts/private-libvirtd.sh with UNIKERNEL_PRIVATE_STOCK=1): no
// user or group lines, dynamic ownership on, so that QEMU runs as the
// unprivileged libvirt-qemu user, as on Debian and Ubuntu.

// startStockDaemon starts the stock private daemon and returns it with a
// provider block for it (a console directory of the test's own).
func startStockDaemon(t *testing.T, name string) (*acctest.PrivateDaemon, tfconfig.Provider) {
	t.Helper()
	d := acctest.StartPrivateDaemon(t, name, "UNIKERNEL_PRIVATE_STOCK=1")
	return d, privateProvider(d, t.TempDir())
}

// stockInstance is an instance of 16 MiB named name, ready once its console
// shows a line matching gate; the test sets its kernel.
func stockInstance(label, name, gate string) tfconfig.Instance {
	return tfconfig.Instance{Label: label, Name: name, Memory: 16, ShutdownTimeout: "0s",
		WaitFor: &tfconfig.WaitFor{Console: gate, Timeout: "240s"}}
}

// openDir is a fresh directory that every user may enter, as a user's own
// build directory under /tmp or /srv would be; removed when the test ends.
func openDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	// t.TempDir's directory and the one above it are 0700: open both.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// checkQEMURunsAs checks that the QEMU process of domain name on the private
// daemon runs as want (its pid from libvirt's pid file, its user from /proc).
func checkQEMURunsAs(d *acctest.PrivateDaemon, name, want string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		u, err := user.Lookup(want)
		if err != nil {
			return fmt.Errorf("user %s: %v", want, err)
		}
		pidFile := filepath.Join("/run/unikernel-private", d.Name, "run", "qemu", name+".pid")
		b, err := os.ReadFile(pidFile)
		if err != nil {
			return fmt.Errorf("the QEMU pid file of %s: %v", name, err)
		}
		status, err := os.ReadFile(filepath.Join("/proc", strings.TrimSpace(string(b)), "status"))
		if err != nil {
			return fmt.Errorf("the QEMU process of %s: %v", name, err)
		}
		for _, line := range strings.Split(string(status), "\n") {
			if f := strings.Fields(line); len(f) >= 3 && f[0] == "Uid:" {
				if f[1] != u.Uid || f[2] != u.Uid {
					return fmt.Errorf("QEMU of %s runs as uid %s (effective %s), want %s (%s)", name, f[1], f[2], want, u.Uid)
				}
				return nil
			}
		}
		return fmt.Errorf("no Uid line in the status of QEMU of %s", name)
	}
}

// kvmUsable says whether libvirt offers the kvm domain type and
// libvirt-qemu may open /dev/kvm for reading and writing, asked of the
// system as that user (runuser).
func kvmUsable(t *testing.T) bool {
	t.Helper()
	h, err := acctest.MustClient(t).Host(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(h.KernelBootTypes, "kvm") {
		return false
	}
	return exec.Command("runuser", "-u", "libvirt-qemu", "--", "test", "-r", "/dev/kvm", "-a", "-w", "/dev/kvm").Run() == nil
}

func checkNoDomains(d *acctest.PrivateDaemon, prefix string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if n := virshCount(d, prefix, "--all"); n != 0 {
			return fmt.Errorf("%d domains named %s* are left on the private daemon %s", n, prefix, d.Name)
		}
		return nil
	}
}

// On a stock host QEMU runs as libvirt-qemu: an instance booting a kernel
// from a pool image, and one booting a kernel from a directory every user
// may enter, both pass their readiness gate (which reads the console log),
// and their QEMU processes run as libvirt-qemu.
func TestAccStockHost_poolImageAndOpenKernel(t *testing.T) {
	g := testAccInstancePreCheck(t)
	d, provider := startStockDaemon(t, "acc-stock1")
	prefix := acctest.RandName("st")
	open := openDir(t)
	kernel := filepath.Join(open, "kernel.elf")
	acctest.CopyFile(t, g.MultibootKernel, kernel)
	p, image := poolWithImage(prefix+"-pool", acctest.PoolDir(t), "k", "kernel.elf", g.MultibootKernel)
	// instance boots the kernel of key: from the pool image, or from the open directory.
	instance := func(key string) (tfconfig.Instance, consoleData) {
		vm := stockInstance(key, prefix+"-"+key, "^UNIKERNEL-READY cmdline=stock "+key+"$")
		vm.Cmdline = "stock " + key
		return vm, consoleData{VM: vm}
	}
	fromPool, poolConsole := instance("pool")
	fromPool.KernelX = image.Path()
	fromOpen, openConsole := instance("open")
	fromOpen.Kernel = kernel
	config := tfconfig.Config(provider, p, image, fromPool, poolConsole, fromOpen, openConsole, hostData("h", fromPool.Addr()))
	const host = "data.unikernel_host.h"
	// The doctor names QEMU's user and finds the firmware, the RNG and the console pool in order.
	doctor := []statecheck.StateCheck{
		acctest.Expect(host, "checks", knownvalue.ListSizeExact(5)),
		expectMatch(host, "checks.0.detail", `^QEMU runs as libvirt-qemu \(uid [0-9]+, gid [0-9]+\) \(security models: [a-z, ]*dac`),
		acctest.Expect(host, "checks.1.ok", knownvalue.Bool(kvmUsable(t))),
		expectMatch(host, "checks.4.detail", `is running`),
	}
	for i, name := range []string{"qemu_user", "kvm", "uefi", "rng", "console_pool"} {
		doctor = append(doctor, acctest.Expect(host, fmt.Sprintf("checks.%d.name", i), knownvalue.StringExact(name)))
		if name != "kvm" {
			doctor = append(doctor, acctest.Expect(host, fmt.Sprintf("checks.%d.ok", i), knownvalue.Bool(true)))
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoDomains(d, prefix),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: checks(expectRunning(fromPool.Addr(), fromOpen.Addr()), doctor, []statecheck.StateCheck{
					expectMatch(poolConsole.Addr(), "output", `UNIKERNEL-READY cmdline=stock pool`),
					expectMatch(openConsole.Addr(), "output", `UNIKERNEL-READY cmdline=stock open`),
				}),
				Check: resource.ComposeAggregateTestCheckFunc(
					checkQEMURunsAs(d, prefix+"-pool", "libvirt-qemu"),
					checkQEMURunsAs(d, prefix+"-open", "libvirt-qemu"),
				),
			},
			{Config: config, PlanOnly: true},
		},
	})
}

// A kernel in a directory that QEMU's user cannot enter (0700, as /root is)
// fails at plan, naming the attribute, the user, the directory and the fix;
// nothing is created. The same kernel as a pool image then boots.
func TestAccStockHost_kernelInClosedDirectory(t *testing.T) {
	g := testAccInstancePreCheck(t)
	d, provider := startStockDaemon(t, "acc-stock2")
	prefix := acctest.RandName("sc")
	open := openDir(t)
	closed := filepath.Join(open, "private")
	if err := os.Mkdir(closed, 0o700); err != nil {
		t.Fatal(err)
	}
	kernel := filepath.Join(closed, "kernel.elf")
	acctest.CopyFile(t, g.MultibootKernel, kernel)
	vm := stockInstance("i", prefix+"-0", "^UNIKERNEL-READY")
	closedKernel := vm
	closedKernel.Kernel = kernel
	p, image := poolWithImage(prefix+"-pool", acctest.PoolDir(t), "k", "kernel.elf", kernel)
	fromPool := vm
	fromPool.KernelX = image.Path()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoDomains(d, prefix),
		Steps: []resource.TestStep{
			{
				Config: tfconfig.Config(provider, closedKernel),
				ExpectError: regexp.MustCompile(`(?s)QEMU's user cannot read kernel.*libvirt-qemu \(uid [0-9]+, gid [0-9]+\).*` +
					`cannot enter\s+` + regexp.QuoteMeta(closed) + `.*unikernel_image.*chmod\s+o\+x`),
				PlanOnly: true,
			},
			{
				// The fix the message recommends: the kernel as a pool image.
				Config:            tfconfig.Config(provider, p, image, fromPool),
				ConfigStateChecks: expectRunning(fromPool.Addr()),
				Check:             checkQEMURunsAs(d, prefix+"-0", "libvirt-qemu"),
			},
		},
	})
}
