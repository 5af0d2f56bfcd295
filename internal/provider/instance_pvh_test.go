package provider

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
)

// TestAccInstance_pvhEntry boots the PVH entry of the test unikernel, the one
// Xen uses, under QEMU: a copy of the kernel whose multiboot magic is cleared
// leaves QEMU only the PVH note, so QEMU's own PVH loader starts it. Not on
// Xen, the entry must fall back to the serial port, read its command line
// from hvm_start_info, and still power off through ACPI in job mode.
func TestAccInstance_pvhEntry(t *testing.T) {
	g := testAccInstancePreCheck(t)
	b, err := os.ReadFile(g.MultibootKernel)
	if err != nil {
		t.Fatal(err)
	}
	magic := binary.LittleEndian.AppendUint32(nil, 0x1BADB002)
	i := bytes.Index(b[:min(len(b), 8192)], magic)
	if i < 0 {
		t.Fatal("no multiboot header in the test unikernel")
	}
	copy(b[i:], make([]byte, 4))
	kernel := filepath.Join(t.TempDir(), "pvh-only.elf")
	if err := os.WriteFile(kernel, b, 0o644); err != nil {
		t.Fatal(err)
	}
	name := acctest.RandName("pvh")
	config := func(cmdline, extra string) string {
		return testProviderBlock() + strings.Replace(multibootConfig(g, name, cmdline, extra),
			g.MultibootKernel, kernel, 1)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckInstancesDestroyed,
		Steps: []resource.TestStep{
			{
				Config: config("via the pvh entry", ""),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("unikernel_instance.test", "boot_format", "pvh"),
					resource.TestCheckResourceAttr("unikernel_instance.test", "state", "running"),
				),
			},
			{
				Config: config("pvh job poweroff", `mode = "job"`+"\n  shutdown_timeout = \"0s\""),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("unikernel_instance.test", "state", "shutoff"),
					checkConsoleCount(name, "^UNIKERNEL-POWEROFF\r?$", 1),
				),
			},
		},
	})
}
