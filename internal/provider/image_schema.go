package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/imageformat"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/provider/validators"
)

const imageDescription = "An image in a storage pool: a unikernel kernel (multiboot, multiboot2, PVH ELF, Linux " +
	"bzImage) or a disk image (qcow2, raw, ISO), uploaded from a local file or an http(s) URL.\n\n" +
	"The bytes are streamed through libvirt's volume upload API, so remote libvirt URIs work too, and memory " +
	"use stays the same whatever the image's size. The volume gets exactly the image's size. The SHA-256 is " +
	"checked before anything is created: a `sha256` that does not match fails the apply and nothing is left behind.\n\n" +
	"**Rollout.** For a local `source` the file is hashed at plan time: when its content differs from the " +
	"state, the plan shows a replacement, and instances that use the image's `id` follow. Changing `source`, " +
	"`sha256` or `format` also replaces the image. URLs are not downloaded at plan time; pin them with `sha256` " +
	"and change it to roll out a new build.\n\n" +
	"**Drift.** A refresh never downloads the image. It detects a volume deleted out of band (it is created " +
	"again) and a volume whose size changed (it is replaced). A change of content that keeps the size is not " +
	"detected: libvirt keeps no checksum or other metadata for volumes of dir pools. While the pool is stopped " +
	"the state is kept unchecked, with a warning."

func (r *ImageResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: imageDescription,
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "The volume's key, which for dir pools is its path on the host. Instances refer " +
					"to images by this value.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "The volume's name in the pool, which is also its file name: 1 to 128 characters " +
					"of `A-Z a-z 0-9 . _ -`, without `..`. Changing it replaces the image.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators: []validator.String{
					stringvalidator.LengthBetween(1, 128),
					validators.ImageName(),
				},
			},
			"pool": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Name of the storage pool, for example `unikernel_pool.images.name`. Changing it replaces the image.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:          []validator.String{validators.PoolName()},
			},
			"source": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Where the bytes come from: a local file path, or an `http://` or `https://` URL " +
					"that the provider downloads (into a temporary file, removed afterwards). An `http://` URL needs " +
					"`sha256`. Changing it replaces the image, except right after an import, where the first apply " +
					"only records it (after checking that its bytes are the volume's).",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplaceIf(sourceChanged,
					"Changing the source replaces the image.", "Changing the source replaces the image.")},
			},
			"sha256": schema.StringAttribute{
				Optional: true,
				Computed: true,
				MarkdownDescription: "The expected SHA-256 of the image in lowercase hex. When set and the bytes differ, " +
					"the plan (local files) or the apply (URLs) fails before anything is created, and the message shows " +
					"both digests. When not set, it is computed and stored. Changing it replaces the image.",
				PlanModifiers: []planmodifier.String{
					stringplanmodifier.UseStateForUnknown(),
					stringplanmodifier.RequiresReplaceIfConfigured(),
				},
				Validators: []validator.String{stringvalidator.RegexMatches(sha256Pattern,
					"must be a SHA-256 digest: 64 lowercase hexadecimal digits")},
			},
			"format": schema.StringAttribute{
				Optional: true,
				Computed: true,
				MarkdownDescription: "The image format: `multiboot`, `multiboot2`, `pvh`, `linux` (bzImage), `qcow2`, " +
					"`raw` or `iso`. When not set it is detected from magic numbers and headers only, in this order: " +
					"qcow2, linux, multiboot, pvh, multiboot2, iso, and raw for any other data (so an ELF that carries " +
					"both a multiboot header and a PVH note is `multiboot`, as QEMU would boot it; set `pvh` to choose " +
					"otherwise). A format that the headers do not support is refused. An ELF without a multiboot header " +
					"or PVH note is refused unless `raw` is set. A qcow2 image with a backing file or an external data " +
					"file is refused (libvirt's advice against images that name other files); `raw` stores such bytes " +
					"as an opaque disk. Changing it replaces the image.",
				PlanModifiers: []planmodifier.String{
					stringplanmodifier.UseStateForUnknown(),
					stringplanmodifier.RequiresReplaceIfConfigured(),
				},
				Validators: []validator.String{stringvalidator.OneOf(imageformat.Names()...)},
			},
			"boot": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "`kernel` for multiboot, multiboot2, pvh and linux images, which boot as an " +
					"instance's `kernel`; `disk` for qcow2, raw and iso images, which attach as disks.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"path": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The volume's path on the host.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"size": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "The image's size in bytes, which is the volume file's size on the host.",
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
		},
	}
}

// sourceChanged replaces the image when the source changes, but not when
// the state has no source yet (right after import).
func sourceChanged(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = !req.StateValue.IsNull() && !req.PlanValue.IsUnknown() && !req.StateValue.Equal(req.PlanValue)
}
