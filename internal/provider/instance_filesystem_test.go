package provider

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// The microVM mounts a host directory shared over virtiofs and serves a file
// from it over HTTP; a second share over 9p is attached and read back.
func TestAccInstanceFilesystems(t *testing.T) {
	g := testAccInstancePreCheck(t)
	acctest.RequireHarnessNetns(t)
	lan := acctest.TestNetwork(t, "nat")
	shared, static := t.TempDir(), t.TempDir()
	for _, d := range []string{shared, static} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	content := "served from the host " + acctest.RandName("file")
	if err := os.WriteFile(filepath.Join(shared, "hello.txt"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	name := acctest.RandName("fs")
	config := testProviderBlock() + fmt.Sprintf(`
resource "unikernel_instance" "vm" {
  name    = %q
  kernel  = %q
  initrd  = %q
  cmdline = "console=ttyS0 panic=-1 quiet microvm.virtiofs=share0"
  memory  = 128
  shutdown_timeout = "0s"
  filesystems = [
    { source = %q, tag = "share0", driver = "virtiofs" },
    { source = %q, tag = "fs0", read_only = true },
  ]
  network_interfaces = [{
    network      = %q
    ipv4_address = %q
  }]
  wait_for = {
    console  = "MICROVM-READY"
    tcp_port = 8080
    timeout  = "90s"
  }
}
`, name, g.MicroVMKernel, g.MicroVMInitrd, shared, static, lan.Name, lan.Host(60))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             acctest.CheckInstancesDestroyed,
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("unikernel_instance.vm", "filesystems.0.driver", "virtiofs"),
					resource.TestCheckResourceAttr("unikernel_instance.vm", "filesystems.0.read_only", "false"),
					resource.TestCheckResourceAttr("unikernel_instance.vm", "filesystems.1.driver", "9p"),
					resource.TestCheckResourceAttr("unikernel_instance.vm", "filesystems.1.read_only", "true"),
					func(*terraform.State) error {
						resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + lan.Host(60) + ":8080/share/hello.txt")
						if err != nil {
							return err
						}
						defer resp.Body.Close()
						b, _ := io.ReadAll(resp.Body)
						if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(b)) != content {
							return fmt.Errorf("GET /share/hello.txt: %s %q, want %q", resp.Status, b, content)
						}
						return nil
					},
				),
			},
		},
	})
}

// Plan-time checks of shares.
func TestAccInstanceFilesystems_Validation(t *testing.T) {
	g := testAccInstancePreCheck(t)
	name := acctest.RandName("fs")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      jobConfig(g, name, "job", "x", "x", `filesystems = [{ source = "/srv", tag = "a", driver = "virtiofs", read_only = true }]`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`virtiofs shares are writable`),
			},
			{
				Config:      jobConfig(g, name, "job", "x", "x", `filesystems = [{ source = "/srv", tag = "this-tag-is-far-too-long-for-9p-mounts" }]`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`must be 1 to 31 characters`),
			},
		},
	})
}

// A share's read-only flag and its source changed out of band are repaired
// in place, with the UUID kept.
func TestAccInstanceDrift_Filesystems(t *testing.T) {
	testAccInstancePreCheck(t)
	dir, other := t.TempDir(), t.TempDir()
	testAccInstanceDrift(t, driftCase{
		cmdline: "drift filesystems",
		extra:   fmt.Sprintf(`filesystems = [{ source = %q, tag = "fs0", read_only = true }]`, dir),
		drift: func(t *testing.T, c *hypervisor.Client, name string) {
			driftRedefine(t, c, name, func(s *hypervisor.DomainSpec) {
				s.Filesystems = []hypervisor.FilesystemSpec{{Source: other, Tag: "fs0", Driver: "9p"}}
			})
		},
		action: plancheck.ResourceActionUpdate,
		boots:  1,
	})
}
