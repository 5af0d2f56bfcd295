package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/provider/validators"
)

const volumeDescription = "A data volume in a storage pool: a disk whose data outlives the instances that use it. It " +
	"is blank (a sparse `raw` file or an empty `qcow2` image of `size`), or a full copy of a `unikernel_image` " +
	"(`source_image`), which is not linked to the image afterwards, so the image may go later.\n\n" +
	"Attach it to instances through `disks[].volume` of `unikernel_instance`. Instances never delete it: it stays " +
	"when an instance that uses it is replaced or destroyed, and the next instance finds the data there.\n\n" +
	"**Growing.** A larger `size` grows the volume in place. When a running instance uses it, QEMU grows it " +
	"(`virDomainBlockResize`) and the guest sees the new size at once, without a restart; otherwise libvirt " +
	"resizes the file (`virStorageVolResize`). A smaller `size` is refused at plan: shrinking would cut off data. " +
	"A change of `pool`, `name` or `format` (or another `source_image`) replaces the volume, and the plan warns " +
	"that its data is lost.\n\n" +
	"**Drift.** A refresh reads the volume from libvirt: a volume deleted out of band is removed from the state " +
	"(and created again, blank, by the next apply), and a change of its size or format shows in `size`, `capacity` " +
	"and `format`. While the pool is stopped the state is kept unchecked, with a warning.\n\n" +
	"**Destroy.** Only the volume is deleted. A volume that a defined instance (running or not) still has among " +
	"its disks is not deleted: the error names the instance, and nothing is detached behind its back."

func (r *VolumeResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: volumeDescription,
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "The volume's key, which for dir pools is its path on the host. Instances attach " +
					"the volume by this value (`disks = [{ volume = unikernel_volume.data.id }]`).",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "The volume's name in the pool, which is also its file name: 1 to 128 characters " +
					"of `A-Z a-z 0-9 . _ -`, without `..`. Changing it replaces the volume (its data is lost).",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{stringvalidator.LengthBetween(1, 128), validators.ImageName()},
			},
			"pool": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Name of the storage pool, for example `unikernel_pool.data.name`. Changing it " +
					"replaces the volume (its data is lost).",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{validators.PoolName()},
			},
			"format": schema.StringAttribute{
				Optional: true,
				Computed: true,
				Default:  stringdefault.StaticString("raw"),
				MarkdownDescription: "`raw` (the default: a sparse file) or `qcow2`. A copy of an image in another " +
					"format is converted (a qcow2 image copied into a `raw` volume takes its virtual size). Changing it " +
					"replaces the volume (its data is lost)." + adoptedNote,
				PlanModifiers: []planmodifier.String{keepAdoptedString(), stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{stringvalidator.OneOf("raw", "qcow2")},
			},
			"size": schema.StringAttribute{
				Optional: true,
				Computed: true,
				MarkdownDescription: "The size the guest sees: a whole number of bytes (`\"1073741824\"`) or a whole " +
					"number with one of the units " + sizeUnitsText + ", for example `\"2GiB\"` or `\"500MB\"`; a space " +
					"before the unit is allowed. It must be a whole number of 512-byte sectors, and when the pool exists " +
					"at plan time, fit in its free space. Required for a blank volume; with `source_image` it defaults " +
					"to the image's size and must not be smaller. A larger value grows the volume in place (live for a " +
					"running instance); a smaller one is refused. A size changed outside Terraform shows here after a " +
					"refresh.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"source_image": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "A `unikernel_image` id (in any pool) to copy into the volume when it is created: " +
					"a full copy, not an overlay. Pointing it at another image replaces the volume (its data is lost). " +
					"Removing the attribute (for example when the image goes), setting it on an existing volume (after " +
					"an import) and a new build of the same image change nothing.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplaceIf(sourceImageChanged,
					"Setting another source image replaces the volume.", "Setting another source image replaces the volume.")},
				Validators: []validator.String{validators.AbsolutePath()},
			},
			"path": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The volume's path on the host.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"capacity": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "The size in bytes that the guest sees, as libvirt reports it.",
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
		},
	}
}

// sourceImageChanged replaces the volume when it is pointed at another
// image, but not when the image is removed or set where none was (after an
// import): the copy was made when the volume was created, and only a new
// copy can follow another image.
func sourceImageChanged(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = sourceImageReplaces(req.StateValue, req.PlanValue)
}

func sourceImageReplaces(state, plan types.String) bool {
	return !state.IsNull() && !plan.IsNull() && !plan.IsUnknown() && !state.Equal(plan)
}
