package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/provider/validators"
)

var _ datasource.DataSourceWithConfigure = &PoolDataSource{}

// PoolDataSource looks up an existing storage pool by name.
type PoolDataSource struct {
	data *Data
}

// PoolDataSourceModel is the data source's state: the resource's, plus the
// pool's type and its volumes.
type PoolDataSourceModel struct {
	PoolResourceModel
	Type    types.String `tfsdk:"type"`
	Volumes types.List   `tfsdk:"volumes"`
}

// NewPoolDataSource is the constructor registered with the provider.
func NewPoolDataSource() datasource.DataSource { return &PoolDataSource{} }

func (d *PoolDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_pool"
}

func (d *PoolDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Looks up an existing libvirt storage pool by name, for example one created outside " +
			"Terraform, so that `unikernel_image` resources can be put into it.",
		Attributes: map[string]schema.Attribute{
			"name": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "The pool's name.",
				Validators:          []validator.String{validators.PoolName()},
			},
			"id":         schema.StringAttribute{Computed: true, MarkdownDescription: "The pool's UUID."},
			"type":       schema.StringAttribute{Computed: true, MarkdownDescription: "The libvirt pool type, for example `dir` or `logical`."},
			"path":       schema.StringAttribute{Computed: true, MarkdownDescription: "The pool's target path on the host."},
			"autostart":  schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the pool starts with the host."},
			"running":    schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the pool is started."},
			"capacity":   schema.Int64Attribute{Computed: true, MarkdownDescription: "Size in bytes of the storage behind the pool (0 while stopped)."},
			"allocation": schema.Int64Attribute{Computed: true, MarkdownDescription: "Bytes in use (0 while stopped)."},
			"available":  schema.Int64Attribute{Computed: true, MarkdownDescription: "Bytes free (0 while stopped)."},
			"volumes": schema.ListAttribute{
				Computed:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Names of the volumes in the pool, sorted (empty while the pool is stopped).",
			},
		},
	}
}

func (d *PoolDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerData(req.ProviderData, &resp.Diagnostics)
}

func (d *PoolDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	if !configured(d.data, "unikernel_pool", &resp.Diagnostics) {
		return
	}
	var cfg PoolDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := cfg.Name.ValueString()
	summary := fmt.Sprintf("Unable to read pool %q", name)
	tflog.Debug(ctx, "reading storage pool", map[string]any{"pool": name})
	info, err := d.data.Client.ReadPool(ctx, name)
	if err != nil {
		resp.Diagnostics.AddError(summary, lookupFailed(err,
			"No pool of that name is defined on this host; `virsh pool-list --all` lists them."))
		return
	}
	volumes := []string{}
	if info.Active {
		tflog.Debug(ctx, "listing storage volumes", map[string]any{"pool": name})
		if volumes, err = d.data.Client.VolumeNames(ctx, name); err != nil {
			resp.Diagnostics.AddError(summary, err.Error())
			return
		}
	}
	// The resource's mapping, plus the fields only the data source has.
	m := PoolDataSourceModel{PoolResourceModel: poolModel(info), Type: types.StringValue(info.Type)}
	list, diags := types.ListValueFrom(ctx, types.StringType, volumes)
	resp.Diagnostics.Append(diags...)
	m.Volumes = list
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
