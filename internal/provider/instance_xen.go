package provider

import (
	"fmt"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/imageformat"
)

// Plan-time checks for Xen guests. libxl loads kernels and initrds itself, in
// dom0, and accepts kernels that the chosen guest type cannot start: a
// multiboot-only ELF is taken as a PVH guest that then dies without printing
// anything. These checks turn such cases into errors that name the attribute.

// isXen reports whether the instance is planned as a Xen guest.
func (m *instanceModel) isXen() bool { return m.Hypervisor.ValueString() == "xen" }

// checkXenImage checks one boot image (kernel or initrd) of a Xen guest. found
// says whether its headers could be read (res holds them); a host path on a
// remote host cannot be read. It returns the kernel's boot format on Xen, which
// differs from the detected one when an ELF carries both a multiboot header and
// a PVH note, and false after adding an error.
func (r *InstanceResource) checkXenImage(m *instanceModel, attr path.Path, image string, kernel bool,
	res imageformat.Result, found bool, diags *diag.Diagnostics) (imageformat.Format, bool) {
	if !m.isXen() {
		return res.Format, true
	}
	if !found && !hypervisor.LocalURI(r.data.Client.URI()) {
		diags.AddAttributeError(attr, "Image is not on the Xen host",
			fmt.Sprintf("%s is not a volume of a storage pool on the Xen host. On Xen, libxl reads kernels and initrds "+
				"from dom0's file system, and over a remote URI the provider can neither check nor use a plain host path "+
				"there. Upload the file with a unikernel_image in a unikernel_pool on that host and set %s to the image's id.",
				image, attr))
		return "", false
	}
	if !kernel || !found {
		return res.Format, true
	}
	mode := m.XenMode.ValueString()
	if mode == "" {
		mode = "pvh"
	}
	if mode == "pvh" {
		switch {
		case slices.Contains(res.Matches, imageformat.PVH):
			return imageformat.PVH, true
		case slices.Contains(res.Matches, imageformat.Linux):
			return imageformat.Linux, true
		}
		diags.AddAttributeError(attr, "Kernel cannot boot as a Xen PVH guest",
			fmt.Sprintf("%s is a %s kernel without a PVH entry (Xen ELF note 18, XEN_ELFNOTE_PHYS32_ENTRY). libxl accepts "+
				"it as a PVH guest, which then dies without a word. Xen boots PVH kernels (MirageOS built with `-t xen`, "+
				"Linux) with xen_mode = \"pvh\", Xen PV kernels (Unikraft's x86 Xen platform, Linux) with xen_mode = \"pv\", "+
				"and multiboot kernels through QEMU's loader with xen_mode = \"hvm\".", image, res.Format))
		return "", false
	}
	return res.Format, true
}
