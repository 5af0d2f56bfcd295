package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
)

// absentFromState fails when text appears anywhere in the state's values,
// except in the resources whose address starts with one of except.
type absentFromState struct {
	text   string
	except []string
}

func (c absentFromState) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	if req.State == nil || req.State.Values == nil || req.State.Values.RootModule == nil {
		resp.Error = fmt.Errorf("no state to check")
		return
	}
	checked := 0
	for _, r := range req.State.Values.RootModule.Resources {
		skip := false
		for _, e := range c.except {
			skip = skip || strings.HasPrefix(r.Address, e)
		}
		if skip {
			continue
		}
		b, err := json.Marshal(r)
		if err != nil {
			resp.Error = err
			return
		}
		if strings.Contains(string(b), c.text) {
			resp.Error = fmt.Errorf("%s holds the console text %q in the state", r.Address, c.text)
			return
		}
		checked++
	}
	if checked == 0 {
		resp.Error = fmt.Errorf("no resource left to check in the state")
	}
}

// absentFromPlan fails when text appears anywhere in the plan (planned
// values, prior state, configuration). The plan must hold marker (by
// default the instance's type), so that an empty plan never passes.
type absentFromPlan struct{ text, marker string }

func (c absentFromPlan) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	b, err := json.Marshal(req.Plan)
	if err != nil {
		resp.Error = err
		return
	}
	marker := c.marker
	if marker == "" {
		marker = `"unikernel_instance"`
	}
	if !strings.Contains(string(b), marker) {
		resp.Error = fmt.Errorf("the plan does not hold %s: nothing was checked", marker)
		return
	}
	if strings.Contains(string(b), c.text) {
		resp.Error = fmt.Errorf("the plan holds the console text %q", c.text)
	}
}

// The console read through the ephemeral resource reaches a consumer (the
// echo provider's configuration, which copies it into echo.console for the
// test to see) and is written neither to the state nor to the plan: the
// guest's ready line carries a secret, and neither holds that line.
func TestAccEphemeralInstanceConsole_basic(t *testing.T) {
	g := testAccInstancePreCheck(t)
	name := acctest.RandName("eph")
	secret := "tf-acc-secret-" + name[len(name)-8:]
	ready := "UNIKERNEL-READY cmdline=" + secret
	instance := testProviderBlock() + fmt.Sprintf(`
resource "unikernel_instance" "vm" {
  name    = %q
  kernel  = %q
  cmdline = %q
  memory  = 16
  wait_for = {
    console = "UNIKERNEL-READY"
    timeout = "60s"
  }
}
`, name, g.MultibootKernel, secret)
	// The gate's precondition reads the console without storing it. (A
	// postcondition on the ephemeral resource itself would do too, but
	// Terraform 1.11 crashes in `terraform show -json` on its check result.)
	consoleOf := func(instanceName, want string) string {
		return fmt.Sprintf(`
ephemeral "unikernel_instance_console" "vm" {
  name  = %q
  lines = 50
}

resource "terraform_data" "gate" {
  lifecycle {
    precondition {
      condition     = strcontains(ephemeral.unikernel_instance_console.vm.output, %q)
      error_message = "the console has no line %s"
    }
  }
}
`, instanceName, want, want)
	}
	echo := `
provider "echo" {
  data = ephemeral.unikernel_instance_console.vm
}

resource "echo" "console" {}
`
	noCopy := absentFromState{text: ready, except: []string{"echo."}}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: map[string]func() (tfprotov6.ProviderServer, error){
			"unikernel": testAccProtoV6ProviderFactories["unikernel"],
			"echo":      echoprovider.NewProviderServer(),
		},
		// Ephemeral resources need Terraform 1.10 or OpenTofu 1.11: fail, never skip.
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{tfversion.RequireAbove(tfversion.Version1_10_0)},
		CheckDestroy:           acctest.CheckInstancesDestroyed,
		Steps: []resource.TestStep{
			{
				// The instance exists before its console is opened at plan time.
				Config:            instance,
				ConfigStateChecks: []statecheck.StateCheck{noCopy},
			},
			{
				// The gate's precondition reads the ready line, and neither the plan
				// nor the state holds it. (Before the echo step: echo keeps it.)
				Config: instance + consoleOf(name, ready),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{absentFromPlan{text: ready}},
					PostApplyPostRefresh: []plancheck.PlanCheck{absentFromPlan{text: ready}},
				},
				ConfigStateChecks: []statecheck.StateCheck{absentFromState{text: ready}},
			},
			{
				Config: instance + consoleOf(name, ready) + echo,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("echo.console", tfjsonpath.New("data").AtMapKey("output"),
						knownvalue.StringRegexp(regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(ready)+`$`))),
					statecheck.ExpectKnownValue("echo.console", tfjsonpath.New("data").AtMapKey("id"), knownvalue.StringExact(name)),
					statecheck.ExpectKnownValue("echo.console", tfjsonpath.New("data").AtMapKey("path"),
						knownvalue.StringExact(DefaultConsolePath+"/"+name+".log")),
					statecheck.ExpectKnownValue("echo.console", tfjsonpath.New("data").AtMapKey("lines"), knownvalue.Int64Exact(50)),
					noCopy,
				},
			},
			{
				// The precondition can fail: the text is really read.
				Config:      instance + consoleOf(name, "UNIKERNEL-READY cmdline=something-else"),
				ExpectError: regexp.MustCompile(`the console has no line UNIKERNEL-READY cmdline=something-else`),
			},
			{
				// No console log (no such instance): empty output, as the data source.
				Config: instance + fmt.Sprintf(`
ephemeral "unikernel_instance_console" "vm" {
  name = "%s-missing"
}

resource "terraform_data" "gate" {
  lifecycle {
    precondition {
      condition     = ephemeral.unikernel_instance_console.vm.output == ""
      error_message = "output is not empty"
    }
  }
}
`, name),
			},
		},
	})
}
