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

# Registries that unikernel_image's oci source pulls from. Registries without
# an entry use the Docker configuration's credentials (docker login, oras
# login, credential helpers) and the system's CA roots.
provider "unikernel" {
  alias = "registries"
  uri   = "qemu:///system"
  registries = [
    {
      address  = "registry.example.com"
      username = "ci-pull"
      password = var.registry_token
    },
    {
      address = "harbor.internal:8443"
      ca_file = "/etc/ssl/certs/internal-ca.pem"
    },
  ]
}

variable "registry_token" {
  type      = string
  sensitive = true
}
