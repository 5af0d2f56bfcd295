# Bad inputs fail at plan time with an error that names the input. Nothing is
# created: every run only plans. Run with `make test-module`.

provider "unikernel" {
  hypervisor = "qemu"
}

variables {
  name          = "tf-acc-validation"
  image_source  = "/nonexistent/unikernel.elf"
  image_sha256  = "0000000000000000000000000000000000000000000000000000000000000000"
  network_cidr  = "10.220.129.0/24"
  ready_console = "READY"
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

run "plain_http_source" {
  command = plan
  variables {
    image_source = "http://artifacts.example.com/web.elf"
  }
  expect_failures = [var.image_source]
}

run "zero_instances" {
  command = plan
  variables {
    instance_count = 0
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

run "bad_boot" {
  command = plan
  variables {
    boot = "pxe"
  }
  expect_failures = [var.boot]
}

# The network's upper half is its DHCP range: a /26 has room for 22
# reserved addresses (.10 to .31), not 30. This one needs a real image, given
# by the caller (-var image_source=... -var image_sha256=...), because the
# plan reaches the resources.
run "more_instances_than_addresses" {
  command = plan
  variables {
    network_cidr   = "10.220.129.0/26"
    instance_count = 30
    image_source   = var.kernel
    image_sha256   = var.kernel_sha256
  }
  expect_failures = [unikernel_instance.this]
}
