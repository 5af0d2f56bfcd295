package provider

// Bad input, table-driven. Every case is a configuration mistake that must
// be refused at plan time with an error that names the attribute (Terraform
// shows the attribute's line, or the message spells out its path).
//
// The same table runs twice:
//   - TestBadInput_refusedAtPlan: as a unit test (resource.UnitTest) against libvirt's
//     in-process test driver, test:///default, in seconds and without a
//     daemon;
//   - TestAccBadInput_refusedAtPlan: against the real daemon, where the leak checker
//     proves that nothing was created on the host.
//
// Mistakes that only the host can reveal at apply (a CIDR that overlaps
// another network, a full pool) are acceptance tests of their own
// (TestAccNetworkResource_overlap, TestAccFault_poolFull).

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
)

type badInput struct {
	name string
	// provider replaces the provider block when set.
	provider string
	// resource is the resource block; %[1]s is the test's name, %[2]s a
	// kernel file that exists, %[3]s the directory of the image headers,
	// %[5]s a running storage pool that exists.
	resource string
	// attr is the attribute as Terraform shows it in the config snippet
	// (the top-level name); path is how a message may spell it instead.
	attr, path string
	// want is a regular expression of the error (spaces match any white space).
	want string
}

func badInputs() []badInput {
	inst := func(body string) string {
		return "resource \"unikernel_instance\" \"bad\" {\n  name = \"%[1]s\"\n" + body + "\n}\n"
	}
	instK := func(body string) string { return inst("  kernel = \"%[2]s\"\n" + body) }
	named := func(name string) string {
		return "resource \"unikernel_instance\" \"bad\" {\n  name = " + name + "\n  kernel = \"%[2]s\"\n}\n"
	}
	netw := func(body string) string {
		return "resource \"unikernel_network\" \"bad\" {\n  name = \"%[1]s\"\n" + body + "\n}\n"
	}
	pool := func(name, p string) string {
		return fmt.Sprintf("resource \"unikernel_pool\" \"bad\" {\n  name = %s\n  path = %q\n}\n", name, p)
	}
	image := func(body string) string {
		return "resource \"unikernel_image\" \"bad\" {\n  pool = \"unikernel-console\"\n" + body + "\n}\n"
	}
	vol := func(body string) string {
		return "resource \"unikernel_volume\" \"bad\" {\n  pool = \"%[5]s\"\n" + body + "\n}\n"
	}
	nameRule := `must be 1 to 64 characters`
	return []badInput{
		// Names: XML metacharacters, path components, white space, non-ASCII, length.
		{name: "name with <", resource: named(`"a<b"`), attr: "name", want: nameRule},
		{name: "name with &", resource: named(`"a&b"`), attr: "name", want: nameRule},
		{name: "name with quote", resource: named(`"a\"b"`), attr: "name", want: nameRule},
		{name: "name with apostrophe", resource: named(`"a'b"`), attr: "name", want: nameRule},
		{name: "name with slash", resource: named(`"web/1"`), attr: "name", want: nameRule},
		{name: "name dotdot", resource: named(`".."`), attr: "name", want: `must not be "\." or "\.\."`},
		{name: "name with space", resource: named(`"web 1"`), attr: "name", want: nameRule},
		{name: "name non-ASCII", resource: named(`"café"`), attr: "name", want: nameRule},
		{name: "name too long", resource: named(`"` + strings.Repeat("a", 65) + `"`), attr: "name", want: nameRule},
		{name: "name empty", resource: named(`""`), attr: "name", want: nameRule},
		// Command line.
		{name: "cmdline newline", resource: instK(`  cmdline = "a\nb"`), attr: "cmdline", want: `must not contain a newline`},
		{name: "cmdline NUL", resource: instK(`  cmdline = "a\u0000b"`), attr: "cmdline", want: `NUL byte`},
		{name: "cmdline too long", resource: instK(`  cmdline = "` + strings.Repeat("a", 4097) + `"`), attr: "cmdline", want: `at most 4096`},
		// Sizes.
		{name: "memory zero", resource: instK(`  memory = 0`), attr: "memory", want: `at least 1`},
		{name: "memory negative", resource: instK(`  memory = -64`), attr: "memory", want: `at least 1`},
		{name: "memory beyond host", resource: instK(`  memory = 4000000`), attr: "memory", want: `Not enough host memory`},
		{name: "vcpus zero", resource: instK(`  vcpus = 0`), attr: "vcpus", want: `between 1 and 255`},
		{name: "vcpus negative", resource: instK(`  vcpus = -1`), attr: "vcpus", want: `between 1 and 255`},
		{name: "vcpus beyond host", resource: instK(`  vcpus = 200`), attr: "vcpus", want: `More vCPUs than host CPUs`},
		// MACs and addresses.
		{name: "mac not hex", resource: instK(`  network_interfaces = [{ network = "n", mac = "52:54:00:zz:00:01" }]`),
			attr: "network_interfaces", path: "network_interfaces[0].mac", want: `must be a MAC address`},
		{name: "mac uppercase", resource: instK(`  network_interfaces = [{ network = "n", mac = "52:54:00:AB:00:01" }]`),
			attr: "network_interfaces", path: "network_interfaces[0].mac", want: `must be a MAC address`},
		{name: "mac duplicate", resource: instK(`  network_interfaces = [
    { network = "n", mac = "52:54:00:22:00:01" },
    { network = "m", mac = "52:54:00:22:00:01" },
  ]`), attr: "network_interfaces", path: "network_interfaces[1].mac", want: `Duplicate value`},
		{name: "reservation not IPv4", resource: instK(`  network_interfaces = [{ network = "n", ipv4_address = "10.221.0.256" }]`),
			attr: "network_interfaces", path: "network_interfaces[0].ipv4_address", want: `must be an IPv4 address`},
		// Durations.
		{name: "readiness timeout zero", resource: instK(`  wait_for = { console = "READY", timeout = "0s" }`),
			attr: "wait_for", path: "wait_for.timeout", want: `must be longer than zero`},
		{name: "readiness timeout negative", resource: instK(`  wait_for = { console = "READY", timeout = "-5s" }`),
			attr: "wait_for", path: "wait_for.timeout", want: `must be longer than zero`},
		{name: "readiness timeout garbage", resource: instK(`  wait_for = { timeout = "soon" }`),
			attr: "wait_for", path: "wait_for.timeout", want: `not a Go duration`},
		{name: "shutdown timeout negative", resource: instK(`  shutdown_timeout = "-1s"`), attr: "shutdown_timeout", want: `non-negative duration`},
		{name: "readiness regexp invalid", resource: instK(`  wait_for = { console = "(" }`),
			attr: "wait_for", path: "wait_for.console", want: `valid regular expression`},
		// Paths and images on the local hypervisor.
		{name: "kernel missing", resource: inst(`  kernel = "/nonexistent/tf-acc/kernel.elf"`), attr: "kernel", want: `does not exist on the hypervisor host`},
		{name: "initrd missing", resource: instK(`  initrd = "/nonexistent/tf-acc/initrd.cpio"`), attr: "initrd", want: `does not exist on the hypervisor host`},
		{name: "disk missing", resource: inst(`  disks = [{ path = "/nonexistent/tf-acc/disk.qcow2" }]`),
			attr: "disks", path: "disks[0]", want: `does not exist on the hypervisor host`},
		{name: "xen multiboot-only kernel", resource: instK(`  hypervisor = "xen"`), attr: "kernel", want: `cannot boot as a Xen PVH guest`},
		{name: "kernel relative", resource: inst(`  kernel = "kernel.elf"`), attr: "kernel", want: `must be an absolute host path`},
		{name: "kernel dotdot", resource: inst(`  kernel = "/var/../etc/shadow"`), attr: "kernel", want: `must not contain .\.\.. components`},
		{name: "disk image as kernel", resource: inst(`  kernel = "%[3]s/qcow2-v3.bin"`), attr: "kernel", want: `does not boot as a kernel`},
		{name: "qcow2 with backing file", resource: inst(`  disks = [{ path = "%[3]s/qcow2-backing.bin" }]`),
			attr: "disks", path: "disks[0]", want: `backing file`},
		{name: "nothing to boot", resource: inst(``), attr: "kernel", path: "Set `kernel`", want: `Nothing to boot`},
		{name: "instance hypervisor unknown", resource: instK(`  hypervisor = "vmware"`), attr: "hypervisor", want: `value must be one of`},
		// Networks.
		{name: "network name with <", resource: strings.Replace(netw(`  ipv4_cidr = "10.221.9.0/24"`), `"%[1]s"`, `"a<b"`, 1),
			attr: "name", want: nameRule},
		{name: "network name dotdot", resource: strings.Replace(netw(`  ipv4_cidr = "10.221.9.0/24"`), `"%[1]s"`, `".."`, 1),
			attr: "name", want: `must not be "\." or "\.\."`},
		{name: "cidr host bits", resource: netw(`  ipv4_cidr = "10.221.9.5/24"`), attr: "ipv4_cidr", want: `write 10\.221\.9\.0/24`},
		{name: "cidr garbage", resource: netw(`  ipv4_cidr = "10.221.9/24"`), attr: "ipv4_cidr", want: `not an IPv4 CIDR`},
		{name: "cidr too small", resource: netw(`  ipv4_cidr = "10.221.9.0/31"`), attr: "ipv4_cidr", want: `at most /30`},
		{name: "dhcp range outside cidr", resource: netw(`  ipv4_cidr = "10.221.9.0/24"
  dhcp = { start = "10.221.8.10", end = "10.221.9.20" }`), attr: "dhcp", path: "dhcp.start", want: `is outside ipv4_cidr`},
		{name: "network duplicate mac", resource: netw(`  ipv4_cidr = "10.221.9.0/24"
  hosts = [
    { mac = "52:54:00:22:09:01", ipv4 = "10.221.9.10" },
    { mac = "52:54:00:22:09:01", ipv4 = "10.221.9.11" },
  ]`), attr: "hosts", path: "hosts[1].mac", want: `Duplicate MAC address`},
		{name: "network multicast mac", resource: netw(`  ipv4_cidr = "10.221.9.0/24"
  hosts = [{ mac = "01:00:5e:00:00:01", ipv4 = "10.221.9.10" }]`), attr: "hosts", path: "hosts[0].mac", want: `multicast`},
		// Pools.
		{name: "pool name with slash", resource: pool(`"a/b"`, "/var/lib/unikernel-acc/x"), attr: "name", want: `without .?/.?`},
		{name: "pool name dotdot", resource: pool(`".."`, "/var/lib/unikernel-acc/x"), attr: "name", want: `must not be "\." or "\.\."`},
		{name: "pool path relative", resource: pool(`"%[1]s"`, "images"), attr: "path", want: `must be an absolute host path`},
		{name: "pool path dotdot", resource: pool(`"%[1]s"`, "/var/lib/../../etc"), attr: "path", want: `must be a clean path`},
		// Images.
		{name: "image name dotdot", resource: image(`  name = "../../etc/passwd"
  source = "%[2]s"`), attr: "name", want: `may contain only letters|must not be .\.. or contain .\.\..`},
		{name: "image checksum mismatch", resource: image(`  name = "%[1]s"
  source = "%[2]s"
  sha256 = "` + strings.Repeat("0", 64) + `"`), attr: "sha256", want: `Checksum mismatch`},
		{name: "image sha256 malformed", resource: image(`  name = "%[1]s"
  source = "%[2]s"
  sha256 = "abc"`), attr: "sha256", want: `sha256`},
		{name: "image qcow2 with backing file", resource: image(`  name = "%[1]s"
  source = "%[3]s/qcow2-backing.bin"`), attr: "source", want: `backing file`},
		{name: "image source scheme", resource: image(`  name = "%[1]s"
  source = "ftp://example.invalid/k.elf"`), attr: "source", want: `only local paths and http:// or https:// URLs`},
		{name: "image http without sha256", resource: image(`  name = "%[1]s"
  source = "http://example.invalid/k.elf"`), attr: "sha256", path: "set sha256", want: `Missing sha256`},
		{name: "image source and oci", resource: image(`  name = "%[1]s"
  source = "%[2]s"
  oci = { reference = "registry.example.invalid/app:1" }`), attr: "oci", want: `not both`},
		{name: "image without source or oci", resource: image(`  name = "%[1]s"`), attr: "source", path: "Set `source`", want: `or .oci. to a registry reference`},
		{name: "image oci reference without host", resource: image(`  name = "%[1]s"
  oci = { reference = "team/app:1.4" }`), attr: "oci", path: "oci.reference", want: `does not start with a registry host`},
		{name: "image oci reference with scheme", resource: image(`  name = "%[1]s"
  oci = { reference = "https://registry.example.invalid/app:1" }`), attr: "oci", path: "oci.reference", want: `has a URL scheme`},
		{name: "image oci bad digest", resource: image(`  name = "%[1]s"
  oci = { reference = "registry.example.invalid/app@sha256:abc" }`), attr: "oci", path: "oci.reference", want: `not a valid OCI reference`},
		{name: "image oci part unknown", resource: image(`  name = "%[1]s"
  oci = {
    reference = "registry.example.invalid/app@sha256:` + strings.Repeat("a", 64) + `"
    part      = "bootloader"
  }`), attr: "oci", path: "oci.part", want: `value must be one of`},
		{name: "image oci part and file", resource: image(`  name = "%[1]s"
  oci = {
    reference = "registry.example.invalid/app@sha256:` + strings.Repeat("a", 64) + `"
    part      = "initrd"
    file      = "/unikraft/bin/initrd"
  }`), attr: "oci", path: "oci.file", want: `cannot be specified when|conflicts`},
		{name: "image oci platform malformed", resource: image(`  name = "%[1]s"
  oci = {
    reference = "registry.example.invalid/app@sha256:` + strings.Repeat("a", 64) + `"
    platform  = "linux/amd64/v8/x"
  }`), attr: "oci", path: "oci.platform", want: `must be os/arch or arch`},
		{name: "image oci registry unreachable", resource: image(`  name = "%[1]s"
  oci = { reference = "127.0.0.1:9/app:1" }`), attr: "oci", path: "oci.reference", want: `did not answer|connection refused`},
		// Volumes.
		{name: "volume size zero", resource: vol(`  name = "%[1]s"
  size = "0"`), attr: "size", want: `is zero`},
		{name: "volume size negative", resource: vol(`  name = "%[1]s"
  size = "-2GiB"`), attr: "size", want: `is not a size`},
		{name: "volume size not a number", resource: vol(`  name = "%[1]s"
  size = "lots"`), attr: "size", want: `is not a size`},
		{name: "volume size unknown unit", resource: vol(`  name = "%[1]s"
  size = "2XB"`), attr: "size", want: `unknown unit "XB"`},
		{name: "volume size not whole sectors", resource: vol(`  name = "%[1]s"
  size = "1000"`), attr: "size", want: `not a whole number of 512-byte sectors`},
		{name: "volume size past free space", resource: vol(`  name = "%[1]s"
  size = "8000000TiB"`), attr: "size", want: `Not enough space in pool`},
		{name: "volume without size", resource: vol(`  name = "%[1]s"`), attr: "size", path: "or set source_image",
			want: `A blank volume needs a size`},
		{name: "volume format iso", resource: vol(`  name = "%[1]s"
  size = "1MiB"
  format = "iso"`), attr: "format", want: `value must be one of`},
		{name: "volume name dotdot", resource: vol(`  name = "../../etc/passwd"
  size = "1MiB"`), attr: "name", want: `may contain only letters|must not be .\.. or contain .\.\..`},
		{name: "volume source image relative", resource: vol(`  name = "%[1]s"
  source_image = "images/k.elf"`), attr: "source_image", want: `must be an absolute host path`},
		{name: "disk volume and path", resource: inst(`  kernel = "%[2]s"
  disks = [{ volume = "/var/lib/unikernel-acc/v.img", path = "/var/lib/unikernel-acc/v.img" }]`),
			attr: "disks", path: "disks[0]", want: `Invalid Attribute Combination`},
		{name: "provider registry address with scheme", provider: `provider "unikernel" {
  uri        = "%[4]s"
  registries = [{ address = "https://registry.example.com" }]
}`, resource: instK(""), attr: "registries", path: "registries[0].address", want: `without a scheme or path`},
		{name: "provider registry username without password", provider: `provider "unikernel" {
  uri        = "%[4]s"
  registries = [{ address = "registry.example.com", username = "alice" }]
}`, resource: instK(""), attr: "registries", path: "registries[0]", want: `password must be set too`},
		{name: "provider registry listed twice", provider: `provider "unikernel" {
  uri        = "%[4]s"
  registries = [{ address = "registry.example.com" }, { address = "registry.example.com" }]
}`, resource: instK(""), attr: "registries", path: "registries", want: `registry.example.com`},
		{name: "provider registry CA file missing", provider: `provider "unikernel" {
  uri        = "%[4]s"
  registries = [{ address = "registry.example.com", ca_file = "/nonexistent/ca.pem" }]
}`, resource: instK(""), attr: "registries", path: "ca_file", want: `open /nonexistent/ca.pem`},
		// The provider.
		{name: "provider hypervisor unknown", provider: `provider "unikernel" {
  uri        = "%[4]s"
  hypervisor = "vmware"
}`, resource: instK(""), attr: "hypervisor", want: `value must be one of|Invalid hypervisor`},
		{name: "provider URI unreachable", provider: `provider "unikernel" {
  uri = "qemu+tcp://127.0.0.1:9/system"
}`, resource: instK(""), attr: "uri", want: `Unable to connect to libvirt`},
		{name: "provider URI scheme", provider: `provider "unikernel" {
  uri = "bogus://nowhere/system"
}`, resource: instK(""), attr: "uri", want: `Unable to connect to libvirt`},
		{name: "provider URI no_verify without insecure", provider: `provider "unikernel" {
  uri = "qemu+tls://127.0.0.1/system?no_verify=1"
}`, resource: instK(""), attr: "uri", want: `set .insecure = true.`},
		{name: "provider URI command without insecure", provider: `provider "unikernel" {
  uri = "qemu+ssh://root@127.0.0.1/system?command=/bin/sh"
}`, resource: instK(""), attr: "uri", want: `set .insecure = true.`},
		{name: "provider host key check ignore without insecure", provider: `provider "unikernel" {
  uri                = "qemu+libssh://root@127.0.0.1/system"
  ssh_host_key_check = "ignore"
}`, resource: instK(""), attr: "ssh_host_key_check", want: `set .insecure = true.`},
		// Families: what a family cannot carry, refused at plan.
		{name: "family unknown", resource: instK(`  family = "mirage"`), attr: "family", want: `value must be one of`},
		{name: "family boot format", resource: instK(`  family = "nanos"`), attr: "family", want: `boots disk, linux, but this instance boots a multiboot kernel`},
		{name: "family disk for solo5", resource: inst(`  family = "solo5"
  disks = [{ path = "%[3]s/raw-qemu-img.bin" }]`), attr: "family", want: `boots multiboot, pvh, but this instance boots from its first disk`},
		{name: "args newline", resource: instK(`  family = "solo5"
  args = ["a\nb"]`), attr: "args", want: `must not contain a newline`},
		{name: "args NUL", resource: instK(`  family = "solo5"
  args = ["a\u0000b"]`), attr: "args", want: `NUL byte`},
		{name: "env name", resource: instK(`  family = "unikraft"
  env = { "1ST" = "x" }`), attr: "env", want: `must be a variable name`},
		{name: "env name with dot", resource: instK(`  family = "linux"
  env = { "a.b" = "x" }`), attr: "env", want: `must be a variable name`},
		{name: "args with generic", resource: instK(`  args = ["--port=8080"]`), attr: "args", want: `Set .family. to the guest's family`},
		{name: "env with solo5", resource: instK(`  family = "solo5"
  env = { PORT = "8080" }`), attr: "env", want: `Solo5 and MirageOS have no environment variables`},
		{name: "args with nanos", resource: inst(`  family = "nanos"
  disks = [{ path = "%[3]s/raw-qemu-img.bin" }]
  args = ["8080"]`), attr: "args", want: `config.json`},
		{name: "env with nanos", resource: inst(`  family = "nanos"
  disks = [{ path = "%[3]s/raw-qemu-img.bin" }]
  env = { PORT = "8080" }`), attr: "env", want: `config.json`},
		{name: "args with osv from disk", resource: inst(`  family = "osv"
  disks = [{ path = "%[3]s/qcow2-v3.bin" }]
  args = ["/hello"]`), attr: "args", want: `imgedit.py setargs`},
		{name: "args too long for unikraft", resource: instK(`  family = "unikraft"
  args = ["` + strings.Repeat("a", 4097) + `"]`), attr: "args", want: `keeps at most 3839`},
		{name: "args with a quote for linux", resource: inst(`  family = "linux"
  kernel = "%[3]s/linux-bzimage.bin"
  args = ["say \"hi\""]`), attr: "args", want: `double quote`},
		{name: "args and cmdline both with --", resource: instK(`  family = "unikraft"
  cmdline = "vfs.fstab=x -- app"
  args = ["one"]`), attr: "cmdline", want: `own " -- ", and args are given too`},
		{name: "acpi false for a job", resource: instK(`  mode = "job"
  shutdown_timeout = "0s"
  acpi = false`), attr: "acpi", want: `powers itself off through ACPI`},
		{name: "acpi false with a graceful shutdown", resource: instK(`  shutdown_timeout = "5s"
  acpi = false`), attr: "acpi", want: `presses the ACPI power button`},
		{name: "acpi false with on_poweroff restart", resource: instK(`  shutdown_timeout = "0s"
  on_poweroff = "restart"
  acpi = false`), attr: "acpi", want: `on_poweroff = "restart"`},
		// Firmware.
		{name: "firmware unknown", resource: instK(`  firmware = "uefi"`), attr: "firmware", want: `value must be one of`},
		{name: "firmware efi on xen pvh", resource: instK(`  hypervisor = "xen"
  xen_mode   = "pvh"
  firmware   = "efi"`), attr: "firmware", want: `Xen runs for HVM guests only`},
		{name: "secure boot with bios", resource: instK(`  firmware    = "bios"
  secure_boot = true`), attr: "secure_boot", want: `Set firmware = "efi"`},
		{name: "secure boot on the pc machine", resource: instK(`  firmware    = "efi"
  secure_boot = true
  machine     = "pc"`), attr: "machine", want: `needs the q35 machine type`},
		{name: "multiboot kernel under efi", resource: instK(`  firmware = "efi"`), attr: "firmware", want: `multiboot kernel, which QEMU's own loader starts under BIOS only`},
		{name: "provider connections zero", provider: `provider "unikernel" {
  uri              = "%[4]s"
  connections = 0
}`, resource: instK(""), attr: "connections", want: `value must be between 1 and 16`},
		{name: "provider connections too many", provider: `provider "unikernel" {
  uri              = "%[4]s"
  connections = 17
}`, resource: instK(""), attr: "connections", want: `value must be between 1 and 16`},
	}
}

// attrError is a regexp that matches an error containing want and naming
// the attribute, in either order.
func attrError(attr, path, want string) *regexp.Regexp {
	names := `\d+:\s+` + regexp.QuoteMeta(attr) + `\s*=`
	if path != "" {
		names = `(?:` + names + `|` + regexp.QuoteMeta(path) + `)`
	}
	w := strings.ReplaceAll(want, " ", `\s+`)
	return regexp.MustCompile(`(?s)(?:` + names + `.*(?:` + w + `)|(?:` + w + `).*` + names + `)`)
}

func badInputSteps(t *testing.T, uri, name, pool string) []resource.TestStep {
	t.Helper()
	headers, err := filepath.Abs(filepath.Join("..", "imageformat", "testdata", "headers"))
	if err != nil {
		t.Fatal(err)
	}
	kernel := filepath.Join(headers, "multiboot-guest.bin")
	if _, err := os.Stat(kernel); err != nil {
		t.Fatal(err)
	}
	var steps []resource.TestStep
	for _, c := range badInputs() {
		prov := `provider "unikernel" {
  uri        = "%[4]s"
  hypervisor = "qemu"
}`
		if c.provider != "" {
			prov = c.provider
		}
		cfg := fmt.Sprintf("# "+c.name+"\n"+prov+"\n"+c.resource, name, kernel, headers, uri, pool)
		steps = append(steps, resource.TestStep{Config: cfg, PlanOnly: true, ExpectError: attrError(c.attr, c.path, c.want)})
	}
	return steps
}

// TestBadInput_refusedAtPlan runs the bad-input table without a daemon.
func TestBadInput_refusedAtPlan(t *testing.T) {
	if os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		p, err := exec.LookPath("terraform")
		if err != nil {
			t.Fatal("TF_ACC_TERRAFORM_PATH is not set and no terraform is on PATH; `make test` sets it (scripts/terraform-cli.sh)")
		}
		t.Setenv("TF_ACC_TERRAFORM_PATH", p)
	}
	if n := len(badInputs()); n < 30 {
		t.Fatalf("only %d bad-input cases", n)
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    badInputSteps(t, "test:///default", "tf-unit-bad", "default-pool"),
	})
}

// TestAccBadInput_refusedAtPlan runs the same table against the real daemon; the leak
// checker (started by the pre-check) proves nothing was created.
func TestAccBadInput_refusedAtPlan(t *testing.T) {
	testAccPreCheck(t)
	pool, _ := acctest.TestPool(t, acctest.MustClient(t))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    badInputSteps(t, acctest.URI(), acctest.RandName("bad"), pool),
	})
}
