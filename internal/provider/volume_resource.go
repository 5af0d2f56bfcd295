package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

var (
	_ resource.ResourceWithConfigure      = &VolumeResource{}
	_ resource.ResourceWithImportState    = &VolumeResource{}
	_ resource.ResourceWithModifyPlan     = &VolumeResource{}
	_ resource.ResourceWithValidateConfig = &VolumeResource{}
)

// VolumeResource manages a data volume: a blank disk, or a full copy of an
// image, that instances attach through disks[].volume and never delete.
type VolumeResource struct {
	data *Data
}

// NewVolumeResource is the constructor registered with the provider.
func NewVolumeResource() resource.Resource { return &VolumeResource{} }

func (r *VolumeResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_volume"
}

func (r *VolumeResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerData(req.ProviderData, &resp.Diagnostics)
}

func (r *VolumeResource) configured(diags *diag.Diagnostics) bool {
	return configured(r.data, "unikernel_volume", diags)
}

// read refreshes the volume's facts into m (see fromVolume); name, pool and
// source_image stay as they are.
func (r *VolumeResource) read(ctx context.Context, m VolumeResourceModel) (VolumeResourceModel, error) {
	info, err := readStorageVolume(ctx, r.data.Client, m.Pool.ValueString(), m.Name.ValueString())
	if err != nil {
		return m, err
	}
	m.fromVolume(info)
	return m, nil
}

func (r *VolumeResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	if !r.configured(&resp.Diagnostics) {
		return
	}
	var plan VolumeResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c := r.data.Client
	pool, name := plan.Pool.ValueString(), plan.Name.ValueString()
	summary := fmt.Sprintf("Unable to create volume %q", name)
	ctx = tflog.SetField(ctx, "pool", pool)
	ctx = tflog.SetField(ctx, "volume", name)
	// The size the plan decided; unknown only when the source image was made
	// in the same apply, and then the image's own size or the configured one.
	want := uint64(plan.Capacity.ValueInt64())
	if plan.Capacity.IsUnknown() {
		want = 0
		if n, err := parseSize(plan.Size.ValueString()); err == nil && !plan.Size.IsUnknown() {
			want = n
		}
	}
	// A volume of this name left by a killed create (its sidecar marker in
	// flight, hypervisor/volume_sidecar.go) is deleted and made anew; any other is
	// refused.
	marker := createSidecar{data: r.data, kind: hypervisor.SidecarVolume, pool: pool, name: name, label: "storage volume", display: pool + "/" + name}
	if !marker.adopt(ctx, summary, func() error { _, err := c.ReadVolume(ctx, pool, name); return err },
		func() error { return c.DeleteVolume(ctx, pool, name) }, &resp.Diagnostics) {
		return
	}
	end, ok := marker.begin(ctx, volumeCreateDeadline, summary, &resp.Diagnostics)
	if !ok {
		return
	}
	defer end()
	var err error
	if src := plan.SourceImage.ValueString(); src != "" {
		tflog.Debug(ctx, "copying image into storage volume", map[string]any{"source_image": src, "format": plan.Format.ValueString()})
		var info hypervisor.VolumeInfo
		info, err = c.CloneVolume(ctx, pool, plan.spec(0), src)
		if err == nil && want > info.Capacity {
			tflog.Debug(ctx, "growing the copy", map[string]any{"from": info.Capacity, "to": want})
			if err = c.ResizeVolume(ctx, pool, name, want); err != nil {
				if derr := c.DeleteVolume(context.WithoutCancel(ctx), pool, name); derr != nil {
					err = fmt.Errorf("%w (removing the copy failed too: %w)", err, derr)
				}
			}
		}
		if err == nil && want != 0 && want < info.Capacity {
			err = fmt.Errorf("the image is %d bytes, more than size %s", info.Capacity, plan.Size.ValueString())
			_ = c.DeleteVolume(context.WithoutCancel(ctx), pool, name)
			resp.Diagnostics.AddAttributeError(path.Root("size"), summary, fmt.Sprintf("%s.\n\nNothing was created. "+
				"Set size to at least %d bytes, or leave it out to take the image's size.", err, info.Capacity))
			return
		}
	} else {
		tflog.Debug(ctx, "creating storage volume", map[string]any{"capacity": want, "format": plan.Format.ValueString()})
		_, err = c.CreateDataVolume(ctx, pool, plan.spec(want))
	}
	if err != nil {
		if hypervisor.IsNotFound(err) && plan.SourceImage.ValueString() != "" && strings.Contains(err.Error(), plan.SourceImage.ValueString()) {
			resp.Diagnostics.AddAttributeError(path.Root("source_image"), summary, fmt.Sprintf("%s.\n\nNothing was "+
				"created. source_image must be the id of a unikernel_image (a volume's key).", err))
			return
		}
		resp.Diagnostics.AddError(summary, createVolumeHint(err, pool, name))
		return
	}
	state, err := r.read(ctx, plan)
	if err != nil {
		resp.Diagnostics.AddError(summary, fmt.Sprintf("The volume was created, but reading it back failed: %s.", err))
		resp.Diagnostics.Append(recordCreated(ctx, &resp.State, &plan)...)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	setImageIdentity(ctx, resp.Identity, pool, name, &resp.Diagnostics)
}

func (r *VolumeResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	if !r.configured(&resp.Diagnostics) {
		return
	}
	var prior VolumeResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	pool, name := prior.Pool.ValueString(), prior.Name.ValueString()
	setImageIdentity(ctx, resp.Identity, pool, name, &resp.Diagnostics)
	state, err := r.read(ctx, prior)
	if !volumeKind.keepReading(ctx, err, pool, name, resp) {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Update grows the volume, and records a new spelling of size or a
// source_image removed or set after an import (other changes replace it).
func (r *VolumeResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if !r.configured(&resp.Diagnostics) {
		return
	}
	var plan, state VolumeResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	pool, name := state.Pool.ValueString(), state.Name.ValueString()
	summary := fmt.Sprintf("Unable to update volume %q", name)
	ctx = tflog.SetField(ctx, "pool", pool)
	ctx = tflog.SetField(ctx, "volume", name)
	want, have := uint64(plan.Capacity.ValueInt64()), uint64(state.Capacity.ValueInt64())
	if plan.Capacity.IsUnknown() {
		// The size was not known at plan time (it comes from another resource).
		n, err := parseSize(plan.Size.ValueString())
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("size"), summary, fmt.Sprintf("size %s.", err))
			return
		}
		if n < have {
			resp.Diagnostics.AddAttributeError(path.Root("size"), summary, fmt.Sprintf("size %s is %d bytes, but the "+
				"volume has %d bytes (%s). A volume cannot shrink. Nothing was changed.", plan.Size.ValueString(), n, have,
				formatSize(have)))
			return
		}
		want = n
	}
	if want > have {
		if err := r.grow(ctx, state, want); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("size"), summary, err.Error()+".")
			return
		}
	}
	state.Size, state.SourceImage = plan.Size, plan.SourceImage
	newState, err := r.read(ctx, state)
	if err != nil {
		resp.Diagnostics.AddError(summary, fmt.Sprintf("Reading the volume back failed: %s.", err))
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &newState)...)
	setImageIdentity(ctx, resp.Identity, pool, name, &resp.Diagnostics)
}

// grow gives the volume capacity bytes. A running domain that uses it holds
// the image open: QEMU then grows it (libvirt's own resize would race with
// the guest's writes, and qemu-img cannot take a qcow2 image QEMU holds), and
// the guest sees the new size at once. Otherwise libvirt resizes the file.
func (r *VolumeResource) grow(ctx context.Context, state VolumeResourceModel, capacity uint64) error {
	c := r.data.Client
	pool, name, p := state.Pool.ValueString(), state.Name.ValueString(), state.Path.ValueString()
	users, err := c.VolumeUsers(ctx, p)
	if err != nil {
		return fmt.Errorf("%w.\n\nNothing was changed. Check that libvirt answers, then apply again", err)
	}
	live := 0
	for _, u := range users {
		if !u.Running {
			continue
		}
		tflog.Info(ctx, "growing a volume that a running domain uses, live", map[string]any{"domain": u.Domain,
			"target": u.Target, "capacity": capacity})
		if err := c.BlockResize(ctx, u.Domain, p, capacity); err != nil {
			return fmt.Errorf("%w.\n\nInstance %q runs with the volume as %s; QEMU could not grow it. Stop the instance "+
				"(running = false), then apply again", err, u.Domain, u.Target)
		}
		live++
	}
	if live > 0 {
		return nil
	}
	tflog.Debug(ctx, "resizing storage volume", map[string]any{"capacity": capacity})
	if err := c.ResizeVolume(ctx, pool, name, capacity); err != nil {
		return fmt.Errorf("%w.\n\nCheck the pool's free space (`virsh pool-info %s`), then apply again", err, pool)
	}
	return nil
}

func (r *VolumeResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	if !r.configured(&resp.Diagnostics) {
		return
	}
	var state VolumeResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c := r.data.Client
	pool, name := state.Pool.ValueString(), state.Name.ValueString()
	summary := fmt.Sprintf("Unable to delete volume %q", name)
	if p := state.Path.ValueString(); p != "" {
		users, err := c.VolumeUsers(ctx, p)
		if err != nil {
			resp.Diagnostics.AddError(summary, fmt.Sprintf("%s.\n\nNothing was deleted: whether an instance still uses "+
				"the volume could not be checked. Check that libvirt answers, then destroy again.", err))
			return
		}
		if len(users) > 0 {
			resp.Diagnostics.AddError(summary, fmt.Sprintf("The volume is attached to %s.\n\nNothing was deleted, and "+
				"nothing was detached. Remove the volume from the instance's disks (or destroy the instance) first, "+
				"then destroy the volume.", describeUsers(users)))
			return
		}
	}
	volumeKind.delete(ctx, c, pool, name, &resp.Diagnostics)
}

// describeUsers names the domains that use a volume: `instance "a"
// (running, as vdb)`.
func describeUsers(users []hypervisor.VolumeUser) string {
	var parts []string
	for _, u := range users {
		st := "defined, not running"
		if u.Running {
			st = "running"
		}
		mode := ""
		if u.ReadOnly {
			mode = " read-only"
		}
		parts = append(parts, fmt.Sprintf("instance %q (%s, as%s %s)", u.Domain, st, mode, u.Target))
	}
	return strings.Join(parts, ", ")
}

// ImportState takes `pool/name` (or the identity's pool and name).
func (r *VolumeResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if !r.configured(&resp.Diagnostics) {
		return
	}
	id := importID(ctx, req, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	pool, name, info, ok := volumeKind.importVolume(ctx, r.data.Client, id, &resp.Diagnostics)
	if !ok {
		return
	}
	m := VolumeResourceModel{Name: types.StringValue(name), Pool: types.StringValue(pool), SourceImage: types.StringNull(),
		Size: types.StringNull()}
	m.fromVolume(info)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
	setImageIdentity(ctx, resp.Identity, pool, name, &resp.Diagnostics)
	resp.Diagnostics.Append(markAdopted(ctx, resp.Private)...)
}
