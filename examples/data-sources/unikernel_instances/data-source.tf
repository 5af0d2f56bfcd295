# The running Unikraft instances whose names start with "web-" and that have
# an interface on the libvirt network "web". Filters that are set must all
# match; the list is sorted by name.
data "unikernel_instances" "web" {
  name_regex = "^web-"
  state      = "running"
  network    = "web"
  family     = "unikraft"
}

output "web_addresses" {
  value = { for i in data.unikernel_instances.web.instances : i.name => i.ipv4_addresses }
}

# Act on the fleet: the last lines of each one's console.
data "unikernel_instance_console" "web" {
  for_each = toset(data.unikernel_instances.web.names)
  name     = each.key
  lines    = 20
}

# An inventory of the host: every domain, also those Terraform does not manage
# (their family is null).
data "unikernel_instances" "all" {}

output "inventory" {
  value = [
    for i in data.unikernel_instances.all.instances :
    "${i.name}: ${i.state}, ${i.memory} MiB, ${i.vcpus} vCPU, ${coalesce(i.family, "-")}, ${join(" ", i.networks)}"
  ]
}
