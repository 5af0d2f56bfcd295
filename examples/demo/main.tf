# The README demo (`make demo`): upload the test unikernel built from this
# repository, create a network, boot the unikernel, and wait for its ready line.
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
  description = "Path of the multiboot test unikernel (make guests builds it)."
  type        = string
}

variable "name" {
  description = "Name of the demo's pool and network, and prefix of its instance."
  type        = string
  default     = "unikernel-demo"
}

variable "pool_path" {
  description = "Host directory of the demo's storage pool."
  type        = string
  default     = "/var/lib/unikernel/demo"
}

variable "ipv4_cidr" {
  description = "The demo network. The instance gets the address .10 in it."
  type        = string
  default     = "10.213.200.0/24"
}

provider "unikernel" {
  # Software emulation boots fastest on nested test machines; use "kvm" on bare metal.
  hypervisor = "qemu"
}

resource "unikernel_pool" "demo" {
  name = var.name
  path = var.pool_path
}

resource "unikernel_image" "hello" {
  name   = "hello.elf"
  pool   = unikernel_pool.demo.name
  source = var.kernel
}

resource "unikernel_network" "demo" {
  name      = var.name
  ipv4_cidr = var.ipv4_cidr
}

resource "unikernel_instance" "hello" {
  name    = "${var.name}-hello"
  kernel  = unikernel_image.hello.id
  cmdline = "hello from terraform"
  memory  = 16

  network_interfaces = [{
    network      = unikernel_network.demo.name
    ipv4_address = cidrhost(var.ipv4_cidr, 10)
  }]

  wait_for = {
    console = "UNIKERNEL-READY"
    timeout = "60s"
  }
}

data "unikernel_instance_console" "hello" {
  name  = unikernel_instance.hello.name
  lines = 20
}

output "ready_line" {
  description = "The line the unikernel printed on its serial console once it was up."
  value       = regex("UNIKERNEL-READY[^\r\n]*", data.unikernel_instance_console.hello.output)
}

output "ipv4_address" {
  description = "The address reserved for the instance on the demo network."
  value       = unikernel_instance.hello.network_interfaces[0].ipv4_address
}

output "boot_format" {
  value = unikernel_instance.hello.boot_format
}

output "console_log" {
  description = "Host path of the persistent console log (root only)."
  value       = unikernel_instance.hello.console_log
}
