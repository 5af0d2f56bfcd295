# Applies the module against the local libvirtd with the multiboot test
# unikernel, checks its outputs and what the instances report, and destroys
# everything again. `make test-module` passes the variables below.

provider "unikernel" {
  hypervisor = "qemu"
}

variables {
  # Set by the caller: a unique name with the acceptance prefix, the test
  # unikernel and its digest.
  # name          = "tf-acc-mod-<random>"
  # kernel        = ".../build/guests/multiboot/kernel.elf"
  # kernel_sha256 = "<sha256sum of it>"
  network_cidr = "10.220.130.0/24"
}

run "two_instances" {
  command = apply

  variables {
    image_source     = var.kernel
    image_sha256     = var.kernel_sha256
    instance_count   = 2
    memory           = 16
    cmdline          = "service=${var.name} instance=$${index}"
    ready_console    = "UNIKERNEL-READY cmdline=service="
    shutdown_timeout = "0s"
  }

  assert {
    condition     = output.names == ["${var.name}-1", "${var.name}-2"]
    error_message = "names are ${jsonencode(output.names)}"
  }
  assert {
    condition     = output.addresses == ["10.220.130.10", "10.220.130.11"]
    error_message = "addresses are ${jsonencode(output.addresses)}"
  }
  assert {
    condition     = output.console_logs == ["/var/lib/unikernel/console/${var.name}-1.log", "/var/lib/unikernel/console/${var.name}-2.log"]
    error_message = "console logs are ${jsonencode(output.console_logs)}"
  }
  assert {
    condition     = alltrue([for i in unikernel_instance.this : i.state == "running"])
    error_message = "not every instance runs: ${jsonencode(unikernel_instance.this[*].state)}"
  }
  assert {
    condition     = unikernel_instance.this[1].cmdline == "service=${var.name} instance=2"
    error_message = "the second instance's command line is ${unikernel_instance.this[1].cmdline}"
  }
  assert {
    condition     = output.image.format == "multiboot" && output.image.sha256 == var.kernel_sha256
    error_message = "image is ${jsonencode(output.image)}"
  }
  assert {
    condition     = output.network.name == "${var.name}-net" && output.network.gateway == "10.220.130.1"
    error_message = "network is ${jsonencode(output.network)}"
  }
}

# Scaling to three adds one instance and leaves the first two alone. This run
# leaves shutdown_timeout to the module's default, null, so the provider
# chooses it from the boot format: 0s for the multiboot test unikernel, the
# same as the first run set, so nothing changes in place.
run "scale_to_three" {
  command = apply

  variables {
    image_source   = var.kernel
    image_sha256   = var.kernel_sha256
    instance_count = 3
    previous_ids   = run.two_instances.ids
    memory         = 16
    cmdline        = "service=${var.name} instance=$${index}"
    ready_console  = "UNIKERNEL-READY cmdline=service="
  }

  assert {
    condition     = length(output.names) == 3 && output.addresses[2] == "10.220.130.12"
    error_message = "after scaling: ${jsonencode(output.names)} ${jsonencode(output.addresses)}"
  }
  assert {
    condition     = slice(output.ids, 0, 2) == var.previous_ids
    error_message = "the first two instances were replaced: ${jsonencode(var.previous_ids)} became ${jsonencode(output.ids)}"
  }
  assert {
    condition     = unikernel_instance.this[*].shutdown_timeout == ["0s", "0s", "0s"] && alltrue([for i in unikernel_instance.this : i.boot_format == "multiboot"])
    error_message = "with shutdown_timeout left to the provider, a multiboot instance gets 0s: ${jsonencode(unikernel_instance.this[*].shutdown_timeout)}"
  }
}
