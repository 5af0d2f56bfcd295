# Adopt the instance by its resource identity (Terraform 1.12+, OpenTofu 1.12+).
import {
  to = unikernel_instance.web
  identity = {
    name = "web-1"
  }
}
