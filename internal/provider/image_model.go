package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/imageformat"
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

// fromVolume sets what libvirt holds for the volume: its key, path and size.
// The resource and the data source both read a volume through it.
func (m *ImageResourceModel) fromVolume(info hypervisor.VolumeInfo) {
	m.ID = types.StringValue(info.Key)
	m.Path = types.StringValue(info.Path)
	m.Size = types.Int64Value(int64(info.Size))
}

// setFormat sets the format and the boot method it implies.
func (m *ImageResourceModel) setFormat(f imageformat.Format) {
	m.Format = types.StringValue(string(f))
	m.Boot = types.StringValue(f.Boot())
}
