# Adopt an existing volume as `<pool>/<volume name>` (Terraform 1.5+,
# OpenTofu 1.5+). Its SHA-256 is computed once by downloading it through
# libvirt. Without `source` (as `-generate-config-out` writes it) the volume is
# kept as it is. With a local `source` whose bytes are the volume's, the first
# plan is an update that only records it, and says so: the volume is not
# uploaded. A source with other bytes replaces the image.
import {
  to = unikernel_image.web
  id = "unikernel-images/web.elf"
}
