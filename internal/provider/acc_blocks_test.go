package provider

// Configuration blocks and state checks shared by the adoption, import,
// drift, firmware, restart, remote, rollout and job tests.

import (
	"fmt"
	"os"
	"regexp"
	"strconv"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
)

// importBlock is an `import` block: the resource at To is imported from ID.
type importBlock struct{ To, ID string }

// HCL implements tfconfig.Block.
func (b importBlock) HCL() string {
	return "import {\n  to = " + b.To + "\n  id = " + tfconfig.Quote(b.ID) + "\n}\n"
}

// removedBlock is a `removed` block that lets go of From without destroying it.
type removedBlock struct{ From string }

// HCL implements tfconfig.Block.
func (b removedBlock) HCL() string {
	return "removed {\n  from = " + b.From + "\n  lifecycle {\n    destroy = false\n  }\n}\n"
}

// consoleData is data "unikernel_instance_console" with vm's label, reading
// vm's console (lines of it, when not 0) once vm exists.
type consoleData struct {
	VM    tfconfig.Instance
	Lines int
}

// Addr is the data source's address.
func (c consoleData) Addr() string { return "data.unikernel_instance_console." + c.label() }

func (c consoleData) label() string {
	if c.VM.Label == "" {
		return "vm"
	}
	return c.VM.Label
}

// HCL implements tfconfig.Block.
func (c consoleData) HCL() string {
	s := "data \"unikernel_instance_console\" " + tfconfig.Quote(c.label()) + " {\n  name       = " + c.VM.Addr() + ".name\n"
	if c.Lines != 0 {
		s += "  lines      = " + strconv.Itoa(c.Lines) + "\n"
	}
	return s + "  depends_on = [" + c.VM.Addr() + "]\n}\n"
}

// hostData is data "unikernel_host" with label, read after dependsOn (addresses).
func hostData(label string, dependsOn ...string) tfconfig.Raw {
	s := "data \"unikernel_host\" " + tfconfig.Quote(label) + " {\n"
	if len(dependsOn) > 0 {
		s += "  depends_on = ["
		for i, d := range dependsOn {
			if i > 0 {
				s += ", "
			}
			s += d
		}
		s += "]\n"
	}
	return tfconfig.Raw(s + "}\n")
}

// sizedVolume is a unikernel_volume of size in the pool of unikernel_pool.p.
type sizedVolume struct{ Label, Name, Size string }

// Addr is the volume's address.
func (v sizedVolume) Addr() string { return "unikernel_volume." + v.Label }

// HCL implements tfconfig.Block.
func (v sizedVolume) HCL() string {
	return "resource \"unikernel_volume\" " + tfconfig.Quote(v.Label) + " {\n  name = " + tfconfig.Quote(v.Name) +
		"\n  pool = unikernel_pool.p.name\n  size = " + tfconfig.Quote(v.Size) + "\n}\n"
}

// privateProvider is the provider block of a private daemon, with a console
// directory of the test's own, so that nothing is shared with other daemons.
func privateProvider(d *acctest.PrivateDaemon, consoleDir string) tfconfig.Provider {
	return tfconfig.Provider{URI: d.URI, Hypervisor: acctest.Hypervisor(), ConsolePool: "unikernel-console", ConsolePath: consoleDir}
}

// isolatedNet is an isolated unikernel_network n on lan.
func isolatedNet(name string, lan acctest.Subnet) tfconfig.Network {
	return tfconfig.Network{Name: name, Mode: "isolated", IPv4CIDR: lan.CIDR()}
}

// poolWithImage is pool p at dir with the file source uploaded into it as
// image label, named imageName.
func poolWithImage(pool, dir, label, imageName, source string) (tfconfig.Pool, tfconfig.Image) {
	return tfconfig.Pool{Name: pool, Path: dir}, tfconfig.Image{Label: label, Name: imageName, Source: source}
}

// expectStrings are state checks that the string attributes of addr (paths as
// acctest.Expect takes them) hold the values given, in pairs.
func expectStrings(addr string, pathValue ...string) []statecheck.StateCheck {
	if len(pathValue)%2 != 0 {
		panic("expectAttrs: an attribute path without a value")
	}
	var checks []statecheck.StateCheck
	for i := 0; i < len(pathValue); i += 2 {
		checks = append(checks, acctest.Expect(addr, pathValue[i], knownvalue.StringExact(pathValue[i+1])))
	}
	return checks
}

// expectRunning checks that each instance's state is running.
func expectRunning(addrs ...string) []statecheck.StateCheck {
	var checks []statecheck.StateCheck
	for _, a := range addrs {
		checks = append(checks, acctest.Expect(a, "state", knownvalue.StringExact("running")))
	}
	return checks
}

// expectMatch checks that the string attribute path of addr matches re.
func expectMatch(addr, path, re string) statecheck.StateCheck {
	return acctest.Expect(addr, path, knownvalue.StringRegexp(regexp.MustCompile(re)))
}

// checks joins lists of state checks.
func checks(lists ...[]statecheck.StateCheck) []statecheck.StateCheck {
	var all []statecheck.StateCheck
	for _, l := range lists {
		all = append(all, l...)
	}
	return all
}

// checkFileGone checks that the file at path (what it is) does not exist.
func checkFileGone(what, path string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			return fmt.Errorf("%s %s left behind (%v)", what, path, err)
		}
		return nil
	}
}
