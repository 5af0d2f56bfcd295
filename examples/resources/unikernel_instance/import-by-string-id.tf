# Adopt an existing libvirt domain by its name or UUID (Terraform 1.5+,
# OpenTofu 1.5+). Its address reservations and shutdown_timeout are read
# back; review the first plan: settings that live only in the configuration
# (wait_for, timeouts, mode, family) are recorded by the first apply.
import {
  to = unikernel_instance.web
  id = "web-1"
}
