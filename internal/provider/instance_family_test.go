package provider

import (
	"context"
	"fmt"
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

// unikraftArgsLine is the line Unikraft's helloworld prints for its
// arguments: argv[0], which the loader gives, then each argument quoted.
func unikraftArgsLine(args []string) string {
	re := `^Arguments: +"[^"]*"`
	for _, a := range args {
		re += ` "` + regexp.QuoteMeta(a) + `"`
	}
	return re + `\r?$`
}

// A real Unikraft guest (helloworld, built by Unikraft's own build system)
// gets its arguments through family = "unikraft" and args, each word exactly
// as written: spaces, both quote kinds, a backslash, '=', a word that looks
// like a library parameter, and non-ASCII. A change of args runs the job
// again, in place.
func TestAccInstanceFamily_unikraftArgs(t *testing.T) {
	testAccInstancePreCheck(t)
	tp := acctest.ThirdPartyGuests(t)
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	name := acctest.RandName("uk-args")
	first := []string{"one", "two words", `say "hi"`, "it's", `back\slash`, "a=b", "x.y=z", "ünïcødé 日本"}
	second := []string{"--port=8080", "second run"}
	image := tfconfig.Image{Label: "k", Name: "helloworld.elf", Source: tp.UnikraftHello}
	uk := tfconfig.Instance{
		Label: "uk", Name: name, Family: "unikraft", KernelX: image.ID(), Memory: 32, Mode: "job",
		ShutdownTimeout: "0s", WaitFor: &tfconfig.WaitFor{Console: "^Arguments:", Timeout: "120s"},
	}
	config := func(args []string) string {
		uk.Args = args
		return testConfig(tfconfig.Pool{Name: pool, Path: dir}, image, uk)
	}
	var uuid string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckInstancesDestroyed,
		Steps: []resource.TestStep{
			{
				Config: config(first),
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.Expect(uk.Addr(), "family", knownvalue.StringExact("unikraft")),
					acctest.Expect(uk.Addr(), "machine", knownvalue.StringExact("pc")),
					acctest.Expect(uk.Addr(), "rng", knownvalue.Bool(false)),
					acctest.Expect(uk.Addr(), "state", knownvalue.StringExact("shutoff")),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					captureAttr(uk.Addr(), "id", &uuid),
					checkConsoleCount(name, unikraftArgsLine(first), 1),
				),
			},
			{
				Config: config(second),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(uk.Addr(), plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					acctest.Expect(uk.Addr(), "boot_cmdline", knownvalue.StringExact(`--port=8080 "second run"`)),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrPtr(uk.Addr(), "id", &uuid),
					checkConsoleCount(name, unikraftArgsLine(second), 1),
					checkConsoleCount(name, unikraftArgsLine(first), 1),
				),
			},
		},
	})
}

// A Linux microVM (the provider's test guest, whose /init prints its
// arguments and environment as JSON and reads the kernel's ip= form as
// initramfs-tools does) gets a static address from its interface, arguments
// after " -- " and environment variables through family = "linux", all
// parsed by the real kernel. It takes no DHCP lease, and the readiness gate's
// ipv4 and tcp_port hold for the static address.
func TestAccInstanceFamily_linux(t *testing.T) {
	g := testAccInstancePreCheck(t)
	acctest.RequireHarnessNetns(t)
	lan := acctest.TestNetwork(t, "nat")
	name := acctest.RandName("linux-fam")
	args := []string{"--listen=:8080", "two words", "ünï", "a=b"}
	env := map[string]string{"APP_MODE": "prod", "APP_GREETING": "hi there", "APP_EMPTY": ""}
	vm := microVM(g, name, lan, 60)
	vm.Family, vm.Args, vm.Env = "linux", args, env
	vm.WaitFor = &tfconfig.WaitFor{IPv4: true, TCPPort: 8080, Timeout: "90s"}
	config := testConfig(vm)
	wantLine := `console=ttyS0 panic=-1 quiet ip=` + lan.Host(60) + `::` + lan.Gateway() + `:` + lan.Netmask() + `::eth0:off APP_EMPTY= ` +
		`"APP_GREETING=hi there" APP_MODE=prod -- --listen=:8080 "two words" ünï a=b`
	var mac string
	testAccInstances(t, []resource.TestStep{
		{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.Expect(vm.Addr(), "boot_cmdline", knownvalue.StringExact(wantLine)),
				acctest.Expect(vm.Addr(), "rng", knownvalue.Bool(true)),
				acctest.Expect(vm.Addr(), "network_interfaces.0.ipv4_addresses.0", knownvalue.StringExact(lan.Host(60))),
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				captureAttr(vm.Addr(), "network_interfaces.0.mac", &mac),
				checkConsoleCount(name, regexp.QuoteMeta(`MICROVM-ARGV ["--listen=:8080","two words","ünï","a=b"]`), 1),
				checkConsoleCount(name, regexp.QuoteMeta(`"APP_GREETING":"hi there"`), 1),
				checkConsoleCount(name, regexp.QuoteMeta(`"APP_MODE":"prod"`), 1),
				checkConsoleCount(name, regexp.QuoteMeta(`"APP_EMPTY":""`), 1),
				checkConsoleCount(name, `MICROVM-READY ipv4=`+regexp.QuoteMeta(lan.HostCIDR(60))+` `, 1),
				func(*terraform.State) error { return checkNoLease(t, lan.Name, mac) },
				// The kernel booted the command line the plan showed.
				acctest.CheckHTTPBody(microVMURL(lan, 60, "/"), wantLine),
			),
		},
		{Config: config, PlanOnly: true},
	})
}

// checkNoLease fails when the network leased an address to mac: a guest
// with a static address never asks DHCP.
func checkNoLease(t *testing.T, network, mac string) error {
	c, err := acctest.Client(t)
	if err != nil {
		return err
	}
	leases, err := c.Leases(context.Background(), network)
	if err != nil {
		return err
	}
	for _, l := range leases {
		if strings.EqualFold(l.MAC, mac) {
			return fmt.Errorf("the static guest %s has a DHCP lease %s", mac, l.IPv4)
		}
	}
	return nil
}

// OSv's kernel (loader.elf, a PVH ELF) booted directly with a real OSv disk:
// family = "osv" writes the static address as --ip and --defaultgw, the
// environment as --env and the application's command line from args.
// lighttpd serves on the static address without a DHCP lease; /hello, run as
// a job with --verbose, shows the environment it got.
func TestAccInstanceFamily_osv(t *testing.T) {
	testAccInstancePreCheck(t)
	acctest.RequireHarnessNetns(t)
	tp := acctest.ThirdPartyGuests(t)
	lan := acctest.TestNetwork(t, "nat")
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	web, job := acctest.RandName("osv-web"), acctest.RandName("osv-job")
	loader := tfconfig.Image{Label: "loader", Name: "loader.elf", Source: tp.OSvLoader}
	lighttpd := tfconfig.Image{Label: "lighttpd", Name: "lighttpd.qcow2", Source: tp.OSvLighttpd}
	hello := tfconfig.Image{Label: "hello", Name: "hello.qcow2", Source: tp.OSvHello}
	webVM := tfconfig.Instance{
		Label: "web", Name: web, Family: "osv", KernelX: loader.ID(),
		Args: []string{"/lighttpd", "-D", "-f", "/lighttpd.conf"}, Memory: 256,
		BaseImages: []tfconfig.Expr{lighttpd.ID()},
		NICs:       []tfconfig.NIC{{Network: lan.Name, IPv4: lan.Host(60)}},
		WaitFor:    &tfconfig.WaitFor{Console: "^eth0: " + regexp.QuoteMeta(lan.Host(60)), TCPPort: 80, Timeout: "120s"},
	}
	jobVM := tfconfig.Instance{
		Label: "job", Name: job, Family: "osv", KernelX: loader.ID(), Cmdline: "--verbose",
		Env: map[string]string{"GREETING": "hi there"}, Args: []string{"/hello"}, Memory: 256, Mode: "job",
		BaseImages: []tfconfig.Expr{hello.ID()},
		WaitFor:    &tfconfig.WaitFor{Console: "Hello from C code", Timeout: "120s"},
	}
	config := testConfig(tfconfig.Pool{Name: pool, Path: dir}, loader, lighttpd, hello, webVM, jobVM)
	var mac string
	testAccInstances(t, []resource.TestStep{
		{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.Expect(webVM.Addr(), "boot_format", knownvalue.StringExact("pvh")),
				acctest.Expect(webVM.Addr(), "boot_cmdline", knownvalue.StringExact(
					"--ip=eth0,"+lan.Host(60)+","+lan.Netmask()+" --defaultgw="+lan.Gateway()+" /lighttpd -D -f /lighttpd.conf")),
				acctest.Expect(webVM.Addr(), "rng", knownvalue.Bool(true)),
				acctest.Expect(webVM.Addr(), "machine", knownvalue.StringExact("pc")),
				acctest.Expect(jobVM.Addr(), "state", knownvalue.StringExact("shutoff")),
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				captureAttr(webVM.Addr(), "network_interfaces.0.mac", &mac),
				checkConsoleCount(job, `Setting in environment: GREETING=hi there\r?$`, 1),
				func(*terraform.State) error { return checkNoLease(t, lan.Name, mac) },
				acctest.CheckHTTPContains("http://"+lan.Host(60)+"/", "Hello, world!"),
			),
		},
		{Config: config, PlanOnly: true},
	})
}

// Solo5's own tests, as Solo5 built them: test_blk writes and reads back its
// data disk, and test_net_ring, whose address is fixed at 10.0.0.2, is found
// at the address its interface declares (neighbour discovery after a
// probe), with family = "solo5" writing --ipv4 and --ipv4-gateway.
func TestAccInstanceFamily_solo5(t *testing.T) {
	testAccInstancePreCheck(t)
	acctest.RequireHarnessNetns(t)
	tp := acctest.ThirdPartyGuests(t)
	ringNet := acctest.TestNetworkOn(t, "isolated", acctest.SubnetOf(t, "10.0.0.0/24"))
	scratch := t.TempDir() + "/blk.img"
	acctest.RandomFile(t, scratch, 4<<20)
	blk, ring := acctest.RandName("s5-blk"), acctest.RandName("s5-ring")
	// Solo5's test_net_ring has its address built in: host 2 of 10.0.0.0/24.
	blkVM := tfconfig.Instance{
		Label: "blk", Name: blk, Family: "solo5", Kernel: tp.Solo5Blk, Memory: 32, Mode: "job",
		Extra:   fmt.Sprintf(`disks = [{ path = %q, format = "raw" }]`, scratch),
		WaitFor: &tfconfig.WaitFor{Console: "^SUCCESS", Timeout: "120s"},
	}
	ringVM := tfconfig.Instance{
		Label: "ring", Name: ring, Family: "solo5", Kernel: tp.Solo5NetRing, Cmdline: "--solo5:info",
		Args: []string{"--port=8080"}, Memory: 32,
		NICs:    []tfconfig.NIC{{Network: ringNet.Name, IPv4: ringNet.Host(2)}},
		WaitFor: &tfconfig.WaitFor{Console: "^Serving ping on " + regexp.QuoteMeta(ringNet.Host(2)), IPv4: true, Timeout: "120s"},
	}
	config := testConfig(blkVM, ringVM)
	testAccInstances(t, []resource.TestStep{
		{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.Expect(blkVM.Addr(), "state", knownvalue.StringExact("shutoff")),
				acctest.Expect(blkVM.Addr(), "shutdown_timeout", knownvalue.StringExact("0s")),
				acctest.Expect(ringVM.Addr(), "boot_cmdline", knownvalue.StringExact(
					"--solo5:info --ipv4="+ringNet.HostCIDR(2)+" --ipv4-gateway="+ringNet.Gateway()+" --port=8080")),
				acctest.Expect(ringVM.Addr(), "network_interfaces.0.ipv4_addresses.0", knownvalue.StringExact(ringNet.Host(2))),
			},
			Check: checkConsoleCount(blk, `Solo5: Application acquired 'storage' as block device`, 1),
		},
		{Config: config, PlanOnly: true},
	})
}

// The plan checks static addresses against the network the interface is on
// and against the command line, before anything is created.
func TestAccInstanceFamily_addressChecks(t *testing.T) {
	g := testAccInstancePreCheck(t)
	lan := acctest.TestNetwork(t, "nat")
	holder := acctest.RandName("addr-holder")
	// The holder reserves host 50; the other instance tries addresses next to it.
	holderConfig := func(family string) string {
		return testConfig(tfconfig.Instance{
			Label: "holder", Name: holder, Family: family, Kernel: g.MultibootKernel, Running: tfconfig.Bool(false),
			NICs: []tfconfig.NIC{{Network: lan.Name, IPv4: lan.Host(50)}},
		})
	}
	base := holderConfig("solo5")
	other := func(family, cmdline, addr string) string {
		return base + tfconfig.Instance{
			Label: "other", Name: acctest.RandName("addr-other"), Family: family, Kernel: g.MultibootKernel,
			Cmdline: cmdline, Running: tfconfig.Bool(false),
			NICs: []tfconfig.NIC{{Network: lan.Name, IPv4: addr}},
		}.HCL()
	}
	testAccInstances(t, []resource.TestStep{
		{Config: base},
		{Config: other("generic", "x", lan.Host(50)), PlanOnly: true,
			ExpectError: regexp.MustCompile(`(?s)Address reserved already.*reserved\s+on\s+network\s.*for\s+MAC`)},
		{Config: other("generic", "x", "10.99.0.5"), PlanOnly: true,
			ExpectError: regexp.MustCompile(`(?s)Address outside the network.*is\s+outside\s+` + regexp.QuoteMeta(lan.CIDR()))},
		{Config: other("solo5", "", lan.Gateway()), PlanOnly: true,
			ExpectError: regexp.MustCompile(`(?s)Address of the gateway`)},
		{Config: other("solo5", "", lan.Broadcast()), PlanOnly: true,
			ExpectError: regexp.MustCompile(`(?s)Network or broadcast address`)},
		{Config: other("generic", "--ipv4="+lan.HostCIDR(51), lan.Host(52)), PlanOnly: true,
			ExpectError: regexp.MustCompile(`(?s)Address differs from the interface's.*` + regexp.QuoteMeta(lan.Host(51)))},
		{Config: other("solo5", "--ipv4="+lan.HostCIDR(52), lan.Host(52)), PlanOnly: true,
			ExpectError: regexp.MustCompile(`(?s)Address given twice`)},
		{Config: other("solo5", "", lan.Host(52)), PlanOnly: true, ExpectNonEmptyPlan: true},
		// The holder replaced (another family) keeps its address: the reservation
		// is its own until its old domain is destroyed.
		{Config: holderConfig("unikraft"), PlanOnly: true, ExpectNonEmptyPlan: true},
	})
}

// A command line changed outside Terraform shows in the plan as a change of
// boot_cmdline, and the apply restores the composed one (a restart).
func TestAccInstanceFamily_drift(t *testing.T) {
	g := testAccInstancePreCheck(t)
	name := acctest.RandName("fam-drift")
	composed := `--solo5:quiet "--name=two words" --port=8080`
	vm := tfconfig.Instance{
		Label: "test", Name: name, Family: "solo5", Kernel: g.MultibootKernel, Cmdline: "--solo5:quiet",
		Args: []string{"--name=two words", "--port=8080"}, Memory: 16,
		WaitFor: &tfconfig.WaitFor{Console: "UNIKERNEL-READY cmdline=" + regexp.QuoteMeta(composed) + "$", Timeout: "60s"},
	}
	config := testConfig(vm)
	var uuid string
	testAccInstances(t, []resource.TestStep{
		{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.Expect(vm.Addr(), "boot_cmdline", knownvalue.StringExact(composed)),
				acctest.Expect(vm.Addr(), "cmdline", knownvalue.StringExact("--solo5:quiet")),
			},
			Check: captureAttr(vm.Addr(), "id", &uuid),
		},
		{
			PreConfig: func() {
				driftRedefine(t, acctest.MustClient(t), name, func(s *hypervisor.DomainSpec) { s.Cmdline = "changed out of band" })
			},
			Config: config,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(vm.Addr(), plancheck.ResourceActionUpdate),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.Expect(vm.Addr(), "boot_cmdline", knownvalue.StringExact(composed)),
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrPtr(vm.Addr(), "id", &uuid),
				acctest.CheckDomain(name, func(info hypervisor.DomainInfo) error {
					if info.Spec.Cmdline != composed {
						return fmt.Errorf("libvirt has the command line %q, want %q", info.Spec.Cmdline, composed)
					}
					return nil
				}),
				checkConsoleCount(name, `UNIKERNEL-READY cmdline=`+regexp.QuoteMeta(composed)+`\r?$`, 2),
			),
		},
		{Config: config, PlanOnly: true},
	})
}
