package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// hclStrings writes a list of strings as an HCL expression.
func hclStrings(t *testing.T, words []string) string {
	t.Helper()
	b, err := json.Marshal(words)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "${") || strings.Contains(string(b), "%{") {
		t.Fatalf("%s would be a template", b)
	}
	return string(b)
}

// hclMap writes a map of strings as an HCL expression.
func hclMap(t *testing.T, m map[string]string) string {
	t.Helper()
	var lines []string
	for k, v := range m {
		b, _ := json.Marshal(v)
		lines = append(lines, fmt.Sprintf("%q = %s", k, b))
	}
	return "{\n" + strings.Join(lines, "\n") + "\n}"
}

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
func TestAccInstanceFamily_UnikraftArgs(t *testing.T) {
	testAccInstancePreCheck(t)
	tp := acctest.ThirdPartyGuests(t)
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	name := acctest.RandName("uk-args")
	first := []string{"one", "two words", `say "hi"`, "it's", `back\slash`, "a=b", "x.y=z", "ünïcødé 日本"}
	second := []string{"--port=8080", "second run"}
	config := func(args []string) string {
		return testProviderBlock() + ociPool(pool, dir) + fmt.Sprintf(`
resource "unikernel_image" "k" {
  name   = "helloworld.elf"
  pool   = unikernel_pool.p.name
  source = %q
}

resource "unikernel_instance" "uk" {
  name             = %q
  family           = "unikraft"
  kernel           = unikernel_image.k.id
  args             = %s
  memory           = 32
  mode             = "job"
  shutdown_timeout = "0s"
  wait_for = {
    console = "^Arguments:"
    timeout = "120s"
  }
}
`, tp.UnikraftHello, name, hclStrings(t, args))
	}
	var uuid string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckInstancesDestroyed,
		Steps: []resource.TestStep{
			{
				Config: config(first),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("unikernel_instance.uk", "family", "unikraft"),
					resource.TestCheckResourceAttr("unikernel_instance.uk", "machine", "pc"),
					resource.TestCheckResourceAttr("unikernel_instance.uk", "rng", "false"),
					resource.TestCheckResourceAttr("unikernel_instance.uk", "state", "shutoff"),
					captureAttr("unikernel_instance.uk", "id", &uuid),
					checkConsoleCount(name, unikraftArgsLine(first), 1),
				),
			},
			{
				Config: config(second),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("unikernel_instance.uk", plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrPtr("unikernel_instance.uk", "id", &uuid),
					resource.TestCheckResourceAttr("unikernel_instance.uk", "boot_cmdline", "--port=8080 \"second run\""),
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
func TestAccInstanceFamily_Linux(t *testing.T) {
	g := testAccInstancePreCheck(t)
	acctest.RequireHarnessNetns(t)
	lan := acctest.TestNetwork(t, "nat")
	name := acctest.RandName("linux-fam")
	args := []string{"--listen=:8080", "two words", "ünï", "a=b"}
	env := map[string]string{"APP_MODE": "prod", "APP_GREETING": "hi there", "APP_EMPTY": ""}
	config := testProviderBlock() + fmt.Sprintf(`
resource "unikernel_instance" "vm" {
  name    = %q
  family  = "linux"
  kernel  = %q
  initrd  = %q
  cmdline = "console=ttyS0 panic=-1 quiet"
  args    = %s
  env     = %s
  memory  = 128
  shutdown_timeout = "0s"
  network_interfaces = [{
    network      = %q
    ipv4_address = %q
  }]
  wait_for = {
    ipv4     = true
    tcp_port = 8080
    timeout  = "90s"
  }
}
`, name, g.MicroVMKernel, g.MicroVMInitrd, hclStrings(t, args), hclMap(t, env), lan.Name, lan.Host(60))
	wantLine := `console=ttyS0 panic=-1 quiet ip=` + lan.Host(60) + `::` + lan.Gateway() + `:` + lan.Netmask() + `::eth0:off APP_EMPTY= ` +
		`"APP_GREETING=hi there" APP_MODE=prod -- --listen=:8080 "two words" ünï a=b`
	var mac, cmdline string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckInstancesDestroyed,
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("unikernel_instance.vm", "boot_cmdline", wantLine),
					resource.TestCheckResourceAttr("unikernel_instance.vm", "rng", "true"),
					resource.TestCheckResourceAttr("unikernel_instance.vm", "network_interfaces.0.ipv4_addresses.0", lan.Host(60)),
					captureAttr("unikernel_instance.vm", "network_interfaces.0.mac", &mac),
					captureAttr("unikernel_instance.vm", "boot_cmdline", &cmdline),
					checkConsoleCount(name, regexp.QuoteMeta(`MICROVM-ARGV ["--listen=:8080","two words","ünï","a=b"]`), 1),
					checkConsoleCount(name, regexp.QuoteMeta(`"APP_GREETING":"hi there"`), 1),
					checkConsoleCount(name, regexp.QuoteMeta(`"APP_MODE":"prod"`), 1),
					checkConsoleCount(name, regexp.QuoteMeta(`"APP_EMPTY":""`), 1),
					checkConsoleCount(name, `MICROVM-READY ipv4=`+regexp.QuoteMeta(lan.HostCIDR(60))+` `, 1),
					func(*terraform.State) error {
						if err := checkNoLease(t, lan.Name, mac); err != nil {
							return err
						}
						// The kernel booted the command line the plan showed.
						resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + lan.Host(60) + ":8080/")
						if err != nil {
							return err
						}
						defer resp.Body.Close()
						b, _ := io.ReadAll(resp.Body)
						if got := strings.TrimSpace(string(b)); got != cmdline {
							return fmt.Errorf("the guest booted %q, the state says %q", got, cmdline)
						}
						return nil
					},
				),
			},
			{Config: config, PlanOnly: true},
		},
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
func TestAccInstanceFamily_OSv(t *testing.T) {
	testAccInstancePreCheck(t)
	acctest.RequireHarnessNetns(t)
	tp := acctest.ThirdPartyGuests(t)
	lan := acctest.TestNetwork(t, "nat")
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	web, job := acctest.RandName("osv-web"), acctest.RandName("osv-job")
	config := testProviderBlock() + ociPool(pool, dir) + fmt.Sprintf(`
resource "unikernel_image" "loader" {
  name   = "loader.elf"
  pool   = unikernel_pool.p.name
  source = %[1]q
}

resource "unikernel_image" "lighttpd" {
  name   = "lighttpd.qcow2"
  pool   = unikernel_pool.p.name
  source = %[2]q
}

resource "unikernel_image" "hello" {
  name   = "hello.qcow2"
  pool   = unikernel_pool.p.name
  source = %[3]q
}

resource "unikernel_instance" "web" {
  name   = %[4]q
  family = "osv"
  kernel = unikernel_image.loader.id
  args   = ["/lighttpd", "-D", "-f", "/lighttpd.conf"]
  memory = 256
  disks  = [{ base_image = unikernel_image.lighttpd.id }]
  network_interfaces = [{
    network      = %[6]q
    ipv4_address = %[7]q
  }]
  wait_for = {
    console  = %[8]q
    tcp_port = 80
    timeout  = "120s"
  }
}

resource "unikernel_instance" "job" {
  name    = %[5]q
  family  = "osv"
  kernel  = unikernel_image.loader.id
  cmdline = "--verbose"
  env     = { GREETING = "hi there" }
  args    = ["/hello"]
  memory  = 256
  mode    = "job"
  disks   = [{ base_image = unikernel_image.hello.id }]
  wait_for = {
    console = "Hello from C code"
    timeout = "120s"
  }
}
`, tp.OSvLoader, tp.OSvLighttpd, tp.OSvHello, web, job, lan.Name, lan.Host(60), "^eth0: "+regexp.QuoteMeta(lan.Host(60)))
	var mac string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckInstancesDestroyed,
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("unikernel_instance.web", "boot_format", "pvh"),
					resource.TestCheckResourceAttr("unikernel_instance.web", "boot_cmdline",
						"--ip=eth0,"+lan.Host(60)+","+lan.Netmask()+" --defaultgw="+lan.Gateway()+" /lighttpd -D -f /lighttpd.conf"),
					resource.TestCheckResourceAttr("unikernel_instance.web", "rng", "true"),
					resource.TestCheckResourceAttr("unikernel_instance.web", "machine", "pc"),
					resource.TestCheckResourceAttr("unikernel_instance.job", "state", "shutoff"),
					captureAttr("unikernel_instance.web", "network_interfaces.0.mac", &mac),
					checkConsoleCount(job, `Setting in environment: GREETING=hi there\r?$`, 1),
					func(*terraform.State) error {
						if err := checkNoLease(t, lan.Name, mac); err != nil {
							return err
						}
						resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + lan.Host(60) + "/")
						if err != nil {
							return err
						}
						defer resp.Body.Close()
						if b, _ := io.ReadAll(resp.Body); !strings.Contains(string(b), "Hello, world!") {
							return fmt.Errorf("lighttpd answered %d %q", resp.StatusCode, b)
						}
						return nil
					},
				),
			},
			{Config: config, PlanOnly: true},
		},
	})
}

// Solo5's own tests, as Solo5 built them: test_blk writes and reads back its
// data disk, and test_net_ring, whose address is fixed at 10.0.0.2, is found
// at the address its interface declares (neighbour discovery after a
// probe), with family = "solo5" writing --ipv4 and --ipv4-gateway.
func TestAccInstanceFamily_Solo5(t *testing.T) {
	testAccInstancePreCheck(t)
	acctest.RequireHarnessNetns(t)
	tp := acctest.ThirdPartyGuests(t)
	ringNet := acctest.TestNetworkOn(t, "isolated", acctest.SubnetOf(t, "10.0.0.0/24"))
	scratch := t.TempDir() + "/blk.img"
	acctest.RandomFile(t, scratch, 4<<20)
	blk, ring := acctest.RandName("s5-blk"), acctest.RandName("s5-ring")
	config := testProviderBlock() + fmt.Sprintf(`
resource "unikernel_instance" "blk" {
  name   = %[1]q
  family = "solo5"
  kernel = %[3]q
  memory = 32
  mode   = "job"
  disks  = [{ path = %[5]q, format = "raw" }]
  wait_for = {
    console = "^SUCCESS"
    timeout = "120s"
  }
}

resource "unikernel_instance" "ring" {
  name   = %[2]q
  family = "solo5"
  kernel  = %[4]q
  cmdline = "--solo5:info"
  args    = ["--port=8080"]
  memory  = 32
  network_interfaces = [{
    network      = %[6]q
    ipv4_address = "`+ringNet.Host(2)+`"
  }]
  wait_for = {
    console = "^Serving ping on 10\\.0\\.0\\.2"
    ipv4    = true
    timeout = "120s"
  }
}
`, blk, ring, tp.Solo5Blk, tp.Solo5NetRing, scratch, ringNet.Name)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckInstancesDestroyed,
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("unikernel_instance.blk", "state", "shutoff"),
					resource.TestCheckResourceAttr("unikernel_instance.blk", "shutdown_timeout", "0s"),
					checkConsoleCount(blk, `Solo5: Application acquired 'storage' as block device`, 1),
					resource.TestCheckResourceAttr("unikernel_instance.ring", "boot_cmdline",
						"--solo5:info --ipv4=10.0.0.2/24 --ipv4-gateway=10.0.0.1 --port=8080"),
					resource.TestCheckResourceAttr("unikernel_instance.ring", "network_interfaces.0.ipv4_addresses.0", ringNet.Host(2)),
				),
			},
			{Config: config, PlanOnly: true},
		},
	})
}

// The plan checks static addresses against the network the interface is on
// and against the command line, before anything is created.
func TestAccInstanceFamily_AddressChecks(t *testing.T) {
	g := testAccInstancePreCheck(t)
	lan := acctest.TestNetwork(t, "nat")
	holder := acctest.RandName("addr-holder")
	holderConfig := func(family string) string {
		return testProviderBlock() + fmt.Sprintf(`
resource "unikernel_instance" "holder" {
  name    = %q
  family  = %q
  kernel  = %q
  running = false
  network_interfaces = [{
    network      = %q
    ipv4_address = %q
  }]
}
`, holder, family, g.MultibootKernel, lan.Name, lan.Host(50))
	}
	base := holderConfig("solo5")
	other := func(family, cmdline, addr string) string {
		return base + fmt.Sprintf(`
resource "unikernel_instance" "other" {
  name    = %q
  family  = %q
  kernel  = %q
  cmdline = %q
  running = false
  network_interfaces = [{
    network      = %q
    ipv4_address = %q
  }]
}
`, acctest.RandName("addr-other"), family, g.MultibootKernel, cmdline, lan.Name, addr)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckInstancesDestroyed,
		Steps: []resource.TestStep{
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
		},
	})
}

// A command line changed outside Terraform shows in the plan as a change of
// boot_cmdline, and the apply restores the composed one (a restart).
func TestAccInstanceFamily_Drift(t *testing.T) {
	g := testAccInstancePreCheck(t)
	name := acctest.RandName("fam-drift")
	composed := `--solo5:quiet "--name=two words" --port=8080`
	config := testProviderBlock() + fmt.Sprintf(`
resource "unikernel_instance" "test" {
  name    = %q
  family  = "solo5"
  kernel  = %q
  cmdline = "--solo5:quiet"
  args    = ["--name=two words", "--port=8080"]
  memory  = 16
  wait_for = {
    console = "UNIKERNEL-READY cmdline=%s$"
    timeout = "60s"
  }
}
`, name, g.MultibootKernel, strings.ReplaceAll(regexp.QuoteMeta(composed), `"`, `\"`))
	var uuid string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckInstancesDestroyed,
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("unikernel_instance.test", "boot_cmdline", composed),
					resource.TestCheckResourceAttr("unikernel_instance.test", "cmdline", "--solo5:quiet"),
					captureAttr("unikernel_instance.test", "id", &uuid),
				),
			},
			{
				PreConfig: func() {
					driftRedefine(t, acctest.MustClient(t), name, func(s *hypervisor.DomainSpec) { s.Cmdline = "changed out of band" })
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("unikernel_instance.test", plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrPtr("unikernel_instance.test", "id", &uuid),
					resource.TestCheckResourceAttr("unikernel_instance.test", "boot_cmdline", composed),
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
		},
	})
}
