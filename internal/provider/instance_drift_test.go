package provider

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// The drift tests each change one thing about an instance out of band,
// through the adapter as any other libvirt client could, and prove that:
//
//  1. the refreshed plan shows the change, with the right action, while the
//     plan without refresh is empty (so the difference comes from Read);
//  2. apply repairs it: libvirt's persistent definition, run state and
//     autostart are again what create made (asked of libvirt, not of state),
//     and the guest restarted exactly when the change needs a restart;
//  3. the plans after that are empty.

const driftAddr = "unikernel_instance.test"

// driftCase is one out-of-band change.
type driftCase struct {
	cmdline  string
	stopped  bool     // the configuration says running = false
	networks []string // networks of the configured interfaces, in order
	extra    string   // further attributes of the instance block

	// drift makes the change out of band and fails the test when libvirt
	// did not take it.
	drift func(t *testing.T, c *hypervisor.Client, name string)
	// action is what the refreshed plan must do to the instance.
	action plancheck.ResourceActionType
	// expect returns what libvirt must hold after the repairing apply, given
	// what it held right after create and what it holds now. nil: exactly
	// what create made, UUID included.
	expect func(created, repaired hypervisor.DomainInfo) hypervisor.DomainInfo
	// boots is how many times the repairing apply must boot the guest (ready
	// lines added to its console log); -1 skips the count.
	boots int
}

func (dc driftCase) config(g acctest.Guests, name string) string {
	vm := multiboot(g, name, dc.cmdline)
	vm.ShutdownTimeout, vm.Extra = "0s", dc.extra
	if dc.stopped {
		vm.Running = tfconfig.Bool(false)
	}
	for _, n := range dc.networks {
		vm.NICs = append(vm.NICs, tfconfig.NIC{Network: n})
	}
	return testConfig(vm)
}

// testAccConsolePool is the console pool of the provider block the tests use.
var testAccConsolePool = hypervisor.ConsolePool{Name: DefaultConsolePool, Path: DefaultConsolePath}

// readyLines counts the multiboot guest's ready lines in its console log.
func readyLines(c *hypervisor.Client, name string) (int, error) {
	log, err := c.ReadConsole(context.Background(), testAccConsolePool, name, 0, 0)
	if err != nil {
		return 0, err
	}
	return bytes.Count(log, []byte("UNIKERNEL-READY cmdline=")), nil
}

func testAccInstanceDrift(t *testing.T, dc driftCase) {
	g := testAccInstancePreCheck(t)
	c := acctest.MustClient(t)
	ctx := context.Background()
	name := acctest.RandName("drift")
	config := dc.config(g, name) // built before the test runs in parallel
	wantState := hypervisor.StateRunning
	if dc.stopped {
		wantState = hypervisor.StateShutoff
	}
	var created hypervisor.DomainInfo
	var bootsBefore int

	testAccInstancesParallel(t, []resource.TestStep{
		{
			// Create, and record what libvirt holds.
			Config: config,
			Check: func(s *terraform.State) error {
				info, err := c.ReadDomain(ctx, name)
				if err != nil {
					return err
				}
				if err := checkCreatedDomain(g, info, dc, wantState); err != nil {
					return err
				}
				created = info
				return checkStateMatchesDomain(s, info)
			},
		},
		{
			// Out-of-band change: the plan without refresh stays empty, the
			// refreshed plan shows it.
			PreConfig:          func() { dc.drift(t, c, name) },
			Config:             config,
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPreRefresh:  []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectResourceAction(driftAddr, dc.action)},
			},
		},
		{
			// Apply repairs it, and the plans after it are empty.
			PreConfig: func() {
				if dc.boots < 0 {
					return
				}
				n, err := readyLines(c, name)
				if err != nil {
					t.Fatalf("reading the console log of %s: %v", name, err)
				}
				bootsBefore = n
			},
			Config: config,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(driftAddr, dc.action)},
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			Check: func(s *terraform.State) error {
				repaired, err := c.ReadDomain(ctx, name)
				if err != nil {
					return err
				}
				want := created
				if dc.expect != nil {
					want = dc.expect(created, repaired)
				}
				if !reflect.DeepEqual(repaired, want) {
					return fmt.Errorf("after apply libvirt holds\n  %+v\nwant\n  %+v", repaired, want)
				}
				if dc.boots >= 0 {
					n, err := readyLines(c, name)
					if err != nil {
						return err
					}
					if n-bootsBefore != dc.boots {
						return fmt.Errorf("apply booted the guest %d times, want %d", n-bootsBefore, dc.boots)
					}
				}
				return checkStateMatchesDomain(s, repaired)
			},
		},
		{
			// A fresh plan after the repair is empty, with and without refresh.
			Config:   config,
			PlanOnly: true,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPreRefresh:  []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
		},
	})
}

// checkCreatedDomain checks that libvirt holds what the configuration says.
func checkCreatedDomain(g acctest.Guests, info hypervisor.DomainInfo, dc driftCase, wantState hypervisor.DomainState) error {
	s := info.Spec
	var nets []string
	for _, n := range s.Interfaces {
		nets = append(nets, n.Network)
		if n.MAC == "" {
			return fmt.Errorf("interface on %s has no MAC in the definition", n.Network)
		}
	}
	switch {
	case info.State != wantState:
		return fmt.Errorf("state is %s, want %s", info.State, wantState)
	case info.Autostart:
		return fmt.Errorf("autostart is on, want off")
	case s.MemoryMiB != 16 || s.VCPUs != 1:
		return fmt.Errorf("memory %d MiB, %d vCPUs; want 16 MiB, 1 vCPU", s.MemoryMiB, s.VCPUs)
	case s.Kernel != g.MultibootKernel || s.Cmdline != dc.cmdline:
		return fmt.Errorf("kernel %q cmdline %q, want %q %q", s.Kernel, s.Cmdline, g.MultibootKernel, dc.cmdline)
	case s.OnCrash != "destroy" || s.OnPoweroff != "destroy":
		return fmt.Errorf("on_crash %q on_poweroff %q, want destroy", s.OnCrash, s.OnPoweroff)
	case !reflect.DeepEqual(nets, dc.networks):
		return fmt.Errorf("interfaces on %v, want %v", nets, dc.networks)
	}
	return nil
}

// checkStateMatchesDomain checks the state's id, run state and MACs against libvirt.
func checkStateMatchesDomain(s *terraform.State, info hypervisor.DomainInfo) error {
	rs, ok := s.RootModule().Resources[driftAddr]
	if !ok {
		return fmt.Errorf("%s not in state", driftAddr)
	}
	a := rs.Primary.Attributes
	running := strconv.FormatBool(info.State == hypervisor.StateRunning)
	if rs.Primary.ID != info.Spec.UUID || a["state"] != string(info.State) || a["running"] != running ||
		a["autostart"] != strconv.FormatBool(info.Autostart) {
		return fmt.Errorf("state has id=%s state=%s running=%s autostart=%s; libvirt has %s %s running=%s autostart=%t",
			rs.Primary.ID, a["state"], a["running"], a["autostart"], info.Spec.UUID, info.State, running, info.Autostart)
	}
	for i, n := range info.Spec.Interfaces {
		if got := a[fmt.Sprintf("network_interfaces.%d.mac", i)]; got != n.MAC {
			return fmt.Errorf("state has MAC %q for interface %d, libvirt %q", got, i, n.MAC)
		}
	}
	return nil
}

// driftRedefine rewrites the persistent definition of name out of band, as
// `virsh edit` would, and checks that libvirt took the change and left the
// run state alone.
func driftRedefine(t *testing.T, c *hypervisor.Client, name string, change func(*hypervisor.DomainSpec)) {
	t.Helper()
	ctx := context.Background()
	before, err := c.ReadDomain(ctx, name)
	if err != nil {
		t.Fatalf("reading %s before the out-of-band change: %v", name, err)
	}
	spec := before.Spec
	spec.Disks = append([]hypervisor.DiskSpec(nil), spec.Disks...)
	spec.Interfaces = append([]hypervisor.InterfaceSpec(nil), spec.Interfaces...)
	change(&spec)
	if reflect.DeepEqual(spec, before.Spec) {
		t.Fatalf("the out-of-band change of %s changes nothing", name)
	}
	if _, err := c.DefineDomain(ctx, spec); err != nil {
		t.Fatalf("redefining %s out of band: %v", name, err)
	}
	after, err := c.ReadDomain(ctx, name)
	if err != nil {
		t.Fatalf("reading %s after the out-of-band change: %v", name, err)
	}
	if !reflect.DeepEqual(after.Spec, spec) {
		t.Fatalf("libvirt holds\n  %+v\nafter the out-of-band change, want\n  %+v", after.Spec, spec)
	}
	if after.State != before.State {
		t.Fatalf("the out-of-band redefinition changed the state of %s from %s to %s", name, before.State, after.State)
	}
}

// waitDomainState waits until name is in one of states.
func waitDomainState(t *testing.T, c *hypervisor.Client, name string, states ...hypervisor.DomainState) hypervisor.DomainState {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := c.DomainState(context.Background(), name)
		if err != nil {
			t.Fatalf("reading the state of %s: %v", name, err)
		}
		for _, want := range states {
			if st == want {
				return st
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is %s after 30s, want one of %v", name, st, states)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// testAccInstanceRedefined is the drift case of a persistent definition
// changed out of band (driftRedefine): apply redefines the instance in
// place and boots it once.
func testAccInstanceRedefined(t *testing.T, cmdline string, change func(*hypervisor.DomainSpec)) {
	t.Helper()
	testAccInstanceDrift(t, driftCase{
		cmdline: cmdline,
		drift: func(t *testing.T, c *hypervisor.Client, name string) {
			driftRedefine(t, c, name, change)
		},
		action: plancheck.ResourceActionUpdate,
		boots:  1,
	})
}

// testAccDriftNetworks creates n isolated networks, each on a subnet of its
// own, and removes them when the test ends (after the instance is
// destroyed).
func testAccDriftNetworks(t *testing.T, n int) []string {
	t.Helper()
	testAccPreCheck(t)
	var names []string
	for range n {
		names = append(names, acctest.TestNetwork(t, "isolated").Name)
	}
	return names
}

// 1. The domain is deleted out of band: Read removes it from state, and apply
// creates it again.
func TestAccInstanceDrift_domainDeleted(t *testing.T) {
	testAccInstanceDrift(t, driftCase{
		cmdline: "drift deleted",
		drift: func(t *testing.T, c *hypervisor.Client, name string) {
			ctx := context.Background()
			if err := c.StopDomain(ctx, name, 0); err != nil {
				t.Fatal(err)
			}
			if err := c.UndefineDomain(ctx, name); err != nil {
				t.Fatal(err)
			}
			if _, err := c.ReadDomain(ctx, name); !hypervisor.IsNotFound(err) {
				t.Fatalf("%s still exists after undefine (err %v)", name, err)
			}
		},
		action: plancheck.ResourceActionCreate,
		// A new domain: libvirt gives it a new UUID, and its create its own
		// marker (finished); all else is as before.
		expect: func(created, repaired hypervisor.DomainInfo) hypervisor.DomainInfo {
			created.Spec.UUID = repaired.Spec.UUID
			if m := repaired.Spec.Create; m != nil && m.State == hypervisor.CreateFinished && created.Spec.Create != nil && m.ID != created.Spec.Create.ID {
				created.Spec.Create = m
			}
			return created
		},
		boots: -1,
	})
}

// 2. The domain is stopped out of band: apply starts it again.
func TestAccInstanceDrift_domainStopped(t *testing.T) {
	testAccInstanceDrift(t, driftCase{
		cmdline: "drift stopped",
		drift: func(t *testing.T, c *hypervisor.Client, name string) {
			if err := c.StopDomain(context.Background(), name, 0); err != nil {
				t.Fatal(err)
			}
			waitDomainState(t, c, name, hypervisor.StateShutoff)
		},
		action: plancheck.ResourceActionUpdate,
		boots:  1,
	})
}

// 3. The domain is started out of band while the configuration says
// running = false: apply stops it again.
func TestAccInstanceDrift_startedWhileNotRunning(t *testing.T) {
	testAccInstanceDrift(t, driftCase{
		cmdline: "drift started",
		stopped: true,
		drift: func(t *testing.T, c *hypervisor.Client, name string) {
			if err := c.StartDomain(context.Background(), name); err != nil {
				t.Fatal(err)
			}
			waitDomainState(t, c, name, hypervisor.StateRunning)
		},
		action: plancheck.ResourceActionUpdate,
		boots:  -1, // the out-of-band start boots the guest at its own pace
	})
}

// 4. Memory is changed in the persistent definition: apply redefines and
// restarts.
func TestAccInstanceDrift_memory(t *testing.T) {
	testAccInstanceRedefined(t, "drift memory", func(s *hypervisor.DomainSpec) { s.MemoryMiB = 32 })
}

// 5. The vCPU count is changed.
func TestAccInstanceDrift_vcpus(t *testing.T) {
	testAccInstanceRedefined(t, "drift vcpus", func(s *hypervisor.DomainSpec) { s.VCPUs = 2 })
}

// 6. The kernel command line is changed.
func TestAccInstanceDrift_cmdline(t *testing.T) {
	testAccInstanceRedefined(t, "drift cmdline", func(s *hypervisor.DomainSpec) { s.Cmdline = "changed out of band" })
}

// 7. The kernel path is changed to another copy of the kernel.
func TestAccInstanceDrift_kernelPath(t *testing.T) {
	g := testAccInstancePreCheck(t)
	other := filepath.Join(t.TempDir(), "kernel.elf")
	acctest.CopyFile(t, g.MultibootKernel, other)
	testAccInstanceRedefined(t, "drift kernel", func(s *hypervisor.DomainSpec) { s.Kernel = other })
}

// 8. The last of two interfaces is removed.
func TestAccInstanceDrift_interfaceRemoved(t *testing.T) {
	nets := testAccDriftNetworks(t, 2)
	testAccInstanceDrift(t, driftCase{
		cmdline:  "drift nic removed",
		networks: nets,
		drift: func(t *testing.T, c *hypervisor.Client, name string) {
			driftRedefine(t, c, name, func(s *hypervisor.DomainSpec) { s.Interfaces = s.Interfaces[:1] })
		},
		action: plancheck.ResourceActionUpdate,
		// The removed interface comes back on its network. Its old MAC was
		// lost with it (nothing holds it), so libvirt picks a new one; the
		// first interface keeps its MAC.
		expect: func(created, repaired hypervisor.DomainInfo) hypervisor.DomainInfo {
			created.Spec.Interfaces = append([]hypervisor.InterfaceSpec(nil), created.Spec.Interfaces...)
			if len(repaired.Spec.Interfaces) == 2 && macRe.MatchString(repaired.Spec.Interfaces[1].MAC) {
				created.Spec.Interfaces[1].MAC = repaired.Spec.Interfaces[1].MAC
			}
			return created
		},
		boots: 1,
	})
}

// 9. An interface is moved to another network; apply moves it back, with
// the same MAC.
func TestAccInstanceDrift_interfaceNetwork(t *testing.T) {
	nets := testAccDriftNetworks(t, 2)
	testAccInstanceDrift(t, driftCase{
		cmdline:  "drift nic network",
		networks: nets[:1],
		drift: func(t *testing.T, c *hypervisor.Client, name string) {
			driftRedefine(t, c, name, func(s *hypervisor.DomainSpec) { s.Interfaces[0].Network = nets[1] })
		},
		action: plancheck.ResourceActionUpdate,
		boots:  1,
	})
}

// 10. Autostart is switched on out of band; apply switches it off live,
// without a restart.
func TestAccInstanceDrift_autostart(t *testing.T) {
	testAccInstanceDrift(t, driftCase{
		cmdline: "drift autostart",
		drift: func(t *testing.T, c *hypervisor.Client, name string) {
			ctx := context.Background()
			if err := c.SetDomainAutostart(ctx, name, true); err != nil {
				t.Fatal(err)
			}
			if info, err := c.ReadDomain(ctx, name); err != nil || !info.Autostart {
				t.Fatalf("autostart of %s is not on after the out-of-band change (err %v)", name, err)
			}
		},
		action: plancheck.ResourceActionUpdate,
		boots:  0,
	})
}

// 11. on_crash is changed.
func TestAccInstanceDrift_onCrash(t *testing.T) {
	testAccInstanceRedefined(t, "drift on_crash", func(s *hypervisor.DomainSpec) { s.OnCrash = "preserve" })
}

// 12. The qemu process is killed: libvirt reports the domain shut off (or
// crashed), and apply starts it again.
func TestAccInstanceDrift_qemuKilled(t *testing.T) {
	testAccInstanceDrift(t, driftCase{
		cmdline: "drift killed",
		drift: func(t *testing.T, c *hypervisor.Client, name string) {
			pidFile := acctest.DaemonPath(filepath.Join("/run/libvirt/qemu", name+".pid"))
			b, err := os.ReadFile(pidFile)
			if err != nil {
				t.Fatalf("reading the qemu pid of %s: %v", name, err)
			}
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				t.Fatalf("pid file %s: %v", pidFile, err)
			}
			// Make sure the pid is this instance's qemu before killing it.
			args, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			if err != nil || !bytes.Contains(args, []byte("guest="+name)) {
				t.Fatalf("process %d is not the qemu of %s (err %v)", pid, name, err)
			}
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatalf("killing qemu %d: %v", pid, err)
			}
			waitDomainState(t, c, name, hypervisor.StateShutoff, hypervisor.StateCrashed)
		},
		action: plancheck.ResourceActionUpdate,
		boots:  1,
	})
}
