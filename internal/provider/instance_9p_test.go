package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// The microVM on Debian's generic kernel mounts a host directory shared over
// virtio-9p and serves a file from it over HTTP. The share's read-only flag
// reaches the guest (its write fails, then succeeds once the flag is off),
// and a share pointed elsewhere out of band is detected and repaired, with
// the UUID kept.
func TestAccInstanceFilesystems_9pReadOnlyAndDrift(t *testing.T) {
	g := testAccInstancePreCheck(t)
	acctest.RequireHarnessNetns(t)
	c := acctest.MustClient(t)
	lan := acctest.TestNetwork(t, "nat")
	shared, other := t.TempDir(), t.TempDir()
	content := "served over 9p " + acctest.RandName("file")
	for dir, text := range map[string]string{shared: content, other: "the wrong share"} {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	probe := filepath.Join(shared, "microvm-write-probe")
	name := acctest.RandName("9p")
	vm := microVM(g, name, lan, 60)
	vm.Kernel, vm.Initrd = g.MicroVMGenericKernel, g.MicroVMGenericInitrd
	vm.Cmdline = "console=ttyS0 panic=-1 quiet microvm.9p=fs0"
	vm.WaitFor = &tfconfig.WaitFor{Console: "MICROVM-READY", TCPPort: 8080, Timeout: "120s"}
	config := func(readOnly bool) string {
		vm.Filesystems = []tfconfig.Filesystem{{Source: shared, Tag: "fs0", Driver: "9p", ReadOnly: readOnly}}
		return testConfig(vm)
	}
	addr := vm.Addr()
	serves := acctest.CheckHTTPBody(microVMURL(lan, 60, "/share/hello.txt"), content)
	noProbe := func(*terraform.State) error {
		if _, err := os.Stat(probe); !os.IsNotExist(err) {
			return fmt.Errorf("the guest wrote to the read-only share (%s: %v)", probe, err)
		}
		return nil
	}
	var uuid string
	testAccInstances(t, []resource.TestStep{
		{
			Config: config(true),
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.Expect(addr, "filesystems.0.driver", knownvalue.StringExact("9p")),
				acctest.Expect(addr, "filesystems.0.read_only", knownvalue.Bool(true)),
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				captureAttr(addr, "id", &uuid),
				serves,
				checkConsoleCount(name, `MICROVM-SHARE tag=fs0 write=denied \(.*read-only file system\)`, 1),
				noProbe,
			),
		},
		{
			// The share now points elsewhere: the refreshed plan shows it.
			PreConfig: func() {
				driftRedefine(t, c, name, func(s *hypervisor.DomainSpec) {
					s.Filesystems = []hypervisor.FilesystemSpec{{Source: other, Tag: "fs0", Driver: "9p", ReadOnly: true}}
				})
			},
			Config:             config(true),
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPreRefresh:  []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
			},
		},
		{
			// Apply repairs it in place and the guest serves the right share again.
			Config: config(true),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrPtr(addr, "id", &uuid),
				checkDomainShare(name, shared, true),
				serves,
				checkConsoleCount(name, `MICROVM-SHARE tag=fs0 write=denied`, 2),
				noProbe,
			),
		},
		{
			// Writable: the guest's write lands in the host directory.
			Config: config(false),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				acctest.Expect(addr, "filesystems.0.read_only", knownvalue.Bool(false)),
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrPtr(addr, "id", &uuid),
				checkDomainShare(name, shared, false),
				serves,
				checkConsoleCount(name, `MICROVM-SHARE tag=fs0 write=ok`, 1),
				func(*terraform.State) error {
					b, err := os.ReadFile(probe)
					if err != nil {
						return fmt.Errorf("the guest's write to the writable share did not reach the host: %w", err)
					}
					if string(b) != "written by the guest\n" {
						return fmt.Errorf("%s holds %q", probe, b)
					}
					return nil
				},
			),
		},
	})
}

// checkDomainShare checks the one share libvirt holds for name.
func checkDomainShare(name, source string, readOnly bool) resource.TestCheckFunc {
	return acctest.CheckDomain(name, func(info hypervisor.DomainInfo) error {
		want := []hypervisor.FilesystemSpec{{Source: source, Tag: "fs0", Driver: "9p", ReadOnly: readOnly}}
		if fmt.Sprint(info.Spec.Filesystems) != fmt.Sprint(want) {
			return fmt.Errorf("libvirt holds shares %+v, want %+v", info.Spec.Filesystems, want)
		}
		return nil
	})
}
