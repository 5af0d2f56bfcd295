package provider

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

var _ datasource.DataSourceWithConfigure = &NetworkDataSource{}

// NetworkDataSource reads a libvirt network and its current DHCP leases.
type NetworkDataSource struct {
	data *Data
}

// NetworkDataSourceModel is the data source's state: the resource's
// attributes plus the leases.
type NetworkDataSourceModel struct {
	NetworkResourceModel
	Leases []networkLeaseModel `tfsdk:"leases"`
}

// networkLeaseModel is one element of `leases`.
type networkLeaseModel struct {
	MAC      types.String `tfsdk:"mac"`
	IPv4     types.String `tfsdk:"ipv4"`
	Hostname types.String `tfsdk:"hostname"`
	Expiry   types.String `tfsdk:"expiry"`
}

// NewNetworkDataSource is the constructor registered with the provider.
func NewNetworkDataSource() datasource.DataSource { return &NetworkDataSource{} }

func (d *NetworkDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_network"
}

func (d *NetworkDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	str := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Looks up a libvirt network on the host by name, whether or not Terraform manages it, and " +
			"returns its configuration and its current DHCP leases. `hosts` lists every static reservation, including " +
			"those that instances added for their interfaces.",
		Attributes: map[string]schema.Attribute{
			"name": schema.StringAttribute{
				MarkdownDescription: "Name of the libvirt network.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"id":        str("The network's UUID."),
			"mode":      str("`nat`, `route`, `open`, `isolated` or `bridge` (libvirt's other forward modes show as they are)."),
			"bridge":    str("Name of the host bridge."),
			"ipv4_cidr": str("The network's first IPv4 network, for example `10.213.0.0/24`."),
			"ipv6_cidr": str("The network's first IPv6 network."),
			"gateway":   str("The first host address of `ipv4_cidr`, which networks created by this provider give the host."),
			"mtu":       schema.Int64Attribute{Computed: true, MarkdownDescription: "MTU of the bridge, if set."},
			"dhcp": schema.SingleNestedAttribute{
				Computed:            true,
				MarkdownDescription: "IPv4 DHCP: whether it is served, its first range, and whether dnsmasq skips its ping check.",
				Attributes: map[string]schema.Attribute{
					"enabled": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether DHCP is served."},
					"start":   str("First address of the dynamic range."),
					"end":     str("Last address of the dynamic range."),
					"no_ping": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether dnsmasq offers addresses without pinging them first."},
				},
			},
			"hosts": schema.SetNestedAttribute{
				Computed:            true,
				MarkdownDescription: "Every static DHCP reservation, including those of instances.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"mac":      str("MAC address."),
					"ipv4":     str("Reserved address."),
					"hostname": str("Host name, if set."),
				}},
			},
			"dns": schema.SingleNestedAttribute{
				Computed:            true,
				MarkdownDescription: "DNS served to guests.",
				Attributes: map[string]schema.Attribute{
					"domain": str("DNS domain of the network, if set."),
					"hosts": schema.SetNestedAttribute{
						Computed:            true,
						MarkdownDescription: "Extra DNS records.",
						NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
							"ipv4": str("Address the names resolve to."),
							"hostnames": schema.ListAttribute{Computed: true, ElementType: types.StringType,
								MarkdownDescription: "Host names."},
						}},
					},
				},
			},
			"autostart": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether libvirt starts the network with the host."},
			"running":   schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the network runs."},
			"leases": schema.ListNestedAttribute{
				Computed: true,
				MarkdownDescription: "Current IPv4 DHCP leases, sorted by address. Leases of guests that are gone stay " +
					"until they expire, so match on `mac`. Empty while the network is stopped.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"mac":      str("MAC address of the guest interface."),
					"ipv4":     str("Leased address."),
					"hostname": str("Host name the guest sent, if any."),
					"expiry":   str("When the lease expires, RFC 3339 in UTC."),
				}},
			},
		},
	}
}

func (d *NetworkDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerData(req.ProviderData, &resp.Diagnostics)
}

func (d *NetworkDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	if !configured(d.data, "unikernel_network", &resp.Diagnostics) {
		return
	}
	var cfg NetworkDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := cfg.Name.ValueString()
	summary := fmt.Sprintf("Unable to read network %q", name)
	tflog.Debug(ctx, "reading network", map[string]any{"network": name})
	info, err := d.data.Client.ReadNetwork(ctx, name)
	if err != nil {
		resp.Diagnostics.AddError(summary, lookupFailed(err,
			"No network of that name is defined on this host: check the name with `virsh net-list --all`."))
		return
	}
	m, diags := networkModelFromInfo(info, info.Spec.Hosts)
	resp.Diagnostics.Append(diags...)
	tflog.Debug(ctx, "reading network leases", map[string]any{"network": name})
	leases, err := d.data.Client.Leases(ctx, name)
	if err != nil {
		resp.Diagnostics.AddError(summary, fmt.Sprintf("%s.\n\nCheck that libvirt answers.", err))
		return
	}
	out := NetworkDataSourceModel{NetworkResourceModel: m, Leases: leaseModels(leases)}
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &out)...)
}

// leaseModels maps the leases to `leases`, sorted; none gives an empty
// list, not null.
func leaseModels(leases []hypervisor.Lease) []networkLeaseModel {
	sortLeases(leases)
	out := make([]networkLeaseModel, 0, len(leases))
	for _, l := range leases {
		expiry := types.StringNull()
		if !l.Expiry.IsZero() {
			expiry = types.StringValue(l.Expiry.UTC().Format(time.RFC3339))
		}
		out = append(out, networkLeaseModel{MAC: types.StringValue(l.MAC), IPv4: types.StringValue(l.IPv4),
			Hostname: nullIfEmpty(l.Hostname), Expiry: expiry})
	}
	return out
}

// sortLeases orders leases by address, then MAC.
func sortLeases(ls []hypervisor.Lease) {
	sort.Slice(ls, func(i, j int) bool {
		a, _ := netip.ParseAddr(ls[i].IPv4)
		b, _ := netip.ParseAddr(ls[j].IPv4)
		if a != b {
			return a.Less(b)
		}
		return ls[i].MAC < ls[j].MAC
	})
}
