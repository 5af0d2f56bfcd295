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
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
)

// The stock-host tests run against a private libvirtd with a stock host's
// qemu.conf (scripts/private-libvirtd.sh with UNIKERNEL_PRIVATE_STOCK=1): no
// user or group lines, dynamic ownership on, so that QEMU runs as the
// unprivileged libvirt-qemu user, as on Debian and Ubuntu.

// startStockDaemon starts the stock private daemon and returns it with a
// provider block for it (a console directory of the test's own).
func startStockDaemon(t *testing.T, name string) (*acctest.PrivateDaemon, string) {
	t.Helper()
	d := acctest.StartPrivateDaemon(t, name, "UNIKERNEL_PRIVATE_STOCK=1")
	return d, fmt.Sprintf(`
provider "unikernel" {
  uri          = %q
  hypervisor   = %q
  console_pool = "unikernel-console"
  console_path = %q
}
`, d.URI, acctest.Hypervisor(), t.TempDir())
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

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
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

// kvmUsable is "true" when libvirt offers the kvm domain type and
// libvirt-qemu may open /dev/kvm for reading and writing, asked of the
// system as that user (runuser), "false" otherwise.
func kvmUsable(t *testing.T) string {
	t.Helper()
	h, err := acctest.MustClient(t).Host(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(h.KernelBootTypes, "kvm") {
		return "false"
	}
	err = exec.Command("runuser", "-u", "libvirt-qemu", "--", "test", "-r", "/dev/kvm", "-a", "-w", "/dev/kvm").Run()
	return strconv.FormatBool(err == nil)
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
func TestAccStockHost_PoolImageAndOpenKernel(t *testing.T) {
	g := testAccInstancePreCheck(t)
	d, provider := startStockDaemon(t, "acc-stock1")
	prefix := acctest.RandName("st")
	open := openDir(t)
	kernel := filepath.Join(open, "kernel.elf")
	copyFile(t, g.MultibootKernel, kernel, 0o644)
	instance := func(key, kernel string) string {
		return fmt.Sprintf(`
resource "unikernel_instance" "%[1]s" {
  name             = "%[2]s-%[1]s"
  kernel           = %[3]s
  cmdline          = "stock %[1]s"
  memory           = 16
  shutdown_timeout = "0s"
  wait_for = {
    console = "^UNIKERNEL-READY cmdline=stock %[1]s$"
    timeout = "240s"
  }
}

data "unikernel_instance_console" "%[1]s" {
  name = unikernel_instance.%[1]s.name
}
`, key, prefix, kernel)
	}
	config := provider + fmt.Sprintf(`
resource "unikernel_pool" "p" {
  name = "%[1]s-pool"
  path = %[2]q
}

resource "unikernel_image" "k" {
  name   = "kernel.elf"
  pool   = unikernel_pool.p.name
  source = %[3]q
}
`, prefix, acctest.PoolDir(t), g.MultibootKernel) +
		instance("pool", "unikernel_image.k.path") + instance("open", fmt.Sprintf("%q", kernel)) + `
data "unikernel_host" "h" {
  depends_on = [unikernel_instance.pool]
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoDomains(d, prefix),
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("unikernel_instance.pool", "state", "running"),
					resource.TestCheckResourceAttr("unikernel_instance.open", "state", "running"),
					checkQEMURunsAs(d, prefix+"-pool", "libvirt-qemu"),
					checkQEMURunsAs(d, prefix+"-open", "libvirt-qemu"),
					resource.TestMatchResourceAttr("data.unikernel_instance_console.pool", "output",
						regexp.MustCompile(`UNIKERNEL-READY cmdline=stock pool`)),
					resource.TestMatchResourceAttr("data.unikernel_instance_console.open", "output",
						regexp.MustCompile(`UNIKERNEL-READY cmdline=stock open`)),
					// The doctor names QEMU's user and finds the firmware, the RNG and the console pool in order.
					resource.TestCheckResourceAttr("data.unikernel_host.h", "checks.#", "5"),
					resource.TestCheckResourceAttr("data.unikernel_host.h", "checks.0.name", "qemu_user"),
					resource.TestCheckResourceAttr("data.unikernel_host.h", "checks.0.ok", "true"),
					resource.TestMatchResourceAttr("data.unikernel_host.h", "checks.0.detail",
						regexp.MustCompile(`^QEMU runs as libvirt-qemu \(uid [0-9]+, gid [0-9]+\) \(security models: [a-z, ]*dac`)),
					resource.TestCheckResourceAttr("data.unikernel_host.h", "checks.1.name", "kvm"),
					resource.TestCheckResourceAttr("data.unikernel_host.h", "checks.1.ok", kvmUsable(t)),
					resource.TestCheckResourceAttr("data.unikernel_host.h", "checks.2.name", "uefi"),
					resource.TestCheckResourceAttr("data.unikernel_host.h", "checks.2.ok", "true"),
					resource.TestCheckResourceAttr("data.unikernel_host.h", "checks.3.name", "rng"),
					resource.TestCheckResourceAttr("data.unikernel_host.h", "checks.3.ok", "true"),
					resource.TestCheckResourceAttr("data.unikernel_host.h", "checks.4.name", "console_pool"),
					resource.TestCheckResourceAttr("data.unikernel_host.h", "checks.4.ok", "true"),
					resource.TestMatchResourceAttr("data.unikernel_host.h", "checks.4.detail", regexp.MustCompile(`is running`)),
				),
			},
			{Config: config, PlanOnly: true},
		},
	})
}

// A kernel in a directory that QEMU's user cannot enter (0700, as /root is)
// fails at plan, naming the attribute, the user, the directory and the fix;
// nothing is created. The same kernel as a pool image then boots.
func TestAccStockHost_KernelInClosedDirectory(t *testing.T) {
	g := testAccInstancePreCheck(t)
	d, provider := startStockDaemon(t, "acc-stock2")
	prefix := acctest.RandName("sc")
	open := openDir(t)
	closed := filepath.Join(open, "private")
	if err := os.Mkdir(closed, 0o700); err != nil {
		t.Fatal(err)
	}
	kernel := filepath.Join(closed, "kernel.elf")
	copyFile(t, g.MultibootKernel, kernel, 0o644)
	instance := func(kernel string) string {
		return fmt.Sprintf(`
resource "unikernel_instance" "i" {
  name             = "%s-0"
  kernel           = %s
  memory           = 16
  shutdown_timeout = "0s"
  wait_for = {
    console = "^UNIKERNEL-READY"
    timeout = "240s"
  }
}
`, prefix, kernel)
	}
	pool := fmt.Sprintf(`
resource "unikernel_pool" "p" {
  name = "%[1]s-pool"
  path = %[2]q
}

resource "unikernel_image" "k" {
  name   = "kernel.elf"
  pool   = unikernel_pool.p.name
  source = %[3]q
}
`, prefix, acctest.PoolDir(t), kernel)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkNoDomains(d, prefix),
		Steps: []resource.TestStep{
			{
				Config: provider + instance(fmt.Sprintf("%q", kernel)),
				ExpectError: regexp.MustCompile(`(?s)QEMU's user cannot read kernel.*libvirt-qemu \(uid [0-9]+, gid [0-9]+\).*` +
					`cannot enter\s+` + regexp.QuoteMeta(closed) + `.*unikernel_image.*chmod\s+o\+x`),
				PlanOnly: true,
			},
			{
				// The fix the message recommends: the kernel as a pool image.
				Config: provider + pool + instance("unikernel_image.k.path"),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("unikernel_instance.i", "state", "running"),
					checkQEMURunsAs(d, prefix+"-0", "libvirt-qemu"),
				),
			},
		},
	})
}
