# Tested with Terraform 1.11.4 and OpenTofu 1.12.6 (scripts/test-module.sh runs
# the module's tests with both; the tests use mock_provider, which needs
# Terraform 1.7 or OpenTofu 1.8 at least).
terraform {
  required_version = ">= 1.11"
  required_providers {
    unikernel = {
      source = "unikernel-dev/unikernel"
    }
  }
}
