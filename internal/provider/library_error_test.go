package provider

import (
	"errors"
	"strings"
	"testing"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

func TestLibraryError_explainsMissingLibrary(t *testing.T) {
	missing := &hypervisor.Error{Op: "load", Kind: "libvirt client library", Name: "libvirt.so.0",
		Code: hypervisor.ErrLibraryMissing, Message: "libvirt.so.0: cannot open shared object file"}
	summary, detail, ok := libraryError(missing)
	if !ok || summary != "libvirt client library not found" {
		t.Fatalf("missing library: ok=%v summary=%q", ok, summary)
	}
	for _, want := range []string{"cannot open shared object file", "libvirt 7.7.0 or newer", "apt-get install libvirt0", "dnf install libvirt-libs"} {
		if !strings.Contains(detail, want) {
			t.Errorf("detail lacks %q:\n%s", want, detail)
		}
	}
	if strings.Contains(detail, "virsh") {
		t.Errorf("detail gives daemon advice for a missing client library:\n%s", detail)
	}

	old := &hypervisor.Error{Op: "use", Kind: "libvirt client library", Name: "libvirt.so.0",
		Code: hypervisor.ErrLibraryTooOld, Message: "it is version 6.0.0, and this provider needs 7.7.0 or newer"}
	if summary, detail, ok = libraryError(old); !ok || summary != "libvirt client library too old" || !strings.Contains(detail, "to 7.7.0 or newer") {
		t.Errorf("too old library: ok=%v summary=%q detail=%q", ok, summary, detail)
	}

	for _, err := range []error{nil, errors.New("connection refused"),
		&hypervisor.Error{Op: "connect to", Kind: "libvirt daemon", Name: "qemu:///system", Code: hypervisor.ErrTimeout}} {
		if _, _, ok := libraryError(err); ok {
			t.Errorf("libraryError(%v) claims a library problem", err)
		}
	}
}
