# Every validation of the module's inputs, with values it refuses and values
# at the edge of what it accepts. Every run only plans, against a mock of the
# provider: nothing reaches a hypervisor (scripts/test-module.sh --mock-only).
# Terraform does not run the provider's own validators under a mock, and
# OpenTofu does: the image id is a path, as the provider's would be, so that
# the instance's kernel passes them.

mock_provider "unikernel" {
  mock_resource "unikernel_image" {
    defaults = {
      id = "/var/lib/unikernel/tf-acc-validation/tf-acc-validation.img"
    }
  }
}

variables {
  name          = "tf-acc-validation"
  image_source  = "/nonexistent/unikernel.elf"
  image_sha256  = "0000000000000000000000000000000000000000000000000000000000000000"
  network_cidr  = "10.220.129.0/24"
  ready_console = "READY"
}

# Values at the edges of every input's range plan without an error.
run "accepted_edges" {
  command = plan
  variables {
    name             = "ab"
    image_source     = "https://artifacts.example.com/web.elf"
    boot             = "kernel"
    instance_count   = 100
    memory           = 8
    cmdline          = join("", [for i in range(1024) : "abcd"])
    network_cidr     = "10.0.0.0/8"
    ready_timeout    = "1h30m"
    shutdown_timeout = "0s"
  }
  assert {
    condition     = length(unikernel_instance.this) == 100
    error_message = "planned ${length(unikernel_instance.this)} instances"
  }
}

run "accepted_other_edges" {
  command = plan
  variables {
    name             = "a234567890123456789012345678901z"
    boot             = "disk"
    memory           = 65536
    network_cidr     = "10.220.129.0/26"
    ready_timeout    = "500ms"
    shutdown_timeout = "0"
  }
  assert {
    condition     = length(unikernel_instance.this) == 1
    error_message = "planned ${length(unikernel_instance.this)} instances"
  }
}

run "name_with_upper_case" {
  command = plan
  variables {
    name = "Team-A"
  }
  expect_failures = [var.name]
}

run "name_with_slash" {
  command = plan
  variables {
    name = "../etc"
  }
  expect_failures = [var.name]
}

run "name_too_long" {
  command = plan
  variables {
    name = "a2345678901234567890123456789012z"
  }
  expect_failures = [var.name]
}

run "name_ends_with_hyphen" {
  command = plan
  variables {
    name = "web-"
  }
  expect_failures = [var.name]
}

run "empty_source" {
  command = plan
  variables {
    image_source = "  "
  }
  expect_failures = [var.image_source]
}

run "plain_http_source" {
  command = plan
  variables {
    image_source = "http://artifacts.example.com/web.elf"
  }
  expect_failures = [var.image_source]
}

run "sha256_not_hex" {
  command = plan
  variables {
    image_sha256 = "not-a-digest"
  }
  expect_failures = [var.image_sha256]
}

run "sha256_upper_case" {
  command = plan
  variables {
    image_sha256 = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
  }
  expect_failures = [var.image_sha256]
}

run "bad_boot" {
  command = plan
  variables {
    boot = "pxe"
  }
  expect_failures = [var.boot]
}

run "zero_instances" {
  command = plan
  variables {
    instance_count = 0
  }
  expect_failures = [var.instance_count]
}

run "too_many_instances" {
  command = plan
  variables {
    instance_count = 101
    network_cidr   = "10.0.0.0/8"
  }
  expect_failures = [var.instance_count]
}

run "fractional_instances" {
  command = plan
  variables {
    instance_count = 1.5
  }
  expect_failures = [var.instance_count]
}

run "too_little_memory" {
  command = plan
  variables {
    memory = 4
  }
  expect_failures = [var.memory]
}

run "too_much_memory" {
  command = plan
  variables {
    memory = 65537
  }
  expect_failures = [var.memory]
}

run "cmdline_too_long" {
  command = plan
  variables {
    cmdline = join("", ["x"], [for i in range(1024) : "abcd"])
  }
  expect_failures = [var.cmdline]
}

run "cidr_not_a_network" {
  command = plan
  variables {
    network_cidr = "10.220.129.0"
  }
  expect_failures = [var.network_cidr]
}

run "cidr_ipv6" {
  command = plan
  variables {
    network_cidr = "fd00:220::/64"
  }
  expect_failures = [var.network_cidr]
}

run "cidr_too_large" {
  command = plan
  variables {
    network_cidr = "10.0.0.0/7"
  }
  expect_failures = [var.network_cidr]
}

run "cidr_too_small" {
  command = plan
  variables {
    network_cidr = "10.220.129.0/28"
  }
  expect_failures = [var.network_cidr]
}

run "cidr_host_address" {
  command = plan
  variables {
    network_cidr = "10.220.129.7/24"
  }
  expect_failures = [var.network_cidr]
}

run "empty_ready_console" {
  command = plan
  variables {
    ready_console = ""
  }
  expect_failures = [var.ready_console]
}

run "bad_ready_timeout" {
  command = plan
  variables {
    ready_timeout = "two minutes"
  }
  expect_failures = [var.ready_timeout]
}

run "zero_ready_timeout" {
  command = plan
  variables {
    ready_timeout = "0s"
  }
  expect_failures = [var.ready_timeout]
}

run "empty_ready_timeout" {
  command = plan
  variables {
    ready_timeout = ""
  }
  expect_failures = [var.ready_timeout]
}

run "bad_shutdown_timeout" {
  command = plan
  variables {
    shutdown_timeout = "30"
  }
  expect_failures = [var.shutdown_timeout]
}

run "negative_shutdown_timeout" {
  command = plan
  variables {
    shutdown_timeout = "-5s"
  }
  expect_failures = [var.shutdown_timeout]
}

# The network's upper half is its DHCP range: a /26 has room for 22
# reserved addresses (.10 to .31), not 23.
run "more_instances_than_addresses" {
  command = plan
  variables {
    network_cidr   = "10.220.129.0/26"
    instance_count = 23
  }
  expect_failures = [unikernel_instance.this]
}

# A disk image reads its own command line: cmdline with boot = "disk" is
# refused rather than dropped.
run "cmdline_with_disk_boot" {
  command = plan
  variables {
    boot    = "disk"
    cmdline = "port=8080"
  }
  expect_failures = [unikernel_instance.this]
}
