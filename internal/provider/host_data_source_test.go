package provider

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest/tfconfig"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

const hostAddr = "data.unikernel_host.this"

func TestAccHostDataSource_basic(t *testing.T) {
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
			Config: testConfig(hostData("this")),
			ConfigStateChecks: expectAttrs(hostAddr, map[string]knownvalue.Check{
				"uri":                str(acctest.URI()),
				"hostname":           str(hostname),
				"driver":             str("QEMU"),
				"arch":               str(host.Arch),
				"cpus":               knownvalue.Int64Exact(host.CPUs),
				"memory_mib":         knownvalue.Int64Exact(host.MemoryMiB),
				"libvirt_version":    knownvalue.StringRegexp(regexp.MustCompile(`^\d+\.\d+\.\d+$`)),
				"hypervisor_version": knownvalue.StringRegexp(regexp.MustCompile(`^[1-9]\d*\.\d+\.\d+$`)),
				"free_memory_mib":    knownvalue.Int64Func(positive),
				"hypervisors":        listHolds("qemu"),
				"default_hypervisor": str(acctest.Hypervisor()),
				"networks":           listHolds(netName),
			}),
		}},
	})
}

// With hypervisor = "auto" the provider picks the best type the host offers.
func TestAccProvider_hypervisorAuto(t *testing.T) {
	testAccPreCheck(t)
	t.Setenv(EnvHypervisor, "")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: tfconfig.Config(tfconfig.Provider{URI: acctest.URI(), Hypervisor: "auto"}, hostData("this")),
			ConfigStateChecks: []statecheck.StateCheck{statecheck.CompareValuePairs(
				hostAddr, acctest.Path("default_hypervisor"), hostAddr, acctest.Path("hypervisors.0"), compare.ValuesSame())},
		}},
	})
}

// Without a uri attribute the provider takes UNIKERNEL_URI.
func TestAccProvider_uriFromEnvironment(t *testing.T) {
	testAccPreCheck(t)
	t.Setenv(EnvURI, "test:///default")
	t.Setenv(EnvLibvirtURI, "qemu:///nonexistent")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: tfconfig.Config(tfconfig.Provider{Hypervisor: "qemu"}, hostData("this")),
			ConfigStateChecks: expectAttrs(hostAddr, map[string]knownvalue.Check{
				"uri": str("test:///default"), "driver": str("TEST"),
			}),
		}},
	})
}

// testAccProviderRefused checks that reading the host through provider fails
// with an error matching re.
func testAccProviderRefused(t *testing.T, provider tfconfig.Provider, re string) {
	t.Helper()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      tfconfig.Config(provider, hostData("this")),
			ExpectError: regexp.MustCompile(re),
		}},
	})
}

func TestAccProvider_badURI(t *testing.T) {
	testAccPreCheck(t)
	testAccProviderRefused(t, tfconfig.Provider{URI: "bogus://nowhere/system"}, `(?s)Unable to connect to libvirt at "bogus://nowhere/system".*virsh -c`)
}

// A daemon that accepts connections and never answers: Configure must give up
// within its 10 s bound and say which URI failed.
func TestAccProvider_unresponsiveDaemon(t *testing.T) {
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
	testAccProviderRefused(t, tfconfig.Provider{URI: uri}, `(?s)Unable to connect to libvirt.*no answer within 10s`)
}

func TestAccProvider_invalidHypervisor(t *testing.T) {
	testAccPreCheck(t)
	testAccProviderRefused(t, tfconfig.Provider{Hypervisor: "vmware"}, `(?s)hypervisor.*value must be one of`)
}
