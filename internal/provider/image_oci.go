package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/opencontainers/go-digest"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/imageformat"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/oci"
)

// ociRefPath is the attribute OCI errors are reported on.
var ociRefPath = path.Root("oci").AtName("reference")

// ociSelection is what the image's oci block asks for, with the host's
// architecture and the provider's hypervisor for index entries.
func (r *ImageResource) ociSelection(ctx context.Context, m *ImageOCIModel) (oci.Selection, error) {
	ref, err := oci.ParseReference(m.Reference.ValueString())
	if err != nil {
		return oci.Selection{}, err
	}
	sel := oci.Selection{Reference: ref, Part: m.Part.ValueString(), File: m.File.ValueString(),
		Platform: m.Platform.ValueString()}
	if sel.Platform == "" {
		arch, err := r.data.hostArch(ctx)
		if err != nil {
			return oci.Selection{}, fmt.Errorf("reading the host's architecture from libvirt: %w", err)
		}
		sel.HostArch = arch
	}
	sel.PreferOS = []string{"qemu", "kvm", "linux"}
	if r.data.Hypervisor == "xen" {
		sel.PreferOS = []string{"xen", "linux"}
	}
	return sel, nil
}

// pullOCI pulls the package of m into the blob cache. pinned is the digest
// the plan resolved the reference to ("" to resolve it now).
func (r *ImageResource) pullOCI(ctx context.Context, m *ImageOCIModel, pinned string) (*oci.Package, error) {
	sel, err := r.ociSelection(ctx, m)
	if err != nil {
		return nil, err
	}
	tflog.Debug(ctx, "pulling OCI package", map[string]any{"reference": sel.Reference.String(), "pinned": pinned})
	pkg, err := r.data.OCI.Pull(ctx, sel, digest.Digest(pinned))
	if err != nil {
		return nil, err
	}
	tflog.Debug(ctx, "pulled OCI package", map[string]any{"reference": sel.Reference.String(), "digest": pkg.Digest.String(),
		"manifest": pkg.Manifest.String(), "layout": pkg.Layout, "selected": pkg.Taken, "sha256": pkg.File.SHA256,
		"size": pkg.File.Size})
	return pkg, nil
}

// addOCIError reports a failed resolve or pull on oci.reference, with
// advice that fits what went wrong.
func addOCIError(diags *diag.Diagnostics, summary string, err error, outcome string) {
	var pe *oci.Error
	kind := oci.ErrOther
	if errors.As(err, &pe) {
		kind = pe.Kind
	}
	advice := map[oci.ErrorKind]string{
		oci.ErrAuth: "The registry refused the credentials (or asked for some). Set them in the provider's `registries` " +
			"block, or log in with `docker login` / `oras login` so that the Docker configuration holds them.",
		oci.ErrNotFound: "Check the repository and the tag or digest, for example with `oras manifest fetch <reference>`.",
		oci.ErrTLS: "The registry's certificate could not be verified, or it does not speak https. For a private CA set " +
			"`ca_file` in the provider's `registries` entry for this registry; a registry that only speaks http needs " +
			"`plain_http = true` there.",
		oci.ErrUnreachable: "The registry did not answer, or stopped answering in the middle of a transfer (nothing of " +
			"it was kept). Check the address and that the registry runs, then apply again.",
		oci.ErrDigest: "A blob or manifest did not have the digest it was named by: the registry, a proxy or the " +
			"network changed the bytes. They were not kept in the blob cache.",
		oci.ErrContent: "See the guide \"Unikernels from a registry\" for the layouts the provider reads, and " +
			"`oci.part`, `oci.file` and `oci.platform` to choose what to take.",
	}[kind]
	detail := "oci.reference: " + err.Error() + "."
	if advice != "" {
		detail += "\n\n" + advice
	}
	if outcome != "" {
		detail += "\n\n" + outcome
	}
	diags.AddAttributeError(ociRefPath, summary, detail)
}

// planOCI resolves the reference at plan time (a tag once per plan, a
// digest without a registry call) and decides whether the image is replaced
// because its OCI source changed or its tag now names another digest.
func (r *ImageResource) planOCI(ctx context.Context, creating bool, plan, config, state *ImageResourceModel,
	diags *diag.Diagnostics, replaced func(string)) {
	if !known(plan.OCI.Reference) {
		plan.setOCIUnknown()
		return
	}
	ref, err := oci.ParseReference(plan.OCI.Reference.ValueString())
	if err != nil {
		return // ValidateConfig reports it
	}
	// Right after an import the state has neither source: Update checks that
	// the package's file is the volume's bytes and records it.
	recording := !creating && state.OCI == nil && state.Source.IsNull()
	changed := !creating && !recording && (state.OCI == nil || !ociSame(plan.OCI, state.OCI))
	switch {
	case creating, recording:
		plan.setOCIUnknown()
	case changed:
		plan.setOCIUnknown()
		plan.clearContent(config)
		replaced("oci")
	}
	if r.data == nil || r.data.OCI == nil {
		return
	}
	d, err := r.data.OCI.Resolve(ctx, ref)
	if err != nil {
		addOCIError(diags, fmt.Sprintf("Unable to plan image %q", plan.Name.ValueString()), err, "")
		return
	}
	if creating || recording || changed {
		plan.OCIDigest = types.StringValue(d.String())
		return
	}
	if was := state.OCIDigest.ValueString(); was != d.String() {
		tflog.Info(ctx, "OCI tag points to another digest, planning a replacement", map[string]any{
			"reference": ref.String(), "digest_state": was, "digest_now": d.String()})
		plan.setOCIUnknown()
		plan.OCIDigest = types.StringValue(d.String())
		plan.clearContent(config)
		replaced("oci_digest")
		diags.AddAttributeWarning(ociRefPath, fmt.Sprintf("Image %q will be replaced: %s moved", plan.Name.ValueString(), ref.String()),
			fmt.Sprintf("The tag now names %s; the image holds %s. The apply pulls the new build and replaces the "+
				"image (and the instances that use it). Pin the reference by digest to stay on a build.", d, was))
	}
}

// clearContent marks what the next upload decides as unknown, except what
// the configuration pins.
func (m *ImageResourceModel) clearContent(config *ImageResourceModel) {
	m.SHA256, m.Format, m.Boot, m.Size = types.StringUnknown(), types.StringUnknown(), types.StringUnknown(), types.Int64Unknown()
	if known(config.SHA256) {
		m.SHA256 = config.SHA256
	}
	if known(config.Format) {
		m.setFormat(imageformat.Format(config.Format.ValueString()))
	}
}

func ociSame(a, b *ImageOCIModel) bool {
	return a.Reference.Equal(b.Reference) && a.Part.Equal(b.Part) && a.File.Equal(b.File) && a.Platform.Equal(b.Platform)
}

// ociConfigError checks the oci block's combination: at most one source. An
// image without either is refused at plan (missingSource), unless it was
// imported and never had one.
// missingSourceMessage is the error of an image without source or oci that
// would have to be uploaded.
const missingSourceMessage = "Set `source` to a local file or an http(s) URL, or `oci` to a registry reference " +
	"such as `{ reference = \"registry.example.com/team/app:1.4\" }`."

func ociConfigError(cfg *ImageResourceModel) (path.Path, string) {
	if !cfg.Source.IsNull() && cfg.OCI != nil {
		return path.Root("oci"), "Set either `source` (a local file or an http(s) URL) or `oci` (a registry " +
			"reference), not both."
	}
	return path.Empty(), ""
}
