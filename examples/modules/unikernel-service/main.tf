# A unikernel service as one unit: a storage pool with the verified image, a
# network of its own, and N instances with reserved addresses that each apply
# waits for until they print their ready line.

locals {
  pool_path = coalesce(var.pool_path, "/var/lib/unikernel/${var.name}")
  # Reserved addresses start at .10; the network's DHCP range is its upper
  # half, which starts at dhcp_start.
  dhcp_start = pow(2, 32 - tonumber(split("/", var.network_cidr)[1])) / 2
  addresses  = [for i in range(min(var.instance_count, max(local.dhcp_start - 10, 0))) : cidrhost(var.network_cidr, 10 + i)]
}

resource "unikernel_pool" "this" {
  name = "${var.name}-images"
  path = local.pool_path
}

resource "unikernel_image" "this" {
  name   = "${var.name}.img"
  pool   = unikernel_pool.this.name
  source = var.image_source
  sha256 = var.image_sha256
}

resource "unikernel_network" "this" {
  name      = "${var.name}-net"
  ipv4_cidr = var.network_cidr
}

resource "unikernel_instance" "this" {
  count = var.instance_count

  name   = "${var.name}-${count.index + 1}"
  kernel = var.boot == "kernel" ? unikernel_image.this.id : null
  # Every instance boots the same image, so a disk is attached read-only.
  disks   = var.boot == "disk" ? [{ image = unikernel_image.this.id, read_only = true }] : null
  cmdline = var.boot == "kernel" && var.cmdline != null ? replace(var.cmdline, "$${index}", tostring(count.index + 1)) : null
  family  = var.family
  args    = length(var.args) > 0 ? [for a in var.args : replace(a, "$${index}", tostring(count.index + 1))] : null
  env     = length(var.env) > 0 ? var.env : null
  memory  = var.memory

  # null leaves the default to the provider, which follows the boot format.
  shutdown_timeout = var.shutdown_timeout

  network_interfaces = [{
    network      = unikernel_network.this.name
    ipv4_address = try(local.addresses[count.index], null)
  }]

  wait_for = {
    console = var.ready_console
    timeout = var.ready_timeout
  }

  lifecycle {
    precondition {
      condition     = 10 + var.instance_count <= local.dhcp_start
      error_message = "network_cidr ${var.network_cidr} has room for ${max(local.dhcp_start - 10, 0)} reserved addresses below its DHCP range, not ${var.instance_count}: choose a larger network."
    }
    precondition {
      condition     = var.boot == "kernel" || var.cmdline == null
      error_message = "cmdline is the command line of a kernel that QEMU loads (boot = \"kernel\"); a disk image (boot = \"disk\") reads its own: remove cmdline, or use args with a family that takes them."
    }
  }
}
