# Adopt the network by its resource identity (Terraform 1.12+, OpenTofu 1.12+).
import {
  to = unikernel_network.lan
  identity = {
    name = "unikernel-lan"
  }
}
