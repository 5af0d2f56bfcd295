# The console of an instance, read for this run only: the text is never
# written to the state or to a saved plan file (Terraform 1.10+, OpenTofu
# 1.11+). Use it where a guest may print secrets; the data source of the same
# name returns the same text but stores it.
ephemeral "unikernel_instance_console" "web" {
  name  = "web-1"
  lines = 200
}

# Stop the run when the guest has not reported that it is ready. The condition
# reads the text; only its result is kept.
resource "terraform_data" "web_ready" {
  lifecycle {
    precondition {
      condition     = strcontains(ephemeral.unikernel_instance_console.web.output, "READY")
      error_message = "web-1 has not printed READY on its serial console."
    }
  }
}

locals {
  # A token the guest prints at first boot ("bootstrap-token=..."), or null.
  # Ephemeral values go only where Terraform accepts them: provider blocks,
  # write-only attributes, other ephemeral resources, locals and ephemeral
  # module outputs; for example `provider "vault" { token = local.web_token }`.
  web_token = one([for m in regexall("bootstrap-token=(\\S+)", ephemeral.unikernel_instance_console.web.output) : m[0]])
}
