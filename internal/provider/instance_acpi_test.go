package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

func TestNeedsACPI(t *testing.T) {
	str := func(s string) types.String {
		switch s {
		case "<unknown>":
			return types.StringUnknown()
		case "<null>":
			return types.StringNull()
		}
		return types.StringValue(s)
	}
	for _, tc := range []struct {
		format, mode, timeout string
		want                  bool
	}{
		{"multiboot", "service", "0s", false},
		{"multiboot", "service", "<null>", false}, // the default for multiboot is 0s
		{"multiboot", "service", "<unknown>", false},
		{"multiboot2", "service", "0s", false},
		{"pvh", "service", "0s", false},
		{"multiboot", "service", "5s", true}, // asked to shut down gracefully
		{"multiboot", "job", "0s", true},     // a job powers itself off through ACPI
		{"linux", "service", "0s", true},
		{"linux", "service", "<null>", true},
		{"disk", "service", "0s", true},
		{"unknown", "service", "0s", true},
		{"multiboot", "service restart", "0s", true}, // on_poweroff = "restart" acts on a power-off
		{"<unknown>", "service", "0s", true},
	} {
		m := instanceModel{BootFormat: str(tc.format), Mode: types.StringValue(tc.mode), ShutdownTimeout: str(tc.timeout)}
		if tc.mode == "service restart" {
			m.Mode, m.OnPoweroff = types.StringValue("service"), types.StringValue("restart")
		}
		if got := m.needsACPI(); got != tc.want {
			t.Errorf("boot format %s, mode %s, shutdown_timeout %s: needsACPI = %v, want %v", tc.format, tc.mode, tc.timeout, got, tc.want)
		}
		if got := m.toSpec(hypervisor.ConsolePool{}).NoACPI; got == tc.want {
			t.Errorf("boot format %s, mode %s, shutdown_timeout %s: spec NoACPI = %v", tc.format, tc.mode, tc.timeout, got)
		}
	}
	a := instanceModel{BootFormat: str("multiboot"), Mode: str("service"), ShutdownTimeout: str("0s"),
		CPUFeatures: types.MapNull(types.StringType)}
	b := a
	b.ShutdownTimeout = str("10s")
	if !restartFieldsDiffer(&a, &b) {
		t.Error("a shutdown_timeout change that adds ACPI must redefine the instance")
	}
	b.ShutdownTimeout = str("<null>")
	if restartFieldsDiffer(&a, &b) {
		t.Error("0s and the multiboot default (0s) must not redefine the instance")
	}
}

// checkACPI checks whether the instance's definition has ACPI.
func checkACPI(name string, want bool) resource.TestCheckFunc {
	return func(*terraform.State) error {
		c, err := hypervisor.Shared(context.Background(), acctest.URI(), 0)
		if err != nil {
			return err
		}
		info, err := c.ReadDomain(context.Background(), name)
		if err != nil {
			return err
		}
		if got := !info.Spec.NoACPI; got != want {
			return fmt.Errorf("instance %s: ACPI %v, want %v", name, got, want)
		}
		return nil
	}
}

// TestAccInstanceACPI: a multiboot service that is destroyed at once runs
// without ACPI and still reaches its ready line; a graceful shutdown_timeout
// adds ACPI (redefine and restart, same UUID), and going back leaves it out.
func TestAccInstanceACPI(t *testing.T) {
	testAccInstancePreCheck(t)
	name := acctest.RandName("acpi")
	const res = "unikernel_instance.test"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckInstanceDestroyed,
		Steps: []resource.TestStep{
			{
				Config: testProviderBlock() + multibootConfig(name, "no acpi", ""),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(res, "state", "running"),
					resource.TestCheckResourceAttr(res, "shutdown_timeout", "0s"),
					resource.TestCheckResourceAttr(res, "acpi", "false"),
					checkACPI(name, false),
				),
			},
			{
				Config: testProviderBlock() + multibootConfig(name, "with acpi", `shutdown_timeout = "2s"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(res, "state", "running"),
					resource.TestCheckResourceAttr(res, "shutdown_timeout", "2s"),
					resource.TestCheckResourceAttr(res, "acpi", "true"),
					checkACPI(name, true),
				),
			},
			{
				// Only the timeout changes: ACPI goes, with a restart that the ready line proves.
				Config: testProviderBlock() + multibootConfig(name, "with acpi", ""),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(res, "state", "running"),
					resource.TestCheckResourceAttr(res, "shutdown_timeout", "0s"),
					checkACPI(name, false),
				),
			},
			{Config: testProviderBlock() + multibootConfig(name, "with acpi", ""), PlanOnly: true},
			{
				// Set by hand: a service that may power itself off keeps ACPI.
				Config: testProviderBlock() + multibootConfig(name, "with acpi", "acpi = true"),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(res, "state", "running"),
					resource.TestCheckResourceAttr(res, "acpi", "true"),
					checkACPI(name, true),
				),
			},
			{
				ResourceName:            res,
				ImportState:             true,
				ImportStateId:           name,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"wait_for", "timeouts"},
			},
		},
	})
}
