package provider

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"os"
	"regexp"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/imageformat"
)

var (
	sha256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// ValidateConfig checks what is knowable from the configuration alone: the
// source's form, and that an http:// source is pinned by a sha256.
func (r *ImageResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var cfg ImageResourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if at, msg := ociConfigError(&cfg); msg != "" {
		resp.Diagnostics.AddAttributeError(at, "Invalid image source", msg)
		return
	}
	validateSourceHeaders(ctx, &cfg, &resp.Diagnostics)
	if cfg.Source.IsUnknown() || cfg.Source.IsNull() {
		return
	}
	kind, err := parseSource(cfg.Source.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("source"), "Invalid image source",
			fmt.Sprintf("%s. Give a local file path, or an http:// or https:// URL.", err))
		return
	}
	if kind == sourceLocal && !cfg.SourceHeaders.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("source_headers_wo"), "Invalid image source",
			"source_headers_wo is sent with the download of an http:// or https:// source; `source` is a local file. "+
				"Remove source_headers_wo.")
	}
	if u, err := url.Parse(cfg.Source.ValueString()); err == nil && kind != sourceLocal && u.User != nil {
		if _, hasPassword := u.User.Password(); hasPassword {
			resp.Diagnostics.AddAttributeWarning(path.Root("source"), "Password stored in the state",
				"The password in the `source` URL is stored in the state and in plan files with `source`. Give the URL "+
					"without it and send the credentials with source_headers_wo, which is never stored (Terraform 1.11 "+
					"or later): source_headers_wo = { Authorization = \"Basic ${base64encode(\"user:password\")}\" }.")
		}
	}
	if kind == sourceHTTP && cfg.SHA256.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("sha256"), "Missing sha256 for an http:// source",
			"An http:// URL is fetched without transport security, so its bytes must be pinned: set sha256 to the "+
				"image's SHA-256 (`sha256sum <file>`), or use an https:// URL.")
	}
}

// ModifyPlan hashes and inspects a local source at plan time. A content
// change shows as a replacement in this plan (the rollout), a wrong sha256 or
// an unusable format fails the plan, and a volume whose size changed out of
// band is replaced. URLs are never downloaded at plan time.
func (r *ImageResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	var plan, config, state ImageResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	creating := req.State.Raw.IsNull()
	if !creating {
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	}
	if resp.Diagnostics.HasError() || plan.Source.IsUnknown() {
		return
	}
	if plan.OCI == nil && plan.Source.IsNull() {
		// Neither source nor oci: an imported image that never had one (the
		// configuration `-generate-config-out` writes) is kept as libvirt
		// holds it and never uploaded. Anything else would need bytes.
		if creating || !state.Source.IsNull() || state.OCI != nil {
			resp.Diagnostics.AddAttributeError(path.Root("source"), "Invalid image source", missingSourceMessage)
		}
		return
	}
	if plan.OCI == nil {
		plan.setOCINull()
	}
	source := plan.Source.ValueString()
	kind, err := parseSource(source)
	if err != nil && plan.OCI == nil {
		return // ValidateConfig reports it
	}
	replaced := func(attr string) {
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root(attr))
		plan.ID, plan.Path = types.StringUnknown(), types.StringUnknown()
	}
	rec, recorded := uploaded(ctx, req.Private)
	if !creating {
		if recorded && !state.Size.IsNull() && state.Size.ValueInt64() != rec.Size {
			tflog.Info(ctx, "image volume changed size out of band", map[string]any{"volume": state.Name.ValueString(),
				"uploaded": rec.Size, "now": state.Size.ValueInt64()})
			replaced("size")
			plan.Size = types.Int64Unknown()
		}
	}
	if creating && !plan.Format.IsUnknown() {
		plan.Boot = types.StringValue(imageformat.Format(plan.Format.ValueString()).Boot())
	}
	hashed := false // a local source was hashed and holds the state's sha256
	if plan.OCI != nil {
		r.planOCI(ctx, creating, &plan, &config, &state, &resp.Diagnostics, replaced)
	} else if kind == sourceLocal {
		var stamp *sourceStamp
		if !creating && recorded && rec.Source != nil && rec.Source.SHA256 == state.SHA256.ValueString() {
			stamp = rec.Source
		}
		hashed = r.planLocal(ctx, source, creating, stamp, &plan, &config, &state, resp, replaced)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	if !creating && len(resp.RequiresReplace) == 0 {
		recordOnlyNote(&state, &plan, kind == sourceLocal && hashed, &resp.Diagnostics)
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// recordOnlyNote says, on the plan that sets the source of an imported
// image, that the update only records it: the volume is not uploaded. A
// local file was hashed just now and holds the volume's bytes (else the plan
// replaces the image); a URL or an OCI package is fetched at apply and
// checked against the volume's sha256 before anything is recorded.
func recordOnlyNote(state, plan *ImageResourceModel, hashed bool, diags *diag.Diagnostics) {
	name, digest := plan.Name.ValueString(), state.SHA256.ValueString()
	switch {
	case plan.OCI != nil && state.OCI == nil:
		diags.AddAttributeWarning(ociRefPath, fmt.Sprintf("Image %q: only the state changes", name),
			fmt.Sprintf("This update records the OCI source of the imported image; the volume is not uploaded again. "+
				"The apply pulls the package and checks that its file has the volume's sha256 %s; if it does not, the "+
				"apply fails and changes nothing.", digest))
	case plan.OCI == nil && state.Source.IsNull() && known(plan.Source) && hashed:
		diags.AddAttributeWarning(path.Root("source"), fmt.Sprintf("Image %q: only the state changes", name),
			fmt.Sprintf("The bytes of %s are the volume's (sha256 %s): this update records the source of the imported "+
				"image in the state, and the volume is not uploaded or touched.", plan.Source.ValueString(), digest))
	case plan.OCI == nil && state.Source.IsNull() && known(plan.Source):
		diags.AddAttributeWarning(path.Root("source"), fmt.Sprintf("Image %q: only the state changes", name),
			fmt.Sprintf("This update records the source of the imported image; the volume is not uploaded. The apply "+
				"reads %s and checks that its bytes are the volume's (sha256 %s); if they are not, the apply fails "+
				"and changes nothing.", plan.Source.ValueString(), digest))
	}
}

// planLocal hashes and inspects a local source and fills in the plan. When
// the file still has the stamp recorded at upload (same device, inode, size
// and modification time), its recorded digest is used and the file is not
// read again; only its headers are.
func (r *ImageResource) planLocal(ctx context.Context, source string, creating bool, stamp *sourceStamp,
	plan, config, state *ImageResourceModel, resp *resource.ModifyPlanResponse, replaced func(string)) bool {
	if _, err := os.Stat(source); err != nil {
		// The file may be produced later in the same apply; Create checks it then.
		if !creating {
			resp.Diagnostics.AddAttributeWarning(path.Root("source"), "Image source not readable at plan time",
				fmt.Sprintf("%s. Whether its content changed could not be checked.", err))
		}
		return false
	}
	digest, size, err := planDigest(ctx, source, stamp)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("source"), fmt.Sprintf("Unable to plan image %q", plan.Name.ValueString()),
			fmt.Sprintf("Reading %s failed: %s.", source, err))
		return false
	}
	explicit := imageformat.Format("")
	if !config.Format.IsNull() && !config.Format.IsUnknown() {
		explicit = imageformat.Format(config.Format.ValueString())
	} else if config.Format.IsUnknown() {
		return false
	}
	if !config.SHA256.IsNull() && !config.SHA256.IsUnknown() && config.SHA256.ValueString() != digest {
		resp.Diagnostics.AddAttributeError(path.Root("sha256"), fmt.Sprintf("Unable to plan image %q", plan.Name.ValueString()),
			fmt.Sprintf("Checksum mismatch for %s:\n  expected sha256 %s\n  actual   sha256 %s\n\nCheck that the source "+
				"is the build you mean, then correct sha256.", source, config.SHA256.ValueString(), digest))
		return false
	}
	f, err := os.Open(source)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("source"), fmt.Sprintf("Unable to plan image %q", plan.Name.ValueString()),
			fmt.Sprintf("Reading %s failed: %s.", source, err))
		return false
	}
	format, _, err := imageformat.Decide(f, size, explicit)
	_ = f.Close()
	if err != nil {
		attr := "source"
		if explicit != "" {
			attr = "format"
		}
		resp.Diagnostics.AddAttributeError(path.Root(attr), fmt.Sprintf("Unable to plan image %q", plan.Name.ValueString()),
			fmt.Sprintf("%s: %s.", source, err))
		return false
	}
	changed := !creating && (state.SHA256.ValueString() != digest || (explicit == "" && state.Format.ValueString() != string(format)))
	if creating || changed || plan.Size.IsUnknown() {
		plan.SHA256 = types.StringValue(digest)
		plan.Format = types.StringValue(string(format))
		plan.Boot = types.StringValue(format.Boot())
		plan.Size = types.Int64Value(size)
	}
	if changed {
		tflog.Info(ctx, "image source changed, planning a replacement", map[string]any{"source": source,
			"sha256_state": state.SHA256.ValueString(), "sha256_source": digest})
		replaced("sha256")
	}
	return !changed
}

// planDigest returns the source's SHA-256 and size: the recorded ones when
// the file is unchanged since they were taken, else by reading it.
func planDigest(ctx context.Context, source string, stamp *sourceStamp) (string, int64, error) {
	if stamp != nil {
		if now, ok := stampOf(source); ok && now.sameFile(*stamp) {
			tflog.Debug(ctx, "image source unchanged since upload, not hashing it", map[string]any{"source": source})
			return stamp.SHA256, stamp.Size, nil
		}
	}
	tflog.Debug(ctx, "hashing image source at plan time", map[string]any{"source": source})
	return hashFile(ctx, source)
}

// validateSourceHeaders checks source_headers_wo: only beside an http(s)
// source, with valid names and single-line values. Messages name the header,
// never its value.
func validateSourceHeaders(ctx context.Context, cfg *ImageResourceModel, diags *diag.Diagnostics) {
	at := path.Root("source_headers_wo")
	if cfg.SourceHeaders.IsNull() || cfg.SourceHeaders.IsUnknown() {
		return
	}
	if cfg.OCI != nil {
		diags.AddAttributeError(at, "Invalid image source", "source_headers_wo is sent with the download of an "+
			"http:// or https:// `source`; an `oci` source takes its credentials from the provider's `registries`.")
		return
	}
	var headers map[string]types.String
	diags.Append(cfg.SourceHeaders.ElementsAs(ctx, &headers, false)...)
	for _, name := range slices.Sorted(maps.Keys(headers)) {
		v := headers[name]
		if v.IsUnknown() {
			continue
		}
		if v.IsNull() {
			diags.AddAttributeError(at.AtMapKey(name), "Invalid HTTP header", fmt.Sprintf("header %q has a null value.", name))
			continue
		}
		if err := checkSourceHeader(name, v.ValueString()); err != nil {
			diags.AddAttributeError(at.AtMapKey(name), "Invalid HTTP header", "source_headers_wo: "+err.Error()+".")
		}
	}
}

// sourceHeaders returns the configuration's source_headers_wo as a plain map
// (nil when unset).
func sourceHeaders(ctx context.Context, cfg *ImageResourceModel, diags *diag.Diagnostics) map[string]string {
	if cfg.SourceHeaders.IsNull() || cfg.SourceHeaders.IsUnknown() {
		return nil
	}
	var headers map[string]string
	diags.Append(cfg.SourceHeaders.ElementsAs(ctx, &headers, false)...)
	return headers
}
