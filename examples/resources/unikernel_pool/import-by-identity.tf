# Adopt the pool by its resource identity (Terraform 1.12+, OpenTofu 1.12+).
import {
  to = unikernel_pool.images
  identity = {
    name = "unikernel-images"
  }
}
