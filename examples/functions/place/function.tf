# Six replicas of 64 MiB over three hosts: spread first, each host's free memory respected.
locals {
  hosts = {
    alpha = { free_memory_mib = 4096 }
    beta  = { free_memory_mib = 2048, weight = 2 }
    gamma = {}
  }
}

output "placement" {
  # `current` is where replicas run now (replica index => host); {} for a new fleet.
  value = provider::unikernel::place(local.hosts, 6, 64, {})
}

# placement = {
#   hosts    = ["gamma", "alpha", "beta", "beta", "gamma", "alpha"]
#   per_host = { alpha = [1, 5], beta = [2, 3], gamma = [0, 4] }
#   moves    = []
# }
