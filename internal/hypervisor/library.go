package hypervisor

import (
	"errors"
	"fmt"

	"libvirt.org/go/libvirt"
)

// MinLibvirtVersion is the oldest libvirt client library (libvirt.so.0) the
// provider works with, as major*1000000 + minor*1000 + micro: the newest libvirt
// function it calls, virNetworkDefineXMLFlags, appeared in 7.7.0.
// `scripts/release.sh check` recomputes it from the code and the library's
// symbol versions, and fails when this constant or docs/index.md fall behind.
const MinLibvirtVersion = 7_007_000

// LibvirtLibrary is the file name of the libvirt client library.
const LibvirtLibrary = "libvirt.so.0"

// Codes of errors about the client library itself. They are declared apart
// from the list in errors.go so that its codes keep their values.
const (
	// ErrLibraryMissing means libvirt.so.0 could not be loaded (release builds
	// load it at run time).
	ErrLibraryMissing Code = 100 + iota
	// ErrLibraryTooOld means libvirt.so.0 is older than MinLibvirtVersion.
	ErrLibraryTooOld
)

// IsLibraryMissing reports whether err says the libvirt client library could not be loaded.
func IsLibraryMissing(err error) bool { return hasCode(err, ErrLibraryMissing) }

// IsLibraryTooOld reports whether err says the libvirt client library is too old.
func IsLibraryTooOld(err error) bool { return hasCode(err, ErrLibraryTooOld) }

// checkLibrary asks the client library for its version. In release builds
// (the bindings' libvirt_dlopen tag) this is the first call that loads
// libvirt.so.0, so a missing library surfaces here instead of as a failure of
// whatever libvirt call happens to come first. (The bindings say only "Failed
// to open libvirt.so.0": the dynamic loader's reason does not reach Go.)
func checkLibrary() error {
	v, err := libvirt.GetVersion()
	if err != nil {
		return classifyLibraryError(err)
	}
	if v < MinLibvirtVersion {
		return &Error{Op: "use", Kind: "libvirt client library", Name: LibvirtLibrary, Code: ErrLibraryTooOld,
			Message: fmt.Sprintf("it is version %s, and this provider needs %s or newer",
				FormatLibvirtVersion(v), FormatLibvirtVersion(MinLibvirtVersion))}
	}
	return nil
}

// classifyLibraryError turns a failed virGetVersion into the adapter's error.
// The bindings report a library they could not load, or a function missing
// from it, as an internal error outside any libvirt domain; libvirt itself
// never fails virGetVersion without a domain.
func classifyLibraryError(err error) error {
	var lv libvirt.Error
	if errors.As(err, &lv) && lv.Domain == libvirt.FROM_NONE && lv.Code == libvirt.ERR_INTERNAL_ERROR {
		return &Error{Op: "load", Kind: "libvirt client library", Name: LibvirtLibrary, Code: ErrLibraryMissing, Message: lv.Message}
	}
	return wrap(err, "use", "libvirt client library", LibvirtLibrary)
}

// FormatLibvirtVersion renders a libvirt version number (major*1000000 +
// minor*1000 + micro) as "major.minor.micro".
func FormatLibvirtVersion(v uint32) string {
	return fmt.Sprintf("%d.%d.%d", v/1000000, v/1000%1000, v%1000)
}
