package provider

import (
	"fmt"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// libraryInstallHint says how to install the libvirt client library on the
// systems the release builds run on.
const libraryInstallHint = "Install the libvirt client library on the machine that runs Terraform: " +
	"`apt-get install libvirt0` on Debian and Ubuntu, `dnf install libvirt-libs` on Fedora, RHEL and their " +
	"derivatives, `zypper install libvirt-libs` on openSUSE. Only the client library is needed there; libvirtd " +
	"runs on the host that the provider's `uri` names. On other systems (macOS, Windows), run Terraform on a " +
	"Linux machine or build the provider from source; see the Requirements section of the provider's documentation."

// libraryError returns the summary and detail for an error about the libvirt
// client library itself, where advice about the daemon or the URI would not fit.
func libraryError(err error) (summary, detail string, ok bool) {
	minimum := hypervisor.FormatLibvirtVersion(hypervisor.MinLibvirtVersion)
	switch {
	case hypervisor.IsLibraryMissing(err):
		return "libvirt client library not found",
			fmt.Sprintf("%s.\n\nThe provider loads %s (libvirt %s or newer) when it connects, and could not load it. %s",
				err, hypervisor.LibvirtLibrary, minimum, libraryInstallHint), true
	case hypervisor.IsLibraryTooOld(err):
		return "libvirt client library too old",
			fmt.Sprintf("%s.\n\nUpgrade libvirt on the machine that runs Terraform to %s or newer. %s",
				err, minimum, libraryInstallHint), true
	}
	return "", "", false
}
