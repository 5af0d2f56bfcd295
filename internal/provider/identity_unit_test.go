package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// identityOf builds the identity a CLI sends for `import { identity = {...} }`.
func identityOf(t *testing.T, r resource.ResourceWithIdentity, values map[string]string) *tfsdk.ResourceIdentity {
	t.Helper()
	ctx := context.Background()
	var resp resource.IdentitySchemaResponse
	r.IdentitySchema(ctx, resource.IdentitySchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatal(resp.Diagnostics)
	}
	attrs := map[string]tftypes.Value{}
	for name := range resp.IdentitySchema.Attributes {
		attrs[name] = tftypes.NewValue(tftypes.String, values[name])
	}
	return &tfsdk.ResourceIdentity{
		Schema: resp.IdentitySchema,
		Raw:    tftypes.NewValue(resp.IdentitySchema.Type().TerraformType(ctx), attrs),
	}
}

func TestImportID_fromIdentity(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		resource resource.ResourceWithIdentity
		id       string
		identity map[string]string
		want     string
	}{
		{"pool by identity", &PoolResource{}, "", map[string]string{"name": "images"}, "images"},
		{"network by identity", &NetworkResource{}, "", map[string]string{"name": "lan"}, "lan"},
		{"instance by identity", &InstanceResource{}, "", map[string]string{"name": "web-1"}, "web-1"},
		{"image by identity", &ImageResource{}, "", map[string]string{"pool": "images", "name": "web.elf"}, "images/web.elf"},
		{"volume by identity", &VolumeResource{}, "", map[string]string{"pool": "data", "name": "db.img"}, "data/db.img"},
		{"the string ID wins", &ImageResource{}, "images/other.elf", map[string]string{"pool": "images", "name": "web.elf"}, "images/other.elf"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var diags diag.Diagnostics
			req := resource.ImportStateRequest{ID: tc.id, Identity: identityOf(t, tc.resource, tc.identity)}
			if got := importID(ctx, req, &diags); got != tc.want || diags.HasError() {
				t.Fatalf("importID = %q (%v), want %q", got, diags, tc.want)
			}
		})
	}
}

func TestSetIdentity_readsBack(t *testing.T) {
	ctx := context.Background()
	var diags diag.Diagnostics
	id := identityOf(t, &ImageResource{}, map[string]string{})
	setImageIdentity(ctx, id, "images", "web.elf", &diags)
	var got imageIdentity
	diags.Append(id.Get(ctx, &got)...)
	if diags.HasError() || got.Pool.ValueString() != "images" || got.Name.ValueString() != "web.elf" {
		t.Fatalf("image identity = %+v (%v)", got, diags)
	}
	nid := identityOf(t, &InstanceResource{}, map[string]string{})
	setNameIdentity(ctx, nid, "web-1", &diags)
	var n nameIdentity
	diags.Append(nid.Get(ctx, &n)...)
	if diags.HasError() || n.Name.ValueString() != "web-1" {
		t.Fatalf("instance identity = %+v (%v)", n, diags)
	}
	// Without identity support in the CLI there is nothing to set.
	setNameIdentity(ctx, nil, "web-1", &diags)
	if diags.HasError() {
		t.Fatal(diags)
	}
}
