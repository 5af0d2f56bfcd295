package provider

// The Xen acceptance suite (TestAccXen*), against the Xen test host: a Xen
// 4.17 dom0 under QEMU, driven over xen+ssh:// (scripts/xen-host.sh). `make
// testacc-xen` starts the host and runs only these tests; `make testacc` skips
// them. With TF_ACC set, a missing or silent Xen host fails the tests.
//
// Each new xen+ssh connection costs about 2 s and the host runs under TCG, so
// the suite is two tests that each walk one stack through many steps:
//
//   - TestAccXenUnikernel: the test unikernel (uploaded over the remote
//     connection) as a PVH guest behind the console gate, read from
//     xenconsoled's log; the same kernel as a job that powers itself off; an
//     update that restarts in place with the UUID kept; drift (stopped, memory
//     changed, deleted out of band) repaired; import; destroy with nothing left.
//   - TestAccXenMicroVM: the Linux microVM as a PVH and as a PV guest, both on
//     a Xen network with DHCP addresses.
//   - TestAccXenSolo5: Solo5's own test programs built for Xen (PVH kernels
//     from the shared guests) as jobs with family = "solo5".

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// xenHost returns the Xen test host's URI and a connection to it: the URI
// from UNIKERNEL_XEN_URI (set by `make testacc-xen`), else from
// `scripts/xen-host.sh uri`. It fails the test when TF_ACC is set and the
// host does not answer.
func xenHost(t *testing.T) (string, *hypervisor.Client) {
	t.Helper()
	if !acctest.Enabled() {
		t.Skip("acceptance test: set TF_ACC=1 and run it with `make testacc-xen`")
	}
	uri := os.Getenv("UNIKERNEL_XEN_URI")
	if uri == "" {
		out, err := exec.Command(acctest.RepoRoot(t)+"/scripts/xen-host.sh", "uri").Output()
		if err != nil {
			t.Fatalf("TF_ACC is set but there is no Xen test host: UNIKERNEL_XEN_URI is empty and "+
				"`scripts/xen-host.sh uri` failed (%v). Run the Xen suite with `make testacc-xen`, which starts the host.", err)
		}
		uri = strings.TrimSpace(string(out))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	c, err := hypervisor.Shared(ctx, uri, 5*time.Minute)
	if err != nil {
		t.Fatalf("TF_ACC is set but the Xen test host at %s does not answer: %v (start it with `make xen-up`)", uri, err)
	}
	if xen, err := c.IsXen(ctx); err != nil || !xen {
		t.Fatalf("%s is not a Xen host (IsXen %v, %v)", uri, xen, err)
	}
	return uri, c
}

func xenProvider(uri string) string {
	return fmt.Sprintf(`
provider "unikernel" {
  uri        = %q
  hypervisor = "xen"
}
`, uri)
}

// xenPool is a pool on the Xen host; its directory is in dom0.
func xenPool(prefix string) string {
	return fmt.Sprintf(`
resource "unikernel_pool" "p" {
  name = "%[1]s-pool"
  path = "/var/lib/unikernel/%[1]s"
}
`, prefix)
}

// xenCheckGone proves through the API that nothing of prefix is left on the
// Xen host: no domain, pool, network, or console log whose name contains it.
func xenCheckGone(c *hypervisor.Client, prefix string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		ctx := context.Background()
		var left []string
		doms, err := c.DomainNames(ctx)
		if err != nil {
			return err
		}
		pools, err := c.PoolNames(ctx)
		if err != nil {
			return err
		}
		nets, err := c.NetworkNames(ctx)
		if err != nil {
			return err
		}
		for _, n := range slices.Concat(doms, pools, nets) {
			if strings.Contains(n, prefix) {
				left = append(left, n)
			}
		}
		if err := c.RefreshPool(ctx, DefaultXenConsolePool); err != nil && !hypervisor.IsNotFound(err) {
			return err
		}
		logs, err := c.VolumeNames(ctx, DefaultXenConsolePool)
		if err != nil && !hypervisor.IsNotFound(err) {
			return err
		}
		for _, n := range logs {
			if strings.Contains(n, prefix) {
				left = append(left, DefaultXenConsolePool+"/"+n)
			}
		}
		if len(left) > 0 {
			return fmt.Errorf("left on the Xen host after destroy: %v", left)
		}
		return nil
	}
}

// xenUUID records the instance's UUID on first use and then checks that it
// stays the same (and that libvirt has it).
func xenUUID(c *hypervisor.Client, addr, name string, uuid *string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[addr]
		if !ok {
			return fmt.Errorf("%s is not in the state", addr)
		}
		info, err := c.ReadDomain(context.Background(), name)
		if err != nil {
			return err
		}
		if info.Spec.UUID != rs.Primary.ID {
			return fmt.Errorf("libvirt has UUID %s for %s, the state %s", info.Spec.UUID, name, rs.Primary.ID)
		}
		if *uuid == "" {
			*uuid = rs.Primary.ID
		} else if *uuid != rs.Primary.ID {
			return fmt.Errorf("UUID of %s changed from %s to %s", name, *uuid, rs.Primary.ID)
		}
		return nil
	}
}

func TestAccXenUnikernel(t *testing.T) {
	uri, c := xenHost(t)
	g := acctest.TestGuests(t)
	prefix := acctest.RandName("xen")
	name := prefix + "-0"
	config := func(cmdline string) string {
		return xenProvider(uri) + xenPool(prefix) + fmt.Sprintf(`
resource "unikernel_image" "k" {
  name   = "kernel.elf"
  pool   = unikernel_pool.p.name
  source = %[2]q
}

resource "unikernel_instance" "i" {
  name    = "%[1]s-0"
  kernel  = unikernel_image.k.path
  cmdline = %[3]q
  memory  = 32
  wait_for = {
    console = "^UNIKERNEL-READY cmdline=%[3]s$"
    timeout = "300s"
  }
}

# The same kernel as a job: it prints its ready line and powers itself off
# (SCHEDOP_shutdown on Xen).
resource "unikernel_instance" "job" {
  name    = "%[1]s-job"
  kernel  = unikernel_image.k.path
  cmdline = "job on xen poweroff"
  memory  = 32
  mode    = "job"
  wait_for = {
    console = "^UNIKERNEL-READY cmdline=job on xen poweroff$"
    timeout = "300s"
  }
}

data "unikernel_instance_console" "c" {
  name = unikernel_instance.i.name
}
`, prefix, g.MultibootKernel, cmdline)
	}
	var uuid string
	ready := func(cmdline string) resource.TestCheckFunc {
		return resource.ComposeAggregateTestCheckFunc(
			resource.TestCheckResourceAttr("unikernel_instance.i", "state", "running"),
			resource.TestCheckResourceAttr("unikernel_instance.i", "hypervisor", "xen"),
			resource.TestCheckResourceAttr("unikernel_instance.i", "xen_mode", "pvh"),
			resource.TestCheckResourceAttr("unikernel_instance.i", "boot_format", "pvh"),
			resource.TestCheckResourceAttr("unikernel_instance.i", "console_log",
				hypervisor.XenConsolePath+"/guest-"+name+".log"),
			resource.TestMatchResourceAttr("data.unikernel_instance_console.c", "output",
				regexp.MustCompile(`(?m)^UNIKERNEL-READY cmdline=`+regexp.QuoteMeta(cmdline)+`\r?$`)),
			resource.TestMatchResourceAttr("data.unikernel_instance_console.c", "output",
				regexp.MustCompile(`UNIKERNEL-CPUID .*hv=XenVMMXenVMM`)),
			xenUUID(c, "unikernel_instance.i", name, &uuid),
		)
	}
	ctx := context.Background()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             xenCheckGone(c, prefix),
		Steps: []resource.TestStep{
			{
				Config: config("on xen"),
				Check: resource.ComposeAggregateTestCheckFunc(ready("on xen"),
					resource.TestCheckResourceAttr("unikernel_instance.job", "state", "shutoff"),
					func(*terraform.State) error {
						out, err := c.ReadConsole(ctx, hypervisor.ConsolePool{Name: DefaultXenConsolePool,
							Path: hypervisor.XenConsolePath, Xen: true}, prefix+"-job", 0, 0)
						if err != nil {
							return err
						}
						if !regexp.MustCompile(`(?m)^UNIKERNEL-POWEROFF\r?$`).Match(out) {
							return fmt.Errorf("the job's console has no UNIKERNEL-POWEROFF line:\n%s", out)
						}
						return nil
					}),
			},
			{
				// A new command line restarts the guest in place; the gate only
				// sees this boot's output, so the old ready line cannot satisfy it.
				Config: config("on xen again"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("unikernel_instance.i", plancheck.ResourceActionUpdate),
				}},
				Check: ready("on xen again"),
			},
			{
				// Drift: stopped out of band.
				PreConfig: func() {
					if err := c.StopDomain(ctx, name, 0); err != nil {
						t.Fatal(err)
					}
				},
				Config: config("on xen again"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("unikernel_instance.i", plancheck.ResourceActionUpdate),
				}},
				Check: ready("on xen again"),
			},
			{
				// Drift: memory changed out of band (the persistent definition).
				PreConfig: func() {
					driftRedefine(t, c, name, func(s *hypervisor.DomainSpec) { s.MemoryMiB = 48 })
				},
				Config: config("on xen again"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("unikernel_instance.i", plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(ready("on xen again"),
					resource.TestCheckResourceAttr("unikernel_instance.i", "memory", "32"),
					func(*terraform.State) error {
						info, err := c.ReadDomain(ctx, name)
						if err != nil {
							return err
						}
						if info.Spec.MemoryMiB != 32 {
							return fmt.Errorf("libvirt has %d MiB for %s after the repair, want 32", info.Spec.MemoryMiB, name)
						}
						return nil
					}),
			},
			{
				// Drift: deleted out of band. Apply creates it again (libvirt
				// gives the new domain a new UUID).
				PreConfig: func() {
					if err := c.StopDomain(ctx, name, 0); err != nil {
						t.Fatal(err)
					}
					if err := c.UndefineDomain(ctx, name); err != nil {
						t.Fatal(err)
					}
					uuid = ""
				},
				Config: config("on xen again"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("unikernel_instance.i", plancheck.ResourceActionCreate),
				}},
				Check: ready("on xen again"),
			},
			{
				ResourceName:            "unikernel_instance.i",
				ImportState:             true,
				ImportStateId:           name,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"wait_for", "timeouts", "shutdown_timeout"},
			},
			{
				Config:   config("on xen again"),
				PlanOnly: true,
			},
		},
	})
}

// Solo5's test_quiet and test_time, built by Solo5 for its Xen target, boot
// as PVH guests with family = "solo5", print SUCCESS on the Xen console and
// power themselves off. "--solo5:quiet" in cmdline, which the family puts
// first, silences Solo5's banner.
func TestAccXenSolo5(t *testing.T) {
	uri, c := xenHost(t)
	tp := acctest.ThirdPartyGuests(t)
	prefix := acctest.RandName("xen-s5")
	config := xenProvider(uri) + xenPool(prefix) + fmt.Sprintf(`
resource "unikernel_image" "quiet" {
  name   = "test_quiet.xen"
  pool   = unikernel_pool.p.name
  source = %[2]q
}

resource "unikernel_image" "time" {
  name   = "test_time.xen"
  pool   = unikernel_pool.p.name
  source = %[3]q
}

resource "unikernel_instance" "quiet" {
  name    = "%[1]s-quiet"
  family  = "solo5"
  kernel  = unikernel_image.quiet.path
  cmdline = "--solo5:quiet"
  memory  = 32
  mode    = "job"
  wait_for = {
    console = "^SUCCESS"
    timeout = "300s"
  }
}

resource "unikernel_instance" "time" {
  name   = "%[1]s-time"
  family = "solo5"
  kernel = unikernel_image.time.path
  memory = 32
  mode   = "job"
  wait_for = {
    console = "^SUCCESS"
    timeout = "300s"
  }
}
`, prefix, tp.Solo5QuietXen, tp.Solo5TimeXen)
	console := func(name string) (string, error) {
		out, err := c.ReadConsole(context.Background(), hypervisor.ConsolePool{Name: DefaultXenConsolePool,
			Path: hypervisor.XenConsolePath, Xen: true}, name, 0, 0)
		return string(out), err
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             xenCheckGone(c, prefix),
		Steps: []resource.TestStep{{
			Config: config,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("unikernel_instance.quiet", "boot_format", "pvh"),
				resource.TestCheckResourceAttr("unikernel_instance.quiet", "xen_mode", "pvh"),
				resource.TestCheckResourceAttr("unikernel_instance.quiet", "boot_cmdline", "--solo5:quiet"),
				resource.TestCheckResourceAttr("unikernel_instance.quiet", "state", "shutoff"),
				resource.TestCheckResourceAttr("unikernel_instance.time", "state", "shutoff"),
				func(*terraform.State) error {
					quiet, err := console(prefix + "-quiet")
					if err != nil {
						return err
					}
					if strings.Contains(quiet, "Solo5: Bindings version") {
						return fmt.Errorf("--solo5:quiet did not silence the banner:\n%s", quiet)
					}
					timed, err := console(prefix + "-time")
					if err != nil {
						return err
					}
					if !strings.Contains(timed, "Solo5: Bindings version") || !strings.Contains(timed, "SUCCESS") {
						return fmt.Errorf("test_time's console has no banner or no SUCCESS:\n%s", timed)
					}
					return nil
				},
			),
		}},
	})
}

func TestAccXenMicroVM(t *testing.T) {
	uri, c := xenHost(t)
	g := acctest.TestGuests(t)
	prefix := acctest.RandName("xvm")
	lan := acctest.CIDR(t)
	// With 128 MiB on Xen, PVH and PV alike, the microVM's kernel has only 79 MiB
	// available (51 MiB reserved), and its init was sometimes killed: 256 MiB.
	// The PV guest starts after the PVH one: libvirt 9.0's libxl driver in
	// dom0 once crashed while it plugged two guests' network interfaces into
	// the bridge at the same time.
	instance := func(label, mode string, memory int, extra string) string {
		return fmt.Sprintf(`
resource "unikernel_instance" "%[2]s" {
  name     = "%[1]s-%[2]s"
  kernel   = unikernel_image.vmlinuz.path
  initrd   = unikernel_image.initrd.path
  cmdline  = "console=hvc0 panic=-1 xen=%[2]s"
  memory   = %[4]d
  xen_mode = %[3]q
  network_interfaces = [{
    network = unikernel_network.n.name
  }]
  wait_for = {
    console = %[6]q
    ipv4    = true
    timeout = "600s"
  }
  %[5]s
}
`, prefix, label, mode, memory, extra, "^MICROVM-READY ipv4="+regexp.QuoteMeta(lan.Prefix()+"."))
	}
	config := xenProvider(uri) + xenPool(prefix) + fmt.Sprintf(`
resource "unikernel_image" "vmlinuz" {
  name   = "vmlinuz"
  pool   = unikernel_pool.p.name
  source = %[2]q
}

resource "unikernel_image" "initrd" {
  name   = "initramfs.cpio"
  pool   = unikernel_pool.p.name
  source = %[3]q
}

resource "unikernel_network" "n" {
  name      = "%[1]s-net"
  mode      = "isolated"
  ipv4_cidr = %[4]q
}
`, prefix, g.MicroVMKernel, g.MicroVMInitrd, lan) + instance("pvh", "pvh", 256, "") +
		instance("pv", "pv", 256, "depends_on = [unikernel_instance.pvh]")
	addr := regexp.MustCompile(`^` + regexp.QuoteMeta(lan.Prefix()) + `\.\d+$`)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             xenCheckGone(c, prefix),
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("unikernel_image.vmlinuz", "format", "linux"),
					resource.TestCheckResourceAttr("unikernel_instance.pvh", "state", "running"),
					resource.TestCheckResourceAttr("unikernel_instance.pvh", "xen_mode", "pvh"),
					resource.TestMatchResourceAttr("unikernel_instance.pvh", "network_interfaces.0.ipv4_addresses.0", addr),
					resource.TestCheckResourceAttr("unikernel_instance.pv", "state", "running"),
					resource.TestCheckResourceAttr("unikernel_instance.pv", "xen_mode", "pv"),
					resource.TestMatchResourceAttr("unikernel_instance.pv", "network_interfaces.0.ipv4_addresses.0", addr),
				),
			},
			{Config: config, PlanOnly: true},
		},
	})
}
