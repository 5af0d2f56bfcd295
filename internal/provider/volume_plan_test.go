package provider

import (
	"context"
	"math/big"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// The volume's plan-time rules on libvirt's in-process test driver, without
// a daemon: a blank volume is created with its size, a smaller size is
// refused, removing size from an existing volume keeps it, and a change of
// name is a replacement. (Growing needs the real daemon: the test driver
// cannot resize volumes; see TestAccVolumeResource_growLive.)
func TestVolumePlan_onTestDriver(t *testing.T) {
	if os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		p, err := exec.LookPath("terraform")
		if err != nil {
			t.Fatal("TF_ACC_TERRAFORM_PATH is not set and no terraform is on PATH; `make test` sets it (scripts/terraform-cli.sh)")
		}
		t.Setenv("TF_ACC_TERRAFORM_PATH", p)
	}
	config := func(name, body string) string {
		return `
provider "unikernel" {
  uri        = "test:///default"
  hypervisor = "qemu"
}

resource "unikernel_volume" "v" {
  pool = "default-pool"
  name = "` + name + `"
` + body + `
}
`
	}
	const addr = "unikernel_volume.v"
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config("tf-unit-vol.img", `  size = "1MiB"`),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(addr, "size", "1MiB"),
					resource.TestCheckResourceAttr(addr, "capacity", strconv.Itoa(1<<20)),
					resource.TestCheckResourceAttr(addr, "format", "raw"),
					resource.TestCheckResourceAttr(addr, "id", "/default-pool/tf-unit-vol.img"),
				),
			},
			{Config: config("tf-unit-vol.img", `  size = "1024KiB"`), PlanOnly: true, ExpectNonEmptyPlan: true},
			{
				Config:      config("tf-unit-vol.img", `  size = "512KiB"`),
				PlanOnly:    true,
				ExpectError: wrapped(`(?s)size 512KiB is 524288 bytes, but the volume has 1048576 bytes \(1MiB\).*cannot shrink`),
			},
			{
				// Left out, the size stays what the volume has.
				Config: config("tf-unit-vol.img", ``), PlanOnly: true,
			},
			{
				Config: config("tf-unit-vol2.img", `  size = "1MiB"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: resource.TestCheckResourceAttr(addr, "id", "/default-pool/tf-unit-vol2.img"),
			},
		},
	})
}

// volumePlanRequest builds a ModifyPlan request for unikernel_volume from
// attribute values (nil is null, types.Int64 and strings as given).
func volumePlanRequest(t *testing.T, state, config map[string]any) (fwresource.ModifyPlanRequest, *fwresource.ModifyPlanResponse) {
	t.Helper()
	ctx := context.Background()
	var sr fwresource.SchemaResponse
	(&VolumeResource{}).Schema(ctx, fwresource.SchemaRequest{}, &sr)
	typ := sr.Schema.Type().TerraformType(ctx)
	obj := func(vals map[string]any) tftypes.Value {
		if vals == nil {
			return tftypes.NewValue(typ, nil)
		}
		attrs := map[string]tftypes.Value{}
		for name, at := range typ.(tftypes.Object).AttributeTypes {
			attrs[name] = tftypes.NewValue(at, vals[name])
		}
		return tftypes.NewValue(typ, attrs)
	}
	// The proposed plan: the configuration, with the state's computed values
	// where the configuration has none (what UseStateForUnknown and the
	// format's default leave).
	planned := map[string]any{}
	for k, v := range state {
		planned[k] = v
	}
	for k, v := range config {
		planned[k] = v
	}
	req := fwresource.ModifyPlanRequest{
		Config: tfsdk.Config{Schema: sr.Schema, Raw: obj(config)},
		Plan:   tfsdk.Plan{Schema: sr.Schema, Raw: obj(planned)},
		State:  tfsdk.State{Schema: sr.Schema, Raw: obj(state)},
	}
	resp := &fwresource.ModifyPlanResponse{Plan: req.Plan}
	return req, resp
}

// ModifyPlan's rules against an existing volume: a rename is a replacement
// with a warning that the data is lost, a smaller size is refused, a larger
// one plans the new capacity.
func TestVolumeModifyPlan_rules(t *testing.T) {
	ctx := context.Background()
	c, err := hypervisor.Open(ctx, "test:///default", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	r := &VolumeResource{data: &Data{Client: c}}
	state := map[string]any{"id": "/default-pool/a.img", "name": "a.img", "pool": "default-pool", "format": "raw",
		"size": "1MiB", "source_image": nil, "path": "/default-pool/a.img", "capacity": big.NewFloat(1 << 20)}
	config := func(name, size string) map[string]any {
		return map[string]any{"name": name, "pool": "default-pool", "format": "raw", "size": size}
	}

	req, resp := volumePlanRequest(t, state, config("b.img", "1MiB"))
	r.ModifyPlan(ctx, req, resp)
	if resp.Diagnostics.HasError() || resp.Diagnostics.WarningsCount() != 1 {
		t.Fatalf("rename: %v", resp.Diagnostics)
	}
	w := resp.Diagnostics.Warnings()[0]
	if w.Summary() != `Volume "b.img" will be replaced: its data is lost` ||
		!strings.Contains(w.Detail(), "/default-pool/a.img (1MiB)") || !strings.Contains(w.Detail(), "because name changed") {
		t.Errorf("rename warning: %s: %s", w.Summary(), w.Detail())
	}
	var planned VolumeResourceModel
	resp.Diagnostics.Append(resp.Plan.Get(ctx, &planned)...)
	if !planned.ID.IsUnknown() || planned.Capacity.ValueInt64() != 1<<20 {
		t.Errorf("rename plans id %v, capacity %v", planned.ID, planned.Capacity)
	}

	req, resp = volumePlanRequest(t, state, config("a.img", "512KiB"))
	r.ModifyPlan(ctx, req, resp)
	if !resp.Diagnostics.HasError() || !strings.Contains(resp.Diagnostics.Errors()[0].Detail(), "cannot shrink") {
		t.Errorf("shrink: %v", resp.Diagnostics)
	}

	req, resp = volumePlanRequest(t, state, config("a.img", "3MiB"))
	r.ModifyPlan(ctx, req, resp)
	resp.Diagnostics.Append(resp.Plan.Get(ctx, &planned)...)
	if resp.Diagnostics.HasError() || resp.Diagnostics.WarningsCount() != 0 || planned.Capacity.ValueInt64() != 3<<20 ||
		planned.ID.ValueString() != "/default-pool/a.img" {
		t.Errorf("grow: %v, plans %+v", resp.Diagnostics, planned)
	}

	req, resp = volumePlanRequest(t, state, config("a.img", "200TiB"))
	r.ModifyPlan(ctx, req, resp)
	if !resp.Diagnostics.HasError() || !strings.Contains(resp.Diagnostics.Errors()[0].Summary(), "Not enough space") {
		t.Errorf("grow past the pool: %v", resp.Diagnostics)
	}
}
