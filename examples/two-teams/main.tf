# Two teams share one host, each with its own copy of the unikernel-service
# module: separate pools, networks and instances, named after the team, on
# networks that do not overlap. Either team can scale, update or destroy its
# service without touching the other's.

terraform {
  # Tested with Terraform 1.11.4 and OpenTofu 1.12.6.
  required_version = ">= 1.11"
  required_providers {
    unikernel = {
      source = "unikernel-dev/unikernel"
    }
  }
}

variable "uri" {
  description = "libvirt URI of the shared host. Unset (null), the provider takes LIBVIRT_DEFAULT_URI, else qemu:///system."
  type        = string
  default     = null
}

variable "hypervisor" {
  description = "Domain type: \"kvm\" on bare metal, \"qemu\" (software emulation) on nested test machines."
  type        = string
  default     = "kvm"
}

variable "kernel" {
  description = "Path or https:// URL of the unikernel both teams run (here the same build; each team would normally pin its own)."
  type        = string
}

variable "kernel_sha256" {
  description = "SHA-256 of the unikernel."
  type        = string
}

variable "teams" {
  description = "Name prefix and network of each team's service."
  type = object({
    a = object({ name = string, cidr = string })
    b = object({ name = string, cidr = string })
  })
  default = {
    a = { name = "team-a-api", cidr = "10.40.1.0/24" }
    b = { name = "team-b-web", cidr = "10.40.2.0/24" }
  }
}

provider "unikernel" {
  uri        = var.uri
  hypervisor = var.hypervisor
}

module "team_a" {
  source = "../modules/unikernel-service"

  name           = var.teams.a.name
  image_source   = var.kernel
  image_sha256   = var.kernel_sha256
  instance_count = 2
  memory         = 16
  cmdline        = "team=a instance=$${index}"
  network_cidr   = var.teams.a.cidr
  ready_console  = "READY"
  # This unikernel does not act on ACPI power-off.
  shutdown_timeout = "0s"
}

module "team_b" {
  source = "../modules/unikernel-service"

  name             = var.teams.b.name
  image_source     = var.kernel
  image_sha256     = var.kernel_sha256
  instance_count   = 1
  memory           = 32
  cmdline          = "team=b instance=$${index}"
  network_cidr     = var.teams.b.cidr
  ready_console    = "READY"
  shutdown_timeout = "0s"
}

output "team_a" {
  value = {
    names        = module.team_a.names
    addresses    = module.team_a.addresses
    console_logs = module.team_a.console_logs
  }
}

output "team_b" {
  value = {
    names        = module.team_b.names
    addresses    = module.team_b.addresses
    console_logs = module.team_b.console_logs
  }
}
