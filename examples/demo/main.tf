# The README demo: run with `make demo`, which builds the provider and points
# Terraform at it through dev_overrides.
terraform {
  required_providers {
    unikernel = {
      source = "unikernel-dev/unikernel"
    }
  }
}

provider "unikernel" {
  uri        = "qemu:///system"
  hypervisor = "qemu"
}

data "unikernel_host" "this" {}

output "host" {
  value = {
    hostname   = data.unikernel_host.this.hostname
    libvirt    = data.unikernel_host.this.libvirt_version
    hypervisor = "${data.unikernel_host.this.driver} ${data.unikernel_host.this.hypervisor_version}"
    cpus       = data.unikernel_host.this.cpus
    free_mib   = data.unikernel_host.this.free_memory_mib
    boots_with = data.unikernel_host.this.hypervisors
    networks   = data.unikernel_host.this.networks
    pools      = data.unikernel_host.this.pools
  }
}
