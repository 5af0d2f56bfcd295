package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

func TestACPI_default(t *testing.T) {
	base := instanceModel{BootFormat: types.StringValue("multiboot"), Mode: types.StringValue("service"),
		ShutdownTimeout: types.StringValue("0s"), CPUFeatures: types.MapNull(types.StringType)}
	for _, tc := range []struct {
		acpi types.Bool
		want bool
	}{
		{types.BoolNull(), true},
		{types.BoolUnknown(), true},
		{types.BoolValue(true), true},
		{types.BoolValue(false), false},
	} {
		m := base
		m.ACPI = tc.acpi
		if got := m.acpi(); got != tc.want {
			t.Errorf("acpi %s: acpi() = %v, want %v", tc.acpi, got, tc.want)
		}
		if got := m.toSpec(hypervisor.ConsolePool{}).NoACPI; got == tc.want {
			t.Errorf("acpi %s: spec NoACPI = %v", tc.acpi, got)
		}
	}
	a, b := base, base
	a.ACPI, b.ACPI = types.BoolNull(), types.BoolValue(false)
	if !restartDiffers(&a, &b) {
		t.Error("leaving ACPI out must redefine the instance")
	}
	b.ACPI = types.BoolValue(true)
	if restartDiffers(&a, &b) {
		t.Error("acpi unset and acpi = true define the same domain")
	}
}

// checkACPI checks whether the instance's definition has ACPI.
func checkACPI(name string, want bool) resource.TestCheckFunc {
	return acctest.CheckDomain(name, func(info hypervisor.DomainInfo) error {
		if got := !info.Spec.NoACPI; got != want {
			return fmt.Errorf("instance %s: ACPI %v, want %v", name, got, want)
		}
		return nil
	})
}

// TestAccInstance_acpi: a multiboot service gets ACPI by default; acpi =
// false leaves it out (redefine and restart, same UUID) and the guest still
// reaches its ready line; removing the setting brings ACPI back.
func TestAccInstance_acpi(t *testing.T) {
	g := testAccInstancePreCheck(t)
	name := acctest.RandName("acpi")
	const res = "unikernel_instance.test"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckInstancesDestroyed,
		Steps: []resource.TestStep{
			{
				Config: testProviderBlock() + multibootConfig(g, name, "with acpi", ""),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(res, "state", "running"),
					resource.TestCheckResourceAttr(res, "shutdown_timeout", "0s"),
					resource.TestCheckResourceAttr(res, "acpi", "true"),
					checkACPI(name, true),
				),
			},
			{
				Config: testProviderBlock() + multibootConfig(g, name, "no acpi", "acpi = false"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(res, "state", "running"),
					resource.TestCheckResourceAttr(res, "acpi", "false"),
					checkACPI(name, false),
				),
			},
			{Config: testProviderBlock() + multibootConfig(g, name, "no acpi", "acpi = false"), PlanOnly: true},
			{
				ResourceName:            res,
				ImportState:             true,
				ImportStateId:           name,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"wait_for", "timeouts"},
			},
			{
				// Only the setting goes: ACPI comes back, with a restart that the ready line proves.
				Config: testProviderBlock() + multibootConfig(g, name, "no acpi", ""),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(res, "state", "running"),
					resource.TestCheckResourceAttr(res, "acpi", "true"),
					checkACPI(name, true),
				),
			},
		},
	})
}
