# The last 50 lines of an instance's serial console, read from its persistent
# log through libvirt, so this works with remote URIs such as qemu+ssh:// too.
data "unikernel_instance_console" "web" {
  name  = "web-1"
  lines = 50
}

output "web_console" {
  value = data.unikernel_instance_console.web.output
}

# Only the output of boots that started at or after a given time. Every start
# made by the provider writes a marker line into the log, for example
#   === unikernel: restarted by terraform to apply a new definition at 2025-06-01T12:00:00Z ===
# and `since` selects the boots whose marker is at or after it.
data "unikernel_instance_console" "web_today" {
  name  = "web-1"
  since = "2025-06-01T00:00:00Z"
  lines = 1000
}

output "web_console_log_path" {
  # Host path of the log (mode 0600, readable by root only).
  value = data.unikernel_instance_console.web_today.path
}
