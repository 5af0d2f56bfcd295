package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

var (
	_ resource.ResourceWithConfigure      = &NetworkResource{}
	_ resource.ResourceWithImportState    = &NetworkResource{}
	_ resource.ResourceWithModifyPlan     = &NetworkResource{}
	_ resource.ResourceWithValidateConfig = &NetworkResource{}
)

// NetworkResource manages a libvirt network.
type NetworkResource struct {
	data *Data
}

// NewNetworkResource is the constructor registered with the provider.
func NewNetworkResource() resource.Resource { return &NetworkResource{} }

func (r *NetworkResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_network"
}

func (r *NetworkResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerData(req.ProviderData, &resp.Diagnostics)
}

func (r *NetworkResource) configured(diags *diag.Diagnostics) bool {
	return configured(r.data, "unikernel_network", diags)
}

// read returns the network as state. managed holds the MACs of the
// reservations this resource manages (from the plan or the prior state);
// any other reservation is left out when it belongs to an instance (its MAC
// is on a domain interface attached to the network) and kept as drift
// otherwise.
func (r *NetworkResource) read(ctx context.Context, name string, managed map[string]bool, diags *diag.Diagnostics) (NetworkResourceModel, error) {
	tflog.Debug(ctx, "reading network", map[string]any{"network": name})
	info, err := r.data.Client.ReadNetwork(ctx, name)
	if err != nil {
		return NetworkResourceModel{}, err
	}
	var hosts []hypervisor.DHCPHost
	var owners map[string]string
	for _, h := range info.Spec.Hosts {
		if !managed[h.MAC] {
			if owners == nil {
				tflog.Debug(ctx, "looking up instance reservations", map[string]any{"network": name})
				if owners, err = r.data.Client.NetworkMACOwners(ctx, name); err != nil {
					return NetworkResourceModel{}, err
				}
			}
			if owner, ok := owners[h.MAC]; ok {
				tflog.Debug(ctx, "ignoring an instance's reservation", map[string]any{"network": name, "mac": h.MAC, "instance": owner})
				continue
			}
		}
		hosts = append(hosts, h)
	}
	m, d := networkModelFromInfo(info, hosts)
	diags.Append(d...)
	return m, nil
}

func managedMACs(ctx context.Context, m *NetworkResourceModel, diags *diag.Diagnostics) map[string]bool {
	hosts, d := networkHosts(ctx, m.Hosts)
	diags.Append(d...)
	out := make(map[string]bool, len(hosts))
	for _, h := range hosts {
		out[h.MAC] = true
	}
	return out
}

func (r *NetworkResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	if !r.configured(&resp.Diagnostics) {
		return
	}
	var plan NetworkResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	spec, diags := plan.toSpec(ctx)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := spec.Name
	summary := fmt.Sprintf("Unable to create network %q", name)
	ctx = tflog.SetField(ctx, "network", name)
	// The sidecar marker says that this create is in flight until it returns
	// (hypervisor/volume_sidecar.go): the next create takes over a killed create's
	// network. A network of this name without one is refused.
	marker := createSidecar{data: r.data, kind: hypervisor.SidecarNetwork, name: name, label: "libvirt network", display: name}
	if !marker.adopt(ctx, summary, func() error { _, err := r.data.Client.ReadNetwork(ctx, name); return err },
		func() error { return r.data.Client.DeleteNetwork(ctx, name) }, &resp.Diagnostics) {
		return
	}
	end, ok := marker.begin(ctx, networkCreateDeadline, summary, &resp.Diagnostics)
	if !ok {
		return
	}
	defer end()
	tflog.Debug(ctx, "defining network", map[string]any{"mode": spec.Mode, "ipv4_cidr": spec.IPv4CIDR,
		"ipv6_cidr": spec.IPv6CIDR, "hosts": len(spec.Hosts), "dns_hosts": len(spec.DNSHosts)})
	if _, err := r.data.Client.DefineNetwork(ctx, spec); err != nil {
		defineFailed(ctx, err, summary, &plan, resp)
		return
	}
	if !r.activate(ctx, name, summary, &plan, resp) {
		return
	}
	var restartErrs []string
	if plan.Running.ValueBool() {
		restartErrs = r.restartGuests(ctx, name, &resp.Diagnostics)
	}
	state, err := r.read(ctx, name, managedMACs(ctx, &plan, &resp.Diagnostics), &resp.Diagnostics)
	// A failed restart is a warning, not an error: an error would taint the
	// network, which is up and right, and the next apply would replace it and
	// restart every guest on it again.
	for _, e := range restartErrs {
		resp.Diagnostics.AddWarning(fmt.Sprintf("Unable to restart an instance on network %q", name), e)
	}
	if err != nil {
		resp.Diagnostics.Append(recordCreated(ctx, &resp.State, &plan)...)
		resp.Diagnostics.AddError(summary, fmt.Sprintf("The network was created, but reading it back failed: %s. "+
			"It stays in the state as tainted, and the next apply replaces it.", err))
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	setNameIdentity(ctx, resp.Identity, name, &resp.Diagnostics)
}

// defineFailed reports a failed define. A define that may have reached the
// daemon keeps the network in the state, tainted.
func defineFailed(ctx context.Context, err error, summary string, plan *NetworkResourceModel, resp *resource.CreateResponse) {
	if hypervisor.IsConnectionLost(err) || hypervisor.IsCancelled(err) {
		// The define may have reached the daemon before the connection broke:
		// keep the network in the state (tainted); the next refresh drops it
		// if it does not exist, and the next apply replaces it if it does.
		resp.Diagnostics.Append(recordCreated(ctx, &resp.State, plan)...)
		resp.Diagnostics.AddError(summary, err.Error()+"\n\nWhether libvirt defined the network is unknown: it is kept "+
			"in the state as tainted, and the next apply replaces it, or creates it when it does not exist.")
		return
	}
	var ov *hypervisor.OverlapError
	if errors.As(err, &ov) {
		attr := "ipv4_cidr"
		if ov.Prefix.Addr().Is6() {
			attr = "ipv6_cidr"
		}
		resp.Diagnostics.AddAttributeError(path.Root(attr), summary,
			fmt.Sprintf("%s overlaps %s of the libvirt network %q on this host. Nothing was created. Choose a range "+
				"that no other network uses, or remove network %q first.", ov.Prefix, ov.OtherPrefix, ov.Other, ov.Other))
		return
	}
	resp.Diagnostics.AddError(summary, fmt.Sprintf("%s.\n\nCheck the network's settings; a name that exists "+
		"already can be imported with `terraform import`.", err))
}

// activate applies the planned autostart and run state of the network just
// defined. When libvirt refuses, it removes the network again, or keeps it in
// the state, tainted, when that fails too, and reports false.
func (r *NetworkResource) activate(ctx context.Context, name, summary string, plan *NetworkResourceModel, resp *resource.CreateResponse) bool {
	undo := func(err error, what string) {
		if derr := r.data.Client.DeleteNetwork(context.WithoutCancel(ctx), name); derr != nil {
			// It cannot be removed now (for example, the daemon is gone): keep it in
			// the state, tainted, so that the next apply replaces it.
			tflog.Warn(ctx, "cannot remove the half-created network", map[string]any{"error": derr.Error()})
			resp.Diagnostics.Append(recordCreated(ctx, &resp.State, plan)...)
			resp.Diagnostics.AddError(summary, fmt.Sprintf("%s.\n\n%s Removing it again failed too (%s): it stays in the "+
				"state as tainted, and the next apply replaces it.", err, what, derr))
			return
		}
		resp.Diagnostics.AddError(summary, fmt.Sprintf("%s.\n\n%s The network was removed again.", err, what))
	}
	if plan.Autostart.ValueBool() {
		tflog.Debug(ctx, "setting network autostart", map[string]any{"autostart": true})
		if err := r.data.Client.SetNetworkAutostart(ctx, name, true); err != nil {
			undo(err, "libvirt could not mark it to start with the host.")
			return false
		}
	}
	if plan.Running.ValueBool() {
		tflog.Debug(ctx, "starting network")
		if err := r.data.Client.StartNetwork(ctx, name); err != nil {
			undo(err, "libvirt could not start it: check that the bridge name and addresses are free on the host "+
				"(for mode = \"bridge\", that the bridge exists).")
			return false
		}
	}
	return true
}

// restartGuests restarts every running persistent domain with an interface
// on the network that Create (or Update, after a stop out of band) just
// started: they ran on the network this one replaces (or on one deleted or
// stopped out of band), and libvirt left their taps off the bridge. The plan named them (warnGuests). It returns one message
// per domain that could not be restarted, naming it.
func (r *NetworkResource) restartGuests(ctx context.Context, network string, diags *diag.Diagnostics) []string {
	guests, err := r.data.Client.RunningNetworkGuests(ctx, network)
	if err != nil {
		diags.AddWarning(fmt.Sprintf("Guests of network %q not checked", network), fmt.Sprintf("The network was created, "+
			"but the running domains on it could not be listed: %s. A domain that ran on the network this one replaces "+
			"has no link until it is restarted (`virsh destroy` and `virsh start`).", err))
		return nil
	}
	var errs []string
	for _, g := range guests {
		if !g.Persistent {
			diags.AddWarning(fmt.Sprintf("Domain %q not restarted", g.Domain), fmt.Sprintf("The transient domain %q "+
				"runs with an interface on network %q, which was created anew; a destroy would remove it, so it was "+
				"not restarted and has no link until it is started again.", g.Domain, network))
			continue
		}
		tflog.Info(ctx, "restarting a domain so that its interfaces join the new network", map[string]any{"domain": g.Domain})
		if err := r.data.Client.RestartNetworkGuest(ctx, g.Domain); err != nil {
			errs = append(errs, fmt.Sprintf("Restarting domain %q, which ran with an interface on network %q while the "+
				"network was replaced or stopped, failed: %s.\n\nThe network itself runs. Start the domain again "+
				"(`virsh start %s`).", g.Domain, network, err, g.Domain))
		}
	}
	return errs
}

func (r *NetworkResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	if !r.configured(&resp.Diagnostics) {
		return
	}
	var prior NetworkResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := prior.Name.ValueString()
	setNameIdentity(ctx, resp.Identity, name, &resp.Diagnostics)
	state, err := r.read(ctx, name, managedMACs(ctx, &prior, &resp.Diagnostics), &resp.Diagnostics)
	if hypervisor.IsNotFound(err) {
		tflog.Info(ctx, "network is gone, removing it from state", map[string]any{"network": name})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Unable to read network %q", name),
			fmt.Sprintf("%s.\n\nThe state was kept. Check that libvirt answers, then refresh again.", err))
		return
	}
	resp.Diagnostics.Append(noteAdoptedRunState(ctx, resp.Private, state.Running, state.Autostart)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *NetworkResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if !r.configured(&resp.Diagnostics) {
		return
	}
	var plan, state NetworkResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	want, diags := plan.toSpec(ctx)
	resp.Diagnostics.Append(diags...)
	have, diags := state.toSpec(ctx)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := want.Name
	summary := fmt.Sprintf("Unable to update network %q", name)
	ctx = tflog.SetField(ctx, "network", name)

	err := r.applyUpdate(ctx, have, want, state, plan)
	if err != nil {
		resp.Diagnostics.AddError(summary, fmt.Sprintf("%s.\n\nThe changes before this one were applied; the state "+
			"shows what the network has now. Fix the cause and apply again.", err))
	}
	if err == nil && plan.Running.ValueBool() && !state.Running.ValueBool() {
		// Started again after a stop out of band: the guests that kept running
		// have their taps off the bridge (the plan named them).
		for _, e := range r.restartGuests(ctx, name, &resp.Diagnostics) {
			resp.Diagnostics.AddWarning(fmt.Sprintf("Unable to restart an instance on network %q", name), e)
		}
	}
	// Read back in any case, so that state shows what was applied.
	got, rerr := r.read(ctx, name, managedMACs(ctx, &plan, &resp.Diagnostics), &resp.Diagnostics)
	if rerr != nil {
		resp.Diagnostics.AddError(summary, fmt.Sprintf("Reading the network back failed: %s.", rerr))
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &got)...)
	setNameIdentity(ctx, resp.Identity, name, &resp.Diagnostics)
}

// applyUpdate makes the live changes an update can have: reservations, DNS
// hosts, autostart and the run state. Everything else replaces the network.
func (r *NetworkResource) applyUpdate(ctx context.Context, have, want hypervisor.NetworkSpec, state, plan NetworkResourceModel) error {
	ch := hypervisor.NetworkHostsChange{
		RemoveDHCP: dhcpHostsMissing(have.Hosts, want.Hosts),
		AddDHCP:    dhcpHostsMissing(want.Hosts, have.Hosts),
		RemoveDNS:  dnsHostsMissing(have.DNSHosts, want.DNSHosts),
		AddDNS:     dnsHostsMissing(want.DNSHosts, have.DNSHosts),
	}
	if !ch.Empty() {
		tflog.Debug(ctx, "updating network hosts live", map[string]any{"remove_hosts": len(ch.RemoveDHCP),
			"add_hosts": len(ch.AddDHCP), "remove_dns_hosts": len(ch.RemoveDNS), "add_dns_hosts": len(ch.AddDNS)})
		if err := r.data.Client.UpdateNetworkHosts(ctx, want.Name, ch); err != nil {
			return err
		}
	}
	if !plan.Autostart.Equal(state.Autostart) {
		tflog.Debug(ctx, "setting network autostart", map[string]any{"autostart": plan.Autostart.ValueBool()})
		if err := r.data.Client.SetNetworkAutostart(ctx, want.Name, plan.Autostart.ValueBool()); err != nil {
			return err
		}
	}
	if plan.Running.ValueBool() {
		tflog.Debug(ctx, "starting network")
		return r.data.Client.StartNetwork(ctx, want.Name)
	}
	tflog.Debug(ctx, "stopping network")
	return r.data.Client.StopNetwork(ctx, want.Name)
}

// dhcpHostsMissing returns the entries of a that b lacks.
func dhcpHostsMissing(a, b []hypervisor.DHCPHost) []hypervisor.DHCPHost {
	in := make(map[hypervisor.DHCPHost]bool, len(b))
	for _, h := range b {
		in[h] = true
	}
	var out []hypervisor.DHCPHost
	for _, h := range a {
		if !in[h] {
			out = append(out, h)
		}
	}
	return out
}

// dnsHostsMissing returns the entries of a that b lacks.
func dnsHostsMissing(a, b []hypervisor.DNSHost) []hypervisor.DNSHost {
	key := func(h hypervisor.DNSHost) string { return fmt.Sprintf("%s %q", h.IP, h.Hostnames) }
	in := make(map[string]bool, len(b))
	for _, h := range b {
		in[key(h)] = true
	}
	var out []hypervisor.DNSHost
	for _, h := range a {
		if !in[key(h)] {
			out = append(out, h)
		}
	}
	return out
}

func (r *NetworkResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	if !r.configured(&resp.Diagnostics) {
		return
	}
	var state NetworkResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := state.Name.ValueString()
	tflog.Debug(ctx, "deleting network", map[string]any{"network": name})
	if err := r.data.Client.DeleteNetwork(ctx, name); err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Unable to delete network %q", name),
			fmt.Sprintf("%s.\n\nThe network is still in the state. Check that libvirt answers, then apply again.", err))
	}
}

// ImportState takes the network's name or UUID.
func (r *NetworkResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if !r.configured(&resp.Diagnostics) {
		return
	}
	id := importID(ctx, req, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	tflog.Debug(ctx, "looking up network to import", map[string]any{"id": id})
	name, err := r.data.Client.LookupNetworkName(ctx, id)
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Unable to import network %q", id),
			fmt.Sprintf("%s.\n\nGive the name or UUID of a libvirt network on this host (`virsh net-list --all`).", err))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), name)...)
	setNameIdentity(ctx, resp.Identity, name, &resp.Diagnostics)
	resp.Diagnostics.Append(markAdopted(ctx, resp.Private)...)
}
