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
	// NanosHellod is a Nanos boot disk (raw) whose program serves "hello" on
	// TCP 8080 and gets its address by DHCP. It writes to its disk.
	NanosHellod string
	// Solo5Blk is Solo5's test_blk for virtio: it writes and reads back
	// sectors of its block device, prints "SUCCESS" and powers off.
	Solo5Blk string
	// Solo5NetRing is Solo5's test_net_ring for virtio: it answers ping at
	// its fixed address 10.0.0.2.
	Solo5NetRing string
	// Solo5TimeXen and Solo5QuietXen are Solo5's test_time and test_quiet
	// for Xen, PVH kernels.
	Solo5TimeXen, Solo5QuietXen string
	// OSvLoader is OSv's kernel for direct boot (a PVH ELF); OSvHello and
	// OSvLighttpd are OSv ROFS boot disks (compressed qcow2) that run /hello
	// (prints "Hello from C code") and lighttpd on TCP 80.
	OSvLoader, OSvHello, OSvLighttpd string
}

// thirdPartyDigests are the SHA-256s of the shared guests, from their README.
var thirdPartyDigests = map[string]string{
	"unikraft/hello_qemu-x86_64": "e3de1bd61f4d0f2df74f87e5207d8c77b5971f44388423c4781eaf17b91f924c",
	"solo5/test_quiet.virtio":    "997693abb0d5218b25d84a0b043e1d291482e20cd7750c7b25a7e165c6bcf027",
	"nanos/hello.qcow2":          "57d66b5b544f3483c8709a1d800cfb1a525b60c86344564f56f3b85b461ddb9a",
	"nanos/hellod.img":           "1a55cfef35633cbd78b0de3c465f6afc218d882977677fb241585f9af29f05d4",
	"solo5/test_blk.virtio":      "954ee00808f6f29602674ddb642ce43777a2cb04691a08bc43388c924cc453a4",
	"solo5/test_net_ring.virtio": "fda37f867f71077d60cf04f8dde307d7741a842d40bc83623225baa557c5a87e",
	"solo5/test_time.xen":        "dabd0d00cf136841bbca180fc1927138e24c5d563e8e08cf2399a68701ba823c",
	"solo5/test_quiet.xen":       "7824ecb0a784313a914f7dd7aecbc45ac68eb25995cf0e20ca5be335c0c1d536",
	"osv/loader-stripped.elf":    "07211488e2430c2149eeca51ac1864c87ff1bfe546c200aff748f5839ba64149",
	"osv/hello.qcow2":            "3b9484001452b6f4f7ed94bf6f18354f37ec1f6c14216eadb8121397357cc059",
	"osv/lighttpd.qcow2":         "feb78f49389207c95199925f7b1132a71df21e1dae58835c74bcc2e7f76073db",
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
		NanosHellod:   filepath.Join(dir, "nanos", "hellod.img"),
		Solo5Blk:      filepath.Join(dir, "solo5", "test_blk.virtio"),
		Solo5NetRing:  filepath.Join(dir, "solo5", "test_net_ring.virtio"),
		Solo5TimeXen:  filepath.Join(dir, "solo5", "test_time.xen"),
		Solo5QuietXen: filepath.Join(dir, "solo5", "test_quiet.xen"),
		OSvLoader:     filepath.Join(dir, "osv", "loader-stripped.elf"),
		OSvHello:      filepath.Join(dir, "osv", "hello.qcow2"),
		OSvLighttpd:   filepath.Join(dir, "osv", "lighttpd.qcow2"),
	}
}
