# MirageOS on Solo5's virtio target: the .virtio binary is a multiboot kernel
# that libvirt boots directly. The unikernel's runtime arguments are its
# kernel command line.
#
# Build it with:  mirage configure -t virtio && make depend && make build
# The kernel is then dist/<name>.virtio.
#
# The artifact URL and its sha256 are placeholders for your own build.

terraform {
  # Tested with Terraform 1.11.4 and OpenTofu 1.12.6.
  required_version = ">= 1.11"
  required_providers {
    unikernel = {
      source = "unikernel-dev/unikernel"
    }
  }
}

provider "unikernel" {
  # uri unset: LIBVIRT_DEFAULT_URI, else qemu:///system.
}

# The defaults are this example's own values; tests set them to run it with a
# local test unikernel.
variable "image_source" {
  description = "Where the unikernel comes from (a path or an https:// URL)."
  type        = string
  default     = "https://artifacts.example.com/mirage/hello-web/0.3.0/hello-web.virtio" # placeholder
}

variable "image_sha256" {
  description = "SHA-256 of the unikernel (`sha256sum` prints it)."
  type        = string
  default     = "2222222222222222222222222222222222222222222222222222222222222222" # placeholder
}

variable "name_prefix" {
  description = "Prefix of the pool, network and instance names."
  type        = string
  default     = "mirage"
}

variable "cidr" {
  description = "The network of the example."
  type        = string
  default     = "10.10.1.0/24"
}

variable "hypervisor" {
  description = "Domain type: kvm, or qemu (software emulation)."
  type        = string
  default     = "kvm"
}

variable "host_number" {
  description = "The instance's address: this host number in the network."
  type        = number
  default     = 10 # static, below the DHCP range (.128 to .254)
}

variable "ready_console" {
  description = "Regular expression of the console line that says the unikernel serves."
  type        = string
  default     = "listening on port 8080"
}

locals {
  version = "0.3.0"
}

resource "unikernel_pool" "mirage" {
  name = "${var.name_prefix}-images"
  path = "/var/lib/unikernel/${var.name_prefix}"
}

resource "unikernel_image" "web" {
  name   = "hello-web-${local.version}.virtio"
  pool   = unikernel_pool.mirage.name
  source = var.image_source
  sha256 = var.image_sha256
  format = "multiboot"
}

resource "unikernel_network" "mirage" {
  name      = "${var.name_prefix}-net"
  mode      = "nat"
  ipv4_cidr = var.cidr
}

resource "unikernel_instance" "web" {
  name = "${var.name_prefix}-web-1"
  # Solo5's virtio target runs on KVM, or on plain QEMU (software emulation).
  # For Xen, build with `mirage configure -t xen` instead: a PVH kernel.
  hypervisor = var.hypervisor
  kernel     = unikernel_image.web.id

  # The provider writes the command line as MirageOS reads it: the first
  # interface's address as --ipv4 and --ipv4-gateway (prefix and gateway
  # from the network), then the unikernel's own arguments, each quoted so
  # that it arrives as written. The plan shows the result as boot_cmdline:
  #   --ipv4=10.10.1.10/24 --ipv4-gateway=10.10.1.1 --port=8080
  family   = "solo5"
  args     = ["--port=8080"]
  memory   = 64                                                        # Solo5's virtio target uses at most 1 GiB
  cpu_mode = var.hypervisor == "kvm" ? "host-passthrough" : "Westmere" # solo5-virtio-run: -cpu host under KVM, Westmere under TCG

  network_interfaces = [{
    network = unikernel_network.mirage.name
    model   = "virtio" # Solo5 drives the first virtio-net device only
    # The unikernel configures this address itself, from --ipv4. It is also
    # reserved on the network, so that no other guest gets it.
    ipv4_address = cidrhost(var.cidr, var.host_number)
  }]

  # Solo5's virtio target does not implement ACPI power-off: stopping the
  # instance would wait for shutdown_timeout and then destroy it anyway.
  shutdown_timeout = "0s"

  # Gate on the line the unikernel logs once it serves (use your own; the
  # regular expression matches anywhere in the line, so the timestamp, level
  # and source that MirageOS's log reporter prints first do not matter), and
  # on its static address answering on the network.
  wait_for = {
    console = var.ready_console
    ipv4    = true
    timeout = "1m"
  }
}

output "console_log" {
  value = unikernel_instance.web.console_log
}

output "boot_cmdline" {
  value = unikernel_instance.web.boot_cmdline
}
