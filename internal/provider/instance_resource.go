package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

var (
	_ resource.ResourceWithConfigure   = &InstanceResource{}
	_ resource.ResourceWithImportState = &InstanceResource{}
	_ resource.ResourceWithModifyPlan  = &InstanceResource{}
)

// InstanceResource manages one unikernel or microVM guest.
type InstanceResource struct {
	data *Data
}

// NewInstanceResource is the constructor registered with the provider.
func NewInstanceResource() resource.Resource { return &InstanceResource{} }

func (r *InstanceResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_instance"
}

func (r *InstanceResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerData(req.ProviderData, &resp.Diagnostics)
}

func (r *InstanceResource) notConfigured(diags *diag.Diagnostics) bool {
	return !configured(r.data, "unikernel_instance", diags)
}

// Create defines the domain, records it in the state at once, and brings it
// up; a failure before the guest runs removes what was made (undoCreate).
func (r *InstanceResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	if r.notConfigured(&resp.Diagnostics) {
		return
	}
	var plan instanceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, d := plan.Timeouts.Create(ctx, 10*time.Minute)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	name := plan.Name.ValueString()
	ctx = tflog.SetField(ctx, "instance", name)
	c := r.data.Client
	summary := fmt.Sprintf("Unable to create instance %q", name)

	bootFormat, ok := r.prepareCreate(ctx, &plan, summary, &resp.Diagnostics)
	if !ok {
		return
	}
	resp.Diagnostics.Append(r.recordOverlayBases(ctx, &plan, resp.Private)...)
	if plan.BootFormat.IsUnknown() {
		plan.BootFormat = types.StringValue(bootFormat) // the definition depends on it (ACPI)
	}
	uuid, ok := r.defineNew(ctx, &plan, timeout, summary, &resp.State, &resp.Diagnostics)
	if !ok {
		return
	}
	// The domain exists: it is in the state from now on, so that whatever
	// fails later leaves a tainted resource that the next apply replaces,
	// never a domain that Terraform does not know about.
	plan.ID = types.StringValue(uuid)
	resp.Diagnostics.Append(recordCreated(ctx, &resp.State, &plan)...)
	// The last step: the marker says that the create finished, as Terraform
	// records the domain in its state when Create returns it (tainted or not).
	kept := true
	defer func() {
		if !kept {
			return
		}
		if err := c.MarkDomainCreated(context.WithoutCancel(ctx), name); err != nil {
			tflog.Warn(ctx, "cannot mark the create finished", map[string]any{"error": err.Error()})
			return
		}
		tflog.Debug(ctx, "domain marked created")
	}()
	if step, err := r.bringUp(ctx, &plan, &resp.State, summary, &resp.Diagnostics); err != nil {
		if r.undoCreate(ctx, &plan, summary, step, err, &resp.Diagnostics) {
			kept = false
			resp.State.RemoveResource(ctx)
		}
		return
	}
	plan.BootFormat = types.StringValue(bootFormat)
	if fp, err := r.imageFingerprint(ctx, &plan); err == nil {
		plan.ImagesFingerprint = types.StringValue(fp)
	}
	r.readBackToState(ctx, name, &plan, &resp.State, &resp.Diagnostics)
	setNameIdentity(ctx, resp.Identity, name, &resp.Diagnostics)
}

// prepareCreate does what comes before the define: it takes over (or
// refuses) a domain of the same name, checks the boot images and volumes,
// composes the command line, and makes the console pool and the
// copy-on-write disks. It returns the boot format; false after an error.
func (r *InstanceResource) prepareCreate(ctx context.Context, plan *instanceModel, summary string, diags *diag.Diagnostics) (string, bool) {
	c := r.data.Client
	if info, err := c.ReadDomain(ctx, plan.Name.ValueString()); err == nil {
		if !r.adopt(ctx, plan, info, summary, diags) {
			return "", false
		}
	} else if !hypervisor.IsNotFound(err) {
		diags.AddError(summary, err.Error())
		return "", false
	}
	bootFormat, ok := r.checkBootImages(ctx, plan, imageChanges{}, diags)
	if !ok || !r.composeAtApply(ctx, plan, nil, summary, diags) {
		return "", false
	}
	if r.checkVolumes(ctx, plan, "", diags); diags.HasError() {
		return "", false // another instance took the volume since the plan
	}
	if err := c.EnsureConsolePool(ctx, r.data.Console); err != nil {
		diags.AddError(summary, fmt.Sprintf("The console log pool could not be prepared: %s", err))
		return "", false
	}
	if err := r.createOverlays(ctx, plan); err != nil {
		_ = r.deleteOverlays(ctx, plan)
		diags.AddError(summary, "Creating the copy-on-write disks failed: "+err.Error())
		return "", false
	}
	return bootFormat, true
}

// defineNew defines the new domain with a create marker that expires with
// the create's timeout, and returns its UUID; false after an error.
func (r *InstanceResource) defineNew(ctx context.Context, plan *instanceModel, timeout time.Duration, summary string, state *tfsdk.State, diags *diag.Diagnostics) (string, bool) {
	spec := plan.toSpec(r.data.Console)
	spec.UUID = ""
	spec.Create = hypervisor.NewCreateMarker(time.Now().Add(timeout))
	tflog.Debug(ctx, "defining domain", map[string]any{"memory_mib": spec.MemoryMiB, "vcpus": spec.VCPUs, "hypervisor": spec.Type})
	uuid, err := r.data.Client.DefineDomain(ctx, spec)
	tflog.Debug(ctx, "domain defined", map[string]any{"uuid": uuid})
	if err != nil && (hypervisor.IsConnectionLost(err) || hypervisor.IsCancelled(err)) {
		// The define may have reached the daemon before the connection broke. The
		// name was free a moment ago, so a domain of that name is this one: keep
		// it in the state. The next refresh drops it if it does not exist.
		diags.Append(recordCreated(ctx, state, plan)...)
		diags.AddError(summary, err.Error()+"\n\nWhether libvirt defined the domain is unknown: it is kept in "+
			"the state as tainted, and the next apply replaces it, or creates it when it does not exist.")
		return "", false
	}
	if err != nil {
		_ = r.deleteOverlays(ctx, plan)
		diags.AddError(summary, err.Error()+"\n\nCheck that the kernel, initrd and disk paths exist on the host and that the hypervisor type is offered there (see data.unikernel_host).")
		return "", false
	}
	return uuid, true
}

// bringUp does what follows the define: it records the MACs libvirt chose,
// reserves the interfaces' addresses, sets autostart and boots the guest.
// An error it returns is one to undo the create for, with the step that
// failed; a guest that runs but did not become ready is reported in diags
// and kept (tainted), so its console can be inspected and the next apply
// replaces it.
func (r *InstanceResource) bringUp(ctx context.Context, plan *instanceModel, state *tfsdk.State, summary string, diags *diag.Diagnostics) (string, error) {
	c := r.data.Client
	name := plan.Name.ValueString()
	info, err := c.ReadDomain(ctx, name)
	if err != nil {
		return "reading the definition back failed", err
	}
	for i := range plan.NetworkInterfaces {
		if i < len(info.Spec.Interfaces) {
			plan.NetworkInterfaces[i].MAC = types.StringValue(info.Spec.Interfaces[i].MAC) // chosen by libvirt
		}
	}
	diags.Append(recordCreated(ctx, state, plan)...)
	if err := r.reserve(ctx, plan.NetworkInterfaces, info.Spec.Interfaces, nil); err != nil {
		return "reserving interface addresses failed", err
	}
	if plan.Autostart.ValueBool() {
		if err := c.SetDomainAutostart(ctx, name, true); err != nil {
			return "setting autostart failed", err
		}
	}
	if plan.Running.ValueBool() {
		if err := r.boot(ctx, plan, "created"); err != nil {
			if hypervisor.IsNotFound(err) || !isGateError(err) {
				return "starting the instance failed", err
			}
			diags.AddError(summary, err.Error())
		}
	}
	return "", nil
}

// undoCreate removes what a create made when a step before the guest runs
// failed, and reports the failure. It returns true when the domain is gone,
// so the resource leaves the state; when the removal cannot finish (the
// daemon is gone), the resource stays in the state.
func (r *InstanceResource) undoCreate(ctx context.Context, plan *instanceModel, summary, why string, err error, diags *diag.Diagnostics) bool {
	tflog.Debug(ctx, "undoing partial create", map[string]any{"step": why})
	c := r.data.Client
	name := plan.Name.ValueString()
	cleanup := context.WithoutCancel(ctx)
	_ = c.StopDomain(cleanup, name, 0)
	r.releaseReservations(cleanup, name, plan.NetworkInterfaces)
	uerr := c.UndefineDomain(cleanup, name)
	_ = c.DeleteConsole(cleanup, r.data.Console, name)
	if uerr == nil {
		// Overlays go with the domain; a domain that stays in the state keeps
		// them until its destroy.
		_ = r.deleteOverlays(cleanup, plan)
	}
	diags.AddError(summary, fmt.Sprintf("%s: %s", why, err))
	return uerr == nil
}

func (r *InstanceResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	if r.notConfigured(&resp.Diagnostics) {
		return
	}
	var state instanceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := state.Name.ValueString()
	setNameIdentity(ctx, resp.Identity, name, &resp.Diagnostics)
	m, found, diags := r.read(ctx, name, &state)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !found {
		tflog.Info(ctx, "instance no longer exists; removing it from state", map[string]any{"instance": name})
		resp.State.RemoveResource(ctx)
		return
	}
	r.backfillOverlayBases(ctx, &m, resp.Private)
	resp.Diagnostics.Append(noteAdoptedRunState(ctx, resp.Private, m.Running, m.Autostart)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// read returns the instance as libvirt has it; found is false only when
// libvirt says the domain does not exist.
func (r *InstanceResource) read(ctx context.Context, name string, prior *instanceModel) (instanceModel, bool, diag.Diagnostics) {
	var diags diag.Diagnostics
	c := r.data.Client
	tflog.Trace(ctx, "reading domain", map[string]any{"instance": name})
	info, err := c.ReadDomain(ctx, name)
	if hypervisor.IsNotFound(err) {
		return instanceModel{}, false, diags
	}
	if err != nil {
		diags.AddError(fmt.Sprintf("Unable to read instance %q", name), err.Error())
		return instanceModel{}, true, diags
	}
	leases := r.addresses(ctx, info, prior)
	var m instanceModel
	diags.Append(m.fromInfo(ctx, info, leases, prior)...)
	r.keepPriorRunningAndAlias(ctx, &m, prior)
	// A reservation lost with its network (replaced, or edited by hand) shows
	// as a change, so that the next apply makes it again.
	for i := range m.NetworkInterfaces {
		n := &m.NetworkInterfaces[i]
		if n.IPv4Address.IsNull() || n.IPv4Address.IsUnknown() {
			continue
		}
		h, ok, err := c.DHCPHostByMAC(ctx, n.Network.ValueString(), n.MAC.ValueString())
		switch {
		case err != nil && !hypervisor.IsNotFound(err):
			diags.AddError(fmt.Sprintf("Unable to read instance %q", name), err.Error())
		case err != nil || !ok:
			n.IPv4Address = types.StringNull()
		default:
			n.IPv4Address = types.StringValue(h.IPv4)
		}
	}
	return m, true, diags
}

// readBackToState reads the instance back after Create or Update and sets state.
func (r *InstanceResource) readBackToState(ctx context.Context, name string, planned *instanceModel, state interface {
	Set(context.Context, any) diag.Diagnostics
}, diags *diag.Diagnostics) {
	m, found, d := r.read(ctx, name, planned)
	diags.Append(d...)
	if d.HasError() {
		return
	}
	if !found {
		diags.AddError(fmt.Sprintf("Unable to read instance %q", name), "The domain disappeared right after it was written. Run apply again.")
		return
	}
	keepAppliedRunning(planned, &m, diags)
	diags.Append(state.Set(ctx, &m)...)
}

// Update applies a plan in steps that each leave an instance the next apply
// can finish: the changes are classified (updateChanges), a running guest is
// stopped before a restart-class definition is saved, the definition is
// written (writeDefinition), and the run state is brought to the plan
// (applyRunState).
func (r *InstanceResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if r.notConfigured(&resp.Diagnostics) {
		return
	}
	var plan, state instanceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, d := plan.Timeouts.Update(ctx, 10*time.Minute)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	name := plan.Name.ValueString()
	ctx = tflog.SetField(ctx, "instance", name)
	c := r.data.Client
	summary := fmt.Sprintf("Unable to update instance %q", name)

	// The plan inspected the images that change (ModifyPlan); only when it
	// could not (an image unknown until this apply) are they inspected here,
	// and then only those that change: an update never refuses a disk it
	// leaves as it is.
	if !known(plan.BootFormat) || !diskFormatsKnown(&plan) {
		bootFormat, ok := r.checkBootImages(ctx, &plan, imageChanges{prior: &state}, &resp.Diagnostics)
		if !ok {
			return
		}
		plan.BootFormat = types.StringValue(bootFormat)
	}
	if !r.composeAtApply(ctx, &plan, &state, summary, &resp.Diagnostics) {
		return
	}
	redefine, outdated, err := r.updateChanges(ctx, &plan, &state, req.Private)
	if err != nil {
		resp.Diagnostics.AddError(summary, err.Error())
		return
	}
	stopped, err := r.stopBeforeRedefine(ctx, &plan, &state, redefine)
	if err != nil {
		resp.Diagnostics.AddError(summary, err.Error())
		return
	}
	// The family lives in the definition's metadata: a change from generic,
	// made in place, is written there without a restart.
	if redefine || !plan.Description.Equal(state.Description) || !plan.Family.Equal(state.Family) {
		ran, ok := r.writeDefinition(ctx, &plan, &state, redefine, outdated, stopped, summary, &resp.Diagnostics)
		stopped = stopped || ran
		if !ok {
			return
		}
	}
	if redefine {
		resp.Diagnostics.Append(r.recordOverlayBases(ctx, &plan, resp.Private)...)
	}
	if !plan.Autostart.Equal(state.Autostart) {
		if err := c.SetDomainAutostart(ctx, name, plan.Autostart.ValueBool()); err != nil {
			resp.Diagnostics.AddError(summary, err.Error())
			return
		}
	}
	if !r.applyRunState(ctx, &plan, &state, redefine, stopped, summary, &resp.Diagnostics) {
		return
	}
	r.readBackToState(ctx, name, &plan, &resp.State, &resp.Diagnostics)
	setNameIdentity(ctx, resp.Identity, name, &resp.Diagnostics)
}

// updateChanges classifies an update: redefine is true when the instance
// must be redefined and restarted (a restart-class change, a rebuilt image,
// a new base image), and outdated lists the copy-on-write disks whose base
// changed. It sets the plan's images_fingerprint.
func (r *InstanceResource) updateChanges(ctx context.Context, plan, state *instanceModel, p privateGetter) (redefine bool, outdated []string, err error) {
	redefine = restartDiffers(plan, state)
	// A replaced image keeps its path; its fingerprint tells that the instance
	// must restart to boot the new build.
	fp, err := r.imageFingerprint(ctx, plan)
	if err != nil {
		return false, nil, err
	}
	imagesChanged := fp != state.ImagesFingerprint.ValueString() && !state.ImagesFingerprint.IsNull()
	if imagesChanged {
		tflog.Info(ctx, "an image of the instance changed; it will be redefined and restarted")
		redefine = true
	}
	plan.ImagesFingerprint = types.StringValue(fp)
	// A new base image needs a new overlay: the old one goes first, with the
	// guest stopped. The switch in applyRunState boots it again.
	outdated, err = r.outdatedOverlays(ctx, plan, state, p, imagesChanged)
	if err != nil {
		return false, nil, err
	}
	if len(outdated) > 0 {
		redefine = true
	}
	return redefine, outdated, nil
}

// stopBeforeRedefine stops a running guest whose new definition needs it
// stopped first, and reports whether it did.
func (r *InstanceResource) stopBeforeRedefine(ctx context.Context, plan, state *instanceModel, redefine bool) (stopped bool, err error) {
	if firmwareChanged(plan, state) {
		// The NVRAM file of the old firmware goes with the old definition, which
		// needs the guest stopped (hypervisor.Client.DefineDomain); the switch
		// in applyRunState boots it again.
		if stopped, err = r.stopForFirmware(ctx, plan, state); err != nil {
			return stopped, err
		}
	}
	// A restart-class change stops the guest before the new definition is
	// saved. An apply killed in between then leaves a stopped guest, which the
	// next plan sees (running) and the next apply defines and starts; never a
	// guest that runs the old definition while libvirt holds the new one, a
	// difference that no plan would show.
	if redefine && !stopped && plan.Running.ValueBool() && !plan.job() {
		return r.stopForRestart(ctx, state)
	}
	return stopped, nil
}

// writeDefinition writes the planned definition: it replaces outdated
// copy-on-write disks, makes the missing ones (only when restart is true: a
// live-only change leaves the disks alone), defines the domain under its
// UUID and updates the address reservations. ran says that dropping the old
// disks stopped a running guest; ok is false after an error.
func (r *InstanceResource) writeDefinition(ctx context.Context, plan, state *instanceModel, restart bool, outdated []string, stopped bool,
	summary string, diags *diag.Diagnostics) (ran, ok bool) {
	c := r.data.Client
	if err := c.EnsureConsolePool(ctx, r.data.Console); err != nil {
		diags.AddError(summary, err.Error())
		return false, false
	}
	if len(outdated) > 0 {
		tflog.Info(ctx, "a base image changed; the instance restarts on new copy-on-write disks", map[string]any{"overlays": outdated})
		var err error
		if ran, err = r.dropOverlays(ctx, plan, outdated); err != nil {
			diags.AddError(summary, "Deleting the old copy-on-write disks failed: "+err.Error())
			return false, false
		}
		stopped = stopped || ran
	}
	if err := r.createOverlaysIf(ctx, plan, restart); err != nil {
		msg := "Creating the copy-on-write disks failed: " + err.Error()
		if len(outdated) > 0 {
			msg += "\n\nThe instance is stopped and its old copy-on-write disks are deleted; the next apply creates the new ones and starts it."
		}
		diags.AddError(summary, msg)
		return ran, false
	}
	spec := plan.toSpec(r.data.Console)
	spec.UUID = state.ID.ValueString()
	tflog.Debug(ctx, "redefining domain", map[string]any{"restart": restart})
	if _, err := c.DefineDomain(ctx, spec); err != nil {
		msg := err.Error()
		if stopped {
			msg += "\n\nThe instance is stopped with its previous definition; the next apply defines and starts it."
		}
		diags.AddError(summary, msg)
		return ran, false
	}
	info, err := c.ReadDomain(ctx, plan.Name.ValueString())
	if err != nil {
		diags.AddError(summary, err.Error())
		return ran, false
	}
	if err := r.reserve(ctx, plan.NetworkInterfaces, info.Spec.Interfaces, state.NetworkInterfaces); err != nil {
		diags.AddError(summary, "Updating the interface address reservations failed: "+err.Error())
		return ran, false
	}
	return ran, true
}

// applyRunState brings the guest to the planned run state: a job runs again
// or stops (updateJob), a service stops, restarts onto its new definition,
// or starts. stopped says that this update stopped a running guest. It
// returns false when the update must end without reading the instance back.
func (r *InstanceResource) applyRunState(ctx context.Context, plan, state *instanceModel, redefine, stopped bool, summary string, diags *diag.Diagnostics) bool {
	c := r.data.Client
	name := plan.Name.ValueString()
	current, err := c.DomainState(ctx, name)
	if err != nil {
		diags.AddError(summary, err.Error())
		return false
	}
	running := current == hypervisor.StateRunning || current == hypervisor.StatePaused || stopped
	switch {
	case plan.job():
		if err := r.updateJob(ctx, plan, state, redefine, running); err != nil {
			diags.AddError(summary, err.Error())
		}
	case !plan.Running.ValueBool() && running:
		if err := c.StopDomain(ctx, name, plan.shutdownGrace()); err != nil {
			diags.AddError(summary, err.Error())
			return false
		}
	case plan.Running.ValueBool() && running && redefine:
		tflog.Info(ctx, "restarting instance to apply its new definition")
		if err := c.StopDomain(ctx, name, plan.shutdownGrace()); err != nil {
			diags.AddError(summary, err.Error())
			return false
		}
		if err := r.boot(ctx, plan, "restarted by terraform to apply a new definition"); err != nil {
			diags.AddError(summary, err.Error())
		}
	case plan.Running.ValueBool() && !running:
		if err := r.boot(ctx, plan, "started"); err != nil {
			diags.AddError(summary, err.Error())
		}
	}
	return true
}

func (r *InstanceResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	if r.notConfigured(&resp.Diagnostics) {
		return
	}
	var state instanceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, d := state.Timeouts.Delete(ctx, 5*time.Minute)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	name := state.Name.ValueString()
	c := r.data.Client
	summary := fmt.Sprintf("Unable to delete instance %q", name)
	tflog.Debug(ctx, "deleting domain", map[string]any{"instance": name})
	if err := c.StopDomain(ctx, name, state.shutdownGrace()); err != nil && !hypervisor.IsNotFound(err) {
		resp.Diagnostics.AddError(summary, err.Error())
		return
	}
	// The domain goes last: a destroy killed midway leaves it, and with it the
	// resource in the state, so the next destroy finishes the rest (every
	// step below accepts what is gone already).
	r.releaseReservations(ctx, name, state.NetworkInterfaces)
	if err := r.deleteOverlays(ctx, &state); err != nil {
		resp.Diagnostics.AddError(summary, "Deleting the copy-on-write disks failed: "+err.Error())
		return
	}
	if err := c.DeleteConsole(ctx, r.data.Console, name); err != nil {
		resp.Diagnostics.AddWarning(fmt.Sprintf("Console log of instance %q not removed", name), err.Error())
	}
	if err := c.UndefineDomain(ctx, name); err != nil {
		resp.Diagnostics.AddError(summary, err.Error())
		return
	}
}

// composeAtApply composes boot_cmdline when the plan could not (a network
// created in the same apply); false when that fails.
func (r *InstanceResource) composeAtApply(ctx context.Context, plan, state *instanceModel, summary string, diags *diag.Diagnostics) bool {
	if !plan.BootCmdline.IsUnknown() {
		return true
	}
	line, known, d := r.composeCmdline(ctx, plan, state, true)
	diags.Append(d...)
	if d.HasError() {
		return false
	}
	if !known {
		diags.AddError(summary, "The kernel command line could not be composed: a value it depends on is still unknown.")
		return false
	}
	plan.BootCmdline = types.StringValue(line)
	return true
}
