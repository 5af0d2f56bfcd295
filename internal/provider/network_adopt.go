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

// networkCreateDeadline bounds a network create, which has no timeouts
// block: after it, a create still marked in flight was killed. Defining,
// starting and reading back a network takes seconds.
const networkCreateDeadline = 10 * time.Minute

// adoptOrRefuse decides about a network of the planned name that exists
// before Create: one left by an abandoned create (its sidecar marker says in
// flight, and that create can no longer finish) is removed, so that Create
// builds it to the plan, with a warning. Anything else is refused, and
// adoptOrRefuse returns false. A free name returns true.
func (r *NetworkResource) adoptOrRefuse(ctx context.Context, name, summary string, diags *diag.Diagnostics) bool {
	c := r.data.Client
	_, err := c.ReadNetwork(ctx, name)
	if hypervisor.IsNotFound(err) {
		return true
	}
	if err != nil {
		diags.AddError(summary, err.Error())
		return false
	}
	m, err := c.ReadCreateSidecar(ctx, r.data.Console, hypervisor.SidecarNetwork, "", name)
	if err != nil {
		diags.AddError(summary, "Reading the create marker of the existing network failed: "+err.Error())
		return false
	}
	now := time.Now()
	if why := hypervisor.SidecarRefusal(m, "libvirt network", name, now); why != "" {
		diags.AddAttributeError(path.Root("name"), summary, fmt.Sprintf("On %s: %s", c.URI(), why))
		return false
	}
	tflog.Info(ctx, "taking over a network left by an interrupted create", map[string]any{"create": m.ID})
	if err := c.DeleteNetwork(ctx, name); err != nil {
		diags.AddError(summary, fmt.Sprintf("The network left by an interrupted create (%s) could not be removed: %s", m.Describe(), err))
		return false
	}
	diags.AddWarning(fmt.Sprintf("Adopted network %q", name), m.Adopted("network", name, now))
	return true
}
