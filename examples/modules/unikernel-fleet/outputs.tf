output "replicas" {
  description = "Every replica by index: its name, its host's key and its address."
  value       = merge([for h, m in module.host : m.replicas]...)
}

output "placement" {
  description = "Where each replica goes: `hosts` (the host of replica i at index i), `per_host` (host => replica indexes) and `moves` (replicas that leave a drained or removed host)."
  value       = local.placement
}

output "inventory" {
  description = "Per host after the apply: replicas running, the memory they have, and the host's free memory."
  value       = { for h, m in module.host : h => m.inventory }
}
