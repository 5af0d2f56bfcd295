package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// ModifyPlan checks the instance against the host at plan time and computes
// what the plan can know: defaults, boot and disk formats, the command line.
func (r *InstanceResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return // destroy, or provider not configured yet
	}
	var plan instanceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if plan.Kernel.IsNull() && len(plan.Disks) == 0 {
		resp.Diagnostics.AddAttributeError(path.Root("kernel"), "Nothing to boot",
			"Set `kernel` (a unikernel_image id or a host path) for direct kernel boot, or `disks` to boot from the first disk.")
		return
	}
	var state *instanceModel
	if !req.State.Raw.IsNull() {
		state = &instanceModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
	}
	if state == nil || !state.Memory.Equal(plan.Memory) || !state.VCPUs.Equal(plan.VCPUs) {
		r.checkCapacity(ctx, &plan, &resp.Diagnostics)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	if plan.Hypervisor.IsUnknown() {
		plan.Hypervisor = types.StringValue(r.data.Hypervisor)
	}
	r.planFamilyDefaults(ctx, req, &plan, state, &resp.Diagnostics)
	if r.planPlatform(ctx, req, &plan, state, &resp.Diagnostics); resp.Diagnostics.HasError() {
		return
	}
	if state != nil {
		keepInterfaceIdentity(&plan, state)
	}
	planOverlays(&plan, state)
	if imagesKnown(&plan) && !r.planImages(ctx, &plan, state, &resp.Diagnostics) {
		return
	}
	if r.checkQEMUAccess(ctx, &plan, state, &resp.Diagnostics); resp.Diagnostics.HasError() {
		return
	}
	if checkFirmwareBootFormat(&plan, &resp.Diagnostics); resp.Diagnostics.HasError() {
		return
	}
	r.checkVolumes(ctx, &plan, planSelf(ctx, req, resp, state), &resp.Diagnostics)
	r.planBootCmdline(ctx, &plan, state, &resp.Diagnostics)
	adopted := state != nil && isAdopted(ctx, req.Private)
	if adopted {
		r.checkConsoleGate(&plan, &resp.Diagnostics)
	}
	planShutdownTimeout(ctx, req, &plan, adoptedState(adopted, state), &resp.Diagnostics)
	planACPI(ctx, req, &plan, adoptedState(adopted, state), &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if state != nil {
		plan = settleNoChange(plan, state)
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// planImages fingerprints the images the instance boots and, when they
// changed, inspects them (checkBootImages), so that the boot format and
// detected disk formats show in the plan; false after an error.
func (r *InstanceResource) planImages(ctx context.Context, plan, state *instanceModel, diags *diag.Diagnostics) bool {
	// During apply Terraform plans again once image ids are known; a new
	// fingerprint then keeps the update (and its restart) in the plan.
	fp, err := r.imageFingerprint(ctx, plan)
	if err != nil {
		diags.AddError("Unable to inspect the instance's images", err.Error())
		return false
	}
	rebuilt := state == nil || fp != state.ImagesFingerprint.ValueString()
	if !rebuilt && sameImages(plan, state) {
		// The same builds as before: what was detected then still holds.
		plan.BootFormat = state.BootFormat
		for i := range plan.Disks {
			if plan.Disks[i].Format.IsUnknown() {
				plan.Disks[i].Format = state.Disks[i].Format
			}
		}
	} else {
		// Inspect the images that change now, so that a kernel that cannot
		// boot or a disk that is refused fails the plan, and detected disk
		// formats and the boot format show in it.
		bootFormat, ok := r.checkBootImages(ctx, plan, imageChanges{prior: state, rebuilt: rebuilt}, diags)
		if !ok {
			return false
		}
		plan.BootFormat = types.StringValue(bootFormat)
	}
	plan.ImagesFingerprint = types.StringValue(fp)
	return true
}

// settleNoChange returns the plan with the state's values of the read-only
// attributes it left unknown (the run state, the interfaces' addresses), when
// with them the plan changes nothing. Terraform's plan marks those unknown
// as soon as a default differs from state, before the plan modifiers give an
// adopted instance back what libvirt holds (keepAdopted); once every planned
// value is the state's again, nothing is applied and they cannot change.
func settleNoChange(plan instanceModel, state *instanceModel) instanceModel {
	c := plan
	if c.State.IsUnknown() {
		c.State = state.State
	}
	if len(c.NetworkInterfaces) == len(state.NetworkInterfaces) {
		c.NetworkInterfaces = slices.Clone(c.NetworkInterfaces)
		for i := range c.NetworkInterfaces {
			if c.NetworkInterfaces[i].IPv4Addresses.IsUnknown() {
				c.NetworkInterfaces[i].IPv4Addresses = state.NetworkInterfaces[i].IPv4Addresses
			}
		}
	}
	if reflect.DeepEqual(c, *state) {
		return c
	}
	return plan
}

// checkConsoleGate refuses wait_for.console on an adopted instance whose console is
// not logged into the provider's console pool (an imported domain that logs
// to a file of its own, or not at all): the gate reads the pool's log, where
// that guest never writes.
func (r *InstanceResource) checkConsoleGate(plan *instanceModel, diags *diag.Diagnostics) {
	if plan.WaitFor == nil || !known(plan.WaitFor.Console) || plan.ConsoleLog.IsUnknown() || plan.Name.IsUnknown() {
		return
	}
	own := r.data.Console.LogPath(plan.Name.ValueString())
	if plan.ConsoleLog.ValueString() == own {
		return
	}
	where := "does not log its serial console"
	if !plan.ConsoleLog.IsNull() {
		where = fmt.Sprintf("logs its serial console to %s", plan.ConsoleLog.ValueString())
	}
	diags.AddAttributeError(path.Root("wait_for").AtName("console"), "Console gate on a console the provider does not log",
		fmt.Sprintf("This imported domain %s, outside the provider's console pool, where wait_for.console reads (%s). "+
			"Remove wait_for.console (wait_for.ipv4 or wait_for.tcp_port work on any guest), or recreate the instance "+
			"with the provider so that its console is logged there.", where, own))
}

// adoptedState is state when the instance is adopted (imported), else nil:
// the defaults of attributes the configuration leaves unset then give way to
// what libvirt holds, which state has.
func adoptedState(adopted bool, state *instanceModel) *instanceModel {
	if adopted {
		return state
	}
	return nil
}

// planACPI fills in an unset acpi with its default, true (null on Xen, whose
// domain types decide ACPI themselves), or on an adopted instance (adopted is
// its state) with what the domain has, and refuses acpi = false where
// something needs ACPI.
func planACPI(ctx context.Context, req resource.ModifyPlanRequest, plan, adopted *instanceModel, diags *diag.Diagnostics) {
	var configured types.Bool
	diags.Append(req.Config.GetAttribute(ctx, path.Root("acpi"), &configured)...)
	if plan.Hypervisor.ValueString() == "xen" {
		if configured.IsNull() {
			plan.ACPI = types.BoolNull()
		}
		return
	}
	if configured.IsNull() && adopted != nil && known(adopted.ACPI) && plan.Hypervisor.Equal(adopted.Hypervisor) {
		plan.ACPI = adopted.ACPI
		if !plan.ACPI.ValueBool() && plan.job() {
			diags.AddAttributeWarning(path.Root("acpi"), "ACPI is off on this imported domain",
				"A job (`mode = \"job\"`) powers itself off through ACPI, and the domain has none. Set `acpi = true`: the "+
					"update turns ACPI on and restarts the instance.")
		}
		return
	}
	if configured.IsNull() {
		plan.ACPI = types.BoolValue(true)
		return
	}
	if configured.IsUnknown() || configured.ValueBool() {
		return
	}
	switch {
	case plan.job():
		diags.AddAttributeError(path.Root("acpi"), "ACPI needed", "A job (`mode = \"job\"`) powers itself off through ACPI: "+
			"remove `acpi = false`.")
	case !plan.OnPoweroff.IsUnknown() && plan.OnPoweroff.ValueString() != "destroy":
		diags.AddAttributeError(path.Root("acpi"), "ACPI needed", fmt.Sprintf("`on_poweroff = %q` acts when the guest powers "+
			"itself off, which it does through ACPI: remove `acpi = false`.", plan.OnPoweroff.ValueString()))
	case !plan.ShutdownTimeout.IsUnknown() && plan.shutdownGrace() > 0:
		diags.AddAttributeError(path.Root("acpi"), "ACPI needed", fmt.Sprintf("A graceful shutdown (`shutdown_timeout = %q`) "+
			"presses the ACPI power button: set `shutdown_timeout = \"0s\"` or remove `acpi = false`.", plan.ShutdownTimeout.ValueString()))
	}
}

// planShutdownTimeout fills in an unset shutdown_timeout from the boot format
// (see defaultShutdownTimeout), or leaves it unknown until Create has
// detected the format.
func planShutdownTimeout(ctx context.Context, req resource.ModifyPlanRequest, plan, adopted *instanceModel, diags *diag.Diagnostics) {
	var configured types.String
	diags.Append(req.Config.GetAttribute(ctx, path.Root("shutdown_timeout"), &configured)...)
	if !configured.IsNull() {
		return
	}
	if adopted != nil && known(adopted.ShutdownTimeout) && plan.BootFormat.Equal(adopted.BootFormat) {
		plan.ShutdownTimeout = adopted.ShutdownTimeout // what import chose for the domain's boot format
		return
	}
	if plan.BootFormat.IsUnknown() || plan.BootFormat.IsNull() {
		plan.ShutdownTimeout = types.StringUnknown()
		return
	}
	plan.ShutdownTimeout = types.StringValue(defaultShutdownTimeout(plan.BootFormat.ValueString()))
}

// keepInterfaceIdentity gives each planned interface the MAC (and model) it
// had before: an interface with a configured MAC matches the prior interface
// with that MAC; one without matches the prior interface on the same network,
// first at the same position, then any other unclaimed one, and last the
// unclaimed interface at its position. So removing or reordering interfaces
// keeps each MAC with its network, and an added interface stays unknown for
// libvirt to choose.
func keepInterfaceIdentity(plan, state *instanceModel) {
	claimed := map[string]bool{}
	take := func(n *nicModel, s nicModel) {
		claimed[s.MAC.ValueString()] = true
		n.MAC = s.MAC
		if n.Model.IsUnknown() {
			n.Model = s.Model
		}
	}
	for i := range plan.NetworkInterfaces {
		n := &plan.NetworkInterfaces[i]
		if n.MAC.IsUnknown() {
			continue
		}
		for _, s := range state.NetworkInterfaces {
			if strings.EqualFold(s.MAC.ValueString(), n.MAC.ValueString()) {
				take(n, s)
			}
		}
		claimed[strings.ToLower(n.MAC.ValueString())] = true
	}
	fits := func(n *nicModel, s nicModel) bool {
		return n.MAC.IsUnknown() && s.MAC.ValueString() != "" && !claimed[s.MAC.ValueString()] && n.Network.Equal(s.Network)
	}
	for i := range plan.NetworkInterfaces {
		if i < len(state.NetworkInterfaces) && fits(&plan.NetworkInterfaces[i], state.NetworkInterfaces[i]) {
			take(&plan.NetworkInterfaces[i], state.NetworkInterfaces[i])
		}
	}
	for i := range plan.NetworkInterfaces {
		for _, s := range state.NetworkInterfaces {
			if fits(&plan.NetworkInterfaces[i], s) {
				take(&plan.NetworkInterfaces[i], s)
				break
			}
		}
	}
	// Last, an interface whose network was changed (in the configuration or
	// out of band) keeps the MAC of its position if no other interface took it.
	for i := range plan.NetworkInterfaces {
		n := &plan.NetworkInterfaces[i]
		if i < len(state.NetworkInterfaces) && n.MAC.IsUnknown() {
			if s := state.NetworkInterfaces[i]; s.MAC.ValueString() != "" && !claimed[s.MAC.ValueString()] {
				take(n, s)
			}
		}
	}
}

// imageFingerprint identifies the content of every image the instance boots
// from (kernel, initrd, disks) that is a storage volume, from libvirt's
// volume metadata, as a short digest. Host paths outside pools do not count.
// A disk the guest writes to (attached writable, not through base_image)
// counts without its modification time, which the guest's writes change.
// Volumes (disks[].volume) are data, not builds, and do not count: growing
// one must not restart the instance.
func (r *InstanceResource) imageFingerprint(ctx context.Context, m *instanceModel) (string, error) {
	paths := []string{m.Kernel.ValueString(), m.Initrd.ValueString()}
	writable := []bool{false, false}
	for _, d := range m.Disks {
		if d.Volume.ValueString() != "" {
			continue
		}
		paths = append(paths, d.source())
		writable = append(writable, !d.ReadOnly.ValueBool() && d.BaseImage.ValueString() == "")
	}
	h := sha256.New()
	for i, p := range paths {
		if p == "" {
			continue
		}
		fp, found, err := r.data.Client.VolumeFingerprint(ctx, p, writable[i])
		if err != nil {
			return "", err
		}
		if found {
			fmt.Fprintf(h, "%s\x00%s\x00", p, fp)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// sameImages reports whether the plan boots the same kernel, initrd and disks
// (by path, and by format where the configuration sets one) as state.
func sameImages(plan, state *instanceModel) bool {
	if !plan.Kernel.Equal(state.Kernel) || !plan.Initrd.Equal(state.Initrd) || len(plan.Disks) != len(state.Disks) {
		return false
	}
	for i, d := range plan.Disks {
		if d.source() != state.Disks[i].source() || !d.BaseImage.Equal(state.Disks[i].BaseImage) || !d.Volume.Equal(state.Disks[i].Volume) ||
			(!d.Format.IsUnknown() && !d.Format.Equal(state.Disks[i].Format)) {
			return false
		}
	}
	return true
}

// diskFormatsKnown reports whether every disk's format is known.
func diskFormatsKnown(m *instanceModel) bool {
	for _, d := range m.Disks {
		if !known(d.Format) {
			return false
		}
	}
	return true
}

// imagesKnown reports whether every kernel, initrd and disk path (and whether
// the disk is writable) is known at plan time.
func imagesKnown(m *instanceModel) bool {
	if m.Kernel.IsUnknown() || m.Initrd.IsUnknown() {
		return false
	}
	for _, d := range m.Disks {
		if d.Image.IsUnknown() || d.Path.IsUnknown() || d.BaseImage.IsUnknown() || d.Volume.IsUnknown() || d.ReadOnly.IsUnknown() {
			return false
		}
	}
	return true
}

// checkCapacity bounds memory and vCPUs by what the host has.
func (r *InstanceResource) checkCapacity(ctx context.Context, plan *instanceModel, diags *diag.Diagnostics) {
	if plan.Memory.IsUnknown() && plan.VCPUs.IsUnknown() {
		return
	}
	mem, cpus, err := r.data.Client.HostCapacity(ctx)
	if err != nil {
		tflog.Warn(ctx, "cannot read host capacity for plan-time checks", map[string]any{"error": err.Error()})
		return
	}
	if !plan.Memory.IsUnknown() && plan.Memory.ValueInt64() > mem {
		diags.AddAttributeError(path.Root("memory"), "Not enough host memory",
			fmt.Sprintf("memory = %d MiB, but the host has %d MiB in total. Use at most %d.", plan.Memory.ValueInt64(), mem, mem))
	}
	if !plan.VCPUs.IsUnknown() && plan.VCPUs.ValueInt64() > cpus {
		diags.AddAttributeError(path.Root("vcpus"), "More vCPUs than host CPUs",
			fmt.Sprintf("vcpus = %d, but the host has %d CPUs. Use at most %d.", plan.VCPUs.ValueInt64(), cpus, cpus))
	}
}
