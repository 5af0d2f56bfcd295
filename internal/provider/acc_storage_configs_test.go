package provider

// Configuration blocks and state checks shared by the pool, volume, image,
// network and host tests.

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
)

// testPool is the pool unikernel_pool.p named name in dir, the pool the
// image and volume blocks refer to by default.
func testPool(name, dir string) tfconfig.Pool { return tfconfig.Pool{Name: name, Path: dir} }

// poolNamed is a pool made outside the configuration, as the pool expression
// of an image or a volume.
func poolNamed(name string) tfconfig.Expr { return tfconfig.Expr(tfconfig.Quote(name)) }

// expectAttrs is one acctest.Expect per attribute path of addr, in the
// order of the paths.
func expectAttrs(addr string, checks map[string]knownvalue.Check) []statecheck.StateCheck {
	paths := make([]string, 0, len(checks))
	for p := range checks {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	out := make([]statecheck.StateCheck, len(paths))
	for i, p := range paths {
		out[i] = acctest.Expect(addr, p, checks[p])
	}
	return out
}

// joinChecks is the state checks of lists, in order.
func joinChecks(lists ...[]statecheck.StateCheck) []statecheck.StateCheck {
	var out []statecheck.StateCheck
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// str is knownvalue.StringExact.
func str(s string) knownvalue.Check { return knownvalue.StringExact(s) }

// pooledConfig is the test provider, the pool named pool in dir, and blocks.
func pooledConfig(pool, dir string, blocks ...tfconfig.Block) string {
	return testConfig(append([]tfconfig.Block{testPool(pool, dir)}, blocks...)...)
}

// strVar is a string equal to *p when the check runs, for a value a step's
// PreConfig learns.
func strVar(p *string) knownvalue.Check { return stringVar{p} }

type stringVar struct{ p *string }

func (c stringVar) CheckValue(v any) error {
	if s, ok := v.(string); !ok || s != *c.p {
		return fmt.Errorf("expected value %q for StringExact check, got: %v", *c.p, v)
	}
	return nil
}

func (c stringVar) String() string { return *c.p }

// listHolds checks that a list of strings has want among its elements.
func listHolds(want string) knownvalue.Check { return listHolding{want} }

type listHolding struct{ want string }

func (c listHolding) CheckValue(v any) error {
	l, ok := v.([]any)
	if !ok {
		return fmt.Errorf("expected []any value for list check, got: %T", v)
	}
	for _, e := range l {
		if e == c.want {
			return nil
		}
	}
	return fmt.Errorf("expected %q among the elements, got: %v", c.want, l)
}

func (c listHolding) String() string { return "list holding " + c.want }

// planActions expects each address's planned action, before apply.
func planActions(actions map[string]plancheck.ResourceActionType) resource.ConfigPlanChecks {
	addrs := make([]string, 0, len(actions))
	for a := range actions {
		addrs = append(addrs, a)
	}
	sort.Strings(addrs)
	var checks []plancheck.PlanCheck
	for _, a := range addrs {
		checks = append(checks, plancheck.ExpectResourceAction(a, actions[a]))
	}
	return resource.ConfigPlanChecks{PreApply: checks}
}

// planAction expects addr's planned action, before apply.
func planAction(addr string, action plancheck.ResourceActionType) resource.ConfigPlanChecks {
	return planActions(map[string]plancheck.ResourceActionType{addr: action})
}

// diskUser is the multiboot test guest as unikernel_instance.user with the
// volumes of ids as its disks: 16 MiB, ready once it prints its banner.
func diskUser(g acctest.Guests, name string, ids ...tfconfig.Expr) tfconfig.Instance {
	disks := make([]string, len(ids))
	for i, id := range ids {
		disks[i] = "{ volume = " + string(id) + " }"
	}
	return tfconfig.Instance{
		Label: "user", Name: name, Kernel: g.MultibootKernel, Memory: 16, ShutdownTimeout: "0s",
		WaitFor: &tfconfig.WaitFor{Console: "UNIKERNEL-READY", Timeout: "120s"},
		Extra:   "disks = [" + strings.Join(disks, ", ") + "]",
	}
}
