# The module's own logic against a mock of the provider: names, counts,
# addresses, what reaches each resource, the outputs, and the defaults it
# leaves to the provider. Nothing touches a hypervisor, so these run without
# libvirt (scripts/test-module.sh --mock-only). The provider binary is still
# needed for its schema.
#
# A mock provider fills the computed attributes that the configuration leaves
# null with the defaults below. An instance whose shutdown_timeout reads
# "provider-default" therefore had it left to the provider. OpenTofu refuses a
# mock default for an attribute that the configuration sets, so runs that set
# shutdown_timeout use the second mock, "explicit", which has none.

mock_provider "unikernel" {
  mock_resource "unikernel_instance" {
    defaults = {
      shutdown_timeout = "provider-default"
      console_log      = "/var/lib/unikernel/console/mock.log"
      state            = "running"
      boot_format      = "multiboot"
    }
  }
  mock_resource "unikernel_network" {
    defaults = {
      bridge  = "virbr-mock"
      gateway = "10.40.0.1"
    }
  }
  mock_resource "unikernel_image" {
    defaults = {
      id     = "/var/lib/unikernel/svc/svc.img"
      format = "multiboot"
    }
  }
}

mock_provider "unikernel" {
  alias = "explicit"
  mock_resource "unikernel_image" {
    defaults = {
      id = "/srv/pools/svc/svc.img"
    }
  }
}

variables {
  name          = "svc"
  image_source  = "/srv/images/svc.elf"
  image_sha256  = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
  network_cidr  = "10.40.0.0/24"
  ready_console = "READY"
}

# Only the required inputs: one instance, and every default that the provider
# has its own rule for is left to the provider.
run "defaults" {
  command = apply

  assert {
    condition     = output.names == ["svc-1"]
    error_message = "names are ${jsonencode(output.names)}"
  }
  assert {
    condition     = unikernel_instance.this[0].shutdown_timeout == "provider-default"
    error_message = "shutdown_timeout is ${jsonencode(unikernel_instance.this[0].shutdown_timeout)}: the module sets it instead of leaving it to the provider, whose default follows the boot format"
  }
  assert {
    condition     = unikernel_instance.this[0].wait_for.timeout == null && unikernel_instance.this[0].wait_for.console == "READY"
    error_message = "wait_for is ${jsonencode(unikernel_instance.this[0].wait_for)}: the timeout should be left to the provider (2m)"
  }
  assert {
    condition     = unikernel_instance.this[0].memory == 64 && unikernel_instance.this[0].family == "generic"
    error_message = "memory ${unikernel_instance.this[0].memory} and family ${unikernel_instance.this[0].family} are not the provider's defaults (64, generic)"
  }
  assert {
    condition     = unikernel_instance.this[0].cmdline == null && unikernel_instance.this[0].args == null && unikernel_instance.this[0].env == null
    error_message = "cmdline, args or env reach the instance though none was given: ${jsonencode([unikernel_instance.this[0].cmdline, unikernel_instance.this[0].args, unikernel_instance.this[0].env])}"
  }
  assert {
    condition     = unikernel_instance.this[0].kernel == unikernel_image.this.id && unikernel_instance.this[0].disks == null
    error_message = "boot = \"kernel\" should boot the image as the kernel: kernel ${jsonencode(unikernel_instance.this[0].kernel)}, disks ${jsonencode(unikernel_instance.this[0].disks)}"
  }
  assert {
    condition     = unikernel_pool.this.name == "svc-images" && unikernel_pool.this.path == "/var/lib/unikernel/svc"
    error_message = "pool is ${unikernel_pool.this.name} at ${unikernel_pool.this.path}"
  }
  assert {
    condition     = unikernel_image.this.name == "svc.img" && unikernel_image.this.pool == "svc-images" && unikernel_image.this.source == "/srv/images/svc.elf" && unikernel_image.this.sha256 == var.image_sha256
    error_message = "image is ${unikernel_image.this.name} in ${unikernel_image.this.pool} from ${unikernel_image.this.source}"
  }
  assert {
    condition     = unikernel_network.this.name == "svc-net" && unikernel_network.this.ipv4_cidr == "10.40.0.0/24"
    error_message = "network is ${unikernel_network.this.name} with ${jsonencode(unikernel_network.this.ipv4_cidr)}"
  }
  assert {
    condition     = length(unikernel_instance.this[0].network_interfaces) == 1 && unikernel_instance.this[0].network_interfaces[0].network == "svc-net"
    error_message = "interfaces are ${jsonencode(unikernel_instance.this[0].network_interfaces)}"
  }
  assert {
    condition     = output.addresses == ["10.40.0.10"]
    error_message = "addresses are ${jsonencode(output.addresses)}"
  }
  assert {
    condition     = output.ids == [unikernel_instance.this[0].id]
    error_message = "ids are ${jsonencode(output.ids)}, the instance's id is ${unikernel_instance.this[0].id}"
  }
  assert {
    condition     = output.console_logs == ["/var/lib/unikernel/console/mock.log"]
    error_message = "console_logs are ${jsonencode(output.console_logs)}"
  }
  assert {
    condition     = output.network == { name = "svc-net", bridge = "virbr-mock", gateway = "10.40.0.1" }
    error_message = "network output is ${jsonencode(output.network)}"
  }
  assert {
    condition     = output.image == { id = "/var/lib/unikernel/svc/svc.img", format = "multiboot", sha256 = var.image_sha256 }
    error_message = "image output is ${jsonencode(output.image)}"
  }
}

# Three instances: numbered names, consecutive reserved addresses from .10,
# and $${index} replaced in the command line and in every argument.
run "three_instances" {
  command = apply

  providers = {
    unikernel = unikernel.explicit
  }

  variables {
    instance_count   = 3
    memory           = 16
    cmdline          = "port=8080 instance=$${index}"
    family           = "solo5"
    args             = ["--name=svc-$${index}", "--port=8080"]
    env              = { MODE = "prod" }
    shutdown_timeout = "5s"
    ready_timeout    = "1m30s"
    pool_path        = "/srv/pools/svc"
  }

  assert {
    condition     = output.names == ["svc-1", "svc-2", "svc-3"]
    error_message = "names are ${jsonencode(output.names)}"
  }
  assert {
    condition     = output.addresses == ["10.40.0.10", "10.40.0.11", "10.40.0.12"]
    error_message = "addresses are ${jsonencode(output.addresses)}"
  }
  assert {
    condition     = unikernel_instance.this[*].cmdline == ["port=8080 instance=1", "port=8080 instance=2", "port=8080 instance=3"]
    error_message = "command lines are ${jsonencode(unikernel_instance.this[*].cmdline)}"
  }
  assert {
    condition     = unikernel_instance.this[2].args == tolist(["--name=svc-3", "--port=8080"])
    error_message = "the third instance's args are ${jsonencode(unikernel_instance.this[2].args)}"
  }
  assert {
    condition     = alltrue([for i in unikernel_instance.this : i.family == "solo5" && i.memory == 16 && i.env == tomap({ MODE = "prod" })])
    error_message = "family, memory or env did not reach every instance"
  }
  assert {
    condition     = alltrue([for i in unikernel_instance.this : i.shutdown_timeout == "5s" && i.wait_for.timeout == "1m30s"])
    error_message = "shutdown_timeout ${jsonencode(unikernel_instance.this[*].shutdown_timeout)} or the ready timeout was not passed on"
  }
  assert {
    condition     = unikernel_pool.this.path == "/srv/pools/svc"
    error_message = "pool_path was not used: ${unikernel_pool.this.path}"
  }
  assert {
    condition     = length(output.ids) == 3 && output.ids == unikernel_instance.this[*].id
    error_message = "ids are ${jsonencode(output.ids)}"
  }
  assert {
    condition     = length(output.console_logs) == 3
    error_message = "console_logs are ${jsonencode(output.console_logs)}"
  }
}

# A disk image boots from a read-only disk, with no kernel and no command line.
run "disk_boot" {
  command = apply

  variables {
    boot           = "disk"
    instance_count = 2
  }

  assert {
    condition     = alltrue([for i in unikernel_instance.this : i.kernel == null && i.cmdline == null])
    error_message = "a disk-booted instance has a kernel or command line: ${jsonencode(unikernel_instance.this[*].kernel)}"
  }
  assert {
    condition     = alltrue([for i in unikernel_instance.this : length(i.disks) == 1 && i.disks[0].image == unikernel_image.this.id && i.disks[0].read_only])
    error_message = "disks are ${jsonencode(unikernel_instance.this[*].disks)}"
  }
}

# The largest network prefix: a /26 holds 22 reserved addresses, .10 to .31,
# below its DHCP range.
run "full_small_network" {
  command = plan

  variables {
    network_cidr   = "10.40.0.64/26"
    instance_count = 22
  }

  assert {
    condition     = length(unikernel_instance.this) == 22
    error_message = "planned ${length(unikernel_instance.this)} instances"
  }
  assert {
    condition     = unikernel_instance.this[0].network_interfaces[0].ipv4_address == "10.40.0.74" && unikernel_instance.this[21].network_interfaces[0].ipv4_address == "10.40.0.95"
    error_message = "addresses run from ${unikernel_instance.this[0].network_interfaces[0].ipv4_address} to ${unikernel_instance.this[21].network_interfaces[0].ipv4_address}"
  }
}
