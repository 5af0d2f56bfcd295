package provider

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// captureID stores a resource attribute for comparison in later steps.
func captureAttr(res, attr string, into *string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[res]
		if !ok {
			return fmt.Errorf("%s not in state", res)
		}
		*into = rs.Primary.Attributes[attr]
		return nil
	}
}

func sameAttr(res, attr string, want *string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		got := s.RootModule().Resources[res].Primary.Attributes[attr]
		if got != *want {
			return fmt.Errorf("%s.%s changed from %q to %q", res, attr, *want, got)
		}
		return nil
	}
}

// bootMarkers counts the boots the provider started, from the console log.
func bootMarkers(t *testing.T, name string) int {
	t.Helper()
	c := acctest.MustClient(t)
	pool := hypervisor.ConsolePool{Name: DefaultConsolePool, Path: DefaultConsolePath}
	out, err := c.ReadConsole(context.Background(), pool, name, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(out), "=== unikernel: ")
}

func expectBoots(t *testing.T, name string, want int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if got := bootMarkers(t, name); got != want {
			return fmt.Errorf("instance %s was started %d times, want %d", name, got, want)
		}
		return nil
	}
}

func TestAccInstance_microVM(t *testing.T) {
	g := testAccInstancePreCheck(t)
	acctest.RequireHarnessNetns(t)
	lan := acctest.TestNetwork(t, "nat")
	name := acctest.RandName("vm")
	config := func(memory int, cmdline string, host ...int) string {
		ip := 50
		if len(host) > 0 {
			ip = host[0]
		}
		vm := microVM(g, name, lan, ip)
		vm.Cmdline, vm.Memory, vm.ShutdownTimeout = cmdline, memory, "1s"
		vm.WaitFor = &tfconfig.WaitFor{
			Console: "MICROVM-READY ipv4=" + regexp.QuoteMeta(lan.HostCIDR(ip)), IPv4: true, TCPPort: 8080, Timeout: "90s",
		}
		return testConfig(vm, tfconfig.Raw(`
data "unikernel_instance" "vm" {
  name = unikernel_instance.vm.name
}

data "unikernel_instance_console" "vm" {
  name  = unikernel_instance.vm.name
  lines = 200
}
`))
	}
	httpAnswer := func(want string) resource.TestCheckFunc { return acctest.CheckHTTPBody(microVMURL(lan, 50, "/"), want) }
	const vmAddr = "unikernel_instance.vm"
	var uuid, mac string
	cmd1 := "console=ttyS0 panic=-1 quiet app=one"
	cmd2 := "console=ttyS0 panic=-1 quiet app=two"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: resource.ComposeAggregateTestCheckFunc(acctest.CheckInstancesDestroyed, func(*terraform.State) error {
			c, _ := acctest.Client(t)
			if _, found, err := c.DHCPHostByMAC(context.Background(), lan.Name, mac); err != nil || found {
				return fmt.Errorf("reservation for %s left on %s (%v)", mac, lan.Name, err)
			}
			return nil
		}),
		Steps: []resource.TestStep{
			{
				Config: config(128, cmd1),
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.Expect(vmAddr, "network_interfaces.0.ipv4_addresses.0", knownvalue.StringExact(lan.Host(50))),
					acctest.Expect(vmAddr, "network_interfaces.0.mac", knownvalue.StringRegexp(regexp.MustCompile(`^52:54:00(:[0-9a-f]{2}){3}$`))),
					acctest.Expect(vmAddr, "network_interfaces.0.model", knownvalue.StringExact("virtio")),
					acctest.Expect("data.unikernel_instance.vm", "state", knownvalue.StringExact("running")),
					acctest.Expect("data.unikernel_instance.vm", "network_interfaces.0.ipv4_addresses.0", knownvalue.StringExact(lan.Host(50))),
					acctest.Expect("data.unikernel_instance_console.vm", "output", knownvalue.StringRegexp(regexp.MustCompile(`MICROVM-READY ipv4=`+regexp.QuoteMeta(lan.HostCIDR(50))))),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					captureAttr("unikernel_instance.vm", "id", &uuid),
					captureAttr("unikernel_instance.vm", "network_interfaces.0.mac", &mac),
					httpAnswer(cmd1),
				),
			},
			{
				// memory and cmdline: in place, restarted, identity kept.
				Config: config(160, cmd2),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("unikernel_instance.vm", plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.Expect(vmAddr, "memory", knownvalue.Int64Exact(160)),
					acctest.Expect(vmAddr, "network_interfaces.0.ipv4_addresses.0", knownvalue.StringExact(lan.Host(50))),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					sameAttr("unikernel_instance.vm", "id", &uuid),
					sameAttr("unikernel_instance.vm", "network_interfaces.0.mac", &mac),
					expectBoots(t, name, 2),
					httpAnswer(cmd2),
				),
			},
			{
				// Another reserved address: the reservation is changed in one network
				// update (same MAC), and the restarted guest takes the new lease.
				Config: config(160, cmd2, 51),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("unikernel_instance.vm", plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.Expect(vmAddr, "network_interfaces.0.ipv4_addresses.0", knownvalue.StringExact(lan.Host(51))),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					sameAttr("unikernel_instance.vm", "id", &uuid),
					sameAttr("unikernel_instance.vm", "network_interfaces.0.mac", &mac),
					func(*terraform.State) error {
						c, _ := acctest.Client(t)
						info, err := c.ReadNetwork(context.Background(), lan.Name)
						if err != nil {
							return err
						}
						var hosts []string
						for _, h := range info.Spec.Hosts {
							hosts = append(hosts, h.MAC+"="+h.IPv4)
						}
						if want := []string{mac + "=" + lan.Host(51)}; !reflect.DeepEqual(hosts, want) {
							return fmt.Errorf("reservations on %s are %v, want %v", lan.Name, hosts, want)
						}
						return nil
					},
					acctest.CheckHTTPBody(microVMURL(lan, 51, "/"), cmd2),
				),
			},
		},
	})
}

func TestAccInstance_liveUpdates(t *testing.T) {
	g := testAccInstancePreCheck(t)
	name := acctest.RandName("live")
	vm := multiboot(g, name, "live")
	vm.ShutdownTimeout = "0s"
	cfg := func(extra string) string {
		vm := vm
		vm.Extra = extra
		return testConfig(vm)
	}
	cfgNamed := func(name, extra string) string {
		vm := vm
		vm.Name, vm.Extra = name, extra
		return testConfig(vm)
	}
	var uuid string
	update := resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectResourceAction(vm.Addr(), plancheck.ResourceActionUpdate),
	}}
	testAccInstances(t, []resource.TestStep{
		{
			Config: cfg(""),
			Check:  resource.ComposeAggregateTestCheckFunc(captureAttr("unikernel_instance.test", "id", &uuid), expectBoots(t, name, 1)),
		},
		{
			// description and autostart change live: no restart.
			Config:           cfg(`description = "edge cache"` + "\n" + `autostart = true`),
			ConfigPlanChecks: update,
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.Expect(vm.Addr(), "description", knownvalue.StringExact("edge cache")),
				acctest.Expect(vm.Addr(), "autostart", knownvalue.Bool(true)),
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				sameAttr("unikernel_instance.test", "id", &uuid),
				expectBoots(t, name, 1),
				acctest.CheckDomain(name, func(info hypervisor.DomainInfo) error {
					if info.Spec.Description != "edge cache" || !info.Autostart || info.State != hypervisor.StateRunning {
						return fmt.Errorf("libvirt has %+v", info)
					}
					return nil
				}),
			),
		},
		{
			// running = false stops it live.
			Config:            cfg(`description = "edge cache"` + "\n" + `autostart = true` + "\n" + `running = false`),
			ConfigPlanChecks:  update,
			ConfigStateChecks: []statecheck.StateCheck{acctest.Expect(vm.Addr(), "state", knownvalue.StringExact("shutoff"))},
			Check: resource.ComposeAggregateTestCheckFunc(
				sameAttr("unikernel_instance.test", "id", &uuid),
				acctest.CheckDomain(name, func(info hypervisor.DomainInfo) error {
					if info.State != hypervisor.StateShutoff {
						return fmt.Errorf("state %s, want shutoff", info.State)
					}
					return nil
				}),
			),
		},
		{
			// running = true starts it again through the readiness gate.
			Config:            cfg(`description = "edge cache"` + "\n" + `autostart = true`),
			ConfigPlanChecks:  update,
			ConfigStateChecks: []statecheck.StateCheck{acctest.Expect(vm.Addr(), "state", knownvalue.StringExact("running"))},
			Check: resource.ComposeAggregateTestCheckFunc(
				sameAttr("unikernel_instance.test", "id", &uuid),
				expectBoots(t, name, 2),
			),
		},
		{
			// vcpus and on_crash: in place with a restart, same UUID.
			Config:           cfg(`description = "edge cache"` + "\n" + `autostart = true` + "\n" + `vcpus = 2` + "\n" + `on_crash = "preserve"`),
			ConfigPlanChecks: update,
			Check: resource.ComposeAggregateTestCheckFunc(
				sameAttr("unikernel_instance.test", "id", &uuid),
				expectBoots(t, name, 3),
				acctest.CheckDomain(name, func(info hypervisor.DomainInfo) error {
					if info.Spec.VCPUs != 2 || info.Spec.OnCrash != "preserve" || info.State != hypervisor.StateRunning {
						return fmt.Errorf("libvirt has %+v", info)
					}
					return nil
				}),
			),
		},
		{
			// name forces a new instance.
			Config: cfgNamed(name+"-b", ""),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("unikernel_instance.test", plancheck.ResourceActionDestroyBeforeCreate),
			}},
		},
		{
			// hypervisor forces a new instance. Under nested KVM on some hosts (AMD EPYC seen) QEMU's `max` and
			// `host` CPUs fail to start ("failed to set MSR 0x10a"), so this step names an old model that such hosts
			// still offer (libvirt reports qemu64 unusable there).
			Config: cfgNamed(name+"-b", `hypervisor = "kvm"`+"\n"+`cpu_mode = "pentium3"`),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("unikernel_instance.test", plancheck.ResourceActionDestroyBeforeCreate),
			}},
			ConfigStateChecks: []statecheck.StateCheck{acctest.Expect(vm.Addr(), "hypervisor", knownvalue.StringExact("kvm"))},
		},
	})
}

func TestAccInstance_readinessTimeout(t *testing.T) {
	g := testAccInstancePreCheck(t)
	name := acctest.RandName("slow")
	vm := multiboot(g, name, "never ready")
	vm.ShutdownTimeout = "0s"
	vm.WaitFor = &tfconfig.WaitFor{Console: "THIS-LINE-NEVER-COMES", Timeout: "3s"}
	testAccInstances(t, []resource.TestStep{{
		Config:      testConfig(vm),
		ExpectError: regexp.MustCompile(`(?s)not ready after 3s.*wait_for\.console: no console line matched "THIS-LINE-NEVER-COMES".*Last console lines:.*UNIKERNEL-READY cmdline=never ready`),
	}})
}

func TestAccInstance_diskBoot(t *testing.T) {
	g := testAccInstancePreCheck(t)
	dir := t.TempDir()
	raw, qcow := dir+"/disk.raw", dir+"/disk.qcow2"
	acctest.CopyFile(t, g.BootDiskRaw, raw)
	acctest.CopyFile(t, g.BootDiskQCOW2, qcow)
	name := acctest.RandName("disk")
	cfg := func(path, format string) string {
		return testConfig(tfconfig.Instance{
			Label: "test", Name: name, Memory: 16, ShutdownTimeout: "0s",
			Extra:   fmt.Sprintf("disks = [{\n  path   = %q\n  format = %q\n}]", path, format),
			WaitFor: &tfconfig.WaitFor{Console: "DISK-READY boot=mbr", Timeout: "60s"},
		}, tfconfig.Raw(`
data "unikernel_instance" "test" {
  name = unikernel_instance.test.name
}
`))
	}
	testAccInstances(t, []resource.TestStep{
		{
			Config: cfg(raw, "raw"),
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.Expect("unikernel_instance.test", "boot_format", knownvalue.StringExact("disk")),
				acctest.Expect("unikernel_instance.test", "disks.0.bus", knownvalue.StringExact("virtio")),
				acctest.Expect("unikernel_instance.test", "state", knownvalue.StringExact("running")),
				// The data source reads the domain through the resource's
				// mapping: no kernel is null in both, never "".
				acctest.Expect("unikernel_instance.test", "kernel", knownvalue.Null()),
				acctest.Expect("data.unikernel_instance.test", "kernel", knownvalue.Null()),
				acctest.Expect("data.unikernel_instance.test", "state", knownvalue.StringExact("running")),
			},
		},
		{
			Config: cfg(qcow, "qcow2"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("unikernel_instance.test", plancheck.ResourceActionUpdate),
			}},
			Check: acctest.CheckDomain(name, func(info hypervisor.DomainInfo) error {
				if len(info.Spec.Disks) != 1 || info.Spec.Disks[0].Path != qcow || info.Spec.Disks[0].Format != "qcow2" {
					return fmt.Errorf("libvirt has disks %+v", info.Spec.Disks)
				}
				return nil
			}),
		},
	})
}

func TestAccInstance_validation(t *testing.T) {
	g := testAccInstancePreCheck(t)
	cases := map[string]struct{ body, err string }{
		"bad name":          {`name = "web/1"` + "\n" + `kernel = "/k"`, `must be 1 to 64 characters`},
		"long name":         {`name = "` + strings.Repeat("a", 65) + `"` + "\n" + `kernel = "/k"`, `must be 1 to 64 characters`},
		"relative kernel":   {`name = "x"` + "\n" + `kernel = "k.elf"`, `must be an absolute host path`},
		"dotdot kernel":     {`name = "x"` + "\n" + `kernel = "/var/../etc/shadow"`, `must not contain .\.\.. components`},
		"newline cmdline":   {`name = "x"` + "\n" + `kernel = "/k"` + "\n" + `cmdline = "a\nb"`, `must not contain a newline`},
		"long cmdline":      {`name = "x"` + "\n" + `kernel = "/k"` + "\n" + `cmdline = "` + strings.Repeat("a", 4097) + `"`, `string length must be at most 4096`},
		"nothing to boot":   {`name = "x"`, `Nothing to boot`},
		"cmdline no kernel": {`name = "x"` + "\n" + `cmdline = "a"` + "\n" + `disks = [{ path = "/d" }]`, `"kernel" must be specified`},
		"too much memory":   {`name = "x"` + "\n" + `kernel = "/k"` + "\n" + `memory = 4000000`, `Not enough host memory`},
		"bad mac":           {`name = "x"` + "\n" + `kernel = "/k"` + "\n" + `network_interfaces = [{ network = "n", mac = "52:54:00:zz:00:01" }]`, `must be a MAC address`},
		"bad on_crash":      {`name = "x"` + "\n" + `kernel = "/k"` + "\n" + `on_crash = "reboot"`, `value must be one of`},
		"bad regexp":        {`name = "x"` + "\n" + `kernel = "/k"` + "\n" + `wait_for = { console = "(" }`, `valid regular expression`},
		"bad timeout":       {`name = "x"` + "\n" + `kernel = "/k"` + "\n" + `wait_for = { timeout = "soon" }`, `Go duration|non-negative duration`},
		"disk image+path":   {`name = "x"` + "\n" + `disks = [{ path = "/d", image = "/e" }]`, `Invalid Attribute Combination`},
		"bad hypervisor":    {`name = "x"` + "\n" + `kernel = "/k"` + "\n" + `hypervisor = "vmware"`, `value must be one of`},
		// On a local hypervisor host paths are checked at plan time.
		"missing kernel":   {`name = "x"` + "\n" + `kernel = "/nonexistent/hello.elf"`, `/nonexistent/hello.elf does not exist on the hypervisor host`},
		"missing initrd":   {`name = "x"` + "\n" + `kernel = "` + g.MultibootKernel + `"` + "\n" + `initrd = "/nonexistent/initrd.cpio"`, `/nonexistent/initrd.cpio does not exist on the hypervisor host`},
		"missing disk":     {`name = "x"` + "\n" + `disks = [{ path = "/nonexistent/disk.qcow2" }]`, `/nonexistent/disk.qcow2 does not exist on the hypervisor host`},
		"directory kernel": {`name = "x"` + "\n" + `kernel = "/var/lib"`, `/var/lib is not a regular file`},
	}
	steps := make([]resource.TestStep, 0, len(cases))
	for label, c := range cases {
		steps = append(steps, resource.TestStep{
			Config:      testProviderBlock() + "resource \"unikernel_instance\" \"bad\" {\n" + c.body + "\n}\n",
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)` + c.err),
		})
		_ = label
	}
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: steps})
}
