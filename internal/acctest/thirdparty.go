package acctest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/imageformat"
)

// ThirdParty are unikernels built from upstream source by their own
// toolchains (Solo5, Unikraft, Nanos, OSv), read from the machine's shared
// guest directory and never copied into the repository. Each is checked
// against the SHA-256 its build record gives.
type ThirdParty struct {
	// UnikraftHello is Unikraft's helloworld for the QEMU/KVM platform, a
	// multiboot ELF32. It prints "Hello world!" and its arguments, then
	// powers off.
	UnikraftHello string
	// Solo5Quiet is Solo5's test_quiet for virtio, a multiboot ELF. It prints
	// "SUCCESS" and powers off; "--solo5:quiet" silences its banner.
	Solo5Quiet string
	// NanosHello is a Nanos boot disk (compressed qcow2) whose program prints
	// its arguments and "hello: exiting with status 0", then powers off.
	NanosHello string
}

// thirdPartyDigests are the SHA-256s of the shared guests, from their README.
var thirdPartyDigests = map[string]string{
	"unikraft/hello_qemu-x86_64": "e3de1bd61f4d0f2df74f87e5207d8c77b5971f44388423c4781eaf17b91f924c",
	"solo5/test_quiet.virtio":    "997693abb0d5218b25d84a0b043e1d291482e20cd7750c7b25a7e165c6bcf027",
	"nanos/hello.qcow2":          "57d66b5b544f3483c8709a1d800cfb1a525b60c86344564f56f3b85b461ddb9a",
}

// ThirdPartyGuests returns the shared guests from UNIKERNEL_TEST_SHARED_GUESTS,
// else ../shared/guests beside the repository, and fails the test when one
// is missing or is not the recorded build.
func ThirdPartyGuests(t testing.TB) ThirdParty {
	t.Helper()
	dir := os.Getenv("UNIKERNEL_TEST_SHARED_GUESTS")
	if dir == "" {
		dir = filepath.Join(RepoRoot(t), "..", "shared", "guests")
	}
	for rel, want := range thirdPartyDigests {
		got, _, err := imageformat.HashFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatalf("third-party guest missing: %v (set UNIKERNEL_TEST_SHARED_GUESTS to the directory of the shared guests)", err)
		}
		if got != want {
			t.Fatalf("third-party guest %s has sha256 %s, want the recorded build %s", rel, got, want)
		}
	}
	return ThirdParty{
		UnikraftHello: filepath.Join(dir, "unikraft", "hello_qemu-x86_64"),
		Solo5Quiet:    filepath.Join(dir, "solo5", "test_quiet.virtio"),
		NanosHello:    filepath.Join(dir, "nanos", "hello.qcow2"),
	}
}
