package hypervisor

import (
	"errors"
	"strings"
	"testing"

	"libvirt.org/go/libvirt"
)

func TestFormatLibvirtVersion(t *testing.T) {
	for v, want := range map[uint32]string{7_007_000: "7.7.0", 9_000_000: "9.0.0", 10_010_003: "10.10.3", 1_002_012: "1.2.12"} {
		if got := FormatLibvirtVersion(v); got != want {
			t.Errorf("FormatLibvirtVersion(%d) = %q, want %q", v, got, want)
		}
	}
}

func TestClassifyLibraryError(t *testing.T) {
	loader := libvirt.Error{Code: libvirt.ERR_INTERNAL_ERROR, Domain: libvirt.FROM_NONE,
		Message: "libvirt.so.0: cannot open shared object file: No such file or directory"}
	err := classifyLibraryError(loader)
	if !IsLibraryMissing(err) || IsLibraryTooOld(err) {
		t.Fatalf("a loader failure is not classified as a missing library: %#v", err)
	}
	if !strings.Contains(err.Error(), "unable to load libvirt client library \"libvirt.so.0\": libvirt.so.0: cannot open shared object file") {
		t.Errorf("message does not carry the loader's reason: %s", err)
	}

	// An error from libvirt itself (it has a domain) is not a missing library.
	other := classifyLibraryError(libvirt.Error{Code: libvirt.ERR_INTERNAL_ERROR, Domain: libvirt.FROM_RPC, Message: "boom"})
	if IsLibraryMissing(other) {
		t.Errorf("a libvirt error with a domain is classified as a missing library: %#v", other)
	}
	if other == nil || !strings.Contains(other.Error(), "boom") {
		t.Errorf("libvirt's message is lost: %v", other)
	}
	if IsLibraryMissing(errors.New("x")) {
		t.Error("a plain error is classified as a missing library")
	}
}

// The library this test binary runs with (Debian 12's 9.0) is new enough.
func TestCheckLibrary(t *testing.T) {
	if err := checkLibrary(); err != nil {
		t.Fatalf("checkLibrary: %v", err)
	}
	v, err := libvirt.GetVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v < MinLibvirtVersion {
		t.Fatalf("test host's libvirt %s is older than MinLibvirtVersion", FormatLibvirtVersion(v))
	}
}
