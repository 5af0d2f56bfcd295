package provider

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/imageformat/imagetest"
)

// imageFixtures are files of every format: the test guests, images made by
// qemu-img, an ELF kernel assembled by the host toolchain, and small
// handmade headers (an ISO 9660 image, a flat multiboot2 kernel, ELF files).
type imageFixtures struct {
	multiboot, vmlinuz, initrd string
	qcow2, raw, overlay, iso   string
	pvhToolchain, multiboot2   string
	multibootAndPVH, plainELF  string
}

func testAccImageFixtures(t *testing.T) imageFixtures {
	t.Helper()
	guests := acctest.TestGuests(t)
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	write := func(name string, b []byte) string {
		if err := os.WriteFile(p(name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p(name)
	}
	acctest.QemuImg(t, "create", "-q", "-f", "qcow2", p("disk.qcow2"), "64M")
	acctest.QemuImg(t, "create", "-q", "-f", "raw", p("disk.raw"), "1M")
	acctest.QemuImg(t, "create", "-q", "-f", "qcow2", "-b", p("disk.qcow2"), "-F", "qcow2", p("overlay.qcow2"))
	return imageFixtures{
		multiboot:       guests.MultibootKernel,
		vmlinuz:         guests.MicroVMKernel,
		initrd:          guests.MicroVMInitrd,
		qcow2:           p("disk.qcow2"),
		raw:             p("disk.raw"),
		overlay:         p("overlay.qcow2"),
		iso:             write("seed.iso", imagetest.ISO("SEED")),
		pvhToolchain:    imagetest.ToolchainELF(t, dir, true, true),
		multiboot2:      write("mb2.bin", imagetest.FlatKernel(imagetest.Multiboot2Header(), 4096, 8192)),
		multibootAndPVH: write("both.elf", imagetest.ELF(imagetest.ELFOptions{Multiboot: true, PVH: true})),
		plainELF:        write("plain.elf", imagetest.ELF(imagetest.ELFOptions{})),
	}
}

// Every format is detected (or chosen) and stored in the right kind of volume.
func TestAccImageResource_formats(t *testing.T) {
	testAccPreCheck(t)
	fx := testAccImageFixtures(t)
	pool, dir := acctest.RandName("pool"), acctest.PoolDir(t)
	cases := []struct {
		label, source, extra, format, boot string
	}{
		{"multiboot", fx.multiboot, "", "multiboot", "kernel"},
		{"linux", fx.vmlinuz, "", "linux", "kernel"},
		{"initrd", fx.initrd, "", "raw", "disk"},
		{"qcow2", fx.qcow2, "", "qcow2", "disk"},
		{"raw", fx.raw, "", "raw", "disk"},
		{"iso", fx.iso, "", "iso", "disk"},
		{"pvh", fx.pvhToolchain, "", "pvh", "kernel"},
		{"multiboot2", fx.multiboot2, "", "multiboot2", "kernel"},
		{"both_default", fx.multibootAndPVH, "", "multiboot", "kernel"},
		{"both_pvh", fx.multibootAndPVH, `format = "pvh"`, "pvh", "kernel"},
		{"plain_elf_raw", fx.plainELF, `format = "raw"`, "raw", "disk"},
		{"overlay_raw", fx.overlay, `format = "raw"`, "raw", "disk"},
	}
	var blocks []tfconfig.Block
	var checks []resource.TestCheckFunc
	var states []statecheck.StateCheck
	for _, tc := range cases {
		img := tfconfig.Image{Label: tc.label, Name: tc.label, Source: tc.source, Extra: tc.extra}
		blocks = append(blocks, img)
		states = append(states, expectAttrs(img.Addr(), map[string]knownvalue.Check{
			"format": str(tc.format), "boot": str(tc.boot),
		})...)
		checks = append(checks, testAccCheckVolumeHolds(pool, tc.label, tc.source))
	}
	// A qcow2 image lives in a qcow2 volume with the image's virtual size.
	// (For the other volumes libvirt reports whatever it probes from the bytes,
	// e.g. iso, or qcow2 for the overlay stored as raw: the format that
	// counts is the image's, in state.)
	checks = append(checks, checkVolume(pool, "qcow2", 64<<20, "qcow2"))
	config := pooledConfig(pool, dir, blocks...)
	refused := func(source, extra, want string) resource.TestStep {
		return resource.TestStep{
			Config:      pooledConfig(pool, dir, append(blocks, tfconfig.Image{Label: "refused", Name: "refused", Source: source, Extra: extra})...),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(want),
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckImagesDestroyed,
		Steps: []resource.TestStep{
			{Config: config, ConfigStateChecks: states, Check: resource.ComposeAggregateTestCheckFunc(checks...)},
			refused(fx.overlay, "", `(?s)has\s+a\s+backing\s+file.*disk\.qcow2`),
			refused(fx.overlay, `format = "qcow2"`, `(?s)not\s+in\s+format\s+qcow2.*backing\s+file`),
			refused(fx.plainELF, "", `(?s)ELF\s+executable\s+with\s+neither\s+a\s+multiboot\s+header`),
			refused(fx.multiboot, `format = "qcow2"`, `(?s)not\s+in\s+format\s+qcow2.*the\s+headers\s+say\s+multiboot`),
			refused(fx.iso, `format = "linux"`, `(?s)not\s+in\s+format\s+linux.*the\s+headers\s+say\s+iso`),
		},
	})
}

func TestAccImageResource_validation(t *testing.T) {
	testAccPreCheck(t)
	digest := strings.Repeat("a", 64)
	cases := []struct{ name, source, extra, want string }{
		{strings.Repeat("n", 129), "/k", "", `length\s+must\s+be\s+between\s+1\s+and\s+128`},
		{"a..b", "/k", "", `must\s+not\s+be\s+.\..\s+or\s+contain\s+.\.\..`},
		{".", "/k", "", `must\s+not\s+be`},
		{"a/b", "/k", "", `may\s+contain\s+only\s+letters`},
		{"with space", "/k", "", `may\s+contain\s+only\s+letters`},
		{"k", "http://127.0.0.1:1/k", "", `(?s)Missing\s+sha256\s+for\s+an\s+http://\s+source`},
		{"k", "ftp://host/k", "", `only\s+local\s+paths\s+and\s+http://\s+or\s+https://\s+URLs`},
		{"k", "https:///k", "", `the\s+URL\s+has\s+no\s+host`},
		{"k", "/k", "sha256 = " + tfconfig.Quote(strings.ToUpper(digest)), `64\s+lowercase\s+hexadecimal\s+digits`},
		{"k", "/k", `sha256 = "abc"`, `64\s+lowercase\s+hexadecimal\s+digits`},
		{"k", "/k", `format = "vmdk"`, `value\s+must\s+be\s+one\s+of`},
	}
	var steps []resource.TestStep
	for _, tc := range cases {
		steps = append(steps, resource.TestStep{
			Config: testConfig(tfconfig.Image{Label: "test", Name: tc.name, Pool: poolNamed("some-pool"),
				Source: tc.source, Extra: tc.extra}),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(tc.want),
		})
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    steps,
	})
}
