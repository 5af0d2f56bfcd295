# Adopt an existing libvirt network by its name or UUID (Terraform 1.5+,
# OpenTofu 1.5+).
import {
  to = unikernel_network.lan
  id = "unikernel-lan"
}
