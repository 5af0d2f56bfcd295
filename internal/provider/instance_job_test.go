package provider

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// job is the multiboot guest in its run-to-completion mode: the word
// "poweroff" on its command line makes it print its lines and power off
// through ACPI (PM1a control port 0x604 of the pc machine). It is ready once
// it prints a line matching console.
func job(g acctest.Guests, name, mode, cmdline, console string) tfconfig.Instance {
	vm := multiboot(g, name, cmdline)
	vm.Mode, vm.ShutdownTimeout = mode, "0s"
	vm.WaitFor = &tfconfig.WaitFor{Console: console, Timeout: "90s"}
	return vm
}

// jobConfig is the configuration of job with extra attribute lines.
func jobConfig(g acctest.Guests, name, mode, cmdline, console, extra string) string {
	vm := job(g, name, mode, cmdline, console)
	vm.Extra = extra
	return testConfig(vm)
}

// jobReady is the ready line of the multiboot guest with cmdline.
func jobReady(cmdline string) string { return "UNIKERNEL-READY cmdline=" + cmdline + "$" }

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
func TestAccInstanceJob_runsToCompletion(t *testing.T) {
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
	one, two := job(g, name, "job", "job one poweroff", jobReady("job one poweroff")), job(g, name, "job", "job two poweroff", jobReady("job two poweroff"))
	described := two
	described.Extra = `description = "nightly"`
	poweredOff := func(n int) resource.TestCheckFunc {
		return resource.ComposeAggregateTestCheckFunc(checkJobDomain(name, powered), checkConsoleCount(name, "^UNIKERNEL-POWEROFF\r?$", n))
	}
	testAccInstancesParallel(t, []resource.TestStep{
		{
			Config: testConfig(one),
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.Expect(one.Addr(), "mode", knownvalue.StringExact("job")),
				acctest.Expect(one.Addr(), "running", knownvalue.Bool(true)),
				acctest.Expect(one.Addr(), "state", knownvalue.StringExact("shutoff")),
			},
			Check: poweredOff(1),
		},
		{
			// Nothing changed: the finished job is not run again.
			Config:   testConfig(one),
			PlanOnly: true,
		},
		{
			Config: testConfig(two),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(two.Addr(), plancheck.ResourceActionUpdate),
			}},
			ConfigStateChecks: []statecheck.StateCheck{acctest.Expect(two.Addr(), "state", knownvalue.StringExact("shutoff"))},
			Check:             poweredOff(2),
		},
		{
			// A description changes live and does not run the job again.
			Config: testConfig(described),
			Check:  checkConsoleCount(name, "^UNIKERNEL-POWEROFF\r?$", 2),
		},
	})
}

// A job whose console pattern never shows fails the apply, naming the
// condition; a job that does not power off within the timeout fails too.
func TestAccInstanceJob_failures(t *testing.T) {
	g := testAccInstancePreCheck(t)
	slow := job(g, acctest.RandName("job"), "job", "no exit", "UNIKERNEL-READY")
	slow.WaitFor.Timeout = "5s"
	testAccInstancesParallel(t, []resource.TestStep{
		{
			Config:      jobConfig(g, acctest.RandName("job"), "job", "wrong poweroff", "NEVER-PRINTED", ""),
			ExpectError: regexp.MustCompile(`(?s)is a job that powered off.*wait_for.console: no console line matched`),
		},
		{
			Config:      testConfig(slow),
			ExpectError: regexp.MustCompile(`(?s)did not power off within 5s.*the guest did not power itself off`),
		},
	})
}

// A readiness wait cut short by the resource's create timeout says what it
// was still waiting for and what the guest printed, and leaves nothing behind.
func TestAccInstanceGate_timeLimit(t *testing.T) {
	g := testAccInstancePreCheck(t)
	testAccInstancesParallel(t, []resource.TestStep{{
		Config: jobConfig(g, acctest.RandName("limit"), "service", "limit", "NEVER-PRINTED", `timeouts = { create = "6s" }`),
		ExpectError: regexp.MustCompile(`(?s)time limit .*passed.*was not ready when the time limit passed.*` +
			`wait_for.console: no console line matched "NEVER-PRINTED".*Last console lines:.*UNIKERNEL-READY cmdline=limit`),
	}})
}

// testAccInstancesParallel runs steps in parallel with other tests,
// and checks that libvirt holds none of their instances afterwards.
func testAccInstancesParallel(t *testing.T, steps []resource.TestStep) {
	t.Helper()
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckInstancesDestroyed,
		Steps:                    steps,
	})
}

// A service that powers itself off right after its ready line: apply
// succeeds (no inconsistent result), and the refreshed plan shows it as
// stopped, to be started again.
func TestAccInstanceService_stopsOnItsOwn(t *testing.T) {
	g := testAccInstancePreCheck(t)
	name := acctest.RandName("svc")
	// The defaults: ACPI is on, so the service's power-off reaches libvirt.
	svc := job(g, name, "service", "svc poweroff", jobReady("svc poweroff"))
	testAccInstancesParallel(t, []resource.TestStep{{
		Config:             testConfig(svc),
		ExpectNonEmptyPlan: true,
		ConfigPlanChecks: resource.ConfigPlanChecks{
			PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectResourceAction(svc.Addr(), plancheck.ResourceActionUpdate)},
		},
		ConfigStateChecks: []statecheck.StateCheck{acctest.Expect(svc.Addr(), "running", knownvalue.Bool(true))},
		Check:             checkConsoleCount(name, "^UNIKERNEL-POWEROFF\r?$", 1),
	}})
}

// Plan-time checks of the run mode.
func TestAccInstanceJob_validation(t *testing.T) {
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
