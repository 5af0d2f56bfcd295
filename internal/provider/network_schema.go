package provider

import (
	"context"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/provider/validators"
)

// Prefix length limits: an IPv4 network needs room for its gateway and at
// least one guest; IPv6 guests configure themselves from router
// advertisements, which need a /64 or larger.
const (
	maxIPv4Bits = 30
	maxIPv6Bits = 64
)

// networkNameRe is what libvirt accepts as a network name and what stays a
// safe file name on the host.
var networkNameRe = regexp.MustCompile(`^[A-Za-z0-9_.+-]{1,64}$`)

const networkReplaceNote = " Changing it replaces the network, which disconnects every guest on it."

const networkResourceDescription = "A libvirt network for unikernels and microVMs: a NAT, routed, open or " +
	"isolated virtual network with DHCP, static reservations and DNS served by libvirt's dnsmasq, or a libvirt " +
	"handle on an existing host bridge.\n\n" +
	"Changes to `hosts`, `dns.hosts`, `autostart` and `running` are applied live, through libvirt's network update " +
	"API, to the running network and to its persistent definition, without restarting it: guests keep their links " +
	"and leases. Every other attribute (`name`, `mode`, `bridge`, `ipv4_cidr`, `ipv6_cidr`, `mtu`, `dhcp`, " +
	"`dns.domain`) can only be changed by replacing the network, which disconnects every guest on it.\n\n" +
	"Before a network is created, its CIDRs are compared with those of every other libvirt network on the host; " +
	"an overlap fails the apply with the name of the other network, before anything is created.\n\n" +
	"**Reservations made by instances.** An instance interface with `ipv4_address` adds its own static DHCP " +
	"reservation to the network, live. Such a reservation belongs to the instance: its MAC is the MAC of an " +
	"interface of a libvirt domain attached to this network. This resource manages only the reservations listed " +
	"in `hosts`; it never shows instance reservations in `hosts`, never plans a change for them and never removes " +
	"them, so the two resources never fight. A reservation whose MAC no domain on the network uses, and that is not " +
	"in `hosts`, was added by hand: it shows as drift and the next apply removes it. Do not list an instance's MAC " +
	"in `hosts` and give the instance interface an `ipv4_address` too: libvirt refuses the second reservation.\n\n" +
	"Drift is read from the persistent definition (configuration) and from the network's state (`running`, " +
	"`autostart`): a network deleted, stopped, or with reservations, DNS hosts or autostart changed out of band " +
	"shows in the next plan, and apply repairs it."

// Schema is longer than most functions here: it is one declarative list of
// attributes, which reads best whole.
func (r *NetworkResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{
		MarkdownDescription: networkResourceDescription,
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The network's UUID.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Name of the libvirt network, unique on the host: 1 to 64 characters of `A-Z`, `a-z`, " +
					"`0-9`, `_`, `.`, `+` and `-`." + networkReplaceNote,
				Required:      true,
				PlanModifiers: replace,
				Validators: []validator.String{stringvalidator.RegexMatches(networkNameRe,
					"must be 1 to 64 characters of A-Z, a-z, 0-9, '_', '.', '+' and '-'"), validators.NotDotName()},
			},
			"mode": schema.StringAttribute{
				MarkdownDescription: "How the network reaches the outside: `nat` (default: guests reach out through the host's " +
					"address), `route` (routed to the host's networks without NAT), `open` (routed, and libvirt adds no " +
					"firewall rules), `isolated` (guests reach only each other and the host) or `bridge` (attach guests to the " +
					"existing host bridge named by `bridge`; libvirt manages no addresses, DHCP or DNS there). `nat` needs " +
					"`ipv4_cidr`; `route` needs `ipv4_cidr` or `ipv6_cidr`." + adoptedNote + networkReplaceNote,
				Optional:      true,
				Computed:      true,
				Default:       stringdefault.StaticString(hypervisor.NetworkModeNAT),
				PlanModifiers: []planmodifier.String{keepAdoptedString(), stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{stringvalidator.OneOf(hypervisor.NetworkModes...)},
			},
			"bridge": schema.StringAttribute{
				MarkdownDescription: "Name of the host bridge, at most 15 characters. With `mode = \"bridge\"` it is required " +
					"and names an existing bridge. Otherwise libvirt creates the bridge, and picks a name such as `virbr3` " +
					"when this is not set." + networkReplaceNote,
				Optional: true,
				Computed: true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown(),
					stringplanmodifier.RequiresReplace()},
				Validators: []validator.String{validators.InterfaceName()},
			},
			"ipv4_cidr": schema.StringAttribute{
				MarkdownDescription: "IPv4 network, for example `10.213.0.0/24`. \"At most /30\" means the prefix length " +
					"is 30 or less: a /30 (four addresses: the network, the host, one guest and broadcast) is the smallest " +
					"network accepted, a /24 (254 usable addresses) or a /16 is fine, and /31 or /32 is refused. The host " +
					"(the guests' gateway and DNS server) takes the first host address." + networkReplaceNote,
				Optional:      true,
				PlanModifiers: replace,
				Validators:    []validator.String{validators.IPv4CIDR(maxIPv4Bits)},
			},
			"ipv6_cidr": schema.StringAttribute{
				MarkdownDescription: "IPv6 network, for example `fd00:213::/64`. \"At most /64\" means the prefix length " +
					"is 64 or less: a /64 is the smallest network accepted, a /56 or /48 is fine, and anything longer " +
					"(a /80, a /120) is refused, because guests configure their addresses from router advertisements " +
					"(SLAAC), which work only on a /64 or larger. The host takes the first host address and sends the " +
					"router advertisements." + networkReplaceNote,
				Optional:      true,
				PlanModifiers: replace,
				Validators:    []validator.String{validators.IPv6CIDR(maxIPv6Bits)},
			},
			"gateway": schema.StringAttribute{
				MarkdownDescription: "The host's IPv4 address on the network: the first host address of `ipv4_cidr`. Guests " +
					"use it as their gateway and DNS server.",
				Computed: true,
			},
			"mtu": schema.Int64Attribute{
				MarkdownDescription: "MTU of the bridge, also handed to guests by DHCP. Defaults to libvirt's (1500). Not " +
					"with `mode = \"bridge\"`." + adoptedNote + networkReplaceNote,
				Optional: true,
				// Computed only so that an imported network keeps its MTU when the
				// configuration leaves it unset; otherwise unset means none.
				Computed: true,
				PlanModifiers: []planmodifier.Int64{keepAdoptedInt64(), nullWhenUnset{},
					int64planmodifier.RequiresReplace()},
				Validators: []validator.Int64{int64validator.Between(68, 65535)},
			},
			"dhcp":      networkDHCPSchema(),
			"hosts":     networkHostsSchema(),
			"dns":       networkDNSSchema(),
			"autostart": adoptedRunStateWithDefault("Whether libvirt starts the network when the host (libvirtd) starts. Changed live.", true),
			"running": adoptedRunStateWithDefault("Whether the network runs. A network stopped out of band shows as drift, and the next "+
				"apply starts it again. Set to `false` to keep it defined but stopped (guests on it lose their link). Changed live.", true),
		},
	}
}

func boolWithDefault(desc string, def bool) schema.BoolAttribute {
	return schema.BoolAttribute{
		MarkdownDescription: desc + " Defaults to `" + map[bool]string{true: "true", false: "false"}[def] + "`.",
		Optional:            true,
		Computed:            true,
		Default:             booldefault.StaticBool(def),
	}
}

// nullWhenUnset plans null for an Optional+Computed attribute that the
// configuration leaves unset, unless an earlier modifier (keepAdopted) kept
// the state's value: such an attribute is computed only for imported objects.
type nullWhenUnset struct{}

func (nullWhenUnset) Description(context.Context) string {
	return "Unset means none, except on an imported object."
}

func (m nullWhenUnset) MarkdownDescription(ctx context.Context) string { return m.Description(ctx) }

func (nullWhenUnset) PlanModifyInt64(ctx context.Context, req planmodifier.Int64Request, resp *planmodifier.Int64Response) {
	kept := req.Private != nil && isAdopted(ctx, req.Private) && !req.StateValue.IsNull() && resp.PlanValue.Equal(req.StateValue)
	if req.ConfigValue.IsNull() && !kept {
		resp.PlanValue = types.Int64Null()
	}
}

// adoptedRunStateWithDefault is boolWithDefault whose default yields, on an
// imported network, to what the network had when it was imported.
func adoptedRunStateWithDefault(desc string, def bool) schema.BoolAttribute {
	a := boolWithDefault(desc+adoptedRunNote, def)
	a.PlanModifiers = []planmodifier.Bool{keepAdoptedRunState{}}
	return a
}

// adoptedNote is appended to the description of every optional attribute
// whose default yields to what libvirt holds on an imported object.
const adoptedNote = " On an imported object, leaving it unset keeps what libvirt holds."

// adoptedRunNote is the same for `running` and `autostart`, which keep what
// the object had when it was imported (adopted.go).
const adoptedRunNote = " On an imported object, leaving it unset keeps what the object had when it was imported, " +
	"so that a later change made out of band shows as drift."

func networkDHCPSchema() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		MarkdownDescription: "IPv4 DHCP served by libvirt's dnsmasq. Changing any of it replaces the network, which " +
			"disconnects every guest on it. On an imported network, each of its settings left unset keeps what libvirt holds " +
			"(the range only while `ipv4_cidr` stays the same).",
		Optional: true,
		Computed: true,
		Attributes: map[string]schema.Attribute{
			"enabled": schema.BoolAttribute{
				MarkdownDescription: "Serve DHCP. Defaults to `true` when `ipv4_cidr` is set, else `false`.",
				Optional:            true,
				Computed:            true,
			},
			"start": schema.StringAttribute{
				MarkdownDescription: "First address of the dynamic range. With `end`; inside `ipv4_cidr` and after the " +
					"gateway. Defaults to the start of the second half of `ipv4_cidr` (for a /24: `.128`), which leaves the " +
					"first half for static reservations.",
				Optional:   true,
				Computed:   true,
				Validators: []validator.String{validators.IPv4Address()},
			},
			"end": schema.StringAttribute{
				MarkdownDescription: "Last address of the dynamic range, not before `start`. Defaults to the last host " +
					"address of `ipv4_cidr` (for a /24: `.254`).",
				Optional:   true,
				Computed:   true,
				Validators: []validator.String{validators.IPv4Address()},
			},
			"no_ping": schema.BoolAttribute{
				MarkdownDescription: "Offer addresses without pinging them first. dnsmasq otherwise waits about 3 seconds " +
					"per new lease to see whether the address is in use. Defaults to `true`.",
				Optional: true,
				Computed: true,
			},
		},
	}
}

func networkHostsSchema() schema.SetNestedAttribute {
	host := schema.NestedAttributeObject{
		Attributes: map[string]schema.Attribute{
			"mac": schema.StringAttribute{
				MarkdownDescription: "The guest interface's MAC address, lowercase, for example `52:54:00:12:34:56`.",
				Required:            true,
				Validators:          []validator.String{validators.MAC()},
			},
			"ipv4": schema.StringAttribute{
				MarkdownDescription: "The address reserved for it.",
				Required:            true,
				Validators:          []validator.String{validators.IPv4Address()},
			},
			"hostname": schema.StringAttribute{
				MarkdownDescription: "Host name handed to the guest, and resolvable by the network's DNS.",
				Optional:            true,
				Validators:          []validator.String{validators.DNSName()},
			},
		},
	}
	return schema.SetNestedAttribute{
		MarkdownDescription: "Static DHCP reservations: the guest with `mac` always gets `ipv4`. MACs, addresses and " +
			"hostnames are unique; addresses lie inside `ipv4_cidr` (they may lie outside the dynamic range). Needs DHCP. " +
			"Changed live. Reservations that instances add for their own interfaces are not listed here (see above)." + adoptedNote,
		Optional:      true,
		Computed:      true,
		Default:       setdefault.StaticValue(types.SetValueMust(host.Type(), nil)),
		PlanModifiers: []planmodifier.Set{keepAdoptedSet()},
		NestedObject:  host,
	}
}

func networkDNSSchema() schema.SingleNestedAttribute {
	hosts := networkDNSHostsSchema()
	dns := schema.SingleNestedAttribute{
		MarkdownDescription: "DNS served to guests by the network's dnsmasq." + adoptedNote,
		Optional:            true,
		Computed:            true,
		PlanModifiers:       []planmodifier.Object{keepAdoptedObject()},
		Attributes: map[string]schema.Attribute{
			"domain": schema.StringAttribute{
				MarkdownDescription: "DNS domain of the network, for example `svc.internal`. Guests' DHCP host names resolve " +
					"inside it, and queries for it are answered locally, never forwarded." + networkReplaceNote,
				Optional:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{validators.DNSName()},
			},
			"hosts": hosts,
		},
	}
	dns.Default = objectdefault.StaticValue(emptyDNSValue(dns.GetType().(types.ObjectType).AttrTypes,
		hosts.NestedObject.Type().(types.ObjectType)))
	return dns
}

func networkDNSHostsSchema() schema.SetNestedAttribute {
	host := schema.NestedAttributeObject{
		Attributes: map[string]schema.Attribute{
			"ipv4": schema.StringAttribute{
				MarkdownDescription: "The address the names resolve to.",
				Required:            true,
				Validators:          []validator.String{validators.IPv4Address()},
			},
			"hostnames": schema.ListAttribute{
				MarkdownDescription: "Host names, at least one.",
				Required:            true,
				ElementType:         types.StringType,
				Validators: []validator.List{listvalidator.SizeAtLeast(1),
					listvalidator.ValueStringsAre(validators.DNSName())},
			},
		},
	}
	return schema.SetNestedAttribute{
		MarkdownDescription: "Extra DNS records: each of `hostnames` resolves to `ipv4`. Addresses and hostnames are " +
			"unique across all entries. Changed live." + adoptedNote,
		Optional:      true,
		Computed:      true,
		Default:       setdefault.StaticValue(types.SetValueMust(host.Type(), nil)),
		PlanModifiers: []planmodifier.Set{keepAdoptedSet()},
		NestedObject:  host,
	}
}
