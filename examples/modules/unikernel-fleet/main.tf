# A fleet: `replicas` copies of one unikernel spread over several libvirt hosts by
# provider::unikernel::place. A replica stays on its host while that host is listed and not draining;
# new replicas go to the host with the fewest for its weight that has the memory for them.

provider "unikernel" {
  alias        = "host"
  for_each     = var.hosts
  uri          = each.value.uri
  hypervisor   = each.value.hypervisor
  console_path = each.value.console_path
}

# What each host has now: its free memory and the fleet's replicas that run on it.
data "unikernel_host" "this" {
  for_each = var.hosts
  provider = unikernel.host[each.key]
}

data "unikernel_instances" "fleet" {
  for_each   = var.hosts
  provider   = unikernel.host[each.key]
  name_regex = "^${var.name}-[0-9]+$"
}

locals {
  current = merge([for h, d in data.unikernel_instances.fleet : {
    for n in d.names : trimprefix(n, "${var.name}-") => h
  }]...)
  placement = provider::unikernel::place(
    { for h, v in var.hosts : h => {
      weight          = v.weight
      drain           = v.drain
      free_memory_mib = max(data.unikernel_host.this[h].free_memory_mib - var.reserve_mib, 0)
    } },
    var.replicas, var.memory, local.current,
  )
}

# A draining host keeps its provider but not its share: its replicas move, and its pool, image and
# network go. Once that is applied, the host can leave var.hosts (its provider must outlive what it
# made by one apply).
module "host" {
  source    = "./modules/host"
  for_each  = { for h, v in var.hosts : h => v if !v.drain }
  providers = { unikernel = unikernel.host[each.key] }

  name             = var.name
  host             = each.key
  replicas         = local.placement.per_host[each.key]
  image_source     = var.image_source
  image_sha256     = var.image_sha256
  pool_path        = coalesce(each.value.pool_path, var.pool_path, "/var/lib/unikernel/${var.name}")
  network_cidr     = var.network_cidr
  memory           = var.memory
  cmdline          = var.cmdline
  ready_console    = var.ready_console
  ready_timeout    = var.ready_timeout
  shutdown_timeout = var.shutdown_timeout
}

# A plan that moves replicas says which, and why, before anything is applied.
check "moves" {
  assert {
    condition = length(local.placement.moves) == 0
    error_message = "This plan moves replicas to other hosts: ${join("; ", [for m in local.placement.moves :
    "${var.name}-${m.replica} from ${m.from} to ${m.to} (${m.why})"])}."
  }
}
