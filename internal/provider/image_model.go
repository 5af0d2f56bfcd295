package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/imageformat"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/oci"
)

// ImageResourceModel is the resource's state.
type ImageResourceModel struct {
	ID     types.String `tfsdk:"id"`
	Name   types.String `tfsdk:"name"`
	Pool   types.String `tfsdk:"pool"`
	Source types.String `tfsdk:"source"`
	// SourceHeaders is write-only: set in the configuration, always null in
	// the plan and the state.
	SourceHeaders types.Map    `tfsdk:"source_headers_wo"`
	SHA256        types.String `tfsdk:"sha256"`
	Format        types.String `tfsdk:"format"`
	Boot          types.String `tfsdk:"boot"`
	Path          types.String `tfsdk:"path"`
	Size          types.Int64  `tfsdk:"size"`

	OCI              *ImageOCIModel `tfsdk:"oci"`
	OCIDigest        types.String   `tfsdk:"oci_digest"`
	OCIManifest      types.String   `tfsdk:"oci_manifest_digest"`
	OCIPlatform      types.String   `tfsdk:"oci_platform"`
	OCILayout        types.String   `tfsdk:"oci_layout"`
	OCISelected      types.String   `tfsdk:"oci_selected"`
	OCICmdline       types.String   `tfsdk:"oci_cmdline"`
	OCIUnikernelType types.String   `tfsdk:"oci_unikernel_type"`
	OCIHypervisor    types.String   `tfsdk:"oci_hypervisor"`
	OCIVersion       types.String   `tfsdk:"oci_version"`
	OCIAnnotations   types.Map      `tfsdk:"oci_annotations"`
}

// ImageOCIModel is the `oci` source of an image: a reference and which file
// of the package to take.
type ImageOCIModel struct {
	Reference types.String `tfsdk:"reference"`
	Part      types.String `tfsdk:"part"`
	File      types.String `tfsdk:"file"`
	Platform  types.String `tfsdk:"platform"`
}

// ociStrings are the string attributes a pull sets.
func (m *ImageResourceModel) ociStrings() []*types.String {
	return []*types.String{&m.OCIDigest, &m.OCIManifest, &m.OCIPlatform, &m.OCILayout, &m.OCISelected,
		&m.OCICmdline, &m.OCIUnikernelType, &m.OCIHypervisor, &m.OCIVersion}
}

// setOCIUnknown marks what the next pull decides as unknown (a replacement).
func (m *ImageResourceModel) setOCIUnknown() {
	for _, p := range m.ociStrings() {
		*p = types.StringUnknown()
	}
	m.OCIAnnotations = types.MapUnknown(types.StringType)
}

// setOCINull is an image without an OCI source.
func (m *ImageResourceModel) setOCINull() {
	for _, p := range m.ociStrings() {
		*p = types.StringNull()
	}
	m.OCIAnnotations = types.MapNull(types.StringType)
}

// fromPackage records what a pull found.
func (m *ImageResourceModel) fromPackage(pkg *oci.Package) {
	m.OCIDigest = types.StringValue(pkg.Digest.String())
	m.OCIManifest = types.StringValue(pkg.Manifest.String())
	m.OCIPlatform = types.StringValue(pkg.Platform)
	m.OCILayout = types.StringValue(pkg.Layout)
	m.OCISelected = types.StringValue(pkg.Taken)
	m.OCICmdline = types.StringValue(pkg.Cmdline)
	m.OCIUnikernelType = types.StringValue(pkg.UnikernelType)
	m.OCIHypervisor = types.StringValue(pkg.Hypervisor)
	m.OCIVersion = types.StringValue(pkg.Version)
	ann := map[string]attr.Value{}
	for k, v := range pkg.Annotations {
		ann[k] = types.StringValue(v)
	}
	m.OCIAnnotations = types.MapValueMust(types.StringType, ann)
}

// fromVolume sets what libvirt holds for the volume: its key, path and size.
// The resource and the data source both read a volume through it.
func (m *ImageResourceModel) fromVolume(info hypervisor.VolumeInfo) {
	m.ID = types.StringValue(info.Key)
	m.Path = types.StringValue(info.Path)
	m.Size = types.Int64Value(int64(info.Size))
}

// setFormat sets the format and the boot method it implies.
func (m *ImageResourceModel) setFormat(f imageformat.Format) {
	m.Format = types.StringValue(string(f))
	m.Boot = types.StringValue(f.Boot())
}
