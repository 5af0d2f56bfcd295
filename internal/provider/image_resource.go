package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/imageformat"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/oci"
)

var (
	_ resource.ResourceWithConfigure      = &ImageResource{}
	_ resource.ResourceWithImportState    = &ImageResource{}
	_ resource.ResourceWithModifyPlan     = &ImageResource{}
	_ resource.ResourceWithValidateConfig = &ImageResource{}
)

// ImageResource manages a storage volume holding one unikernel or disk image.
type ImageResource struct {
	data *Data
}

// NewImageResource is the constructor registered with the provider.
func NewImageResource() resource.Resource { return &ImageResource{} }

func (r *ImageResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_image"
}

func (r *ImageResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerData(req.ProviderData, &resp.Diagnostics)
}

func (r *ImageResource) configured(diags *diag.Diagnostics) bool {
	return configured(r.data, "unikernel_image", diags)
}

// read refreshes the volume's facts into m: id, path and size come from
// libvirt; name, pool, source, sha256, format and boot stay as they are.
func (r *ImageResource) read(ctx context.Context, m ImageResourceModel) (ImageResourceModel, error) {
	info, err := readStorageVolume(ctx, r.data.Client, m.Pool.ValueString(), m.Name.ValueString())
	if err != nil {
		return m, err
	}
	m.fromVolume(info)
	return m, nil
}

func (r *ImageResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	if !r.configured(&resp.Diagnostics) {
		return
	}
	var plan, config ImageResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	pool, name, source := plan.Pool.ValueString(), plan.Name.ValueString(), plan.Source.ValueString()
	summary := fmt.Sprintf("Unable to create image %q", name)
	ctx = tflog.SetField(ctx, "pool", pool)
	ctx = tflog.SetField(ctx, "volume", name)

	checks := createChecks(ctx, plan, config, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	var pkg *oci.Package
	if plan.OCI != nil {
		if pkg = r.pullForCreate(ctx, plan, &checks, summary, &resp.Diagnostics); pkg == nil {
			return
		}
		source = pkg.File.Path
	}
	// Stamped before the bytes are read: a write during the upload changes
	// the file's stamp, and the next plan hashes it again.
	stamp, stamped := stampOf(source)
	img := prepareForCreate(ctx, source, checks, pkg, summary, &resp.Diagnostics)
	if img == nil {
		return
	}
	defer img.Close()

	// A volume of this name left by a killed create (its sidecar marker in
	// flight, hypervisor/volume_sidecar.go) is deleted and uploaded anew, never
	// trusted; any other is refused.
	marker := createSidecar{data: r.data, kind: hypervisor.SidecarImage, pool: pool, name: name, label: "storage volume", display: pool + "/" + name}
	if !marker.adopt(ctx, summary, func() error { _, err := r.data.Client.ReadVolume(ctx, pool, name); return err },
		func() error { return r.data.Client.DeleteVolume(ctx, pool, name) }, &resp.Diagnostics) {
		return
	}
	end, ok := marker.begin(ctx, volumeCreateDeadline, summary, &resp.Diagnostics)
	if !ok {
		return
	}
	defer end()
	info, err := uploadImage(ctx, r.data.Client, pool, name, img)
	if err != nil {
		r.uploadFailed(ctx, err, pkg, &plan, summary, resp)
		return
	}
	plan.SHA256 = types.StringValue(img.digest)
	plan.setFormat(img.format)
	plan.ID = types.StringValue(info.Key)
	state, err := r.read(ctx, plan)
	if err != nil {
		resp.Diagnostics.AddError(summary, fmt.Sprintf("The image was uploaded, but reading it back failed: %s.", err))
		return
	}
	if pkg != nil {
		state.fromPackage(pkg)
	} else {
		state.setOCINull()
	}
	resp.Diagnostics.Append(setUploaded(ctx, resp.Private, uploadRecord(img, pkg, stamp, stamped))...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	setImageIdentity(ctx, resp.Identity, pool, name, &resp.Diagnostics)
}

// prepareForCreate opens and checks the source (or the file taken from an OCI package); a failure
// names the attribute it comes from. Nil means the error is reported.
func prepareForCreate(ctx context.Context, source string, checks imageChecks, pkg *oci.Package, summary string, diags *diag.Diagnostics) *preparedImage {
	img, err := prepareImage(ctx, source, checks)
	if err == nil {
		return img
	}
	var se *sourceError
	if pkg != nil && errors.As(err, &se) && se.attr == "source" {
		diags.AddAttributeError(ociRefPath, summary, fmt.Sprintf("%s: %s of the package: %s.\n\n"+
			"Nothing was created.", pkg.Reference, pkg.Taken, err))
		return nil
	}
	addSourceError(diags, summary, source, err, "Nothing was created.")
	return nil
}

// uploadRecord is what the private state keeps of an upload: its size, and the source file's stamp
// when the bytes came unchanged from a local file, so that the next plan hashes it only if it changed.
func uploadRecord(img *preparedImage, pkg *oci.Package, stamp sourceStamp, stamped bool) uploadedRecord {
	rec := uploadedRecord{Size: img.size}
	if stamped && pkg == nil && img.remove == "" && stamp.Size == img.size {
		stamp.SHA256 = img.digest
		rec.Source = &stamp
	}
	return rec
}

// addSourceError reports a failure to prepare the source on the attribute
// it belongs to. Nothing has been created at that point.
// createChecks are the checks of the bytes a create uploads. A sha256 from
// the configuration is verified before anything is created. One the plan
// computed from a local file is checked as the bytes stream, before the
// upload is committed. The format is known when the configuration set it or
// the plan detected it.
func createChecks(ctx context.Context, plan, config ImageResourceModel, diags *diag.Diagnostics) imageChecks {
	var checks imageChecks
	if known(config.SHA256) {
		checks.verify = config.SHA256.ValueString()
	}
	if known(plan.SHA256) {
		checks.expect = plan.SHA256.ValueString()
	}
	if known(plan.Format) {
		checks.format = imageformat.Format(plan.Format.ValueString())
	}
	checks.headers = sourceHeaders(ctx, &config, diags)
	return checks
}

// pullForCreate pulls the package's file into the blob cache, every blob
// verified against its digest; the create uploads it from there, and its
// SHA-256 is checked again as it streams. It returns nil after an error.
func (r *ImageResource) pullForCreate(ctx context.Context, plan ImageResourceModel, checks *imageChecks, summary string, diags *diag.Diagnostics) *oci.Package {
	pkg, err := r.pullOCI(ctx, plan.OCI, plan.OCIDigest.ValueString())
	if err != nil {
		addOCIError(diags, summary, err, "Nothing was created.")
		return nil
	}
	if checks.verify != "" && checks.verify != pkg.File.SHA256 {
		diags.AddAttributeError(path.Root("sha256"), summary, fmt.Sprintf("Checksum mismatch for %s "+
			"(%s):\n  expected sha256 %s\n  actual   sha256 %s\n\nNothing was created. Check that the reference "+
			"is the build you mean, then correct sha256.", pkg.Reference, pkg.Taken, checks.verify, pkg.File.SHA256))
		return nil
	}
	checks.verify, checks.expect = "", pkg.File.SHA256
	return pkg
}

// uploadFailed reports a failed upload. A failed upload removes its volume.
// When that removal could not run (the daemon went away), the volume stays in
// the state as tainted, so that the next apply replaces it. A name taken by a
// volume that this create did not make never enters the state.
func (r *ImageResource) uploadFailed(ctx context.Context, err error, pkg *oci.Package, plan *ImageResourceModel, summary string, resp *resource.CreateResponse) {
	pool, name := plan.Pool.ValueString(), plan.Name.ValueString()
	if pkg != nil && r.data.OCI.Cache().Drop(pkg.File) {
		// The cached file no longer has its digest (changed on disk): it is
		// dropped, and the next apply pulls it again.
		resp.Diagnostics.AddAttributeError(ociRefPath, summary, fmt.Sprintf("The cached %s of %s (%s) no longer has "+
			"its sha256 %s; it was removed from the blob cache. Apply again to pull it anew.",
			pkg.Taken, pkg.Reference, pkg.File.Path, pkg.File.SHA256))
	}
	resp.Diagnostics.AddError(summary, createVolumeHint(err, pool, name))
	if !hypervisor.IsConflict(err) {
		if _, rerr := r.data.Client.ReadVolume(context.WithoutCancel(ctx), pool, name); !hypervisor.IsNotFound(rerr) {
			resp.Diagnostics.Append(recordCreated(ctx, &resp.State, plan)...)
		}
	}
}

func addSourceError(diags *diag.Diagnostics, summary, source string, err error, outcome string) {
	attr := "source"
	var se *sourceError
	if errors.As(err, &se) {
		attr = se.attr
	}
	var mm *imageformat.MismatchError
	switch {
	case errors.As(err, &mm):
		diags.AddAttributeError(path.Root("sha256"), summary, fmt.Sprintf("Checksum mismatch for %s:\n  expected sha256 %s\n  "+
			"actual   sha256 %s\n\n%s Check that the source is the build you mean, then correct sha256.",
			redactSource(source), mm.Want, mm.Got, outcome))
	case attr == "format" || imageformat.IsFormatError(err):
		diags.AddAttributeError(path.Root(attr), summary, fmt.Sprintf("%s: %s.\n\n%s", redactSource(source), err, outcome))
	default:
		diags.AddAttributeError(path.Root("source"), summary, fmt.Sprintf("%s.\n\n%s Check that the "+
			"file exists and is readable by the user running Terraform, or that the URL answers.", err, outcome))
	}
}

func createVolumeHint(err error, pool, name string) string {
	switch {
	case hypervisor.IsConflict(err):
		return fmt.Sprintf("%s.\n\nA volume named %q exists in pool %q already. Import it with "+
			"`terraform import <address> %s/%s`, or choose another name.", err, name, pool, pool, name)
	case hypervisor.IsPoolInactive(err):
		return fmt.Sprintf("%s.\n\nStart the pool (apply its unikernel_pool resource, or `virsh pool-start %s`), then apply again.", err, pool)
	case hypervisor.IsNotFound(err):
		return fmt.Sprintf("%s.\n\nCheck that pool %q exists (`virsh pool-list --all`).", err, pool)
	}
	return fmt.Sprintf("%s.\n\nNo partly written volume was left behind.", err)
}

func (r *ImageResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	if !r.configured(&resp.Diagnostics) {
		return
	}
	var prior ImageResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	pool, name := prior.Pool.ValueString(), prior.Name.ValueString()
	setImageIdentity(ctx, resp.Identity, pool, name, &resp.Diagnostics)
	state, err := r.read(ctx, prior)
	if !imageKind.keepReading(ctx, err, pool, name, resp) {
		return
	}
	if b, d := req.Private.GetKey(ctx, privateKey); !d.HasError() && b == nil {
		resp.Diagnostics.Append(setUploaded(ctx, resp.Private, uploadedRecord{Size: state.Size.ValueInt64()})...)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Update runs only to record a source after an import (every other change
// replaces the image). It checks that the source's bytes are the volume's.
func (r *ImageResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if !r.configured(&resp.Diagnostics) {
		return
	}
	var plan, state, config ImageResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name, source := plan.Name.ValueString(), plan.Source.ValueString()
	summary := fmt.Sprintf("Unable to update image %q", name)
	headers := sourceHeaders(ctx, &config, &resp.Diagnostics)
	if plan.OCI != nil {
		r.recordOCI(ctx, plan, state, resp)
		return
	}
	stamp, stamped := stampOf(source)
	img, err := prepareImage(ctx, source, imageChecks{verify: state.SHA256.ValueString(),
		format: imageformat.Format(state.Format.ValueString()), headers: headers})
	var mm *imageformat.MismatchError
	switch {
	case errors.As(err, &mm):
		resp.Diagnostics.AddAttributeError(path.Root("source"), summary, fmt.Sprintf("The bytes of %s are not the "+
			"volume's:\n  volume sha256 %s\n  source sha256 %s\n\nNothing was changed. To upload the source instead, "+
			"replace the image: `terraform apply -replace=<address>`.", source, mm.Want, mm.Got))
		return
	case err != nil:
		addSourceError(&resp.Diagnostics, summary, source, err, "Nothing was changed.")
		return
	}
	// The volume is not touched: its bytes are the source's. The stamp of a
	// local source spares the next plans from hashing it again.
	if stamped && img.remove == "" && stamp.Size == img.size {
		rec, _ := uploaded(ctx, req.Private)
		stamp.SHA256 = img.digest
		rec.Source = &stamp
		resp.Diagnostics.Append(setUploaded(ctx, resp.Private, rec)...)
	}
	img.Close()
	state.Source = plan.Source
	r.saveReadBack(ctx, state, summary, resp)
}

// recordOCI records an OCI source after an import: the package's file must
// have the volume's bytes.
func (r *ImageResource) recordOCI(ctx context.Context, plan, state ImageResourceModel, resp *resource.UpdateResponse) {
	name := plan.Name.ValueString()
	summary := fmt.Sprintf("Unable to update image %q", name)
	pkg, err := r.pullOCI(ctx, plan.OCI, plan.OCIDigest.ValueString())
	if err != nil {
		addOCIError(&resp.Diagnostics, summary, err, "Nothing was changed.")
		return
	}
	if pkg.File.SHA256 != state.SHA256.ValueString() {
		resp.Diagnostics.AddAttributeError(ociRefPath, summary, fmt.Sprintf("The %s of %s is not the volume's "+
			"bytes:\n  volume sha256 %s\n  package sha256 %s\n\nNothing was changed. To upload the package instead, "+
			"replace the image: `terraform apply -replace=<address>`.", pkg.Taken, pkg.Reference, state.SHA256.ValueString(),
			pkg.File.SHA256))
		return
	}
	state.OCI = plan.OCI
	state.fromPackage(pkg)
	r.saveReadBack(ctx, state, summary, resp)
}

// saveReadBack reads the image back after an update and makes it the state.
func (r *ImageResource) saveReadBack(ctx context.Context, state ImageResourceModel, summary string, resp *resource.UpdateResponse) {
	newState, err := r.read(ctx, state)
	if err != nil {
		resp.Diagnostics.AddError(summary, fmt.Sprintf("Reading the image back failed: %s.", err))
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &newState)...)
	setImageIdentity(ctx, resp.Identity, state.Pool.ValueString(), state.Name.ValueString(), &resp.Diagnostics)
}

func (r *ImageResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	if !r.configured(&resp.Diagnostics) {
		return
	}
	var state ImageResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	imageKind.delete(ctx, r.data.Client, state.Pool.ValueString(), state.Name.ValueString(), &resp.Diagnostics)
}

// ImportState takes `pool/name`. It downloads the volume once through libvirt
// to compute its SHA-256, and detects its format from its headers.
func (r *ImageResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if !r.configured(&resp.Diagnostics) {
		return
	}
	id := importID(ctx, req, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	pool, name, info, ok := imageKind.importVolume(ctx, r.data.Client, id, &resp.Diagnostics)
	if !ok {
		return
	}
	summary := fmt.Sprintf("Unable to import image %q", id)
	ctx = tflog.SetField(ctx, "pool", pool)
	ctx = tflog.SetField(ctx, "volume", name)
	tflog.Debug(ctx, "hashing storage volume", map[string]any{"size": info.Size})
	digest, err := hashVolume(ctx, r.data.Client, pool, name, int64(info.Size))
	if err != nil {
		resp.Diagnostics.AddError(summary, err.Error())
		return
	}
	format, refused, err := volumeFormat(ctx, r.data.Client, info)
	if err != nil {
		resp.Diagnostics.AddError(summary, err.Error())
		return
	}
	if refused != "" {
		resp.Diagnostics.AddWarning(fmt.Sprintf("Image %q imported as raw", id),
			refused+". It was imported with format = \"raw\"; set that in the configuration.")
	}
	m := ImageResourceModel{
		Name: types.StringValue(name), Pool: types.StringValue(pool), Source: types.StringNull(), SHA256: types.StringValue(digest),
		SourceHeaders: types.MapNull(types.StringType),
	}
	m.fromVolume(info)
	m.setFormat(format)
	m.setOCINull()
	resp.Diagnostics.Append(setUploaded(ctx, resp.Private, uploadedRecord{Size: int64(info.Size)})...)
	resp.Diagnostics.Append(markAdopted(ctx, resp.Private)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
	setImageIdentity(ctx, resp.Identity, pool, name, &resp.Diagnostics)
}

// detectVolume reads a volume's headers through ranged downloads.
func detectVolume(ctx context.Context, c *hypervisor.Client, info hypervisor.VolumeInfo) (imageformat.Result, error) {
	v, err := c.OpenVolumeByPath(ctx, info.Path)
	if err != nil {
		return imageformat.Result{}, err
	}
	defer func() { _ = v.Close() }()
	tflog.Debug(ctx, "detecting image format", map[string]any{"path": info.Path})
	return imageformat.Detect(v, int64(info.Size))
}

// volumeFormat is the format of a volume that import and the data source
// report: the detected one, or raw with the reason when detection refused
// the image (a qcow2 with a backing file, for example).
func volumeFormat(ctx context.Context, c *hypervisor.Client, info hypervisor.VolumeInfo) (format imageformat.Format, refused string, err error) {
	res, err := detectVolume(ctx, c, info)
	if err != nil {
		return "", "", err
	}
	if res.Refused != "" {
		return imageformat.Raw, res.Refused, nil
	}
	return res.Format, "", nil
}
