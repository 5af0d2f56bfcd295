package provider

// Configuration blocks that many acceptance tests start from, built with
// tfconfig: a test takes one and changes only what it is about.

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
)

// testProvider is the provider block of testProviderBlock.
func testProvider() tfconfig.Provider {
	return tfconfig.Provider{URI: acctest.URI(), Hypervisor: acctest.Hypervisor()}
}

// testConfig is a configuration of the test provider and blocks.
func testConfig(blocks ...tfconfig.Block) string {
	return tfconfig.Config(append([]tfconfig.Block{testProvider()}, blocks...)...)
}

// microVM is the Linux microVM test guest (it serves its kernel command line
// over HTTP on acctest.MicroVMPort) with 128 MiB and the address host of
// lan reserved for it. Its init does not act on ACPI power-off.
func microVM(g acctest.Guests, name string, lan acctest.Network, host int) tfconfig.Instance {
	return tfconfig.Instance{
		Name: name, Kernel: g.MicroVMKernel, Initrd: g.MicroVMInitrd,
		Cmdline: "console=ttyS0 panic=-1 quiet", Memory: 128, ShutdownTimeout: "0s",
		NICs: []tfconfig.NIC{{Network: lan.Name, IPv4: lan.Host(host)}},
	}
}

// microVMURL is the URL of path on the microVM at host of lan.
func microVMURL(lan acctest.Network, host int, path string) string {
	return "http://" + lan.Host(host) + ":8080" + path
}

// testAccInstances runs steps with the test provider and checks, once the
// configuration is destroyed, that libvirt holds none of its instances.
func testAccInstances(t *testing.T, steps []resource.TestStep) {
	t.Helper()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckInstancesDestroyed,
		Steps:                    steps,
	})
}

// multiboot is the C multiboot test guest as unikernel_instance.test: 16 MiB,
// ready once it prints its command line (it ignores ACPI: no shutdown wait).
func multiboot(g acctest.Guests, name, cmdline string) tfconfig.Instance {
	return tfconfig.Instance{
		Label: "test", Name: name, Kernel: g.MultibootKernel, Cmdline: cmdline, Memory: 16,
		WaitFor: &tfconfig.WaitFor{Console: "UNIKERNEL-READY cmdline=" + regexp.QuoteMeta(cmdline) + "$", Timeout: "60s"},
	}
}
