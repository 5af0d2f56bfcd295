package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// The microVM mounts a host directory shared over virtiofs and serves a file
// from it over HTTP; a second share over 9p is attached and read back.
func TestAccInstanceFilesystems_virtiofsAnd9p(t *testing.T) {
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
	vm := microVM(g, name, lan, 60)
	vm.Cmdline += " microvm.virtiofs=share0"
	vm.Filesystems = []tfconfig.Filesystem{
		{Source: shared, Tag: "share0", Driver: "virtiofs"},
		{Source: static, Tag: "fs0", ReadOnly: true},
	}
	vm.WaitFor = &tfconfig.WaitFor{Console: "MICROVM-READY", TCPPort: 8080, Timeout: "90s"}
	testAccInstances(t, []resource.TestStep{
		{
			Config: testConfig(vm),
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.Expect(vm.Addr(), "filesystems.0.driver", knownvalue.StringExact("virtiofs")),
				acctest.Expect(vm.Addr(), "filesystems.0.read_only", knownvalue.Bool(false)),
				acctest.Expect(vm.Addr(), "filesystems.1.driver", knownvalue.StringExact("9p")),
				acctest.Expect(vm.Addr(), "filesystems.1.read_only", knownvalue.Bool(true)),
			},
			Check: acctest.CheckHTTPBody(microVMURL(lan, 60, "/share/hello.txt"), content),
		},
	})
}

// Plan-time checks of shares.
func TestAccInstanceFilesystems_validation(t *testing.T) {
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
func TestAccInstanceDrift_filesystems(t *testing.T) {
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
