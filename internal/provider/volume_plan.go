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

// ValidateConfig checks what the configuration alone tells: the size's form.
func (r *VolumeResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var cfg VolumeResourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if known(cfg.Size) {
		if _, err := parseSize(cfg.Size.ValueString()); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("size"), "Invalid volume size", fmt.Sprintf("size %s.", err))
		}
	}
}

// ModifyPlan decides the capacity at plan time: the configured size, or the
// source image's. It refuses a smaller size than the volume has and a size
// past the pool's free space, and warns when a replacement loses data.
func (r *VolumeResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return // destroy, or provider not configured yet
	}
	var plan, config, state VolumeResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	creating := req.State.Raw.IsNull()
	if !creating {
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	name := plan.Name.ValueString()
	summary := fmt.Sprintf("Unable to plan volume %q", name)
	var want uint64 // the configured size in bytes; 0 when not set or not known
	if known(config.Size) {
		n, err := parseSize(config.Size.ValueString())
		if err != nil {
			return // ValidateConfig reports it
		}
		want = n
	}
	replacing := !creating && (!plan.Name.Equal(state.Name) || !plan.Pool.Equal(state.Pool) ||
		(!plan.Format.IsUnknown() && !plan.Format.Equal(state.Format)) || sourceImageReplaces(state.SourceImage, plan.SourceImage))
	fresh := creating || replacing
	if fresh && config.Size.IsNull() && config.SourceImage.IsNull() {
		// An existing volume keeps its size when both are left out (after an
		// import, or once the source image went); a new one needs one of them.
		resp.Diagnostics.AddAttributeError(path.Root("size"), "Missing volume size",
			"A blank volume needs a size, for example `size = \"2GiB\"`; or set source_image to copy an image.")
		return
	}
	if fresh {
		plan.ID, plan.Path = types.StringUnknown(), types.StringUnknown()
		plan.Capacity = types.Int64Unknown()
		if want > 0 {
			plan.Capacity = types.Int64Value(int64(want))
		} else if config.Size.IsNull() {
			plan.Size = types.StringUnknown()
		}
		if known(plan.SourceImage) && !r.planSourceImage(ctx, &plan, want, summary, &resp.Diagnostics) {
			return
		}
	}
	if replacing {
		warnVolumeReplaced(&plan, &state, &resp.Diagnostics)
	}
	if !fresh && config.Size.IsUnknown() {
		plan.Capacity = types.Int64Unknown() // Update checks the size once it is known
	}
	need := want // bytes the pool must have free
	if !fresh {
		var ok bool
		if need, ok = planGrowth(&plan, &state, config.Size.ValueString(), want, summary, &resp.Diagnostics); !ok {
			return
		}
	}
	if need > 0 && known(plan.Pool) && !replacing {
		r.checkFreeSpace(ctx, plan.Pool.ValueString(), need, want, &resp.Diagnostics)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// warnVolumeReplaced says that a replacement loses the volume's data, and why it happens.
func warnVolumeReplaced(plan, state *VolumeResourceModel, diags *diag.Diagnostics) {
	again := "blank"
	if !plan.SourceImage.IsNull() {
		again = "as a new copy of the image"
	}
	diags.AddWarning(fmt.Sprintf("Volume %q will be replaced: its data is lost", plan.Name.ValueString()),
		fmt.Sprintf("This plan deletes the volume %s (%s) and creates it again, %s, because %s changed. Whatever "+
			"instances wrote to it is lost. To keep the data, copy it out first, or undo the change.",
			state.Path.ValueString(), formatSize(uint64(state.Capacity.ValueInt64())), again,
			strings.Join(changedVolumeAttrs(plan, state), ", ")))
}

// planGrowth plans a new size (want bytes, 0 when not set or not known) of an existing volume: it
// may grow, never shrink. It returns the bytes the pool must have free.
func planGrowth(plan, state *VolumeResourceModel, size string, want uint64, summary string, diags *diag.Diagnostics) (uint64, bool) {
	if want == 0 {
		return 0, true
	}
	have := uint64(state.Capacity.ValueInt64())
	if want < have {
		diags.AddAttributeError(path.Root("size"), summary, fmt.Sprintf("size %s is %d bytes, but the "+
			"volume has %d bytes (%s). A volume cannot shrink: the data past the new end would be lost. Set size "+
			"to at least %q, or replace the volume (`terraform apply -replace=<address>`, which loses its data).",
			size, want, have, formatSize(have), formatSize(have)))
		return 0, false
	}
	plan.Capacity = types.Int64Value(int64(want))
	return want - have, true
}

// planSourceImage reads the source image: its size is the volume's when no
// size is set, and a set size must not be smaller. An image that does not
// exist yet (made in the same apply) is checked at create.
func (r *VolumeResource) planSourceImage(ctx context.Context, plan *VolumeResourceModel, want uint64, summary string, diags *diag.Diagnostics) bool {
	src := plan.SourceImage.ValueString()
	tflog.Debug(ctx, "reading source image", map[string]any{"source_image": src})
	img, err := r.data.Client.LookupVolumeByKey(ctx, src)
	switch {
	case hypervisor.IsNotFound(err):
		tflog.Debug(ctx, "source image not there yet; checked at create", map[string]any{"source_image": src})
		return true
	case err != nil:
		diags.AddAttributeError(path.Root("source_image"), summary, fmt.Sprintf("%s.\n\nCheck that libvirt answers.", err))
		return false
	}
	if want == 0 {
		plan.Size = types.StringValue(formatSize(img.Capacity))
		plan.Capacity = types.Int64Value(int64(img.Capacity))
		return true
	}
	if want < img.Capacity {
		diags.AddAttributeError(path.Root("size"), summary, fmt.Sprintf("size %s is %d bytes, but the source image %s "+
			"is %d bytes. Set size to at least that, or leave it out to take the image's size.",
			plan.Size.ValueString(), want, src, img.Capacity))
		return false
	}
	return true
}

// checkFreeSpace refuses a size the pool cannot hold, when the pool exists
// and runs (a pool made in the same apply is not checked).
func (r *VolumeResource) checkFreeSpace(ctx context.Context, pool string, need, want uint64, diags *diag.Diagnostics) {
	info, err := r.data.Client.ReadPool(ctx, pool)
	if err != nil || !info.Active {
		tflog.Debug(ctx, "pool not readable at plan time; free space not checked", map[string]any{"pool": pool})
		return
	}
	if need > info.Available {
		diags.AddAttributeError(path.Root("size"), fmt.Sprintf("Not enough space in pool %q", pool),
			fmt.Sprintf("size is %d bytes (%s) and needs %d more, but pool %q has %d bytes (%s) free. Choose a smaller "+
				"size or another pool, or free space in the pool (`virsh pool-info %s`).", want, formatSize(want), need,
				pool, info.Available, formatSize(info.Available), pool))
	}
}

// changedVolumeAttrs names the attributes whose change replaces the volume.
func changedVolumeAttrs(plan, state *VolumeResourceModel) []string {
	var out []string
	if !plan.Name.Equal(state.Name) {
		out = append(out, "name")
	}
	if !plan.Pool.Equal(state.Pool) {
		out = append(out, "pool")
	}
	if !plan.Format.Equal(state.Format) {
		out = append(out, "format")
	}
	if sourceImageReplaces(state.SourceImage, plan.SourceImage) {
		out = append(out, "source_image")
	}
	return out
}
