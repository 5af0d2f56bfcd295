# OpenTofu only: the module iterates its provider over the hosts (`for_each` in a provider block,
# OpenTofu 1.9 and later). With Terraform, call ./modules/host once per provider alias and place
# the replicas with provider::unikernel::place (examples/fleet/terraform).
# Tested with OpenTofu 1.12.6.
terraform {
  required_version = ">= 1.9"
  required_providers {
    unikernel = {
      source = "unikernel-dev/unikernel"
    }
  }
}
