package provider

import (
	"context"
	"regexp"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/family"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/provider/validators"
)

var _ datasource.DataSourceWithConfigure = &InstancesDataSource{}

// InstancesDataSource lists the instances (libvirt domains) of a host,
// filtered, for inventories and for modules that act on a fleet.
type InstancesDataSource struct {
	data *Data
}

type instancesDataModel struct {
	NameRegex types.String         `tfsdk:"name_regex"`
	State     types.String         `tfsdk:"state"`
	Network   types.String         `tfsdk:"network"`
	Family    types.String         `tfsdk:"family"`
	Names     types.List           `tfsdk:"names"`
	Instances []instancesItemModel `tfsdk:"instances"`
}

// instancesItemModel is one element of `instances`.
type instancesItemModel struct {
	Name              types.String        `tfsdk:"name"`
	ID                types.String        `tfsdk:"id"`
	Hypervisor        types.String        `tfsdk:"hypervisor"`
	State             types.String        `tfsdk:"state"`
	Running           types.Bool          `tfsdk:"running"`
	Autostart         types.Bool          `tfsdk:"autostart"`
	Family            types.String        `tfsdk:"family"`
	Memory            types.Int64         `tfsdk:"memory"`
	VCPUs             types.Int64         `tfsdk:"vcpus"`
	Networks          []string            `tfsdk:"networks"`
	IPv4Addresses     []string            `tfsdk:"ipv4_addresses"`
	NetworkInterfaces []instancesNICModel `tfsdk:"network_interfaces"`
}

// instancesNICModel is one element of `instances.network_interfaces`.
type instancesNICModel struct {
	Network       types.String `tfsdk:"network"`
	MAC           types.String `tfsdk:"mac"`
	IPv4Addresses []string     `tfsdk:"ipv4_addresses"`
}

// instancesFilter is the data source's filter, with its pattern compiled.
// The zero value keeps every instance.
type instancesFilter struct {
	name    *regexp.Regexp
	state   string
	network string
	family  string
}

// keeps reports whether the instance described by info passes every filter
// that is set.
func (f instancesFilter) keeps(info hypervisor.DomainInfo) bool {
	s := info.Spec
	if f.name != nil && !f.name.MatchString(s.Name) {
		return false
	}
	if f.state != "" && string(info.State) != f.state {
		return false
	}
	if f.family != "" && s.Family != f.family {
		return false
	}
	if f.network != "" && !slices.ContainsFunc(s.Interfaces, func(n hypervisor.InterfaceSpec) bool { return n.Network == f.network }) {
		return false
	}
	return true
}

// instanceStates are the run states the instance resource and data source report.
var instanceStates = []string{
	string(hypervisor.StateRunning), string(hypervisor.StateShutoff), string(hypervisor.StateCrashed),
	string(hypervisor.StatePaused), string(hypervisor.StateOther),
}

// NewInstancesDataSource is the constructor registered with the provider.
func NewInstancesDataSource() datasource.DataSource { return &InstancesDataSource{} }

func (d *InstancesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_instances"
}

func (d *InstancesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	str := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	strList := func(desc string) schema.ListAttribute {
		return schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: desc}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the instances (libvirt domains) of the host, sorted by name, optionally filtered by " +
			"name, run state, network and family: for inventories, and for modules that act on a fleet " +
			"(`for_each = toset(data.unikernel_instances.x.names)`). Filters that are set must all match. Every " +
			"domain of the host is listed, also those the provider did not create.",
		Attributes: map[string]schema.Attribute{
			"name_regex": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Keep instances whose name matches this regular expression ([Go RE2 syntax]" +
					"(https://pkg.go.dev/regexp/syntax)). It is not anchored: `^web-` keeps names that start with " +
					"`web-`, `web` any name that contains it.",
				Validators: []validator.String{validators.Regexp()},
			},
			"state": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Keep instances in this run state: " + quotedList(instanceStates) + ".",
				Validators:          []validator.String{stringvalidator.OneOf(instanceStates...)},
			},
			"network": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Keep instances with a network interface on this libvirt network (its name).",
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"family": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Keep instances of this unikernel family: " + familyNameList() + ". Only " +
					"instances whose family is recorded match (see `instances.family`).",
				Validators: []validator.String{stringvalidator.OneOf(family.Names()...)},
			},
			"names": strList("Names of the instances that matched, sorted."),
			"instances": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The instances that matched, sorted by name.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":       str("Name of the instance (libvirt domain)."),
					"id":         str("The libvirt domain UUID."),
					"hypervisor": str("Domain type: `kvm`, `qemu` or `xen`."),
					"state":      str("Run state: " + quotedList(instanceStates) + "."),
					"running":    schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the instance runs (a paused one counts)."},
					"autostart":  schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the instance starts with the host."},
					"family": str("The `family` of the `unikernel_instance`, recorded in the domain's libvirt metadata " +
						"when the provider defines it. Null for a domain that has no such record: one created outside " +
						"the provider, or not redefined since a provider version that did not record it."),
					"memory":         schema.Int64Attribute{Computed: true, MarkdownDescription: "Memory in MiB."},
					"vcpus":          schema.Int64Attribute{Computed: true, MarkdownDescription: "Number of virtual CPUs."},
					"networks":       strList("The libvirt networks of its interfaces, in interface order (a network appears once)."),
					"ipv4_addresses": strList("The IPv4 addresses of all its interfaces, from the networks' DHCP leases."),
					"network_interfaces": schema.ListNestedAttribute{
						Computed:            true,
						MarkdownDescription: "Network interfaces, in order.",
						NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
							"network":        str("Name of the libvirt network."),
							"mac":            str("MAC address."),
							"ipv4_addresses": strList("IPv4 addresses from the network's DHCP leases, matched by MAC."),
						}},
					},
				}},
			},
		},
	}
}

func quotedList(v []string) string {
	q := make([]string, len(v))
	for i, s := range v {
		q[i] = "`" + s + "`"
	}
	if len(q) < 2 {
		return q[0]
	}
	out := q[0]
	for _, s := range q[1 : len(q)-1] {
		out += ", " + s
	}
	return out + " or " + q[len(q)-1]
}

func (d *InstancesDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerData(req.ProviderData, &resp.Diagnostics)
}

func (d *InstancesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	if !configured(d.data, "unikernel_instances", &resp.Diagnostics) {
		return
	}
	var m instancesDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	f := instancesFilter{state: m.State.ValueString(), network: m.Network.ValueString(), family: m.Family.ValueString()}
	if p := m.NameRegex.ValueString(); p != "" {
		f.name = regexp.MustCompile(p) // checked by the schema's validator
	}
	infos, err := listInstances(ctx, d.data.Client, f)
	if err != nil {
		resp.Diagnostics.AddError("Unable to list instances on "+d.data.Client.URI(), err.Error())
		return
	}
	var nics []hypervisor.InterfaceSpec
	for _, info := range infos {
		nics = append(nics, info.Spec.Interfaces...)
	}
	leases := leasesByMAC(ctx, d.data.Client, nics)
	names := make([]string, 0, len(infos))
	m.Instances = make([]instancesItemModel, 0, len(infos))
	for _, info := range infos {
		m.Instances = append(m.Instances, instancesItem(info, leases))
		names = append(names, info.Spec.Name)
	}
	var diags diag.Diagnostics
	m.Names, diags = types.ListValueFrom(ctx, types.StringType, names)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// listInstances reads every domain of the host, sorted by name, and keeps
// those that pass f. A domain removed between the listing and its read is
// left out.
func listInstances(ctx context.Context, c *hypervisor.Client, f instancesFilter) ([]hypervisor.DomainInfo, error) {
	names, err := c.DomainNames(ctx)
	if err != nil {
		return nil, err
	}
	tflog.Debug(ctx, "listing instances", map[string]any{"domains": len(names)})
	var out []hypervisor.DomainInfo
	for _, name := range names {
		if f.name != nil && !f.name.MatchString(name) {
			continue // no need to read it
		}
		info, err := c.ReadDomain(ctx, name)
		if hypervisor.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if f.keeps(info) {
			out = append(out, info)
		}
	}
	return out, nil
}

// instancesItem maps one domain to an element of `instances`. Its lists are
// empty, never null, when the domain has no interfaces or no leases.
func instancesItem(info hypervisor.DomainInfo, leases map[string][]string) instancesItemModel {
	s := info.Spec
	item := instancesItemModel{
		Name:              types.StringValue(s.Name),
		ID:                types.StringValue(s.UUID),
		Hypervisor:        types.StringValue(s.Type),
		State:             types.StringValue(string(info.State)),
		Running:           types.BoolValue(info.State == hypervisor.StateRunning || info.State == hypervisor.StatePaused),
		Autostart:         types.BoolValue(info.Autostart),
		Family:            nullIfEmpty(s.Family),
		Memory:            types.Int64Value(int64(s.MemoryMiB)),
		VCPUs:             types.Int64Value(int64(s.VCPUs)),
		Networks:          []string{},
		IPv4Addresses:     []string{},
		NetworkInterfaces: make([]instancesNICModel, 0, len(s.Interfaces)),
	}
	for _, n := range s.Interfaces {
		ips := append([]string{}, leases[n.MAC]...)
		item.IPv4Addresses = append(item.IPv4Addresses, ips...)
		item.NetworkInterfaces = append(item.NetworkInterfaces,
			instancesNICModel{Network: types.StringValue(n.Network), MAC: types.StringValue(n.MAC), IPv4Addresses: ips})
		if !slices.Contains(item.Networks, n.Network) {
			item.Networks = append(item.Networks, n.Network)
		}
	}
	return item
}
