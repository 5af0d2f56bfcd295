package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

var _ datasource.DataSourceWithConfigure = &InstanceDataSource{}

// InstanceDataSource looks up an existing instance by name.
type InstanceDataSource struct {
	data *Data
}

type instanceDataModel struct {
	Name              types.String           `tfsdk:"name"`
	ID                types.String           `tfsdk:"id"`
	Hypervisor        types.String           `tfsdk:"hypervisor"`
	State             types.String           `tfsdk:"state"`
	Running           types.Bool             `tfsdk:"running"`
	Autostart         types.Bool             `tfsdk:"autostart"`
	Memory            types.Int64            `tfsdk:"memory"`
	VCPUs             types.Int64            `tfsdk:"vcpus"`
	Kernel            types.String           `tfsdk:"kernel"`
	Cmdline           types.String           `tfsdk:"cmdline"`
	ConsoleLog        types.String           `tfsdk:"console_log"`
	NetworkInterfaces []instanceDataNICModel `tfsdk:"network_interfaces"`
}

// instanceDataNICModel is one element of `network_interfaces`: the
// resource's interface (nicModel) without its settings.
type instanceDataNICModel struct {
	Network       types.String `tfsdk:"network"`
	MAC           types.String `tfsdk:"mac"`
	Model         types.String `tfsdk:"model"`
	IPv4Addresses types.List   `tfsdk:"ipv4_addresses"`
}

// NewInstanceDataSource is the constructor registered with the provider.
func NewInstanceDataSource() datasource.DataSource { return &InstanceDataSource{} }

func (d *InstanceDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_instance"
}

func (d *InstanceDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	str := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Looks up an existing instance (any libvirt domain) by name: its run state, size, boot " +
			"settings, interfaces and the IPv4 addresses they hold.",
		Attributes: map[string]schema.Attribute{
			"name":        schema.StringAttribute{Required: true, MarkdownDescription: "Name of the instance (libvirt domain)."},
			"id":          str("The libvirt domain UUID."),
			"hypervisor":  str("Domain type: `kvm`, `qemu` or `xen`."),
			"state":       str("Run state: `running`, `shutoff`, `crashed`, `paused` or `other`."),
			"running":     schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the instance runs."},
			"autostart":   schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the instance starts with the host."},
			"memory":      schema.Int64Attribute{Computed: true, MarkdownDescription: "Memory in MiB."},
			"vcpus":       schema.Int64Attribute{Computed: true, MarkdownDescription: "Number of virtual CPUs."},
			"kernel":      str("Host path of the kernel, null for disk boot."),
			"cmdline":     str("Kernel command line, null when it has none."),
			"console_log": str("Host path of the console log, null when the domain does not log its console."),
			"network_interfaces": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "Network interfaces, in order.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"network": str("Name of the libvirt network."),
					"mac":     str("MAC address."),
					"model":   str("NIC model."),
					"ipv4_addresses": schema.ListAttribute{Computed: true, ElementType: types.StringType,
						MarkdownDescription: "IPv4 addresses from the network's DHCP leases, matched by MAC."},
				}},
			},
		},
	}
}

func (d *InstanceDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerData(req.ProviderData, &resp.Diagnostics)
}

func (d *InstanceDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	if !configured(d.data, "unikernel_instance", &resp.Diagnostics) {
		return
	}
	var m instanceDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := m.Name.ValueString()
	tflog.Debug(ctx, "reading domain", map[string]any{"instance": name})
	info, err := d.data.Client.ReadDomain(ctx, name)
	if err != nil {
		detail := err.Error()
		if hypervisor.IsNotFound(err) {
			detail = fmt.Sprintf("No libvirt domain named %q exists on %s.", name, d.data.Client.URI())
		}
		resp.Diagnostics.AddError(fmt.Sprintf("Unable to read instance %q", name), detail)
		return
	}
	// The resource's mapping, so that both read the same domain the same way:
	// unset strings (the kernel of a disk-booted domain) are null in both.
	var rm instanceModel
	resp.Diagnostics.Append(rm.fromInfo(ctx, info, leasesByMAC(ctx, d.data.Client, info.Spec.Interfaces), nil)...)
	m.ID, m.Hypervisor, m.State, m.Running, m.Autostart = rm.ID, rm.Hypervisor, rm.State, rm.Running, rm.Autostart
	m.Memory, m.VCPUs, m.Kernel, m.Cmdline, m.ConsoleLog = rm.Memory, rm.VCPUs, rm.Kernel, rm.Cmdline, rm.ConsoleLog
	m.NetworkInterfaces = make([]instanceDataNICModel, 0, len(rm.NetworkInterfaces))
	for _, n := range rm.NetworkInterfaces {
		m.NetworkInterfaces = append(m.NetworkInterfaces,
			instanceDataNICModel{Network: n.Network, MAC: n.MAC, Model: n.Model, IPv4Addresses: n.IPv4Addresses})
	}
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
