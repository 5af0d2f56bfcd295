package provider

import (
	"context"
	"fmt"
	"path"
	"path/filepath"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	tfpath "github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
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
			"`format` is `qcow2`. Changing it forces a new instance.",
		PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplaceIf(baseImageChanged,
			"A new base image needs a new overlay: the instance is replaced.",
			"A new base image needs a new overlay: the instance is replaced.")},
		Validators: []validator.String{validators.AbsolutePath()},
	}
}

// baseImageChanged replaces the instance when the configured base image
// changes. A disk that was pointed elsewhere out of band reads back without
// a base image; that drift is repaired in place, onto the same overlay.
func baseImageChanged(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = !req.StateValue.IsNull() && !req.PlanValue.Equal(req.StateValue)
}

// overlayName is the overlay volume of disk index of instance name.
func overlayName(name string, index int) string { return fmt.Sprintf("%s-disk%d.qcow2", name, index) }

// domainPath is the host path the domain uses for the disk: the overlay
// beside the base image for copy-on-write disks (dir pools keep volumes as
// files named after them), else the image or path.
func (d diskModel) domainPath(name string, index int) string {
	if b := d.BaseImage.ValueString(); b != "" {
		return filepath.Join(path.Dir(b), overlayName(name, index))
	}
	return d.source()
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

// createOverlays creates the qcow2 overlay of every copy-on-write disk.
// The base's format comes from its header, read through libvirt.
func (r *InstanceResource) createOverlays(ctx context.Context, m *instanceModel) error {
	c := r.data.Client
	name := m.Name.ValueString()
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
		if _, err := c.CreateOverlay(ctx, vol.Pool, spec); err != nil {
			return err
		}
	}
	return nil
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
