package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// The configured CPU reaches the guest: the multiboot guest prints the
// CPUID bits it sees, and runs as a job so that each run is one apply.
// A named model with a required feature, then maximum with that feature
// disabled; machine "pc" stays as written although libvirt stores the
// versioned name; rng adds virtio-rng.
func TestAccInstanceCPU_modelsAndFeatures(t *testing.T) {
	g := testAccInstancePreCheck(t)
	name := acctest.RandName("cpu")
	westmere := jobConfig(g, name, "job", "cpu one poweroff",
		`^UNIKERNEL-CPUID vendor=GenuineIntel hv=\S+ rdrand=1 rdseed=0 .*avx=0`,
		`cpu_mode = "Westmere"
  cpu_features = { rdrand = "require" }
  machine = "pc"
  rng = true`)
	maximum := jobConfig(g, name, "job", "cpu two poweroff",
		`^UNIKERNEL-CPUID vendor=\S+ hv=\S+ rdrand=0 `,
		`cpu_features = { rdrand = "disable" }
  cpu_mode = "maximum"`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckInstancesDestroyed,
		Steps: []resource.TestStep{
			{
				Config: westmere,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(driftAddr, "cpu_mode", "Westmere"),
					resource.TestCheckResourceAttr(driftAddr, "cpu_features.rdrand", "require"),
					resource.TestCheckResourceAttr(driftAddr, "machine", "pc"),
					resource.TestCheckResourceAttr(driftAddr, "rng", "true"),
					checkJobDomain(name, func(info hypervisor.DomainInfo, _ string) error {
						s := info.Spec
						if s.CPU == nil || s.CPU.Mode != "Westmere" || s.CPU.Features["rdrand"] != "require" || !s.RNG ||
							!strings.HasPrefix(s.Machine, "pc-i440fx-") {
							return fmt.Errorf("libvirt holds cpu %+v machine %q rng %t", s.CPU, s.Machine, s.RNG)
						}
						return nil
					}),
				),
			},
			{
				Config: maximum,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(driftAddr, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(driftAddr, "cpu_mode", "maximum"),
					resource.TestCheckResourceAttr(driftAddr, "rng", "false"),
					// Optional and computed: without a setting it keeps what it was.
					resource.TestCheckResourceAttr(driftAddr, "machine", "pc"),
					checkConsoleCount(name, `^UNIKERNEL-CPUID .* rdrand=0 `, 1),
				),
			},
		},
	})
}

// CPU modes, models, features and machine types the host cannot give fail
// the plan, naming the attribute and what the host offers.
func TestAccInstanceCPU_validation(t *testing.T) {
	g := testAccInstancePreCheck(t)
	name := acctest.RandName("cpu")
	steps := []resource.TestStep{
		{
			Config:      jobConfig(g, name, "job", "x", "x", `cpu_mode = "Pentium9000"`),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)CPU not available on the host.*"Pentium9000" is not known`),
		},
		{
			Config:      jobConfig(g, name, "job", "x", "x", `cpu_features = { nosuchfeature = "require" }`),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)does not know the CPU feature "nosuchfeature"`),
		},
		{
			Config:      jobConfig(g, name, "job", "x", "x", `cpu_features = { rdrand = "sometimes" }`),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)cpu_features.*value must be one of`),
		},
		{
			Config:      jobConfig(g, name, "job", "x", "x", `xen_mode = "pv"`),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)xen_mode needs Xen.*Remove xen_mode`),
		},
		{
			Config: jobConfig(g, name, "job", "x", "x", `rng = true
  hypervisor = "xen"`),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`No virtio-rng on Xen`),
		},
		{
			Config:      jobConfig(g, name, "job", "x", "x", `machine = "nosuchmachine"`),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)machine = "nosuchmachine" is not offered.*pc-i440fx`),
		},
	}
	if acctest.Hypervisor() == "qemu" {
		// TCG does not emulate RDSEED (the reason current Unikraft cannot boot under TCG).
		steps = append(steps, resource.TestStep{
			Config:      jobConfig(g, name, "job", "x", "x", `cpu_features = { rdseed = "require" }`),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`cannot provide the CPU feature\(s\) rdseed`),
		}, resource.TestStep{
			Config:      jobConfig(g, name, "job", "x", "x", `cpu_mode = "host-passthrough"`),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`CPU mode host-passthrough is not supported by domain type qemu`),
		})
	}
	resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: steps})
}

// Drift of the platform settings: each is changed out of band and repaired
// in place, with the UUID kept (see testAccInstanceDrift).
func TestAccInstanceDrift_cpuMode(t *testing.T) {
	testAccInstanceDrift(t, driftCase{
		cmdline: "drift cpu",
		drift: func(t *testing.T, c *hypervisor.Client, name string) {
			driftRedefine(t, c, name, func(s *hypervisor.DomainSpec) { s.CPU = &hypervisor.CPUSpec{Mode: "qemu64"} })
		},
		action: plancheck.ResourceActionUpdate,
		boots:  1,
	})
}

func TestAccInstanceDrift_cpuFeatures(t *testing.T) {
	testAccInstanceDrift(t, driftCase{
		cmdline: "drift cpu features",
		extra:   `cpu_mode = "maximum"` + "\n" + `cpu_features = { rdrand = "require" }`,
		drift: func(t *testing.T, c *hypervisor.Client, name string) {
			driftRedefine(t, c, name, func(s *hypervisor.DomainSpec) {
				s.CPU = &hypervisor.CPUSpec{Mode: s.CPU.Mode, Features: map[string]string{"rdrand": "disable"}}
			})
		},
		action: plancheck.ResourceActionUpdate,
		boots:  1,
	})
}

func TestAccInstanceDrift_machine(t *testing.T) {
	testAccInstanceDrift(t, driftCase{
		cmdline: "drift machine",
		extra:   `machine = "pc"`,
		drift: func(t *testing.T, c *hypervisor.Client, name string) {
			driftRedefine(t, c, name, func(s *hypervisor.DomainSpec) { s.Machine = "pc-i440fx-2.12" })
		},
		action: plancheck.ResourceActionUpdate,
		boots:  1,
	})
}

func TestAccInstanceDrift_rng(t *testing.T) {
	testAccInstanceDrift(t, driftCase{
		cmdline: "drift rng",
		extra:   `rng = true`,
		drift: func(t *testing.T, c *hypervisor.Client, name string) {
			driftRedefine(t, c, name, func(s *hypervisor.DomainSpec) { s.RNG = false })
		},
		action: plancheck.ResourceActionUpdate,
		boots:  1,
	})
}
