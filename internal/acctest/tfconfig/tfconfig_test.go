package tfconfig

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

func TestInstance_rendersEveryField(t *testing.T) {
	got := Instance{
		Name: "tf-acc-vm", Family: "linux", Kernel: "/k", Initrd: "/i", Cmdline: "a ${b} %{c}",
		Args: []string{"two words"}, Env: map[string]string{"B": "2", "A": "1"}, Memory: 128,
		Running: Bool(false), ShutdownTimeout: "0s", BaseImages: []Expr{Image{Label: "b"}.ID()},
		Filesystems: []Filesystem{{Source: "/srv", Tag: "fs0", Driver: "9p", ReadOnly: true}},
		NICs:        []NIC{{Network: "net", IPv4: "10.131.7.60"}, {NetworkRef: "unikernel_network.n.name"}},
		WaitFor:     &WaitFor{Console: `^READY\.`, IPv4: true, TCPPort: 8080, Timeout: "90s"},
		Extra:       `rng = true`,
	}.HCL()
	want := `resource "unikernel_instance" "vm" {
  name = "tf-acc-vm"
  family = "linux"
  kernel = "/k"
  initrd = "/i"
  cmdline = "a $${b} %%{c}"
  args = ["two words"]
  env = { A = "1", B = "2" }
  memory = 128
  running = false
  shutdown_timeout = "0s"
  disks = [{ base_image = unikernel_image.b.id }]
  filesystems = [
    { source = "/srv", tag = "fs0", driver = "9p", read_only = true },
  ]
  network_interfaces = [{
    network = "net"
    ipv4_address = "10.131.7.60"
  }, {
    network = unikernel_network.n.name
  }]
  wait_for = {
    console = "^READY\\."
    ipv4 = true
    tcp_port = 8080
    timeout = "90s"
  }
  rng = true
}
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestConfig_parses: every block renders valid HCL.
func TestConfig_parses(t *testing.T) {
	cfg := Config(
		Provider{URI: "qemu:///system", Hypervisor: "qemu"},
		Pool{Name: "p", Path: "/var/lib/x"},
		Image{Label: "k", Name: "kernel.elf", Source: "/k"},
		Network{Name: "n", Mode: "nat", IPv4CIDR: "10.131.7.0/24", IPv6CIDR: "fd0a:131:7::/64", Extra: "mtu = 1400",
			Hosts:     []Reservation{{MAC: "52:54:00:00:00:01", IPv4: "10.131.7.10", Hostname: "a"}},
			DNSDomain: "svc.internal", DNSHosts: []DNSHost{{IP: "10.131.7.10", Hostnames: []string{"a", "b"}}}},
		Network{Label: "empty", Name: "e", Hosts: []Reservation{}, DNSHosts: []DNSHost{}},
		Instance{Name: "i", KernelX: Image{Label: "k"}.Path(), NICs: []NIC{{NetworkRef: Network{}.Ref()}}},
		Raw(`output "x" { value = 1 }`),
	)
	if _, diags := hclsyntax.ParseConfig([]byte(cfg), "test.tf", hcl.InitialPos); diags.HasErrors() {
		t.Fatalf("%s\n%s", diags, cfg)
	}
}

func TestNetwork_rendersHostsAndDNS(t *testing.T) {
	got := Network{Label: "test", Name: "n", IPv4CIDR: "10.131.7.0/24",
		Hosts:    []Reservation{{MAC: "52:54:00:00:00:01", IPv4: "10.131.7.10"}},
		DNSHosts: []DNSHost{{IP: "10.131.7.10", Hostnames: []string{"a"}}}}.HCL()
	want := `resource "unikernel_network" "test" {
  name = "n"
  ipv4_cidr = "10.131.7.0/24"
  hosts = [{ mac = "52:54:00:00:00:01", ipv4 = "10.131.7.10" }]
  dns = {
    hosts = [{ ipv4 = "10.131.7.10", hostnames = ["a"] }]
  }
}
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
