# Two KVM hosts driven from one configuration, one provider alias per host.
# The unikernel is built once, on the machine that runs Terraform, and the
# same file is uploaded into a pool on each host: the image checksum is the
# same everywhere, and each host boots its own copy.

terraform {
  # Tested with Terraform 1.11.4 and OpenTofu 1.12.6.
  required_version = ">= 1.11"
  required_providers {
    unikernel = {
      source = "unikernel-dev/unikernel"
    }
  }
}

variable "kernel" {
  description = "Path of the unikernel build on this machine (for example the output of `mirage build`)."
  type        = string
  default     = "build/guests/multiboot/kernel.elf"
}

# Host A over SSH (OpenSSH: keys, known_hosts and ~/.ssh/config as for ssh itself).
provider "unikernel" {
  alias = "a"
  uri   = "qemu+ssh://root@kvm-a.example.com/system"
}

# Host B over TLS, with a client certificate from a directory of its own.
provider "unikernel" {
  alias        = "b"
  uri          = "qemu+tls://kvm-b.example.com/system"
  tls_pki_path = "/etc/unikernel/pki/kvm-b"
}

locals {
  hosts = {
    a = { cmdline = "role=edge host=a" }
    b = { cmdline = "role=edge host=b" }
  }
}

resource "unikernel_pool" "a" {
  provider = unikernel.a
  name     = "unikernels"
  path     = "/var/lib/unikernel/images"
}

resource "unikernel_pool" "b" {
  provider = unikernel.b
  name     = "unikernels"
  path     = "/var/lib/unikernel/images"
}

# One build, two uploads: the checksum is computed once per upload and must match.
resource "unikernel_image" "a" {
  provider = unikernel.a
  name     = "edge.elf"
  pool     = unikernel_pool.a.name
  source   = var.kernel
  sha256   = filesha256(var.kernel)
}

resource "unikernel_image" "b" {
  provider = unikernel.b
  name     = "edge.elf"
  pool     = unikernel_pool.b.name
  source   = var.kernel
  sha256   = filesha256(var.kernel)
}

resource "unikernel_instance" "a" {
  provider = unikernel.a
  name     = "edge-a"
  kernel   = unikernel_image.a.path
  cmdline  = local.hosts.a.cmdline
  memory   = 32

  # Over a remote URI, wait on the console: it is read through libvirt,
  # while a TCP check would dial from this machine.
  wait_for = {
    console = "ready"
  }
}

resource "unikernel_instance" "b" {
  provider = unikernel.b
  name     = "edge-b"
  kernel   = unikernel_image.b.path
  cmdline  = local.hosts.b.cmdline
  memory   = 32

  wait_for = {
    console = "ready"
  }
}
