package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// keepPriorRunningAndAlias adjusts what read got from libvirt for the run
// mode and the machine alias (keepMachineAlias).
// A job's `running` says whether apply runs it, not whether it runs now: a
// finished job is shut off by design, so its state keeps the prior value and
// the next plan stays empty.
func (r *InstanceResource) keepPriorRunningAndAlias(ctx context.Context, m, prior *instanceModel) {
	r.keepMachineAlias(ctx, m, prior)
	if prior != nil && prior.job() && !prior.Running.IsUnknown() && !prior.Running.IsNull() {
		m.Running = prior.Running
	}
}

// keepAppliedRunning records the applied `running` after Create and Update. A
// guest may power itself off at any moment, also between the end of the
// readiness gate and the read-back; state then still holds what was applied,
// and the next refresh shows a stopped service as drift (Terraform would
// otherwise reject the apply as an inconsistent result).
func keepAppliedRunning(planned, m *instanceModel, diags *diag.Diagnostics) {
	if planned.Running.IsUnknown() || planned.Running.IsNull() || m.Running.Equal(planned.Running) {
		return
	}
	if !planned.job() && planned.Running.ValueBool() {
		diags.AddWarning(fmt.Sprintf("Instance %q stopped on its own", planned.Name.ValueString()),
			fmt.Sprintf("The instance was started and then stopped by itself (state %s). The next plan shows it as not running "+
				"and starts it again. If it is meant to run to completion, set mode = \"job\".", m.State.ValueString()))
	}
	m.Running = planned.Running
}

// updateJob runs a job again when its definition changed (rerun) or when
// running turned true, and stops a job that still runs when it must not.
func (r *InstanceResource) updateJob(ctx context.Context, plan, state *instanceModel, redefine, running bool) error {
	c := r.data.Client
	name := plan.Name.ValueString()
	rerun := plan.Running.ValueBool() && (redefine || !state.Running.ValueBool())
	if running && (rerun || !plan.Running.ValueBool()) {
		if err := c.StopDomain(ctx, name, plan.shutdownGrace()); err != nil {
			return err
		}
	}
	if !rerun {
		return nil
	}
	tflog.Info(ctx, "running the job again", map[string]any{"instance": name, "redefined": redefine})
	return r.boot(ctx, plan, "job run by terraform")
}
