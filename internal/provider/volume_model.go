package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// VolumeResourceModel is the unikernel_volume resource's state.
type VolumeResourceModel struct {
	ID          types.String `tfsdk:"id"`
	Name        types.String `tfsdk:"name"`
	Pool        types.String `tfsdk:"pool"`
	Format      types.String `tfsdk:"format"`
	Size        types.String `tfsdk:"size"`
	SourceImage types.String `tfsdk:"source_image"`
	Path        types.String `tfsdk:"path"`
	Capacity    types.Int64  `tfsdk:"capacity"`
}

// fromVolume sets what libvirt holds for the volume: key, path, capacity and
// format. size keeps its spelling while it still means the capacity (so
// "2GiB" stays "2GiB"); a volume resized out of band shows its new size.
func (m *VolumeResourceModel) fromVolume(info hypervisor.VolumeInfo) {
	m.ID = types.StringValue(info.Key)
	m.Path = types.StringValue(info.Path)
	m.Capacity = types.Int64Value(int64(info.Capacity))
	m.Format = types.StringValue(info.Format)
	if n, err := parseSize(m.Size.ValueString()); m.Size.IsNull() || m.Size.IsUnknown() || err != nil || n != info.Capacity {
		m.Size = types.StringValue(formatSize(info.Capacity))
	}
}

// spec is the volume to create.
func (m *VolumeResourceModel) spec(capacity uint64) hypervisor.DataVolumeSpec {
	return hypervisor.DataVolumeSpec{Name: m.Name.ValueString(), Capacity: capacity, Format: m.Format.ValueString()}
}
