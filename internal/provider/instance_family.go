package provider

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/family"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/provider/validators"
)

// familyAttributes are the schema attributes that speak the guest's family:
// family, args, env and the composed boot_cmdline.
func familyAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"family": schema.StringAttribute{
			Optional: true, Computed: true, Default: stringdefault.StaticString(family.Generic),
			MarkdownDescription: "The guest's unikernel family: " + familyNameList() + ". It decides how `args`, `env` and " +
				"the interfaces' static addresses are written into the kernel command line (`boot_cmdline`), which boot " +
				"formats are accepted, and the launcher defaults of `acpi`, `rng` and `machine`; the table below lists them. " +
				"`generic`, the default, composes nothing: `cmdline` is passed as it is. An instance that is `generic` (an " +
				"imported one is) takes the family of the guest it runs in place." + replaceNote,
			PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplaceIf(familyChanged, familyReplaceDesc, familyReplaceDesc)},
			Validators:    []validator.String{stringvalidator.OneOf(family.Names()...)},
		},
		"args": schema.ListAttribute{
			Optional: true, ElementType: types.StringType,
			MarkdownDescription: "The application's arguments, each passed as one word however it is spelled (spaces, " +
				"quotes, `=` and non-ASCII included), encoded the way the family's runtime splits its command line. Not " +
				"with `generic`, Nanos, or OSv booted from its disk, whose arguments live in the image; the plan says how " +
				"to bake them in. No NUL or newline." + restartNote,
			Validators: []validator.List{listvalidator.ValueStringsAre(validators.NoControlChars())},
		},
		"env": schema.MapAttribute{
			Optional: true, ElementType: types.StringType,
			MarkdownDescription: "Environment variables of the application, encoded the way the family passes them " +
				"(Unikraft's `env.vars`, OSv's `--env=`, Linux's `KEY=VALUE` before ` -- `). Names are letters, digits and " +
				"`_`, not starting with a digit. Solo5 and MirageOS have none, and Nanos reads its environment from the " +
				"image: the plan refuses it there. Not for secrets: they become the kernel command line, which libvirt keeps in the " +
				"domain definition and `boot_cmdline` holds in the state." + restartNote,
			Validators: []validator.Map{
				mapvalidator.KeysAre(stringvalidator.RegexMatches(family.EnvNameRe,
					"must be a variable name: letters, digits and '_', not starting with a digit")),
				mapvalidator.ValueStringsAre(validators.NoControlChars()),
			},
		},
		"boot_cmdline": schema.StringAttribute{
			Computed: true,
			MarkdownDescription: "The kernel command line the instance boots with, as the plan composed it from `family`, " +
				"the interfaces' static addresses, `env`, `cmdline` and `args`, at most 4096 bytes (less where the family " +
				"keeps less). Read back from libvirt, so a command line changed outside Terraform shows as a change.",
		},
	}
}

const familyReplaceDesc = "When the family changes, other than from generic, Terraform will destroy and recreate the instance."

func familyNameList() string {
	names := family.Names()
	for i, n := range names {
		names[i] = "`" + n + "`"
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// familyChanged replaces the instance when its family changes, except from
// generic, which only says that the family was not declared.
func familyChanged(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = !req.StateValue.IsNull() && !req.PlanValue.IsUnknown() &&
		req.StateValue.ValueString() != family.Generic && !req.PlanValue.Equal(req.StateValue)
}

// rules returns the instance's family rules; nil while the family is unknown.
func (m *instanceModel) rules() *family.Rules {
	name := m.Family.ValueString()
	if m.Family.IsUnknown() {
		return nil
	}
	if m.Family.IsNull() || name == "" {
		name = family.Generic
	}
	r, _ := family.Lookup(name)
	return r
}

// planFamilyDefaults fills rng and machine, when the configuration leaves them
// unset, from the family's launcher defaults. A default machine type the host
// does not offer (another architecture) leaves the hypervisor's default.
// On an adopted (imported) instance whose family stays the same, unset
// values keep what the domain has instead.
func (r *InstanceResource) planFamilyDefaults(ctx context.Context, req resource.ModifyPlanRequest, plan, state *instanceModel, diags *diag.Diagnostics) {
	rules := plan.rules()
	if rules == nil || plan.Hypervisor.IsUnknown() {
		return
	}
	xen := plan.Hypervisor.ValueString() == "xen"
	adopted := adoptedState(state != nil && isAdopted(ctx, req.Private), state)
	keep := adopted != nil && plan.Family.Equal(adopted.Family) && plan.Hypervisor.Equal(adopted.Hypervisor)
	var rng types.Bool
	diags.Append(req.Config.GetAttribute(ctx, path.Root("rng"), &rng)...)
	switch {
	case rng.IsNull() && keep && known(adopted.RNG):
		plan.RNG = adopted.RNG
	case rng.IsNull():
		plan.RNG = types.BoolValue(rules.Defaults.RNG && !xen)
	}
	var machine types.String
	diags.Append(req.Config.GetAttribute(ctx, path.Root("machine"), &machine)...)
	if machine.IsNull() && keep && !adopted.Machine.IsUnknown() {
		plan.Machine = adopted.Machine
		return
	}
	if machine.IsNull() && rules.Defaults.Machine != "" && !xen {
		machines, err := r.data.Client.Machines(ctx, plan.Hypervisor.ValueString())
		if canonical, ok := machines[rules.Defaults.Machine]; ok && err == nil {
			plan.Machine = types.StringValue(rules.Defaults.Machine)
			if adopted != nil && known(adopted.Machine) && canonical == adopted.Machine.ValueString() {
				plan.Machine = adopted.Machine // the same machine type, by its versioned name
			}
		}
	}
	if adopted == nil || keep {
		return
	}
	// An imported instance that now names its family takes the family's
	// launcher defaults for what the configuration leaves unset: say so
	// where that changes the domain (and so restarts it).
	if rng.IsNull() && known(adopted.RNG) && !plan.RNG.Equal(adopted.RNG) {
		diags.AddAttributeWarning(path.Root("rng"), "The family's default changes rng",
			fmt.Sprintf("family = %q defaults to rng = %t, and this imported domain has rng = %t: the update restarts "+
				"the instance with rng = %t. Set rng = %t to keep the domain as it is.",
				rules.Name, plan.RNG.ValueBool(), adopted.RNG.ValueBool(), plan.RNG.ValueBool(), adopted.RNG.ValueBool()))
	}
	if machine.IsNull() && known(adopted.Machine) && known(plan.Machine) && !plan.Machine.Equal(adopted.Machine) {
		diags.AddAttributeWarning(path.Root("machine"), "The family's default changes the machine type",
			fmt.Sprintf("family = %q boots on machine type %q by default, and this imported domain has %q: the update "+
				"restarts the instance on %q. Set machine = %q to keep the domain as it is.", rules.Name,
				plan.Machine.ValueString(), adopted.Machine.ValueString(), plan.Machine.ValueString(), adopted.Machine.ValueString()))
	}
}

// planBootCmdline checks the family against the boot format and the
// interfaces' static addresses against their networks, and composes
// boot_cmdline, which stays unknown until everything it is made of is known.
func (r *InstanceResource) planBootCmdline(ctx context.Context, plan, state *instanceModel, diags *diag.Diagnostics) {
	plan.BootCmdline = types.StringUnknown()
	rules := plan.rules()
	if rules == nil {
		return
	}
	if f := plan.BootFormat.ValueString(); !plan.BootFormat.IsUnknown() && !rules.AcceptsFormat(f) {
		diags.AddAttributeError(path.Root("family"), "Boot format not used by this family",
			fmt.Sprintf("family = %q (%s) boots %s, but this instance boots %s (boot_format %q). Choose the family of the "+
				"guest, or family = \"generic\".", rules.Name, rules.Title, strings.Join(rules.BootFormats, ", "), describeFormat(f), f))
		return
	}
	line, known, d := r.composeCmdline(ctx, plan, state, false)
	diags.Append(d...)
	if known && !d.HasError() {
		plan.BootCmdline = types.StringValue(line)
	}
}

func describeFormat(f string) string {
	if f == family.FormatDisk {
		return "from its first disk"
	}
	return "a " + f + " kernel"
}

// composeCmdline composes the instance's kernel command line. known is false
// while a value it depends on is unknown, or (at plan time) while an
// interface's network does not exist yet; atApply makes that an error.
func (r *InstanceResource) composeCmdline(ctx context.Context, m, state *instanceModel, atApply bool) (line string, known bool, diags diag.Diagnostics) {
	rules := m.rules()
	if rules == nil || m.Kernel.IsUnknown() || m.Cmdline.IsUnknown() || m.Args.IsUnknown() || m.Env.IsUnknown() {
		return "", false, diags
	}
	in := family.Input{Raw: m.Cmdline.ValueString(), Kernel: !m.Kernel.IsNull(), Format: m.BootFormat.ValueString(),
		Interfaces: len(m.NetworkInterfaces)}
	if !m.Args.IsNull() {
		diags.Append(m.Args.ElementsAs(ctx, &in.Args, false)...)
	}
	if !m.Env.IsNull() {
		diags.Append(m.Env.ElementsAs(ctx, &in.Env, false)...)
	}
	if diags.HasError() {
		return "", false, diags
	}
	static, known := r.staticAddresses(ctx, m, state, rules, atApply, &diags)
	if diags.HasError() || !known {
		return "", false, diags
	}
	in.Static = static
	line, probs := rules.Compose(in)
	for _, p := range probs {
		at := path.Root(p.Attribute)
		switch {
		case p.Key != "":
			at = at.AtMapKey(p.Key)
		case p.Index >= 0:
			at = at.AtListIndex(p.Index)
		}
		if p.NestedAttribute != "" {
			at = at.AtName(p.NestedAttribute)
		}
		diags.AddAttributeError(at, p.Summary, fmt.Sprintf("family = %q: %s", rules.Name, p.Detail))
	}
	return line, len(probs) == 0, diags
}

// staticAddresses reads the network of every interface with an ipv4_address,
// checks the address against it (inside the range, not the gateway, the
// network or broadcast address, not reserved for another MAC; and the same
// address cmdline gives, if it gives one), and returns what the family
// encodes. known is false while an address or network is unknown, or the
// network does not exist yet at plan time.
func (r *InstanceResource) staticAddresses(ctx context.Context, m, state *instanceModel, rules *family.Rules, atApply bool, diags *diag.Diagnostics) ([]family.Static, bool) {
	var out []family.Static
	known := true
	for i, n := range m.NetworkInterfaces {
		at := path.Root("network_interfaces").AtListIndex(i).AtName("ipv4_address")
		if n.IPv4Address.IsUnknown() || n.Network.IsUnknown() {
			known = false
			continue
		}
		if n.IPv4Address.IsNull() {
			continue
		}
		addr, err := netip.ParseAddr(n.IPv4Address.ValueString())
		if err != nil {
			continue // the schema validator reports it
		}
		network := n.Network.ValueString()
		info, err := r.data.Client.ReadNetwork(ctx, network)
		if err != nil {
			if hypervisor.IsNotFound(err) && !atApply {
				known = false // created in this apply: checked when Terraform plans again with it
				continue
			}
			if atApply {
				diags.AddAttributeError(at, "Unable to read the interface's network", err.Error())
			} else {
				tflog.Warn(ctx, "cannot read network for the address checks", map[string]any{"network": network, "error": err.Error()})
				known = false
			}
			continue
		}
		if info.Spec.IPv4CIDR == "" {
			if encodesAddress(rules, m) {
				diags.AddAttributeError(at, "Network without an IPv4 range",
					fmt.Sprintf("Network %q has no IPv4 range, so the prefix and gateway of %s are unknown. Remove ipv4_address and "+
						"give the address in cmdline as the guest reads it, or put the interface on a network with ipv4_cidr.", network, addr))
			}
			continue
		}
		gw, prefix, err := hypervisor.Gateway(info.Spec.IPv4CIDR)
		if err != nil {
			continue
		}
		last := prefix.Addr()
		for range 1<<(32-prefix.Bits()) - 1 {
			last = last.Next()
		}
		switch {
		case !prefix.Contains(addr):
			diags.AddAttributeError(at, "Address outside the network",
				fmt.Sprintf("ipv4_address = %q is outside %s, the range of network %q. Use an address inside it.", addr, prefix, network))
			continue
		case addr == gw:
			diags.AddAttributeError(at, "Address of the gateway",
				fmt.Sprintf("ipv4_address = %q is the address of the host on network %q, its gateway. Use another address in %s.", addr, network, prefix))
			continue
		case addr == prefix.Addr() || (prefix.Bits() < 31 && addr == last):
			diags.AddAttributeError(at, "Network or broadcast address",
				fmt.Sprintf("ipv4_address = %q is the network or broadcast address of %s (network %q). Use a host address.", addr, prefix, network))
			continue
		}
		mac := strings.ToLower(n.MAC.ValueString())
		if n.MAC.IsUnknown() && state != nil && i < len(state.NetworkInterfaces) && state.NetworkInterfaces[i].Network.Equal(n.Network) {
			mac = strings.ToLower(state.NetworkInterfaces[i].MAC.ValueString())
		}
		for _, h := range info.Spec.Hosts {
			if h.IPv4 == addr.String() && !strings.EqualFold(h.MAC, mac) && !r.ownMAC(ctx, m, h.MAC) {
				diags.AddAttributeError(at, "Address reserved already",
					fmt.Sprintf("ipv4_address = %q is reserved on network %q for MAC %s, another guest. Choose a free address.", addr, network, h.MAC))
			}
		}
		out = append(out, family.Static{Index: i, Address: netip.PrefixFrom(addr, prefix.Bits()), Gateway: gw})
	}
	if len(m.NetworkInterfaces) > 0 && !m.Cmdline.IsUnknown() {
		first := m.NetworkInterfaces[0].IPv4Address
		if given := family.AddressesIn(m.Cmdline.ValueString()); len(given) > 0 && !first.IsNull() && !first.IsUnknown() {
			switch {
			case given[0].String() != first.ValueString():
				diags.AddAttributeError(path.Root("cmdline"), "Address differs from the interface's",
					fmt.Sprintf("cmdline gives the address %s, but network_interfaces[0].ipv4_address is %q. The guest would "+
						"configure one and the network reserve the other. Remove the address from cmdline and set family, so "+
						"that the provider writes it, or make the two agree.", given[0], first.ValueString()))
			case encodesAddress(rules, m):
				diags.AddAttributeError(path.Root("cmdline"), "Address given twice",
					fmt.Sprintf("cmdline gives the address %s, which family = %q already writes from network_interfaces[0]."+
						"ipv4_address. Remove it from cmdline.", given[0], rules.Name))
			}
		}
	}
	return out, known
}

// ownMAC reports whether mac belongs to the domain of this instance's name:
// the instance being replaced (tainted, or a change that forces a new one)
// still holds its reservation until it is destroyed.
func (r *InstanceResource) ownMAC(ctx context.Context, m *instanceModel, mac string) bool {
	if m.Name.IsUnknown() {
		return true
	}
	info, err := r.data.Client.ReadDomain(ctx, m.Name.ValueString())
	if err != nil {
		return false
	}
	for _, n := range info.Spec.Interfaces {
		if strings.EqualFold(n.MAC, mac) {
			return true
		}
	}
	return false
}

// encodesAddress reports whether the family writes static addresses into the
// command line for this instance.
func encodesAddress(rules *family.Rules, m *instanceModel) bool {
	return rules.Address.Encoded && (rules.Name != family.OSv || !m.Kernel.IsNull())
}
