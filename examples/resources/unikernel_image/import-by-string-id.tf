# Adopt an existing volume as `<pool>/<volume name>` (Terraform 1.5+,
# OpenTofu 1.5+). Its SHA-256 is computed once by downloading it through
# libvirt; the first apply afterwards records `source` after checking that it
# holds the same bytes.
import {
  to = unikernel_image.web
  id = "unikernel-images/web.elf"
}
