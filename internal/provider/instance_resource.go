package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
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

	if info, err := c.ReadDomain(ctx, name); err == nil {
		if !r.adopt(ctx, &plan, info, summary, &resp.Diagnostics) {
			return
		}
	} else if !hypervisor.IsNotFound(err) {
		resp.Diagnostics.AddError(summary, err.Error())
		return
	}
	bootFormat, ok := r.checkBootImages(ctx, &plan, imageChanges{}, &resp.Diagnostics)
	if !ok || !r.composeAtApply(ctx, &plan, nil, summary, &resp.Diagnostics) {
		return
	}
	if r.checkVolumes(ctx, &plan, "", &resp.Diagnostics); resp.Diagnostics.HasError() {
		return // another instance took the volume since the plan
	}
	if err := c.EnsureConsolePool(ctx, r.data.Console); err != nil {
		resp.Diagnostics.AddError(summary, fmt.Sprintf("The console log pool could not be prepared: %s", err))
		return
	}
	if err := r.createOverlays(ctx, &plan); err != nil {
		_ = r.deleteOverlays(ctx, &plan)
		resp.Diagnostics.AddError(summary, "Creating the copy-on-write disks failed: "+err.Error())
		return
	}
	resp.Diagnostics.Append(r.recordOverlayBases(ctx, &plan, resp.Private)...)
	if plan.BootFormat.IsUnknown() {
		plan.BootFormat = types.StringValue(bootFormat) // the definition depends on it (ACPI)
	}
	spec := plan.toSpec(r.data.Console)
	spec.UUID = ""
	spec.Create = hypervisor.NewCreateMarker(time.Now().Add(timeout))
	tflog.Debug(ctx, "defining domain", map[string]any{"memory_mib": spec.MemoryMiB, "vcpus": spec.VCPUs, "hypervisor": spec.Type})
	uuid, err := c.DefineDomain(ctx, spec)
	tflog.Debug(ctx, "domain defined", map[string]any{"uuid": uuid})
	if err != nil && (hypervisor.IsConnectionLost(err) || hypervisor.IsCancelled(err)) {
		// The define may have reached the daemon before the connection broke. The
		// name was free a moment ago, so a domain of that name is this one: keep
		// it in the state. The next refresh drops it if it does not exist.
		resp.Diagnostics.Append(recordCreated(ctx, &resp.State, &plan)...)
		resp.Diagnostics.AddError(summary, err.Error()+"\n\nWhether libvirt defined the domain is unknown: it is kept in "+
			"the state as tainted, and the next apply replaces it, or creates it when it does not exist.")
		return
	}
	if err != nil {
		_ = r.deleteOverlays(ctx, &plan)
		resp.Diagnostics.AddError(summary, err.Error()+"\n\nCheck that the kernel, initrd and disk paths exist on the host and that the hypervisor type is offered there (see data.unikernel_host).")
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
	// A failure before the guest runs removes what was made. When the removal
	// cannot finish (the daemon is gone), the resource stays in the state.
	undo := func(why string, err error) {
		tflog.Debug(ctx, "undoing partial create", map[string]any{"step": why})
		cleanup := context.WithoutCancel(ctx)
		_ = c.StopDomain(cleanup, name, 0)
		r.releaseReservations(cleanup, name, plan.NetworkInterfaces)
		uerr := c.UndefineDomain(cleanup, name)
		_ = c.DeleteConsole(cleanup, r.data.Console, name)
		if uerr == nil {
			// Overlays go with the domain; a domain that stays in the state keeps
			// them until its destroy.
			_ = r.deleteOverlays(cleanup, &plan)
		}
		resp.Diagnostics.AddError(summary, fmt.Sprintf("%s: %s", why, err))
		if uerr == nil {
			kept = false
			resp.State.RemoveResource(ctx)
		}
	}
	info, err := c.ReadDomain(ctx, name)
	if err != nil {
		undo("reading the definition back failed", err)
		return
	}
	for i := range plan.NetworkInterfaces {
		if i < len(info.Spec.Interfaces) {
			plan.NetworkInterfaces[i].MAC = types.StringValue(info.Spec.Interfaces[i].MAC) // chosen by libvirt
		}
	}
	resp.Diagnostics.Append(recordCreated(ctx, &resp.State, &plan)...)
	if err := r.reserve(ctx, plan.NetworkInterfaces, info.Spec.Interfaces, nil); err != nil {
		undo("reserving interface addresses failed", err)
		return
	}
	if plan.Autostart.ValueBool() {
		if err := c.SetDomainAutostart(ctx, name, true); err != nil {
			undo("setting autostart failed", err)
			return
		}
	}
	if plan.Running.ValueBool() {
		if err := r.boot(ctx, &plan, "created"); err != nil {
			if hypervisor.IsNotFound(err) || !isGateError(err) {
				undo("starting the instance failed", err)
				return
			}
			// The guest runs but did not become ready: keep it in state (tainted), so
			// its console can be inspected and the next apply replaces it.
			resp.Diagnostics.AddError(summary, err.Error())
		}
	}
	plan.BootFormat = types.StringValue(bootFormat)
	if fp, err := r.imageFingerprint(ctx, &plan); err == nil {
		plan.ImagesFingerprint = types.StringValue(fp)
	}
	r.readBackToState(ctx, name, &plan, &resp.State, &resp.Diagnostics)
	setNameIdentity(ctx, resp.Identity, name, &resp.Diagnostics)
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
	redefine := restartDiffers(&plan, &state)
	// A replaced image keeps its path; its fingerprint tells that the instance
	// must restart to boot the new build.
	fp, err := r.imageFingerprint(ctx, &plan)
	if err != nil {
		resp.Diagnostics.AddError(summary, err.Error())
		return
	}
	imagesChanged := fp != state.ImagesFingerprint.ValueString() && !state.ImagesFingerprint.IsNull()
	if imagesChanged {
		tflog.Info(ctx, "an image of the instance changed; it will be redefined and restarted")
		redefine = true
	}
	plan.ImagesFingerprint = types.StringValue(fp)
	// A new base image needs a new overlay: the old one goes first, with the
	// guest stopped. The switch below boots it again.
	outdated, err := r.outdatedOverlays(ctx, &plan, &state, req.Private, imagesChanged)
	if err != nil {
		resp.Diagnostics.AddError(summary, err.Error())
		return
	}
	stopped := false
	if len(outdated) > 0 {
		redefine = true
	}
	if firmwareChanged(&plan, &state) {
		// The NVRAM file of the old firmware goes with the old definition, which
		// needs the guest stopped (hypervisor.Client.DefineDomain); the switch
		// below boots it again.
		if stopped, err = r.stopForFirmware(ctx, &plan, &state); err != nil {
			resp.Diagnostics.AddError(summary, err.Error())
			return
		}
	}
	// A restart-class change stops the guest before the new definition is
	// saved. An apply killed in between then leaves a stopped guest, which the
	// next plan sees (running) and the next apply defines and starts; never a
	// guest that runs the old definition while libvirt holds the new one, a
	// difference that no plan would show.
	if redefine && !stopped && plan.Running.ValueBool() && !plan.job() {
		if stopped, err = r.stopForRestart(ctx, &state); err != nil {
			resp.Diagnostics.AddError(summary, err.Error())
			return
		}
	}
	// The family lives in the definition's metadata: a change from generic,
	// made in place, is written there without a restart.
	if redefine || !plan.Description.Equal(state.Description) || !plan.Family.Equal(state.Family) {
		if err := c.EnsureConsolePool(ctx, r.data.Console); err != nil {
			resp.Diagnostics.AddError(summary, err.Error())
			return
		}
		if len(outdated) > 0 {
			tflog.Info(ctx, "a base image changed; the instance restarts on new copy-on-write disks", map[string]any{"overlays": outdated})
			ran, err := r.dropOverlays(ctx, &plan, outdated)
			if err != nil {
				resp.Diagnostics.AddError(summary, "Deleting the old copy-on-write disks failed: "+err.Error())
				return
			}
			stopped = stopped || ran
		}
		// A live-only change (description, family) leaves the disks alone.
		if err := r.createOverlaysIf(ctx, &plan, redefine); err != nil {
			msg := "Creating the copy-on-write disks failed: " + err.Error()
			if len(outdated) > 0 {
				msg += "\n\nThe instance is stopped and its old copy-on-write disks are deleted; the next apply creates the new ones and starts it."
			}
			resp.Diagnostics.AddError(summary, msg)
			return
		}
		spec := plan.toSpec(r.data.Console)
		spec.UUID = state.ID.ValueString()
		tflog.Debug(ctx, "redefining domain", map[string]any{"restart": redefine})
		if _, err := c.DefineDomain(ctx, spec); err != nil {
			msg := err.Error()
			if stopped {
				msg += "\n\nThe instance is stopped with its previous definition; the next apply defines and starts it."
			}
			resp.Diagnostics.AddError(summary, msg)
			return
		}
		info, err := c.ReadDomain(ctx, name)
		if err != nil {
			resp.Diagnostics.AddError(summary, err.Error())
			return
		}
		if err := r.reserve(ctx, plan.NetworkInterfaces, info.Spec.Interfaces, state.NetworkInterfaces); err != nil {
			resp.Diagnostics.AddError(summary, "Updating the interface address reservations failed: "+err.Error())
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
	current, err := c.DomainState(ctx, name)
	if err != nil {
		resp.Diagnostics.AddError(summary, err.Error())
		return
	}
	running := current == hypervisor.StateRunning || current == hypervisor.StatePaused || stopped
	switch {
	case plan.job():
		if err := r.updateJob(ctx, &plan, &state, redefine, running); err != nil {
			resp.Diagnostics.AddError(summary, err.Error())
		}
	case !plan.Running.ValueBool() && running:
		if err := c.StopDomain(ctx, name, plan.shutdownGrace()); err != nil {
			resp.Diagnostics.AddError(summary, err.Error())
			return
		}
	case plan.Running.ValueBool() && running && redefine:
		tflog.Info(ctx, "restarting instance to apply its new definition")
		if err := c.StopDomain(ctx, name, plan.shutdownGrace()); err != nil {
			resp.Diagnostics.AddError(summary, err.Error())
			return
		}
		if err := r.boot(ctx, &plan, "restarted by terraform to apply a new definition"); err != nil {
			resp.Diagnostics.AddError(summary, err.Error())
		}
	case plan.Running.ValueBool() && !running:
		if err := r.boot(ctx, &plan, "started"); err != nil {
			resp.Diagnostics.AddError(summary, err.Error())
		}
	}
	r.readBackToState(ctx, name, &plan, &resp.State, &resp.Diagnostics)
	setNameIdentity(ctx, resp.Identity, name, &resp.Diagnostics)
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
