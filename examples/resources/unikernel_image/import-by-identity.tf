# Adopt the volume by its resource identity, its pool and name (Terraform 1.12+,
# OpenTofu 1.12+).
import {
  to = unikernel_image.web
  identity = {
    pool = "unikernel-images"
    name = "web.elf"
  }
}
