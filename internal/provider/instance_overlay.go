package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"path/filepath"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	tfpath "github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/imageformat"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/provider/validators"
)

// baseImageAttribute is disks[*].base_image.
func baseImageAttribute() schema.StringAttribute {
	return schema.StringAttribute{
		Optional: true,
		MarkdownDescription: "A `unikernel_image` id (raw or qcow2) to boot copy-on-write: the provider creates a qcow2 " +
			"overlay volume named `<instance name>-disk<index>.qcow2` in the image's pool, whose backing file is the image " +
			"with its format pinned in the overlay (never probed). The guest's writes go to the overlay only, so any number " +
			"of instances share one base image, which stays unchanged. The overlay is deleted with the instance. The disk's " +
			"`format` is `qcow2`. A new base image (another image, or the image rebuilt under the same id) restarts the " +
			"instance in place, with the same UUID, MACs and reserved addresses, on a fresh overlay: data written to the " +
			"old overlay is discarded. An imported instance whose disk is a qcow2 overlay on a volume of a storage pool " +
			"(made by this provider, or a `libvirt_volume` with a `base_volume_id` of the libvirt provider) reads back " +
			"with the backing volume as `base_image` and keeps its overlay, whatever its name, until the base image changes.",
		Validators: []validator.String{validators.AbsolutePath()},
	}
}

// overlayAttribute is disks[*].overlay.
func overlayAttribute() schema.StringAttribute {
	return schema.StringAttribute{
		Computed: true,
		MarkdownDescription: "Host path of the copy-on-write overlay of a `base_image` disk (null for other disks): " +
			"`<instance name>-disk<index>.qcow2` beside the base image for overlays this provider creates, or the overlay " +
			"an imported instance already had, which is kept as long as `base_image` stays the same. A new base image " +
			"plans the provider's own overlay name here.",
	}
}

// overlayName is the overlay volume of disk index of instance name.
func overlayName(name string, index int) string { return fmt.Sprintf("%s-disk%d.qcow2", name, index) }

// domainPath is the host path the domain uses for the disk: for
// copy-on-write disks the overlay it has (an adopted one keeps its own name),
// else the overlay the provider makes beside the base image (dir pools keep
// volumes as files named after them); for other disks the image or path.
func (d diskModel) domainPath(name string, index int) string {
	if b := d.BaseImage.ValueString(); b != "" {
		if o := d.Overlay; !o.IsNull() && !o.IsUnknown() && o.ValueString() != "" {
			return o.ValueString()
		}
		return newOverlayPath(b, name, index)
	}
	return d.source()
}

// newOverlayPath is where the provider creates the overlay of disk index of
// instance name on base.
func newOverlayPath(base, name string, index int) string {
	return filepath.Join(path.Dir(base), overlayName(name, index))
}

// planOverlays plans disks[*].overlay: a copy-on-write disk whose base image
// stays the same keeps the overlay it has (an adopted instance's may be named
// otherwise); a new base image gets the provider's own overlay beside it.
func planOverlays(plan, state *instanceModel) {
	name := plan.Name.ValueString()
	for i := range plan.Disks {
		d := &plan.Disks[i]
		switch {
		case d.BaseImage.IsUnknown() || plan.Name.IsUnknown():
			d.Overlay = types.StringUnknown()
		case d.BaseImage.IsNull():
			d.Overlay = types.StringNull()
		case state != nil && i < len(state.Disks) && state.Disks[i].BaseImage.Equal(d.BaseImage) &&
			known(state.Disks[i].Overlay) && state.Disks[i].Overlay.ValueString() != "":
			d.Overlay = state.Disks[i].Overlay
		default:
			d.Overlay = types.StringValue(newOverlayPath(d.BaseImage.ValueString(), name, i))
		}
	}
}

// adoptOverlays reads, at import, each qcow2 disk whose backing file is a
// volume of a storage pool as a copy-on-write disk on that volume: its
// base_image is the backing volume's key and its overlay the disk's file. So
// an instance made with base_image (by this provider under another state, or
// by the libvirt provider's overlay volumes) imports as it was written.
func (r *InstanceResource) adoptOverlays(ctx context.Context, m *instanceModel) {
	for i := range m.Disks {
		d := &m.Disks[i]
		if d.Path.IsNull() || d.Format.ValueString() != "qcow2" {
			continue
		}
		b, found, err := r.data.Client.VolumeBacking(ctx, d.Path.ValueString())
		if err != nil {
			tflog.Debug(ctx, "cannot read the backing store of a disk", map[string]any{"path": d.Path.ValueString(), "error": err.Error()})
			continue
		}
		if !found || b.Key == "" {
			continue // no backing file, or one that no pool holds: the disk stays a path
		}
		tflog.Info(ctx, "disk is a copy-on-write overlay of a pool volume", map[string]any{
			"disk": i, "overlay": d.Path.ValueString(), "base_image": b.Key, "pool": b.Pool})
		d.Overlay, d.BaseImage, d.Path = d.Path, types.StringValue(b.Key), types.StringNull()
	}
}

// isOverlayAt reports whether p is this disk's overlay for instance name.
func (d diskModel) isOverlayAt(name string, index int, p string) bool {
	return d.BaseImage.ValueString() != "" && d.domainPath(name, index) == p
}

// checkOverlayFormats refuses a configured format other than qcow2 on a
// copy-on-write disk: the disk is the overlay, whatever the base's format.
func checkOverlayFormats(ctx context.Context, config tfsdk.Config, diags *diag.Diagnostics) {
	var disks []diskModel
	if d := config.GetAttribute(ctx, tfpath.Root("disks"), &disks); d.HasError() {
		return
	}
	for i, d := range disks {
		if d.BaseImage.IsNull() || d.Format.IsNull() || d.Format.IsUnknown() || d.Format.ValueString() == "qcow2" {
			continue
		}
		diags.AddAttributeError(tfpath.Root("disks").AtListIndex(i).AtName("format"), "Overlay disks are qcow2",
			fmt.Sprintf("A disk with base_image is a qcow2 overlay; remove format = %q or set it to \"qcow2\". The base "+
				"image's own format is detected.", d.Format.ValueString()))
	}
}

// createOverlays creates the qcow2 overlay of every copy-on-write disk
// that has none. The base's format comes from its header, read through libvirt.
// Overlays it made before a failure are deleted again.
func (r *InstanceResource) createOverlays(ctx context.Context, m *instanceModel) (err error) {
	c := r.data.Client
	name := m.Name.ValueString()
	var made []hypervisor.VolumeInfo
	defer func() {
		if err == nil {
			return
		}
		for _, v := range made {
			_ = c.DeleteVolume(context.WithoutCancel(ctx), v.Pool, v.Name)
		}
	}()
	for i, d := range m.Disks {
		base := d.BaseImage.ValueString()
		if base == "" {
			continue
		}
		if _, err := c.LookupVolumeByKey(ctx, d.domainPath(name, i)); err == nil {
			continue // made before (an apply that failed later, or a redefinition)
		}
		vol, err := c.LookupVolumeByKey(ctx, base)
		if err != nil {
			return fmt.Errorf("disks[%d].base_image %s must be a volume of a storage pool (a unikernel_image id): %w", i, base, err)
		}
		var diags diag.Diagnostics
		res, found := r.detect(ctx, base, tfpath.Root("disks").AtListIndex(i), &diags)
		if diags.HasError() || !found {
			return fmt.Errorf("disks[%d].base_image %s could not be inspected", i, base)
		}
		format := "raw"
		if res.Format == imageformat.QCOW2 {
			format = "qcow2"
		}
		spec := hypervisor.OverlaySpec{Name: overlayName(name, i), BasePath: vol.Path, BaseFormat: format, Capacity: vol.Capacity}
		tflog.Debug(ctx, "creating overlay", map[string]any{"pool": vol.Pool, "volume": spec.Name, "base": base, "base_format": format})
		v, err := c.CreateOverlay(ctx, vol.Pool, spec)
		if err != nil {
			return fmt.Errorf("disks[%d].base_image: %w", i, err)
		}
		made = append(made, v)
	}
	return nil
}

// createOverlaysIf creates the missing overlays when the update redefines
// the instance (see createOverlays); a live-only update touches no disk.
func (r *InstanceResource) createOverlaysIf(ctx context.Context, m *instanceModel, redefine bool) error {
	if !redefine {
		return nil
	}
	return r.createOverlays(ctx, m)
}

// deleteOverlays deletes the overlays of the copy-on-write disks. A disk
// that was pointed elsewhere out of band (so that state no longer knows its
// base image) still has its overlay, named after the instance, beside it.
func (r *InstanceResource) deleteOverlays(ctx context.Context, m *instanceModel) error {
	c := r.data.Client
	name := m.Name.ValueString()
	for i, d := range m.Disks {
		p := d.domainPath(name, i)
		if d.BaseImage.ValueString() == "" {
			if d.source() == "" {
				continue
			}
			p = filepath.Join(path.Dir(d.source()), overlayName(name, i))
			if p == d.Volume.ValueString() {
				continue // a volume that happens to have an overlay's name is no overlay
			}
		}
		vol, err := c.LookupVolumeByKey(ctx, p)
		if hypervisor.IsNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		if err := c.DeleteVolume(ctx, vol.Pool, vol.Name); err != nil {
			return err
		}
	}
	return nil
}

// overlayBasesKey is the private state key of the builds the overlays were
// made on: the fingerprint of each copy-on-write disk's base image when its
// overlay was made, by the overlay's host path.
const overlayBasesKey = "overlay_bases"

// overlayBases fingerprints the base images of m's copy-on-write disks, by
// overlay path.
func (r *InstanceResource) overlayBases(ctx context.Context, m *instanceModel) (map[string]string, error) {
	out := map[string]string{}
	name := m.Name.ValueString()
	for i, d := range m.Disks {
		if d.BaseImage.ValueString() == "" {
			continue
		}
		fp, _, err := r.data.Client.VolumeFingerprint(ctx, d.BaseImage.ValueString(), false)
		if err != nil {
			return nil, err
		}
		out[d.domainPath(name, i)] = fp
	}
	return out, nil
}

// recordOverlayBases records the builds m's overlays are made on.
func (r *InstanceResource) recordOverlayBases(ctx context.Context, m *instanceModel, p privateSetter) diag.Diagnostics {
	bases, err := r.overlayBases(ctx, m)
	if err != nil {
		var diags diag.Diagnostics
		diags.AddWarning("Base images not recorded", "The builds of the copy-on-write disks' base images could not be "+
			"read; the next new build of a base image restarts the instance on fresh overlays: "+err.Error())
		return diags
	}
	var b []byte // none: the key goes
	if len(bases) > 0 {
		b, _ = json.Marshal(bases)
	}
	return p.SetKey(ctx, overlayBasesKey, b)
}

// backfillOverlayBases records the base builds of an instance whose private
// state has none (one made before they were recorded), while its images are
// still the builds the state knows.
func (r *InstanceResource) backfillOverlayBases(ctx context.Context, m *instanceModel, p interface {
	privateGetter
	privateSetter
}) {
	if b, d := p.GetKey(ctx, overlayBasesKey); d.HasError() || b != nil || m.ImagesFingerprint.ValueString() == "" {
		return
	}
	if bases, err := r.overlayBases(ctx, m); err != nil || len(bases) == 0 {
		return
	}
	if fp, err := r.imageFingerprint(ctx, m); err != nil || fp != m.ImagesFingerprint.ValueString() {
		return
	}
	if d := r.recordOverlayBases(ctx, m, p); d.HasError() {
		tflog.Debug(ctx, "base images not recorded", map[string]any{"error": fmt.Sprint(d)})
	}
}

// outdatedOverlays returns the host paths of the overlays that state has and
// the plan does not keep (see staleOverlays), from the base builds recorded
// in the private state and the current ones.
func (r *InstanceResource) outdatedOverlays(ctx context.Context, plan, state *instanceModel, p privateGetter, imagesChanged bool) ([]string, error) {
	var made map[string]string
	if b, d := p.GetKey(ctx, overlayBasesKey); !d.HasError() && b != nil {
		_ = json.Unmarshal(b, &made)
	}
	now, err := r.overlayBases(ctx, plan)
	if err != nil {
		return nil, err
	}
	return staleOverlays(plan, state, made, now, imagesChanged), nil
}

// staleOverlays returns the host paths of the overlays that state has and
// the plan does not keep: the disk is gone or no longer copy-on-write, its
// base image is another one, or the base image was rebuilt under the same id
// after the overlay was made (made and now are the base builds by overlay
// path, see overlayBases). imagesChanged (the images' fingerprint changed)
// decides for an overlay whose base build was never recorded.
func staleOverlays(plan, state *instanceModel, made, now map[string]string, imagesChanged bool) []string {
	name := state.Name.ValueString()
	var out []string
	for i, s := range state.Disks {
		if s.BaseImage.ValueString() == "" {
			continue
		}
		old := s.domainPath(name, i)
		keep := i < len(plan.Disks) && plan.Disks[i].BaseImage.Equal(s.BaseImage)
		if i < len(plan.Disks) && plan.Disks[i].BaseImage.IsNull() && plan.Disks[i].source() == old {
			continue // the overlay itself is attached now (by path, image or volume): it stays
		}
		if fp, ok := made[old]; keep && ok {
			keep = fp == now[old]
		} else if keep {
			keep = !imagesChanged
		}
		if !keep {
			out = append(out, old)
		}
	}
	return out
}

// dropOverlays stops the instance (gracefully, per shutdown_timeout) and
// deletes the overlays at paths. stopped tells whether it was running.
func (r *InstanceResource) dropOverlays(ctx context.Context, m *instanceModel, paths []string) (stopped bool, err error) {
	c := r.data.Client
	name := m.Name.ValueString()
	current, err := c.DomainState(ctx, name)
	if err != nil {
		return false, err
	}
	if current == hypervisor.StateRunning || current == hypervisor.StatePaused {
		tflog.Info(ctx, "stopping the instance to replace its copy-on-write disks")
		if err := c.StopDomain(ctx, name, m.shutdownGrace()); err != nil {
			return false, err
		}
		stopped = true
	}
	for _, p := range paths {
		vol, err := c.LookupVolumeByKey(ctx, p)
		if hypervisor.IsNotFound(err) {
			continue
		}
		if err == nil {
			tflog.Debug(ctx, "deleting overlay", map[string]any{"pool": vol.Pool, "volume": vol.Name})
			err = c.DeleteVolume(ctx, vol.Pool, vol.Name)
		}
		if err != nil {
			return stopped, err
		}
	}
	return stopped, nil
}
