package provider

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

func TestAccHostDataSource(t *testing.T) {
	testAccPreCheck(t)
	c := acctest.MustClient(t)
	ctx := context.Background()
	// A network created out of band must be listed, proving the values come from the daemon.
	netName := acctest.RandName("host")
	if _, err := c.CreateNetwork(ctx, hypervisor.NetworkSpec{Name: netName, Mode: "isolated"}, false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteNetwork(ctx, netName) })
	host, err := c.Host(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hostname, _ := os.Hostname()

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: testProviderBlock() + `data "unikernel_host" "this" {}`,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("data.unikernel_host.this", "uri", acctest.URI()),
				resource.TestCheckResourceAttr("data.unikernel_host.this", "hostname", hostname),
				resource.TestCheckResourceAttr("data.unikernel_host.this", "driver", "QEMU"),
				resource.TestCheckResourceAttr("data.unikernel_host.this", "arch", host.Arch),
				resource.TestCheckResourceAttr("data.unikernel_host.this", "cpus", strconv.Itoa(int(host.CPUs))),
				resource.TestCheckResourceAttr("data.unikernel_host.this", "memory_mib", strconv.FormatInt(host.MemoryMiB, 10)),
				resource.TestMatchResourceAttr("data.unikernel_host.this", "libvirt_version", regexp.MustCompile(`^\d+\.\d+\.\d+$`)),
				resource.TestMatchResourceAttr("data.unikernel_host.this", "hypervisor_version", regexp.MustCompile(`^[1-9]\d*\.\d+\.\d+$`)),
				resource.TestMatchResourceAttr("data.unikernel_host.this", "free_memory_mib", regexp.MustCompile(`^[1-9]\d*$`)),
				resource.TestCheckTypeSetElemAttr("data.unikernel_host.this", "hypervisors.*", "qemu"),
				resource.TestCheckResourceAttr("data.unikernel_host.this", "default_hypervisor", acctest.Hypervisor()),
				resource.TestCheckTypeSetElemAttr("data.unikernel_host.this", "networks.*", netName),
			),
		}},
	})
}

// With hypervisor = "auto" the provider picks the best type the host offers.
func TestAccProviderHypervisorAuto(t *testing.T) {
	testAccPreCheck(t)
	t.Setenv(EnvHypervisor, "")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `
provider "unikernel" {
  uri        = "` + acctest.URI() + `"
  hypervisor = "auto"
}
data "unikernel_host" "this" {}
`,
			Check: resource.TestCheckResourceAttrPair("data.unikernel_host.this", "default_hypervisor",
				"data.unikernel_host.this", "hypervisors.0"),
		}},
	})
}

// Without a uri attribute the provider takes UNIKERNEL_URI.
func TestAccProviderURIFromEnvironment(t *testing.T) {
	testAccPreCheck(t)
	t.Setenv(EnvURI, "test:///default")
	t.Setenv(EnvLibvirtURI, "qemu:///nonexistent")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `
provider "unikernel" {
  hypervisor = "qemu"
}
data "unikernel_host" "this" {}
`,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("data.unikernel_host.this", "uri", "test:///default"),
				resource.TestCheckResourceAttr("data.unikernel_host.this", "driver", "TEST"),
			),
		}},
	})
}

func TestAccProviderBadURI(t *testing.T) {
	testAccPreCheck(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `
provider "unikernel" {
  uri = "bogus://nowhere/system"
}
data "unikernel_host" "this" {}
`,
			ExpectError: regexp.MustCompile(`(?s)Unable to connect to libvirt at "bogus://nowhere/system".*virsh -c`),
		}},
	})
}

// A daemon that accepts connections and never answers: Configure must give up
// within its 10 s bound and say which URI failed.
func TestAccProviderUnresponsiveDaemon(t *testing.T) {
	testAccPreCheck(t)
	sock := filepath.Join(t.TempDir(), "silent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		for _, c := range held {
			_ = c.Close()
		}
	})
	uri := "qemu+unix:///system?socket=" + sock
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `
provider "unikernel" {
  uri = "` + uri + `"
}
data "unikernel_host" "this" {}
`,
			ExpectError: regexp.MustCompile(`(?s)Unable to connect to libvirt.*no answer within 10s`),
		}},
	})
}

func TestAccProviderInvalidHypervisor(t *testing.T) {
	testAccPreCheck(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `
provider "unikernel" {
  hypervisor = "vmware"
}
data "unikernel_host" "this" {}
`,
			ExpectError: regexp.MustCompile(`(?s)hypervisor.*value must be one of`),
		}},
	})
}
