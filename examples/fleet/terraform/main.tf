# The same fleet with Terraform, which has no provider iteration: one provider alias and one
# call of the fleet's per-host module per host, and the placement from provider::unikernel::place
# (Terraform 1.8 and later). The rule is the same as the module's: a replica stays on its host,
# new ones spread by weight and free memory.

terraform {
  required_version = ">= 1.8"
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

variable "replicas" {
  description = "How many replicas."
  type        = number
  default     = 12
}

provider "unikernel" {
  alias = "kvm_a"
  uri   = "qemu+ssh://root@kvm-a.example.com/system"
}

provider "unikernel" {
  alias = "kvm_b"
  uri   = "qemu+ssh://root@kvm-b.example.com/system"
}

data "unikernel_host" "kvm_a" {
  provider = unikernel.kvm_a
}

data "unikernel_host" "kvm_b" {
  provider = unikernel.kvm_b
}

# Where the fleet's replicas run now, so that they stay there.
data "unikernel_instances" "kvm_a" {
  provider   = unikernel.kvm_a
  name_regex = "^edge-[0-9]+$"
}

data "unikernel_instances" "kvm_b" {
  provider   = unikernel.kvm_b
  name_regex = "^edge-[0-9]+$"
}

locals {
  memory = 64
  current = merge(
    { for n in data.unikernel_instances.kvm_a.names : trimprefix(n, "edge-") => "kvm_a" },
    { for n in data.unikernel_instances.kvm_b.names : trimprefix(n, "edge-") => "kvm_b" },
  )
  placement = provider::unikernel::place({
    kvm_a = { free_memory_mib = data.unikernel_host.kvm_a.free_memory_mib - 512 }
    kvm_b = { free_memory_mib = data.unikernel_host.kvm_b.free_memory_mib - 512 }
  }, var.replicas, local.memory, local.current)
}

module "kvm_a" {
  source    = "../../modules/unikernel-fleet/modules/host"
  providers = { unikernel = unikernel.kvm_a }

  name             = "edge"
  host             = "kvm_a"
  replicas         = local.placement.per_host["kvm_a"]
  image_source     = var.kernel
  image_sha256     = filesha256(var.kernel)
  pool_path        = "/var/lib/unikernel/edge"
  network_cidr     = "10.40.0.0/24"
  memory           = local.memory
  cmdline          = "role=edge replica=$${index} host=$${host}"
  ready_console    = "listening"
  ready_timeout    = "5m"
  shutdown_timeout = null
}

module "kvm_b" {
  source    = "../../modules/unikernel-fleet/modules/host"
  providers = { unikernel = unikernel.kvm_b }

  name             = "edge"
  host             = "kvm_b"
  replicas         = local.placement.per_host["kvm_b"]
  image_source     = var.kernel
  image_sha256     = filesha256(var.kernel)
  pool_path        = "/var/lib/unikernel/edge"
  network_cidr     = "10.40.0.0/24"
  memory           = local.memory
  cmdline          = "role=edge replica=$${index} host=$${host}"
  ready_console    = "listening"
  ready_timeout    = "5m"
  shutdown_timeout = null
}

check "moves" {
  assert {
    condition     = length(local.placement.moves) == 0
    error_message = "This plan moves replicas: ${jsonencode(local.placement.moves)}."
  }
}

output "replicas" {
  description = "Every replica: name, host and address."
  value       = merge(module.kvm_a.replicas, module.kvm_b.replicas)
}
