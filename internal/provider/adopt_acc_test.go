package provider

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
)

// Import fixtures of networks, pools and volumes define their objects the way
// other tools do (the libvirt provider, virsh), straight through libvirt, and
// assert that importing them with the configuration the docs give plans
// nothing. Each fixture takes its /24 from acctest.CIDR.

// foreignConn opens a libvirt connection of the test's own, as another tool
// would, closed when the test ends.
func foreignConn(t *testing.T) *libvirt.Connect {
	t.Helper()
	conn, err := libvirt.NewConnect(acctest.URI())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = conn.Close() })
	return conn
}

// defineForeignNetwork defines x, starts it when start is set and sets its
// autostart, as the tool it imitates does; the test's end removes it.
func defineForeignNetwork(t *testing.T, x *libvirtxml.Network, start, autostart bool) {
	t.Helper()
	conn := foreignConn(t)
	doc, err := x.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	n, err := conn.NetworkDefineXML(doc)
	if err != nil {
		t.Fatalf("define network: %v\n%s", err, doc)
	}
	defer func() { _ = n.Free() }()
	name := x.Name
	t.Cleanup(func() {
		c, err := libvirt.NewConnect(acctest.URI())
		if err != nil {
			return
		}
		defer func() { _, _ = c.Close() }()
		if n, err := c.LookupNetworkByName(name); err == nil {
			_ = n.Destroy()
			_ = n.Undefine()
			_ = n.Free()
		}
	})
	if start {
		if err := n.Create(); err != nil {
			t.Fatalf("start network: %v", err)
		}
	}
	if autostart {
		if err := n.SetAutostart(true); err != nil {
			t.Fatalf("autostart network: %v", err)
		}
	}
}

// expectNoChanges is plancheck.ExpectEmptyPlan that names, on failure, every
// attribute the plan changes with its value before and after, so that a
// failing import fixture shows its first-plan diff.
type expectNoChanges struct{}

func (expectNoChanges) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	var problems []string
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Change.Actions.NoOp() {
			continue
		}
		diffs := planDiff("", rc.Change.Before, rc.Change.After, rc.Change.AfterUnknown)
		problems = append(problems, fmt.Sprintf("%s %v: %s", rc.Address, rc.Change.Actions, strings.Join(diffs, "; ")))
	}
	if len(problems) > 0 {
		resp.Error = fmt.Errorf("expected an empty plan, got %s", strings.Join(problems, "\n"))
	}
}

// planDiff lists the leaves that differ between before and after.
func planDiff(at string, before, after, unknown any) []string {
	if u, ok := unknown.(bool); ok && u {
		return []string{fmt.Sprintf("%s: %v -> (known after apply)", orRoot(at), before)}
	}
	bm, bok := before.(map[string]any)
	am, aok := after.(map[string]any)
	if bok && aok {
		um, _ := unknown.(map[string]any)
		keys := map[string]bool{}
		for k := range bm {
			keys[k] = true
		}
		for k := range am {
			keys[k] = true
		}
		var names []string
		for k := range keys {
			names = append(names, k)
		}
		sort.Strings(names)
		var out []string
		for _, k := range names {
			out = append(out, planDiff(strings.TrimPrefix(at+"."+k, "."), bm[k], am[k], um[k])...)
		}
		return out
	}
	if reflect.DeepEqual(before, after) {
		return nil
	}
	return []string{fmt.Sprintf("%s: %v -> %v", orRoot(at), before, after)}
}

func orRoot(at string) string {
	if at == "" {
		return "(resource)"
	}
	return at
}

// firstPlanEmpty is the plan checks of an import step.
func firstPlanEmpty() []plancheck.PlanCheck {
	return []plancheck.PlanCheck{expectNoChanges{}, plancheck.ExpectEmptyPlan()}
}

// randBridge is a unique bridge name of at most 15 characters.
func randBridge() string {
	n := acctest.RandName("b")
	return "tfacc" + n[len(n)-8:]
}
