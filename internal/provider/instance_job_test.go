package provider

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// jobConfig is the multiboot guest in its run-to-completion mode: the word
// "poweroff" on its command line makes it print its lines and power off
// through ACPI (PM1a control port 0x604 of the pc machine).
func jobConfig(g acctest.Guests, name, mode, cmdline, console, extra string) string {
	return testProviderBlock() + fmt.Sprintf(`
resource "unikernel_instance" "test" {
  name    = %q
  kernel  = %q
  cmdline = %q
  memory  = 16
  mode    = %q
  shutdown_timeout = "0s"
  wait_for = {
    console = %q
    timeout = "90s"
  }
  %s
}
`, name, g.MultibootKernel, cmdline, mode, console, extra)
}

// checkJobDomain checks what libvirt holds for the test's instance.
func checkJobDomain(name string, check func(hypervisor.DomainInfo, string) error) resource.TestCheckFunc {
	return acctest.CheckLibvirt(func(ctx context.Context, c *hypervisor.Client) error {
		info, err := c.ReadDomain(ctx, name)
		if err != nil {
			return err
		}
		reason, err := c.DomainStopReason(ctx, name)
		if err != nil {
			return err
		}
		return check(info, reason)
	})
}

// checkConsoleCount checks how many lines matching re this instance's
// console log holds in total.
func checkConsoleCount(name, re string, want int) resource.TestCheckFunc {
	return acctest.CheckLibvirt(func(ctx context.Context, c *hypervisor.Client) error {
		log, err := c.ReadConsole(ctx, testAccConsolePool, name, 0, 0)
		if err != nil {
			return err
		}
		n := len(regexp.MustCompile("(?m)"+re).FindAll(log, -1))
		if n != want {
			return fmt.Errorf("console log of %s has %d lines matching %q, want %d:\n%s", name, n, re, want, bytes.TrimSpace(log))
		}
		return nil
	})
}

// A job boots, prints, powers itself off, and apply succeeds; the next plan
// is empty; a changed command line runs it again, in place (same UUID).
func TestAccInstanceJob(t *testing.T) {
	g := testAccInstancePreCheck(t)
	name := acctest.RandName("job")
	var uuid string
	powered := func(info hypervisor.DomainInfo, reason string) error {
		if info.State != hypervisor.StateShutoff || reason != "shutdown" {
			return fmt.Errorf("libvirt has state %s (reason %q), want shutoff after the guest powered off", info.State, reason)
		}
		if uuid != "" && info.Spec.UUID != uuid {
			return fmt.Errorf("UUID changed from %s to %s", uuid, info.Spec.UUID)
		}
		uuid = info.Spec.UUID
		return nil
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckInstancesDestroyed,
		Steps: []resource.TestStep{
			{
				Config: jobConfig(g, name, "job", "job one poweroff", "UNIKERNEL-READY cmdline=job one poweroff$", ""),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(driftAddr, "mode", "job"),
					resource.TestCheckResourceAttr(driftAddr, "running", "true"),
					resource.TestCheckResourceAttr(driftAddr, "state", "shutoff"),
					checkJobDomain(name, powered),
					checkConsoleCount(name, "^UNIKERNEL-POWEROFF\r?$", 1),
				),
			},
			{
				// Nothing changed: the finished job is not run again.
				Config:   jobConfig(g, name, "job", "job one poweroff", "UNIKERNEL-READY cmdline=job one poweroff$", ""),
				PlanOnly: true,
			},
			{
				Config: jobConfig(g, name, "job", "job two poweroff", "UNIKERNEL-READY cmdline=job two poweroff$", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(driftAddr, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(driftAddr, "state", "shutoff"),
					checkJobDomain(name, powered),
					checkConsoleCount(name, "^UNIKERNEL-POWEROFF\r?$", 2),
				),
			},
			{
				// A description changes live and does not run the job again.
				Config: jobConfig(g, name, "job", "job two poweroff", "UNIKERNEL-READY cmdline=job two poweroff$", `description = "nightly"`),
				Check:  checkConsoleCount(name, "^UNIKERNEL-POWEROFF\r?$", 2),
			},
		},
	})
}

// A job whose console pattern never shows fails the apply, naming the
// condition; a job that does not power off within the timeout fails too.
func TestAccInstanceJob_Failures(t *testing.T) {
	g := testAccInstancePreCheck(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckInstancesDestroyed,
		Steps: []resource.TestStep{
			{
				Config:      jobConfig(g, acctest.RandName("job"), "job", "wrong poweroff", "NEVER-PRINTED", ""),
				ExpectError: regexp.MustCompile(`(?s)is a job that powered off.*wait_for.console: no console line matched`),
			},
			{
				Config: strings.Replace(jobConfig(g, acctest.RandName("job"), "job", "no exit", "UNIKERNEL-READY", ""),
					`timeout = "90s"`, `timeout = "5s"`, 1),
				ExpectError: regexp.MustCompile(`(?s)did not power off within 5s.*the guest did not power itself off`),
			},
		},
	})
}

// A readiness wait cut short by the resource's create timeout says what it
// was still waiting for and what the guest printed, and leaves nothing behind.
func TestAccInstanceGate_TimeLimit(t *testing.T) {
	g := testAccInstancePreCheck(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckInstancesDestroyed,
		Steps: []resource.TestStep{
			{
				Config: jobConfig(g, acctest.RandName("limit"), "service", "limit", "NEVER-PRINTED",
					`timeouts = { create = "6s" }`),
				ExpectError: regexp.MustCompile(`(?s)time limit .*passed.*was not ready when the time limit passed.*` +
					`wait_for.console: no console line matched "NEVER-PRINTED".*Last console lines:.*UNIKERNEL-READY cmdline=limit`),
			},
		},
	})
}

// A service that powers itself off right after its ready line: apply
// succeeds (no inconsistent result), and the refreshed plan shows it as
// stopped, to be started again.
func TestAccInstanceServiceStopsOnItsOwn(t *testing.T) {
	g := testAccInstancePreCheck(t)
	name := acctest.RandName("svc")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckInstancesDestroyed,
		Steps: []resource.TestStep{
			{
				// The defaults: ACPI is on, so the service's power-off reaches libvirt.
				Config:             jobConfig(g, name, "service", "svc poweroff", "UNIKERNEL-READY cmdline=svc poweroff$", ""),
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectResourceAction(driftAddr, plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(driftAddr, "running", "true"),
					checkConsoleCount(name, "^UNIKERNEL-POWEROFF\r?$", 1),
				),
			},
		},
	})
}

// Plan-time checks of the run mode.
func TestAccInstanceJob_Validation(t *testing.T) {
	g := testAccInstancePreCheck(t)
	name := acctest.RandName("job")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      jobConfig(g, name, "job", "x", "x", `on_poweroff = "restart"`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`needs on_poweroff = "destroy"`),
			},
			{
				Config:      jobConfig(g, name, "batch", "x", "x", ""),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)mode.*value must be one of`),
			},
		},
	})
}
