package provider

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

const testPoolAddr = "unikernel_pool.test"

// testAccPoolConfig is the pool unikernel_pool.test named name in dir, with
// extra lines.
func testAccPoolConfig(name, dir, extra string) string {
	return testConfig(tfconfig.Pool{Label: "test", Name: name, Path: dir, Extra: extra})
}

// uuidRE is a libvirt UUID.
var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// positive checks a number above zero.
func positive(v int64) error {
	if v <= 0 {
		return fmt.Errorf("want a positive number, got %d", v)
	}
	return nil
}

func TestAccPoolResource_basic(t *testing.T) {
	testAccPreCheck(t)
	name, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	sameID := statecheck.CompareValue(compare.ValuesSame())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckPoolsDestroyed,
		Steps: []resource.TestStep{
			{
				Config: testAccPoolConfig(name, dir, ""),
				Check: acctest.CheckPool(name, func(info hypervisor.PoolInfo) error {
					if !info.Active || !info.Autostart || info.Type != "dir" || info.Spec.Path != dir {
						return fmt.Errorf("libvirt says %+v", info)
					}
					if st, err := os.Stat(dir); err != nil || !st.IsDir() {
						return fmt.Errorf("pool directory: %v", err)
					}
					return nil
				}),
				ConfigStateChecks: append(expectAttrs(testPoolAddr, map[string]knownvalue.Check{
					"name": str(name), "path": str(dir), "autostart": knownvalue.Bool(true), "running": knownvalue.Bool(true),
					"id": knownvalue.StringRegexp(uuidRE), "capacity": knownvalue.Int64Func(positive),
					"available": knownvalue.Int64Func(positive),
				}), sameID.AddStateValue(testPoolAddr, tfjsonpath.New("id"))),
			},
			{
				Config:            testAccPoolConfig(name, dir, "autostart = false"),
				ConfigPlanChecks:  planAction(testPoolAddr, plancheck.ResourceActionUpdate),
				ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(testPoolAddr, tfjsonpath.New("id"))},
				Check: acctest.CheckPool(name, func(info hypervisor.PoolInfo) error {
					if info.Autostart || !info.Active {
						return fmt.Errorf("want autostart off and running: %+v", info)
					}
					return nil
				}),
			},
			{
				ResourceName:                         testPoolAddr,
				ImportState:                          true,
				ImportStateId:                        name,
				ImportStateVerify:                    true,
				ImportStateVerifyIdentifierAttribute: "name",
				// Free space changes as other tests write to the same file system.
				ImportStateVerifyIgnore: []string{"allocation", "available"},
			},
			{
				Config:           testAccPoolConfig(name, dir, "autostart = false\nrunning = false"),
				ConfigPlanChecks: planAction(testPoolAddr, plancheck.ResourceActionUpdate),
				ConfigStateChecks: expectAttrs(testPoolAddr, map[string]knownvalue.Check{
					"running": knownvalue.Bool(false), "capacity": knownvalue.Int64Exact(0),
				}),
				Check: acctest.CheckPool(name, func(info hypervisor.PoolInfo) error {
					if info.Active {
						return fmt.Errorf("pool still running")
					}
					return nil
				}),
			},
			{
				Config:           testAccPoolConfig(name, dir+"-moved", ""),
				ConfigPlanChecks: planAction(testPoolAddr, plancheck.ResourceActionDestroyBeforeCreate),
				Check: acctest.CheckPool(name, func(info hypervisor.PoolInfo) error {
					if info.Spec.Path != dir+"-moved" || !info.Active {
						return fmt.Errorf("after moving: %+v", info)
					}
					if _, err := os.Stat(dir); !os.IsNotExist(err) {
						return fmt.Errorf("the old, empty directory must be gone: %v", err)
					}
					return nil
				}),
			},
		},
	})
	_ = os.RemoveAll(dir + "-moved")
}

// A pool stopped, stopped with its directory removed, or deleted out of band
// shows in the next plan, and apply repairs it; the framework's plan after
// each apply proves nothing is left to do.
func TestAccPoolResource_drift(t *testing.T) {
	testAccPreCheck(t)
	c := acctest.MustClient(t)
	ctx := context.Background()
	name, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	config := testAccPoolConfig(name, dir, "")
	running := acctest.CheckPool(name, func(info hypervisor.PoolInfo) error {
		if !info.Active || !info.Autostart {
			return fmt.Errorf("pool not repaired: %+v", info)
		}
		return nil
	})
	pre := func(f func() error) func() {
		return func() {
			if err := f(); err != nil {
				t.Fatal(err)
			}
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckPoolsDestroyed,
		Steps: []resource.TestStep{
			{Config: config},
			{
				PreConfig:          pre(func() error { return c.StopPool(ctx, name) }),
				Config:             config,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				Config:           config,
				ConfigPlanChecks: planAction(testPoolAddr, plancheck.ResourceActionUpdate),
				Check:            running,
			},
			{
				PreConfig: pre(func() error {
					if err := c.StopPool(ctx, name); err != nil {
						return err
					}
					return os.Remove(dir)
				}),
				Config:           config,
				ConfigPlanChecks: planAction(testPoolAddr, plancheck.ResourceActionUpdate),
				Check:            running,
			},
			{
				PreConfig:        pre(func() error { return c.DeletePool(ctx, name) }),
				Config:           config,
				ConfigPlanChecks: planAction(testPoolAddr, plancheck.ResourceActionCreate),
				Check:            running,
			},
		},
	})
}

// A pool that holds a volume it does not manage is never deleted: destroy
// fails, names the volume, and leaves it in place.
func TestAccPoolResource_notEmpty(t *testing.T) {
	testAccPreCheck(t)
	c := acctest.MustClient(t)
	ctx := context.Background()
	name, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	config := testAccPoolConfig(name, dir, "")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckPoolsDestroyed,
		Steps: []resource.TestStep{
			{Config: config},
			{
				PreConfig: func() {
					if _, err := c.CreateVolume(ctx, name, hypervisor.VolumeSpec{Name: "by-hand.img", Size: 4096}); err != nil {
						t.Fatal(err)
					}
				},
				Config:      config,
				Destroy:     true,
				ExpectError: regexp.MustCompile(`(?s)Unable to delete pool.*still holds 1 volume\(s\): by-hand\.img.*Nothing was deleted`),
			},
			{
				PreConfig: func() {
					if info, err := c.ReadVolume(ctx, name, "by-hand.img"); err != nil || info.Size != 4096 {
						t.Fatalf("the volume must be untouched after the refused destroy: %+v %v", info, err)
					}
					if err := c.DeleteVolume(ctx, name, "by-hand.img"); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				Check: acctest.CheckPool(name, func(info hypervisor.PoolInfo) error {
					if !info.Active {
						return fmt.Errorf("the refused pool must still run")
					}
					return nil
				}),
			},
		},
	})
}

func TestAccPoolResource_validation(t *testing.T) {
	testAccPreCheck(t)
	cases := map[string]struct {
		name, path string
		want       string
	}{
		"relative path":     {"p", "var/lib/images", `must\s+be\s+an\s+absolute\s+host\s+path`},
		"trailing slash":    {"p", "/var/lib/images/", `did\s+you\s+mean\s+"/var/lib/images"`},
		"dot-dot":           {"p", "/var/lib/../images", `did\s+you\s+mean\s+"/var/images"`},
		"root":              {"p", "/", `must\s+not\s+be\s+the\s+root\s+directory`},
		"slash in name":     {"a/b", "/var/lib/images", `Invalid pool name`},
		"empty name":        {`name = ""`, "/var/lib/images", `Invalid pool name`},
		"control character": {"a\tb", "/var/lib/images", `Invalid pool name`},
	}
	var steps []resource.TestStep
	for _, tc := range cases {
		pool := tfconfig.Pool{Label: "test", Name: tc.name, Path: tc.path}
		if strings.HasPrefix(tc.name, "name = ") {
			pool.Name, pool.Extra = "", tc.name // an empty name, written out
		}
		steps = append(steps, resource.TestStep{
			Config:      testConfig(pool),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(tc.want),
		})
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    steps,
	})
}
