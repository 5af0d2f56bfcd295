package provider

import (
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
)

// Three instances on the real daemon, listed through every filter:
//
//	<p>-a  unikraft  net A          running
//	<p>-b  unikraft  net A, net B   running, then paused out of band
//	<p>-c  generic   net B          stopped (running = false)
//
// Each list is checked whole and in order, so a filter that keeps too much,
// too little or sorts wrongly fails.
func TestAccInstancesDataSource_filters(t *testing.T) {
	g := testAccInstancePreCheck(t)
	acctest.RequireHarnessNetns(t)
	netA := acctest.TestNetwork(t, "nat").Name
	netB := acctest.TestNetwork(t, "nat").Name
	p := acctest.RandName("fleet")
	inst := func(suffix, family string, memory, vcpus int, running bool, nets ...string) tfconfig.Instance {
		nics := make([]tfconfig.NIC, len(nets))
		for k, n := range nets {
			nics[k] = tfconfig.NIC{Network: n}
		}
		return tfconfig.Instance{
			Label: suffix, Name: p + "-" + suffix, Kernel: g.MultibootKernel, Cmdline: "fleet " + suffix,
			Family: family, Memory: memory, Running: tfconfig.Bool(running), NICs: nics,
			WaitFor: &tfconfig.WaitFor{Console: "UNIKERNEL-READY", Timeout: "60s"},
			Extra:   fmt.Sprintf("vcpus = %d", vcpus),
		}
	}
	// list is data.unikernel_instances.<label> with filters, read once the
	// three instances exist.
	list := func(label string, filters ...string) tfconfig.Block {
		return tfconfig.Raw(fmt.Sprintf("data \"unikernel_instances\" %s {\n  %s\n  depends_on = [unikernel_instance.a, unikernel_instance.b, unikernel_instance.c]\n}\n",
			tfconfig.Quote(label), strings.Join(filters, "\n  ")))
	}
	mine := "name_regex = " + tfconfig.Quote("^"+p+"-")
	configWith := func(familyC string) string {
		return testConfig(
			inst("a", "unikraft", 16, 1, true, netA),
			inst("b", "unikraft", 24, 2, true, netA, netB),
			inst("c", familyC, 16, 1, false, netB),
			list("all", mine),
			list("ab", "name_regex = "+tfconfig.Quote("^"+p+"-[ab]$")),
			list("running", mine, `state = "running"`),
			list("paused", mine, `state = "paused"`),
			list("shutoff", mine, `state = "shutoff"`),
			list("net_a", mine, "network = "+tfconfig.Quote(netA)),
			list("net_b", mine, "network = "+tfconfig.Quote(netB)),
			list("unikraft", mine, `family = "unikraft"`),
			list("generic", mine, `family = "generic"`),
			list("solo5", mine, `family = "solo5"`),
			list("everything", "name_regex = "+tfconfig.Quote(p), `state = "running"`, "network = "+tfconfig.Quote(netB), `family = "unikraft"`),
		)
	}
	config := configWith("generic")
	names := func(label string, suffixes ...string) statecheck.StateCheck {
		want := []knownvalue.Check{}
		for _, s := range suffixes {
			want = append(want, knownvalue.StringExact(p+"-"+s))
		}
		return statecheck.ExpectKnownValue("data.unikernel_instances."+label, tfjsonpath.New("names"), knownvalue.ListExact(want))
	}
	item := func(i int) tfjsonpath.Path { return tfjsonpath.New("instances").AtSliceIndex(i) }
	all := "data.unikernel_instances.all"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckInstancesDestroyed,
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					names("all", "a", "b", "c"),
					names("ab", "a", "b"),
					names("running", "a", "b"),
					names("paused"),
					names("shutoff", "c"),
					names("net_a", "a", "b"),
					names("net_b", "b", "c"),
					names("unikraft", "a", "b"),
					names("generic", "c"),
					names("solo5"),
					names("everything", "b"),
					// What one element holds, for b (index 1 of the sorted list).
					statecheck.CompareValuePairs(all, item(1).AtMapKey("id"), "unikernel_instance.b", tfjsonpath.New("id"), compare.ValuesSame()),
					statecheck.ExpectKnownValue(all, item(1).AtMapKey("name"), knownvalue.StringExact(p+"-b")),
					statecheck.ExpectKnownValue(all, item(1).AtMapKey("family"), knownvalue.StringExact("unikraft")),
					statecheck.ExpectKnownValue(all, item(1).AtMapKey("state"), knownvalue.StringExact("running")),
					statecheck.ExpectKnownValue(all, item(1).AtMapKey("running"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(all, item(1).AtMapKey("hypervisor"), knownvalue.StringExact(acctest.Hypervisor())),
					statecheck.ExpectKnownValue(all, item(1).AtMapKey("memory"), knownvalue.Int64Exact(24)),
					statecheck.ExpectKnownValue(all, item(1).AtMapKey("vcpus"), knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownValue(all, item(1).AtMapKey("networks"),
						knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact(netA), knownvalue.StringExact(netB)})),
					statecheck.ExpectKnownValue(all, item(1).AtMapKey("network_interfaces").AtSliceIndex(1).AtMapKey("network"),
						knownvalue.StringExact(netB)),
					statecheck.CompareValuePairs(all, item(1).AtMapKey("network_interfaces").AtSliceIndex(0).AtMapKey("mac"),
						"unikernel_instance.b", tfjsonpath.New("network_interfaces").AtSliceIndex(0).AtMapKey("mac"), compare.ValuesSame()),
					statecheck.ExpectKnownValue(all, item(2).AtMapKey("family"), knownvalue.StringExact("generic")),
					statecheck.ExpectKnownValue(all, item(2).AtMapKey("state"), knownvalue.StringExact("shutoff")),
					statecheck.ExpectKnownValue(all, item(2).AtMapKey("running"), knownvalue.Bool(false)),
				},
			},
			{
				// b paused outside Terraform: the state filter follows libvirt.
				PreConfig: func() {
					out, err := exec.Command("virsh", "-q", "-c", acctest.URI(), "suspend", p+"-b").CombinedOutput()
					if err != nil {
						t.Fatalf("virsh suspend %s-b: %v: %s", p, err, out)
					}
				},
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					names("all", "a", "b", "c"),
					names("running", "a"),
					names("paused", "b"),
					names("shutoff", "c"),
					names("everything"),
					statecheck.ExpectKnownValue(all, item(1).AtMapKey("state"), knownvalue.StringExact("paused")),
					statecheck.ExpectKnownValue(all, item(1).AtMapKey("running"), knownvalue.Bool(true)),
				},
			},
			{
				// A family declared on a generic instance changes in place, and
				// the domain's metadata follows.
				Config:           configWith("solo5"),
				ConfigPlanChecks: planAction("unikernel_instance.c", plancheck.ResourceActionUpdate),
				ConfigStateChecks: []statecheck.StateCheck{
					names("generic"),
					names("solo5", "c"),
					statecheck.ExpectKnownValue(all, item(2).AtMapKey("family"), knownvalue.StringExact("solo5")),
				},
			},
		},
	})
}

// Bad filters are refused at plan, naming the attribute and what it accepts.
func TestAccInstancesDataSource_badInput(t *testing.T) {
	testAccPreCheck(t)
	cases := map[string]struct{ filter, want string }{
		"regex":   {`name_regex = "web-("`, `(?s)Invalid regular expression.*name_regex: must be a valid regular expression \(Go RE2\s+syntax\)`},
		"state":   {`state = "stopped"`, `(?s)Attribute state value must be one of:.*"running".*"shutoff".*"paused"`},
		"family":  {`family = "hermitux"`, `(?s)Attribute family value must be one of:.*"unikraft".*"osv"`},
		"network": {`network = ""`, `(?s)Attribute network string length must be at least 1`},
	}
	steps := []resource.TestStep{}
	for _, c := range cases {
		steps = append(steps, resource.TestStep{
			Config:      testConfig(tfconfig.Raw("data \"unikernel_instances\" \"x\" {\n  " + c.filter + "\n}\n")),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(c.want),
		})
	}
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: steps})
}
