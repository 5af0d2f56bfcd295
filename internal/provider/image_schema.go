package provider

import (
	"context"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/imageformat"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/oci"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/provider/validators"
)

const imageDescription = "An image in a storage pool: a unikernel kernel (multiboot, multiboot2, PVH ELF, Linux " +
	"bzImage) or a disk image (qcow2, raw, ISO), uploaded from a local file, an http(s) URL, or an OCI registry.\n\n" +
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
	"the state is kept unchecked, with a warning.\n\n" +
	"**OCI packages.** With `oci`, the image is one file of a package in a registry: a kraftkit package (current " +
	"tar layers or older raw layers), a urunc image (its `com.urunc.unikernel.*` annotations), or a plain " +
	"artifact as `oras push` makes it, told apart by media types and annotations. The kernel is taken unless " +
	"`oci.part` or `oci.file` says otherwise, and the platform of a multi-platform index is the libvirt host's. " +
	"A tag is resolved at every plan (once per distinct reference) and a moved tag replaces the image; a digest " +
	"reference plans without the registry. Every blob is verified against its digest before anything is written. " +
	"The package's command line, unikernel type, hypervisor and version are exposed as `oci_*` attributes. See " +
	"the guide \"Unikernels from a registry\"."

// Schema is longer than most functions here: it is one declarative list of
// attributes, which reads best whole.
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
				Optional: true,
				MarkdownDescription: "Where the bytes come from: a local file path, or an `http://` or `https://` URL " +
					"that the provider downloads (into a temporary file, removed afterwards). An `http://` URL needs " +
					"`sha256`. One of `source` and `oci` is set; only an imported image may have neither (it is kept as libvirt " +
					"holds it, and `-generate-config-out` writes it so). Changing it replaces the image, except right " +
					"after an import, where the first apply only records it (after checking that its bytes are the volume's).",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplaceIf(sourceChanged,
					"Changing the source replaces the image.", "Changing the source replaces the image.")},
			},
			"source_headers_wo": schema.MapAttribute{
				Optional: true, WriteOnly: true, Sensitive: true, ElementType: types.StringType,
				MarkdownDescription: "HTTP headers sent with the download of an `http://` or `https://` `source`, for " +
					"sources behind authentication: `{ Authorization = \"Bearer ${var.token}\" }`, or " +
					"`\"Basic ${base64encode(\"user:password\")}\"`. Write-only (Terraform 1.11 or later): the " +
					"values are never stored in the state or a plan, and can come from ephemeral values. They are sent " +
					"to the source's host only, never to a host it redirects to, and are used whenever the provider " +
					"downloads the source (at create and replacement); changing them alone changes nothing, so there " +
					"is no `source_headers_wo_version`. A password in the URL itself (`https://user:password@host/...`) " +
					"works too, but is stored in the state with `source`.",
			},
			"oci": ociSourceAttribute(),
			"oci_digest": ociComputedString("The digest that `oci.reference` resolved to when the image was pulled " +
				"(an index's or a manifest's), `sha256:<hex>`. A tag is resolved again at every plan: when it points " +
				"elsewhere, this attribute shows the old and the new digest and the image is replaced. Null without `oci`."),
			"oci_manifest_digest": ociComputedString("The digest of the manifest the file was taken from: the " +
				"platform's manifest when `oci_digest` is an index, else `oci_digest` itself."),
			"oci_platform": ociComputedString("The platform of that manifest as `os/arch` (kraftkit writes its " +
				"platform as the os, for example `qemu/x86_64`), or empty when the package names none."),
			"oci_layout": ociComputedString("How the package was read: `kraftkit`, `urunc` or `artifact` (see the " +
				"resource's description)."),
			"oci_selected": ociComputedString("What was taken from the package, for example `kernel (/unikraft/bin/kernel)` " +
				"or `file hello.qcow2`."),
			"oci_cmdline": ociComputedString("The command line the package asks for, empty when it names none: the " +
				"image configuration's `Cmd` for kraftkit packages (the application's arguments), urunc's `cmdline` " +
				"annotation (else the configuration's entrypoint and command). Use it as an instance's `cmdline`."),
			"oci_unikernel_type": ociComputedString("The unikernel family the package says it holds: urunc's " +
				"`unikernelType` (for example `unikraft`, `rumprun`, `mirage`), `unikraft` for kraftkit packages, " +
				"empty for artifacts."),
			"oci_hypervisor": ociComputedString("The hypervisor the package was built for: urunc's `hypervisor` " +
				"annotation, or kraftkit's platform (`qemu`, `xen`, `fc`); empty when it names none."),
			"oci_version": ociComputedString("The version the package states: `org.unikraft.image.version`, then " +
				"`org.opencontainers.image.version`, then `org.unikraft.kernel.version` for kraftkit packages; urunc's " +
				"`unikernelVersion`; `org.opencontainers.image.version` for artifacts."),
			"oci_annotations": schema.MapAttribute{
				Computed:    true,
				ElementType: types.StringType,
				MarkdownDescription: "The manifest's annotations (for urunc images also its annotations from the " +
					"configuration's labels or `/urunc.json`, with base64 values decoded). Null without `oci`.",
				PlanModifiers: []planmodifier.Map{mapplanmodifier.UseStateForUnknown()},
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

func ociComputedString(description string) schema.StringAttribute {
	return schema.StringAttribute{
		Computed:            true,
		MarkdownDescription: description,
		PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
	}
}

// platformPattern is oci.platform: os/arch or arch.
var platformPattern = regexp.MustCompile(`^([a-z0-9][a-z0-9._-]*/)?[a-z0-9][a-z0-9_-]*$`)

// ociChanged replaces the image when its OCI source changes, but not when the
// state has none yet (right after import).
func ociChanged(_ context.Context, req planmodifier.ObjectRequest, resp *objectplanmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = !req.StateValue.IsNull() && !req.PlanValue.IsUnknown() && !req.StateValue.Equal(req.PlanValue)
}

func ociSourceAttribute() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		Optional: true,
		PlanModifiers: []planmodifier.Object{objectplanmodifier.RequiresReplaceIf(ociChanged,
			"Changing the OCI source replaces the image.", "Changing the OCI source replaces the image.")},
		MarkdownDescription: "Pull the image from an OCI registry instead of `source` (see **OCI packages** above and the " +
			"guide \"Unikernels from a registry\"). The provider pulls on the machine that runs Terraform, verifies " +
			"every blob against its digest, keeps it in a blob cache, and streams the selected file into the pool, " +
			"also on remote hosts. Changing it replaces the image, except right after an import, where the first " +
			"apply only records it (after checking that the package's file is the volume's bytes).",
		Attributes: map[string]schema.Attribute{
			"reference": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "The package: `registry.example.com/team/app:1.4` (a tag, resolved at every plan), " +
					"or `registry.example.com/team/app@sha256:<digest>` (pinned: no registry call at plan). The " +
					"registry's host is always written out (`docker.io/library/...` for Docker Hub); a missing tag " +
					"means `latest`.",
				Validators: []validator.String{validators.OCIReference()},
			},
			"part": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Which part of the package to take: `kernel` (the default), `initrd`, `rootfs` or " +
					"`disk`. Conflicts with `file`.",
				Validators: []validator.String{stringvalidator.OneOf(oci.Parts()...),
					stringvalidator.ConflictsWith(path.MatchRelative().AtParent().AtName("file"))},
			},
			"file": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "A file to take instead of a part: a path inside the package's file system layers " +
					"(`/unikraft/bin/kernel`), or for artifacts and raw layers the file's name " +
					"(its `org.opencontainers.image.title`).",
				Validators: []validator.String{stringvalidator.LengthBetween(1, 4096)},
			},
			"platform": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "The platform to take from a multi-platform index, as `os/arch` or `arch` " +
					"(`x86_64` and `amd64`, `aarch64` and `arm64` are the same). Defaults to the libvirt host's " +
					"architecture (from its capabilities, not the machine that runs Terraform); where several " +
					"manifests match, the one for the provider's hypervisor (`qemu` or `kvm`, or `xen`) wins, then `linux`.",
				Validators: []validator.String{stringvalidator.RegexMatches(platformPattern,
					"must be os/arch or arch, for example linux/amd64, qemu/x86_64 or arm64")},
			},
		},
	}
}
