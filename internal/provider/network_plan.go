package provider

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// ValidateConfig checks what depends on several attributes. Single values
// are checked by their validators; unknown values are checked once known.
func (r *NetworkResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m NetworkResourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	validateNetworkConfig(ctx, &m, &resp.Diagnostics)
}

func validateNetworkConfig(ctx context.Context, m *NetworkResourceModel, diags *diag.Diagnostics) {
	dhcp := dhcpConfig(ctx, m.DHCP, diags)
	hosts := hostsConfig(ctx, m.Hosts, diags)
	dns := dnsConfig(ctx, m.DNS, diags)
	var cidr *netip.Prefix
	if v4, ok := prefixOf(m.IPv4CIDR); ok {
		cidr = &v4
	}
	checkNetworkMode(m, dhcp, dns, diags)
	if m.IPv4CIDR.IsNull() && m.IPv6CIDR.IsNull() && dns.any() {
		diags.AddAttributeError(path.Root("dns"), "Invalid attribute combination",
			"DNS is served on the network's own address: set `ipv4_cidr` or `ipv6_cidr`, or remove `dns`.")
	}
	// DHCP is on when enabled, or by default when there is an IPv4 CIDR.
	dhcpOn := dhcp.Enabled.ValueBool() || (dhcp.Enabled.IsNull() && !m.IPv4CIDR.IsNull())
	checkDHCPRange(m, dhcp, dhcpOn, cidr, diags)
	if len(hosts) > 0 && !dhcp.Enabled.IsUnknown() && !dhcpOn {
		diags.AddAttributeError(path.Root("hosts"), "Invalid attribute combination",
			"Static reservations are handed out by DHCP: set `ipv4_cidr` and keep DHCP enabled, or remove `hosts`.")
	}
	checkReservations(hosts, cidr, diags)
	checkDNSHosts(ctx, dns.hosts, diags)
}

// checkNetworkMode checks what the mode needs and what it rules out. An
// unset mode is the default, nat; an unknown one is checked once known.
func checkNetworkMode(m *NetworkResourceModel, dhcp networkDHCPModel, dns dnsConfigModel, diags *diag.Diagnostics) {
	mode := hypervisor.NetworkModeNAT
	if m.Mode.IsUnknown() {
		mode = ""
	} else if !m.Mode.IsNull() {
		mode = m.Mode.ValueString()
	}
	switch mode {
	case hypervisor.NetworkModeBridge:
		if m.Bridge.IsNull() {
			diags.AddAttributeError(path.Root("bridge"), "Missing bridge",
				"mode = \"bridge\" attaches guests to an existing host bridge: set `bridge` to its name, for example \"br0\".")
		}
		for _, a := range []struct {
			name string
			v    attr.Value
		}{{"ipv4_cidr", m.IPv4CIDR}, {"ipv6_cidr", m.IPv6CIDR}, {"mtu", m.MTU}} {
			if !a.v.IsNull() {
				diags.AddAttributeError(path.Root(a.name), "Invalid attribute combination",
					fmt.Sprintf("mode = \"bridge\" attaches to an existing host bridge, and libvirt manages no addresses or MTU there: remove `%s`, or use another mode.", a.name))
			}
		}
		if dhcp.Enabled.ValueBool() {
			diags.AddAttributeError(path.Root("dhcp").AtName("enabled"), "Invalid attribute combination",
				"mode = \"bridge\" has no DHCP served by libvirt: remove `dhcp.enabled`, or use another mode.")
		}
		if dns.any() {
			diags.AddAttributeError(path.Root("dns"), "Invalid attribute combination",
				"mode = \"bridge\" has no DNS served by libvirt: remove `dns`, or use another mode.")
		}
	case hypervisor.NetworkModeNAT:
		if m.IPv4CIDR.IsNull() {
			diags.AddAttributeError(path.Root("ipv4_cidr"), "Missing ipv4_cidr",
				"mode = \"nat\" translates guests' IPv4 addresses: set `ipv4_cidr`, for example \"10.213.0.0/24\".")
		}
	case hypervisor.NetworkModeRoute:
		if m.IPv4CIDR.IsNull() && m.IPv6CIDR.IsNull() {
			diags.AddAttributeError(path.Root("ipv4_cidr"), "Missing CIDR",
				"mode = \"route\" routes guests' addresses: set `ipv4_cidr` or `ipv6_cidr`.")
		}
	}
}

// checkDHCPRange checks that DHCP has an IPv4 network to serve, and that the
// dynamic range is complete, ordered and made of guest addresses of cidr
// (nil when ipv4_cidr is unset, unknown or invalid).
func checkDHCPRange(m *NetworkResourceModel, dhcp networkDHCPModel, dhcpOn bool, cidr *netip.Prefix, diags *diag.Diagnostics) {
	if dhcp.Enabled.ValueBool() && m.IPv4CIDR.IsNull() {
		diags.AddAttributeError(path.Root("dhcp").AtName("enabled"), "Invalid attribute combination",
			"DHCP serves IPv4 addresses: set `ipv4_cidr`, or remove `dhcp.enabled`.")
	}
	if !dhcp.Start.IsNull() != !dhcp.End.IsNull() {
		diags.AddAttributeError(path.Root("dhcp"), "Incomplete DHCP range", "Set both `dhcp.start` and `dhcp.end`, or neither.")
	}
	if (!dhcp.Start.IsNull() || !dhcp.End.IsNull()) && !dhcp.Enabled.IsUnknown() && !dhcpOn {
		diags.AddAttributeError(path.Root("dhcp"), "Invalid attribute combination",
			"`dhcp.start` and `dhcp.end` need DHCP: set `ipv4_cidr`, and remove `dhcp.enabled = false`.")
	}
	start, okStart := addrOf(dhcp.Start)
	end, okEnd := addrOf(dhcp.End)
	if okStart {
		checkGuestAddr(diags, path.Root("dhcp").AtName("start"), "dhcp.start "+start.String(), start, cidr)
	}
	if okEnd {
		checkGuestAddr(diags, path.Root("dhcp").AtName("end"), "dhcp.end "+end.String(), end, cidr)
	}
	if okStart && okEnd && end.Less(start) {
		diags.AddAttributeError(path.Root("dhcp").AtName("end"), "Invalid DHCP range",
			fmt.Sprintf("dhcp.end %s comes before dhcp.start %s.", end, start))
	}
}

// checkReservations checks that the static reservations share no MAC,
// hostname or address, and that each address is a guest address of cidr.
func checkReservations(hosts []networkHostModel, cidr *netip.Prefix, diags *diag.Diagnostics) {
	seenMAC, seenIP, seenName := seenSet{}, seenSet{}, seenSet{}
	for _, h := range hosts {
		if known(h.MAC) && seenMAC.seenBefore(h.MAC.ValueString()) {
			diags.AddAttributeError(path.Root("hosts"), "Duplicate MAC address",
				fmt.Sprintf("%s is reserved twice: each MAC may have one reservation.", h.MAC.ValueString()))
		}
		if known(h.Hostname) && seenName.seenBefore(strings.ToLower(h.Hostname.ValueString())) {
			diags.AddAttributeError(path.Root("hosts"), "Duplicate hostname",
				fmt.Sprintf("hostname %q is used by two reservations: hostnames must be unique.", h.Hostname.ValueString()))
		}
		a, ok := addrOf(h.IPv4)
		if !ok {
			continue
		}
		if seenIP.seenBefore(a.String()) {
			diags.AddAttributeError(path.Root("hosts"), "Duplicate address",
				fmt.Sprintf("%s is reserved twice: each address may have one reservation.", a))
		}
		checkGuestAddr(diags, path.Root("hosts"), "reservation "+a.String(), a, cidr)
	}
}

// checkDNSHosts checks the DNS hosts: libvirt refuses two records that share
// an address or a name.
func checkDNSHosts(ctx context.Context, hosts []networkDNSHostModel, diags *diag.Diagnostics) {
	seenIP, seenName := seenSet{}, seenSet{}
	for _, h := range hosts {
		if a, ok := addrOf(h.IPv4); ok && seenIP.seenBefore(a.String()) {
			diags.AddAttributeError(path.Root("dns").AtName("hosts"), "Duplicate address",
				fmt.Sprintf("%s appears in two DNS hosts: list all its names in one entry.", a))
		}
		if !known(h.Hostnames) {
			continue
		}
		var names []types.String
		diags.Append(h.Hostnames.ElementsAs(ctx, &names, false)...)
		for _, n := range names {
			if known(n) && seenName.seenBefore(strings.ToLower(n.ValueString())) {
				diags.AddAttributeError(path.Root("dns").AtName("hosts"), "Duplicate hostname",
					fmt.Sprintf("hostname %q appears twice in the DNS hosts: each name may resolve to one address.", n.ValueString()))
			}
		}
	}
}

// seenSet remembers keys, for duplicate checks.
type seenSet map[string]bool

// seenBefore records k and reports whether it was recorded already.
func (s seenSet) seenBefore(k string) bool {
	dup := s[k]
	s[k] = true
	return dup
}

// checkGuestAddr is checkHostAddr against cidr, the parsed ipv4_cidr; it
// checks nothing when that is nil (unset, unknown or invalid).
func checkGuestAddr(diags *diag.Diagnostics, p path.Path, what string, a netip.Addr, cidr *netip.Prefix) {
	if cidr == nil {
		return
	}
	gw, _, _ := hypervisor.Gateway(cidr.String())
	checkHostAddr(diags, p, what, a, *cidr, gw)
}

// checkHostAddr reports an address outside the network, or one of the
// addresses guests cannot have: the network address, the gateway and the
// broadcast address.
func checkHostAddr(diags *diag.Diagnostics, p path.Path, what string, a netip.Addr, cidr netip.Prefix, gw netip.Addr) {
	switch {
	case !cidr.Contains(a):
		diags.AddAttributeError(p, "Address outside the network", fmt.Sprintf("%s is outside ipv4_cidr %s.", what, cidr))
	case a == cidr.Addr():
		diags.AddAttributeError(p, "Invalid address", fmt.Sprintf("%s is the network address of %s.", what, cidr))
	case a == gw:
		diags.AddAttributeError(p, "Invalid address", fmt.Sprintf("%s is the gateway %s, which the host uses.", what, gw))
	case a == hypervisor.LastAddr(cidr):
		diags.AddAttributeError(p, "Invalid address", fmt.Sprintf("%s is the broadcast address of %s.", what, cidr))
	}
}

func addrOf(v types.String) (netip.Addr, bool) {
	if !known(v) {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(v.ValueString())
	return a, err == nil && a.Is4()
}

// dhcpConfig reads the `dhcp` object; null and unknown give an all-null model.
func dhcpConfig(ctx context.Context, o types.Object, diags *diag.Diagnostics) networkDHCPModel {
	m := networkDHCPModel{Enabled: types.BoolNull(), Start: types.StringNull(), End: types.StringNull(), NoPing: types.BoolNull()}
	if o.IsUnknown() {
		m.Enabled, m.Start, m.End, m.NoPing = types.BoolUnknown(), types.StringUnknown(), types.StringUnknown(), types.BoolUnknown()
		return m
	}
	if !o.IsNull() {
		diags.Append(o.As(ctx, &m, basetypes.ObjectAsOptions{})...)
	}
	return m
}

// hostsConfig reads the `hosts` set; null and unknown give none.
func hostsConfig(ctx context.Context, s types.Set, diags *diag.Diagnostics) []networkHostModel {
	if !known(s) {
		return nil
	}
	var hs []networkHostModel
	diags.Append(s.ElementsAs(ctx, &hs, false)...)
	return hs
}

// dnsConfigModel is the `dns` object of a configuration: its domain, its
// known hosts and how many hosts it has (1 when the set is unknown).
type dnsConfigModel struct {
	Domain types.String
	hosts  []networkDNSHostModel
	nHosts int
}

// any reports whether the configuration sets any DNS.
func (d dnsConfigModel) any() bool { return d.Domain.ValueString() != "" || d.nHosts > 0 }

func dnsConfig(ctx context.Context, o types.Object, diags *diag.Diagnostics) dnsConfigModel {
	out := dnsConfigModel{Domain: types.StringNull()}
	if !known(o) {
		return out
	}
	var m networkDNSModel
	diags.Append(o.As(ctx, &m, basetypes.ObjectAsOptions{UnhandledNullAsEmpty: true, UnhandledUnknownAsEmpty: true})...)
	out.Domain = m.Domain
	if known(m.Hosts) {
		diags.Append(m.Hosts.ElementsAs(ctx, &out.hosts, false)...)
	}
	if !m.Hosts.IsNull() {
		out.nHosts = len(m.Hosts.Elements())
		if m.Hosts.IsUnknown() {
			out.nHosts = 1
		}
	}
	return out
}

// ModifyPlan fills in what depends on other attributes (the DHCP settings
// and the gateway), so that the plan shows them, and replaces the network
// when the DHCP settings change.
func (r *NetworkResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan, config NetworkResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	cfg := dhcpConfig(ctx, config.DHCP, &resp.Diagnostics)
	var state NetworkResourceModel
	if !req.State.Raw.IsNull() {
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		if isAdopted(ctx, req.Private) {
			// An imported network keeps the DHCP settings libvirt holds for
			// every one the configuration leaves out (libvirt's `default`
			// network and the libvirt provider's pings before offering).
			cfg = adoptedDHCP(ctx, cfg, state, plan.IPv4CIDR, &resp.Diagnostics)
		}
	}
	dhcp := plannedDHCP(cfg, plan.Mode, plan.IPv4CIDR)
	obj, d := types.ObjectValueFrom(ctx, networkDHCPAttrTypes, dhcp)
	resp.Diagnostics.Append(d...)
	plan.DHCP = obj
	switch {
	case plan.IPv4CIDR.IsUnknown():
		plan.Gateway = types.StringUnknown()
	default:
		plan.Gateway = gatewayOf(plan.IPv4CIDR.ValueString())
	}
	if !req.State.Raw.IsNull() {
		if !state.DHCP.Equal(plan.DHCP) {
			resp.RequiresReplace = append(resp.RequiresReplace, path.Root("dhcp"))
		}
		switch {
		case networkReplaced(ctx, &state, &plan):
			r.warnGuests(ctx, state.Name.ValueString(), plan.Name, "is replaced", &resp.Diagnostics)
		case !state.Running.ValueBool() && plan.Running.ValueBool():
			// Stopped out of band while guests ran on it: starting it again
			// leaves their taps off its bridge just the same.
			r.warnGuests(ctx, state.Name.ValueString(), plan.Name, "is started again", &resp.Diagnostics)
		}
	} else if known(plan.Name) {
		// A network created again under a name that running domains use
		// (deleted out of band, or replaced by a failed apply).
		r.warnGuests(ctx, plan.Name.ValueString(), plan.Name, "is created anew", &resp.Diagnostics)
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// networkReplaced reports whether the plan replaces the network: one of the
// attributes that cannot change in place changes.
func networkReplaced(ctx context.Context, state, plan *NetworkResourceModel) bool {
	changed := func(s, p attr.Value) bool { return !p.IsUnknown() && !s.Equal(p) }
	if changed(state.Name, plan.Name) || changed(state.Mode, plan.Mode) || changed(state.IPv4CIDR, plan.IPv4CIDR) ||
		changed(state.IPv6CIDR, plan.IPv6CIDR) || changed(state.MTU, plan.MTU) || changed(state.DHCP, plan.DHCP) ||
		(known(plan.Bridge) && changed(state.Bridge, plan.Bridge)) {
		return true
	}
	var diags diag.Diagnostics
	have, want := dnsConfig(ctx, state.DNS, &diags), dnsConfig(ctx, plan.DNS, &diags)
	return known(plan.DNS) && changed(have.Domain, want.Domain)
}

// warnGuests shows in the plan the running domains whose interfaces are on
// the network that the apply creates or replaces: the apply restarts them
// once the new network runs, because libvirt leaves a running guest's tap off
// the new bridge.
func (r *NetworkResource) warnGuests(ctx context.Context, network string, newName types.String, what string, diags *diag.Diagnostics) {
	if r.data == nil || r.data.Client == nil {
		return
	}
	guests, err := r.data.Client.RunningNetworkGuests(ctx, network)
	if err != nil {
		tflog.Warn(ctx, "cannot list the guests of the network", map[string]any{"network": network, "error": err.Error()})
		diags.AddWarning(fmt.Sprintf("Guests of network %q not checked", network), fmt.Sprintf("The network will be "+
			"created or replaced, and the running domains on it could not be listed: %s. Domains running on it are "+
			"restarted by the apply once the new network runs.", err))
		return
	}
	if len(guests) == 0 {
		return
	}
	var restart, transient []string
	for _, g := range guests {
		if g.Persistent {
			restart = append(restart, g.Domain)
		} else {
			transient = append(transient, g.Domain)
		}
	}
	if !newName.IsUnknown() && newName.ValueString() != network {
		diags.AddWarning(fmt.Sprintf("Network %q will be replaced under a new name: running instances lose their link", network),
			fmt.Sprintf("Running instances (domains) with interfaces on %q: %s. Their interfaces name the old network, "+
				"which this apply removes: they lose their link and cannot start again until their interfaces name %q "+
				"(for an instance, set its interface's network to the new name in the same apply).",
				network, strings.Join(append(restart, transient...), ", "), newName.ValueString()))
		return
	}
	msg := fmt.Sprintf("libvirt does not move a running guest's interface to the bridge of a network that %s, so "+
		"the apply restarts (destroys and starts again) each running instance (domain) with an interface on %q once "+
		"the network runs; its interfaces then join the bridge and its guest asks for an address again. Definition "+
		"and autostart stay as they are.", strings.TrimPrefix(what, "is "), network)
	if len(restart) > 0 {
		msg += "\n\nRestarted: " + strings.Join(restart, ", ") + "."
	}
	if len(transient) > 0 {
		msg += "\n\nNot restarted, because they are transient (a destroy would remove them): " + strings.Join(transient, ", ") +
			". They stay without a link until they are started again."
	}
	diags.AddWarning(fmt.Sprintf("Network %q %s: %d running instance(s) on it are restarted", network, what, len(guests)), msg)
}

// adoptedDHCP fills the `dhcp` settings that the configuration leaves unset
// with those of the imported network's state. The range is kept only while
// ipv4_cidr stays what libvirt holds: a new CIDR takes the default range.
func adoptedDHCP(ctx context.Context, cfg networkDHCPModel, state NetworkResourceModel, cidr types.String, diags *diag.Diagnostics) networkDHCPModel {
	if !known(state.DHCP) {
		return cfg
	}
	var have networkDHCPModel
	diags.Append(state.DHCP.As(ctx, &have, basetypes.ObjectAsOptions{})...)
	if cfg.NoPing.IsNull() {
		cfg.NoPing = have.NoPing
	}
	if cfg.Enabled.IsNull() {
		cfg.Enabled = have.Enabled
	}
	if cfg.Start.IsNull() && cfg.End.IsNull() && cidr.Equal(state.IPv4CIDR) && cfg.Enabled.Equal(have.Enabled) {
		cfg.Start, cfg.End = have.Start, have.End
	}
	return cfg
}

// plannedDHCP applies the defaults of the `dhcp` attributes: enabled when
// there is an IPv4 CIDR (and the mode is not bridge), no_ping on, and the
// default range of the CIDR.
func plannedDHCP(cfg networkDHCPModel, mode, cidr types.String) networkDHCPModel {
	out := cfg
	if out.NoPing.IsNull() {
		out.NoPing = types.BoolValue(true)
	}
	if out.Enabled.IsNull() {
		switch {
		case mode.IsUnknown() || cidr.IsUnknown():
			out.Enabled = types.BoolUnknown()
		default:
			out.Enabled = types.BoolValue(!cidr.IsNull() && mode.ValueString() != hypervisor.NetworkModeBridge)
		}
	}
	if !out.Start.IsNull() || !out.End.IsNull() {
		return out
	}
	switch {
	case out.Enabled.IsUnknown() || cidr.IsUnknown():
		out.Start, out.End = types.StringUnknown(), types.StringUnknown()
	case !out.Enabled.ValueBool() || cidr.IsNull():
		out.Start, out.End = types.StringNull(), types.StringNull()
	default:
		start, end, err := hypervisor.DefaultDHCPRange(cidr.ValueString())
		if err != nil { // an invalid CIDR; its validator reports it
			out.Start, out.End = types.StringUnknown(), types.StringUnknown()
			return out
		}
		out.Start, out.End = types.StringValue(start.String()), types.StringValue(end.String())
	}
	return out
}
