package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/provider/validators"
)

var _ datasource.DataSourceWithConfigure = &ImageDataSource{}

// ImageDataSource looks up an existing volume by pool and name.
type ImageDataSource struct {
	data *Data
}

// ImageDataSourceModel is the data source's state.
type ImageDataSourceModel struct {
	ID     types.String `tfsdk:"id"`
	Name   types.String `tfsdk:"name"`
	Pool   types.String `tfsdk:"pool"`
	Format types.String `tfsdk:"format"`
	Boot   types.String `tfsdk:"boot"`
	Path   types.String `tfsdk:"path"`
	Size   types.Int64  `tfsdk:"size"`
}

// NewImageDataSource is the constructor registered with the provider.
func NewImageDataSource() datasource.DataSource { return &ImageDataSource{} }

func (d *ImageDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_image"
}

func (d *ImageDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Looks up an existing storage volume by pool and name, for example an image uploaded " +
			"outside this configuration, and detects its format from its headers (a few KiB read through libvirt's " +
			"volume download API; the image is never downloaded whole, so no SHA-256 is computed).",
		Attributes: map[string]schema.Attribute{
			"pool": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Name of the storage pool.",
				Validators:          []validator.String{validators.PoolName()},
			},
			"name": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "The volume's name in the pool.",
			},
			"id": schema.StringAttribute{Computed: true, MarkdownDescription: "The volume's key (for dir pools its path), " +
				"as instances take it."},
			"path": schema.StringAttribute{Computed: true, MarkdownDescription: "The volume's path on the host."},
			"size": schema.Int64Attribute{Computed: true, MarkdownDescription: "The volume file's size in bytes."},
			"format": schema.StringAttribute{Computed: true, MarkdownDescription: "The detected format: `multiboot`, " +
				"`multiboot2`, `pvh`, `linux`, `qcow2`, `raw` or `iso` (same rules as `unikernel_image`; bytes that would " +
				"be refused there are reported as `raw`, with a warning)."},
			"boot": schema.StringAttribute{Computed: true, MarkdownDescription: "`kernel` or `disk`, from the format."},
		},
	}
}

func (d *ImageDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerData(req.ProviderData, &resp.Diagnostics)
}

func (d *ImageDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	if !configured(d.data, "unikernel_image", &resp.Diagnostics) {
		return
	}
	var cfg ImageDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	pool, name := cfg.Pool.ValueString(), cfg.Name.ValueString()
	summary := fmt.Sprintf("Unable to read image %q", pool+"/"+name)
	tflog.Debug(ctx, "reading storage volume", map[string]any{"pool": pool, "volume": name})
	info, err := d.data.Client.ReadVolume(ctx, pool, name)
	if err != nil {
		hint := "Check that libvirt answers."
		switch {
		case hypervisor.IsNotFound(err):
			hint = fmt.Sprintf("`virsh vol-list %s` lists the volumes of the pool, `virsh pool-list --all` the pools.", pool)
		case hypervisor.IsPoolInactive(err):
			hint = fmt.Sprintf("Start the pool: `virsh pool-start %s`.", pool)
		}
		resp.Diagnostics.AddError(summary, fmt.Sprintf("%s.\n\n%s", err, hint))
		return
	}
	format, refused, err := volumeFormat(ctx, d.data.Client, info)
	if err != nil {
		resp.Diagnostics.AddError(summary, err.Error())
		return
	}
	if refused != "" {
		resp.Diagnostics.AddWarning(fmt.Sprintf("Image %q reported as raw", pool+"/"+name), refused+".")
	}
	// The resource's mapping, less the fields only the resource has.
	var rm ImageResourceModel
	rm.fromVolume(info)
	rm.setFormat(format)
	m := ImageDataSourceModel{
		ID: rm.ID, Name: types.StringValue(name), Pool: types.StringValue(pool),
		Format: rm.Format, Boot: rm.Boot, Path: rm.Path, Size: rm.Size,
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
