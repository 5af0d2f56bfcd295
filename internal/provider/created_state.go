package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// recordCreated writes what a Create knows so far into the response state,
// with values that are still unknown set to null. A Create calls it as soon
// as its object exists on the host: when a later step fails, Terraform keeps
// the object as a tainted resource and the next apply replaces it, instead of
// losing track of it.
func recordCreated(ctx context.Context, state *tfsdk.State, model any) diag.Diagnostics {
	diags := state.Set(ctx, model)
	if diags.HasError() {
		return diags
	}
	raw, err := tftypes.Transform(state.Raw, func(_ *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if !v.IsKnown() {
			return tftypes.NewValue(v.Type(), nil), nil
		}
		return v, nil
	})
	if err != nil {
		diags.AddError("Unable to record a partly created object", "Please report this issue: "+err.Error())
		return diags
	}
	state.Raw = raw
	return diags
}
