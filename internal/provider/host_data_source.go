package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

var _ datasource.DataSourceWithConfigure = &HostDataSource{}

// HostDataSource reads facts about the hypervisor host.
type HostDataSource struct {
	data *Data
}

// HostDataSourceModel is the data source's state.
type HostDataSourceModel struct {
	ID                types.String `tfsdk:"id"`
	URI               types.String `tfsdk:"uri"`
	Hostname          types.String `tfsdk:"hostname"`
	Driver            types.String `tfsdk:"driver"`
	LibvirtVersion    types.String `tfsdk:"libvirt_version"`
	HypervisorVersion types.String `tfsdk:"hypervisor_version"`
	Arch              types.String `tfsdk:"arch"`
	CPUs              types.Int64  `tfsdk:"cpus"`
	MemoryMiB         types.Int64  `tfsdk:"memory_mib"`
	FreeMemoryMiB     types.Int64  `tfsdk:"free_memory_mib"`
	Hypervisors       types.List   `tfsdk:"hypervisors"`
	DefaultHypervisor types.String `tfsdk:"default_hypervisor"`
	Networks          types.List   `tfsdk:"networks"`
	Pools             types.List   `tfsdk:"pools"`
	EFI               types.Bool   `tfsdk:"efi"`
	SecureBoot        types.Bool   `tfsdk:"secure_boot"`
	Checks            []hostCheck  `tfsdk:"checks"`
}

// NewHostDataSource is the constructor registered with the provider.
func NewHostDataSource() datasource.DataSource { return &HostDataSource{} }

func (d *HostDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_host"
}

func (d *HostDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	computedInt := func(desc string) schema.Int64Attribute {
		return schema.Int64Attribute{Computed: true, MarkdownDescription: desc}
	}
	computedList := func(desc string) schema.ListAttribute {
		return schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: desc}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Facts about the hypervisor host the provider is connected to: versions, " +
			"capacity, the hypervisor types that can boot a kernel directly, the firmware guests can boot, and the networks " +
			"and storage pools defined there.",
		Attributes: map[string]schema.Attribute{
			"id":                 computed("The libvirt URI of the host."),
			"uri":                computed("The libvirt URI the provider is connected to."),
			"hostname":           computed("The host's name as libvirt reports it."),
			"driver":             computed("The libvirt driver, for example `QEMU` or `Xen`."),
			"libvirt_version":    computed("The version of the libvirt daemon, for example `9.0.0`."),
			"hypervisor_version": computed("The version of the hypervisor (QEMU or Xen), for example `7.2.0`."),
			"arch":               computed("The host CPU architecture, for example `x86_64`."),
			"cpus":               computedInt("Number of logical CPUs."),
			"memory_mib":         computedInt("Total host memory in MiB."),
			"free_memory_mib":    computedInt("Free host memory in MiB at the time of reading."),
			"hypervisors": computedList("Hypervisor types (`kvm`, `qemu`, `xen`) that can boot a kernel " +
				"directly on the host's architecture, best first."),
			"default_hypervisor": computed("The hypervisor type instances get when they do not set one: the provider's " +
				"`hypervisor` setting with `auto` resolved."),
			"networks": computedList("Names of the libvirt networks defined on the host, sorted."),
			"pools":    computedList("Names of the libvirt storage pools defined on the host, sorted."),
			"efi": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether instances of the default hypervisor " +
				"type can boot UEFI firmware (`firmware = \"efi\"`): libvirt's domain capabilities list `efi` among the " +
				"firmware it can choose, which needs firmware descriptors on the host (Debian: the `ovmf` package)."},
			"secure_boot": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether instances of the default " +
				"hypervisor type can boot UEFI firmware that enforces Secure Boot (`secure_boot = true`, on the `q35` machine " +
				"type): the domain capabilities offer a secure loader there. Always false on Xen."},
			"checks": hostChecksSchema(),
		},
	}
}

func (d *HostDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerData(req.ProviderData, &resp.Diagnostics)
}

func (d *HostDataSource) Read(ctx context.Context, _ datasource.ReadRequest, resp *datasource.ReadResponse) {
	if !configured(d.data, "unikernel_host", &resp.Diagnostics) {
		return
	}
	uri := d.data.Client.URI()
	tflog.Debug(ctx, "reading host facts", map[string]any{"libvirt_uri": uri})
	h, err := d.data.Client.Host(ctx)
	if err != nil {
		resp.Diagnostics.AddError("Unable to read host \""+uri+"\"", err.Error())
		return
	}
	m := HostDataSourceModel{
		ID:                types.StringValue(uri),
		URI:               types.StringValue(uri),
		Hostname:          types.StringValue(h.Hostname),
		Driver:            types.StringValue(h.Driver),
		LibvirtVersion:    types.StringValue(h.LibvirtVersion),
		HypervisorVersion: types.StringValue(h.HypervisorVersion),
		Arch:              types.StringValue(h.Arch),
		CPUs:              types.Int64Value(h.CPUs),
		MemoryMiB:         types.Int64Value(h.MemoryMiB),
		FreeMemoryMiB:     types.Int64Value(h.FreeMemoryMiB),
		DefaultHypervisor: types.StringValue(d.data.Hypervisor),
	}
	if !d.readFirmware(ctx, &m, &resp.Diagnostics) {
		return
	}
	var diags diag.Diagnostics
	m.Hypervisors, diags = types.ListValueFrom(ctx, types.StringType, h.KernelBootTypes)
	resp.Diagnostics.Append(diags...)
	m.Networks, diags = types.ListValueFrom(ctx, types.StringType, h.Networks)
	resp.Diagnostics.Append(diags...)
	m.Pools, diags = types.ListValueFrom(ctx, types.StringType, h.Pools)
	resp.Diagnostics.Append(diags...)
	m.Checks = d.readHostChecks(ctx, h, m.EFI.ValueBool())
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// readFirmware fills efi and secure_boot from the domain capabilities of the
// default hypervisor type: UEFI with its default machine type, Secure Boot
// with q35, the only machine type the Secure Boot builds support. It reports
// false after adding an error.
func (d *HostDataSource) readFirmware(ctx context.Context, m *HostDataSourceModel, diags *diag.Diagnostics) bool {
	c, typ := d.data.Client, d.data.Hypervisor
	fw, err := c.Firmware(ctx, typ, "")
	if err != nil {
		diags.AddError("Unable to read host \""+c.URI()+"\"", err.Error())
		return false
	}
	m.EFI, m.SecureBoot = types.BoolValue(fw.EFI), types.BoolValue(false)
	if fw.EFI && typ != "xen" {
		q35, err := c.Firmware(ctx, typ, "q35")
		if err != nil {
			diags.AddError("Unable to read host \""+c.URI()+"\"", err.Error())
			return false
		}
		m.SecureBoot = types.BoolValue(q35.SecureBoot)
	}
	return true
}
