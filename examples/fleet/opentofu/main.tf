# OpenTofu only (1.9 and later: provider iteration).
# Twelve replicas of one unikernel over three hosts. The module iterates the provider over
# var.hosts, places the replicas with provider::unikernel::place and makes the pool, image and
# network on each host. Add a host: nothing that runs moves. Retire one: set drain = true and
# apply (its replicas move, the plan names them), then remove it from the map.

terraform {
  required_version = ">= 1.9"
  required_providers {
    unikernel = {
      source = "unikernel-dev/unikernel"
    }
  }
}

variable "kernel" {
  description = "Path of the unikernel build on this machine."
  type        = string
  default     = "build/guests/multiboot/kernel.elf"
}

module "edge" {
  source = "../../modules/unikernel-fleet"

  name = "edge"
  hosts = {
    kvm-a = { uri = "qemu+ssh://root@kvm-a.example.com/system" }
    kvm-b = { uri = "qemu+ssh://root@kvm-b.example.com/system" }
    kvm-c = { uri = "qemu+tls://kvm-c.example.com/system", weight = 2 }
  }
  replicas      = 12
  memory        = 64
  image_source  = var.kernel
  image_sha256  = filesha256(var.kernel)
  cmdline       = "role=edge replica=$${index} host=$${host}"
  network_cidr  = "10.40.0.0/24"
  ready_console = "listening"
}

output "replicas" {
  description = "Every replica: name, host and address."
  value       = module.edge.replicas
}

output "inventory" {
  description = "Per host: replicas running, their memory, free memory."
  value       = module.edge.inventory
}
