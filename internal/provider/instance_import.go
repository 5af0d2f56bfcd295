package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// adopt decides about a domain of the planned name that exists before
// Create: one left by an abandoned create of this provider (its marker says
// in flight, and that create can no longer finish) is removed with all it
// had, so that Create rebuilds it to the plan, and a warning says so. It was
// never in any state, so nothing of a user's is lost. Anything else (no
// marker, a finished create, a create that may still run) is refused; adopt
// returns false then.
func (r *InstanceResource) adopt(ctx context.Context, plan *instanceModel, info hypervisor.DomainInfo, summary string, diags *diag.Diagnostics) bool {
	name := plan.Name.ValueString()
	now := time.Now()
	m := info.Spec.Create
	if why := m.Refusal("libvirt domain", name, now); why != "" {
		diags.AddAttributeError(path.Root("name"), summary, fmt.Sprintf("On %s: %s", r.data.Client.URI(), why))
		return false
	}
	tflog.Info(ctx, "taking over a domain left by an interrupted create", map[string]any{"instance": name, "create": m.ID})
	if err := r.removeLeftDomain(ctx, plan, info); err != nil {
		diags.AddError(summary, fmt.Sprintf("The domain left by an interrupted create (%s) could not be removed: %s", m.Describe(), err))
		return false
	}
	diags.AddWarning(fmt.Sprintf("Adopted instance %q", name), m.Adopted("instance", name, now))
	return true
}

// removeLeftDomain removes a domain that an interrupted create left, with
// everything that create made: the running guest, the DHCP reservations of
// its MACs, its copy-on-write overlays, its console log and the definition
// (with NVRAM and managed save).
func (r *InstanceResource) removeLeftDomain(ctx context.Context, plan *instanceModel, info hypervisor.DomainInfo) error {
	c := r.data.Client
	name := plan.Name.ValueString()
	if err := c.StopDomain(ctx, name, 0); err != nil && !hypervisor.IsNotFound(err) {
		return err
	}
	for _, n := range info.Spec.Interfaces {
		if n.Network == "" || n.MAC == "" {
			continue
		}
		if err := c.RemoveDHCPHost(ctx, n.Network, n.MAC); err != nil && !hypervisor.IsNotFound(err) {
			return err
		}
	}
	// The overlays of the planned disks: createOverlays would otherwise take
	// a leftover for one it made before.
	if err := r.deleteOverlays(ctx, plan); err != nil {
		return err
	}
	if err := c.DeleteConsole(ctx, r.data.Console, name); err != nil {
		return err
	}
	return c.UndefineDomain(ctx, name)
}

func (r *InstanceResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if r.notConfigured(&resp.Diagnostics) {
		return
	}
	id := importID(ctx, req, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	name, err := r.data.Client.LookupDomainName(ctx, id)
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Unable to import instance %q", id),
			err.Error()+"\n\nImport takes the domain's name or UUID.")
		return
	}
	m, found, diags := r.read(ctx, name, nil)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !found {
		resp.Diagnostics.AddError(fmt.Sprintf("Unable to import instance %q", id), "The domain disappeared during import.")
		return
	}
	// Adopted: from now on an attribute the configuration leaves unset keeps
	// what the domain has (adopted.go).
	resp.Diagnostics.Append(markAdopted(ctx, resp.Private)...)
	r.adoptOverlays(ctx, &m)
	// An imported domain belongs to a state now: a create marker still in
	// flight must no longer let another create take it over.
	if err := r.data.Client.MarkDomainCreated(ctx, name); err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Unable to import instance %q", id), err.Error())
		return
	}
	// Reservations live on the networks: adopt the ones made for these MACs.
	for i := range m.NetworkInterfaces {
		n := &m.NetworkInterfaces[i]
		h, ok, err := r.data.Client.DHCPHostByMAC(ctx, n.Network.ValueString(), n.MAC.ValueString())
		if err == nil && ok {
			n.IPv4Address = types.StringValue(h.IPv4)
		}
	}
	if fp, err := r.imageFingerprint(ctx, &m); err == nil {
		m.ImagesFingerprint = types.StringValue(fp)
	}
	// Detect the boot format as a plan would, so that it and the
	// shutdown_timeout that follows from it need no update after import.
	var inspect diag.Diagnostics
	if bootFormat, ok := r.checkBootImages(ctx, &m, imageChanges{}, &inspect); ok {
		m.BootFormat = types.StringValue(bootFormat)
		m.ShutdownTimeout = types.StringValue(defaultShutdownTimeout(bootFormat))
		if known(m.ACPI) && !m.ACPI.ValueBool() {
			// Without ACPI there is no power button to press: a stop destroys
			// at once, and a generated configuration that spells out
			// acpi = false stays valid.
			m.ShutdownTimeout = types.StringValue("0s")
		}
	} else {
		tflog.Info(ctx, "boot images of the imported instance could not be inspected", map[string]any{"instance": name})
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
	setNameIdentity(ctx, resp.Identity, name, &resp.Diagnostics)
}
