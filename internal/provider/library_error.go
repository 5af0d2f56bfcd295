package provider

import (
	"fmt"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// libraryPackages says how to install the libvirt client library on the
// systems the release builds run on.
const libraryPackages = "`apt-get install libvirt0` on Debian and Ubuntu, `dnf install libvirt-libs` on Fedora, " +
	"RHEL and their derivatives, `zypper install libvirt-libs` on openSUSE"

// libraryOtherSystems points users of systems without release builds to what works.
const libraryOtherSystems = "On macOS and Windows, run Terraform on a Linux machine (or in CI) and point `uri` at " +
	"the hypervisor host, or build the provider from source; see Requirements in the provider's documentation."

// libraryError returns the summary and detail for an error about the libvirt
// client library itself, where advice about the daemon or the URI would not fit.
func libraryError(err error) (summary, detail string, ok bool) {
	minimum := hypervisor.FormatLibvirtVersion(hypervisor.MinLibvirtVersion)
	switch {
	case hypervisor.IsLibraryMissing(err):
		return "libvirt client library not found",
			fmt.Sprintf("%s.\n\nThe provider loads %s (libvirt %s or newer) when it connects, and could not load it. "+
				"Install it on the machine that runs Terraform: %s. Only the client library is needed there; "+
				"libvirtd runs on the host that `uri` names.\n\n%s",
				err, hypervisor.LibvirtLibrary, minimum, libraryPackages, libraryOtherSystems), true
	case hypervisor.IsLibraryTooOld(err):
		return "libvirt client library too old",
			fmt.Sprintf("%s.\n\nUpgrade the libvirt client library on the machine that runs Terraform to %s or newer: %s.\n\n%s",
				err, minimum, libraryPackages, libraryOtherSystems), true
	}
	return "", "", false
}
