# Local host, with KVM when the host offers it.
provider "unikernel" {
  uri = "qemu:///system"
}

# A remote host over SSH, with software emulation (no KVM needed).
provider "unikernel" {
  alias      = "edge"
  uri        = "qemu+ssh://root@edge-01.example.com/system"
  hypervisor = "qemu"
}

# A Xen host.
provider "unikernel" {
  alias      = "xen"
  uri        = "xen:///system"
  hypervisor = "xen"
}
