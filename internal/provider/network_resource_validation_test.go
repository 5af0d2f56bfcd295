package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// Configuration mistakes are refused at plan time, with the attribute named.
func TestAccNetworkResource_validation(t *testing.T) {
	testAccPreCheck(t)
	cases := []struct {
		name, body, want string
	}{
		{"cidr not a network", `ipv4_cidr = "10.214.18.5/24"`, `(?s)Invalid IPv4 CIDR.*write 10\.214\.18\.0/24`},
		{"cidr garbage", `ipv4_cidr = "10.214.18/24"`, `(?s)Invalid IPv4 CIDR.*not an IPv4 CIDR`},
		{"cidr too small", `ipv4_cidr = "10.214.18.0/31"`, `(?s)Invalid IPv4 CIDR.*at most /30`},
		{"ipv6 cidr as ipv4", `
  ipv4_cidr = "10.214.18.0/24"
  ipv6_cidr = "10.214.19.0/24"`, `(?s)Invalid IPv6 CIDR`},
		{"range outside", `
  ipv4_cidr = "10.214.18.0/24"
  dhcp = { start = "10.214.17.10", end = "10.214.18.20" }`, `(?s)dhcp\.start 10\.214\.17\.10 is outside ipv4_cidr`},
		{"range on gateway", `
  ipv4_cidr = "10.214.18.0/24"
  dhcp = { start = "10.214.18.1", end = "10.214.18.20" }`, `(?s)is the gateway 10\.214\.18\.1`},
		{"range backwards", `
  ipv4_cidr = "10.214.18.0/24"
  dhcp = { start = "10.214.18.50", end = "10.214.18.20" }`, `(?s)dhcp\.end 10\.214\.18\.20 comes before`},
		{"range broadcast", `
  ipv4_cidr = "10.214.18.0/24"
  dhcp = { start = "10.214.18.50", end = "10.214.18.255" }`, `(?s)broadcast address`},
		{"range half", `
  ipv4_cidr = "10.214.18.0/24"
  dhcp = { start = "10.214.18.50" }`, `(?s)Set both .dhcp\.start. and .dhcp\.end.`},
		{"range without dhcp", `
  ipv4_cidr = "10.214.18.0/24"
  dhcp = { enabled = false, start = "10.214.18.50", end = "10.214.18.60" }`, `(?s)need DHCP`},
		{"duplicate mac", `
  ipv4_cidr = "10.214.18.0/24"
  hosts = [
    { mac = "52:54:00:14:12:01", ipv4 = "10.214.18.10" },
    { mac = "52:54:00:14:12:01", ipv4 = "10.214.18.11" },
  ]`, `(?s)Duplicate MAC address.*52:54:00:14:12:01`},
		{"duplicate ip", `
  ipv4_cidr = "10.214.18.0/24"
  hosts = [
    { mac = "52:54:00:14:12:01", ipv4 = "10.214.18.10" },
    { mac = "52:54:00:14:12:02", ipv4 = "10.214.18.10" },
  ]`, `(?s)Duplicate address.*10\.214\.18\.10 is reserved twice`},
		{"duplicate hostname", `
  ipv4_cidr = "10.214.18.0/24"
  hosts = [
    { mac = "52:54:00:14:12:01", ipv4 = "10.214.18.10", hostname = "web" },
    { mac = "52:54:00:14:12:02", ipv4 = "10.214.18.11", hostname = "WEB" },
  ]`, `(?s)Duplicate hostname`},
		{"reservation outside", `
  ipv4_cidr = "10.214.18.0/24"
  hosts = [{ mac = "52:54:00:14:12:01", ipv4 = "10.214.99.10" }]`, `(?s)reservation 10\.214\.99\.10 is outside`},
		{"reservation without dhcp", `
  ipv4_cidr = "10.214.18.0/24"
  dhcp  = { enabled = false }
  hosts = [{ mac = "52:54:00:14:12:01", ipv4 = "10.214.18.10" }]`, `(?s)Static reservations are handed out by DHCP`},
		{"bad mac", `
  ipv4_cidr = "10.214.18.0/24"
  hosts = [{ mac = "52:54:00:14:12", ipv4 = "10.214.18.10" }]`, `(?s)Invalid MAC address.*not a MAC address`},
		{"uppercase mac", `
  ipv4_cidr = "10.214.18.0/24"
  hosts = [{ mac = "52:54:00:14:12:AB", ipv4 = "10.214.18.10" }]`, `(?s)Invalid MAC address.*lowercase: 52:54:00:14:12:ab`},
		{"multicast mac", `
  ipv4_cidr = "10.214.18.0/24"
  hosts = [{ mac = "01:00:5e:00:00:01", ipv4 = "10.214.18.10" }]`, `(?s)multicast`},
		{"bridge name too long", `
  ipv4_cidr = "10.214.18.0/24"
  bridge    = "tf-acc-a-very-long-bridge"`, `(?s)Invalid interface name.*at most 15`},
		{"bridge mode with cidr", `
  mode      = "bridge"
  bridge    = "br0"
  ipv4_cidr = "10.214.18.0/24"`, `(?s)mode = "bridge" attaches to an existing host bridge`},
		{"bridge mode with mtu", `
  mode   = "bridge"
  bridge = "br0"
  mtu    = 1400`, `(?s)remove .mtu.`},
		{"bridge mode without bridge", `mode = "bridge"`, `(?s)Missing bridge`},
		{"nat without cidr", `mode = "nat"`, `(?s)Missing ipv4_cidr`},
		{"dhcp without cidr", `
  mode = "isolated"
  dhcp = { enabled = true }`, `(?s)DHCP serves IPv4 addresses`},
		{"duplicate dns name", `
  ipv4_cidr = "10.214.18.0/24"
  dns = { hosts = [
    { ipv4 = "10.214.18.10", hostnames = ["a"] },
    { ipv4 = "10.214.18.11", hostnames = ["b", "a"] },
  ] }`, `(?s)hostname "a" appears twice`},
		{"duplicate dns address", `
  ipv4_cidr = "10.214.18.0/24"
  dns = { hosts = [
    { ipv4 = "10.214.18.10", hostnames = ["a"] },
    { ipv4 = "10.214.18.10", hostnames = ["b"] },
  ] }`, `(?s)list all its names in one entry`},
		{"bad dns name", `
  ipv4_cidr = "10.214.18.0/24"
  dns = { domain = "not a domain" }`, `(?s)Invalid DNS name`},
		{"bad mode", `mode = "vepa"`, `(?s)value must be one of`},
		{"mtu too small", `
  ipv4_cidr = "10.214.18.0/24"
  mtu       = 10`, `(?s)mtu.*between 68 and 65535`},
		{"route without cidr", `mode = "route"`, `(?s)Missing CIDR`},
		{"dns without addresses", `
  mode = "isolated"
  dns  = { domain = "x.internal" }`, `(?s)DNS is served on the network's own address`},
	}
	steps := make([]resource.TestStep, 0, len(cases)+1)
	for _, c := range cases {
		steps = append(steps, resource.TestStep{
			Config: testProviderBlock() + fmt.Sprintf(`
# %s
resource "unikernel_network" "test" {
  name = "tf-acc-invalid"
  %s
}
`, c.name, c.body),
			PlanOnly: true,
			// Terraform wraps long messages: any space may be a line break.
			ExpectError: regexp.MustCompile(strings.ReplaceAll(c.want, " ", `\s+`)),
		})
	}
	steps = append(steps, resource.TestStep{
		Config: testProviderBlock() + `
resource "unikernel_network" "test" {
  name      = "tf-acc-in/valid"
  ipv4_cidr = "10.214.18.0/24"
}
`,
		PlanOnly:    true,
		ExpectError: regexp.MustCompile(`(?s)must be 1 to 64 characters`),
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    steps,
	})
}

// A CIDR overlapping another libvirt network fails the apply with that
// network's name, and nothing is created.
func TestAccNetworkResource_overlap(t *testing.T) {
	testAccPreCheck(t)
	c := acctest.MustClient(t)
	ctx := context.Background()
	other := acctest.RandName("other")
	lan := acctest.CIDR(t)
	if _, err := c.DefineNetwork(ctx, hypervisor.NetworkSpec{Name: other, Mode: "isolated", IPv4CIDR: lan.CIDR(),
		IPv6CIDR: lan.IPv6()}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteNetwork(ctx, other) })
	name := acctest.RandName("net")
	// The upper half of the other network's /24, and a /48 around its /64.
	half, wide6 := lan.Prefix()+".128/25", strings.Replace(lan.IPv6(), "/64", "/48", 1)
	config := func(attrs string) string {
		return testProviderBlock() + fmt.Sprintf(`
resource "unikernel_network" "test" {
  name = %q
  mode = "route"
  %s
}
`, name, attrs)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckNetworkNotDefined(name),
		Steps: []resource.TestStep{
			{
				Config: config(fmt.Sprintf("ipv4_cidr = %q", half)),
				ExpectError: regexp.MustCompile(fmt.Sprintf(`Unable to create network "%s"(?s:.*)%s\s+overlaps\s+`+
					`%s\s+of\s+the\s+libvirt\s+network\s+"%s"`, name, regexp.QuoteMeta(half), regexp.QuoteMeta(lan.CIDR()), other)),
			},
			{
				Config: config(fmt.Sprintf("ipv6_cidr = %q", wide6)),
				ExpectError: regexp.MustCompile(fmt.Sprintf(`%s\s+overlaps\s+%s\s+of\s+the\s+libvirt\s+`+
					`network\s+"%s"`, regexp.QuoteMeta(wide6), regexp.QuoteMeta(lan.IPv6()), other)),
			},
		},
	})
}
