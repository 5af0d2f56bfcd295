package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// ImageResourceModel is the resource's state.
type ImageResourceModel struct {
	ID     types.String `tfsdk:"id"`
	Name   types.String `tfsdk:"name"`
	Pool   types.String `tfsdk:"pool"`
	Source types.String `tfsdk:"source"`
	SHA256 types.String `tfsdk:"sha256"`
	Format types.String `tfsdk:"format"`
	Boot   types.String `tfsdk:"boot"`
	Path   types.String `tfsdk:"path"`
	Size   types.Int64  `tfsdk:"size"`
}
