data "unikernel_host" "this" {}

output "host" {
  value = {
    hostname   = data.unikernel_host.this.hostname
    libvirt    = data.unikernel_host.this.libvirt_version
    hypervisor = "${data.unikernel_host.this.driver} ${data.unikernel_host.this.hypervisor_version}"
    free_mib   = data.unikernel_host.this.free_memory_mib
    boots_with = data.unikernel_host.this.hypervisors
    default    = data.unikernel_host.this.default_hypervisor
  }
}
