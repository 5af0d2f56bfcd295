package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
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
