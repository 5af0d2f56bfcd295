# The README demo (`make demo`): upload the test unikernel built from this
# repository, create a network, boot the unikernel, and wait for its ready line.
terraform {
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

provider "unikernel" {
  uri = "qemu:///system"
  # Software emulation boots fastest on nested test machines; use "kvm" on bare metal.
  hypervisor = "qemu"
}

resource "unikernel_pool" "demo" {
  name = "unikernel-demo"
  path = "/var/lib/unikernel/demo"
}

resource "unikernel_image" "hello" {
  name   = "hello.elf"
  pool   = unikernel_pool.demo.name
  source = var.kernel
}

resource "unikernel_network" "demo" {
  name      = "unikernel-demo"
  ipv4_cidr = "10.213.200.0/24"
}

resource "unikernel_instance" "hello" {
  name    = "unikernel-demo-hello"
  kernel  = unikernel_image.hello.id
  cmdline = "hello from terraform"
  memory  = 16

  network_interfaces = [{
    network      = unikernel_network.demo.name
    ipv4_address = "10.213.200.10"
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
