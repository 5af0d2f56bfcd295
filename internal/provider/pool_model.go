package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// PoolResourceModel is the resource's state.
type PoolResourceModel struct {
	ID         types.String `tfsdk:"id"`
	Name       types.String `tfsdk:"name"`
	Path       types.String `tfsdk:"path"`
	Autostart  types.Bool   `tfsdk:"autostart"`
	Running    types.Bool   `tfsdk:"running"`
	Capacity   types.Int64  `tfsdk:"capacity"`
	Allocation types.Int64  `tfsdk:"allocation"`
	Available  types.Int64  `tfsdk:"available"`
}

func poolModel(info hypervisor.PoolInfo) PoolResourceModel {
	return PoolResourceModel{
		ID:         types.StringValue(info.Spec.UUID),
		Name:       types.StringValue(info.Spec.Name),
		Path:       types.StringValue(info.Spec.Path),
		Autostart:  types.BoolValue(info.Autostart),
		Running:    types.BoolValue(info.Active),
		Capacity:   types.Int64Value(int64(info.Capacity)),
		Allocation: types.Int64Value(int64(info.Allocation)),
		Available:  types.Int64Value(int64(info.Available)),
	}
}
