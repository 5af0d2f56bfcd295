# An image uploaded outside this configuration (for example by a CI job with
# `virsh vol-upload`). Its format is detected from a few KiB of headers.
data "unikernel_image" "web" {
  pool = "unikernel-images"
  name = "web.elf"
}

resource "unikernel_instance" "web" {
  name   = "web"
  kernel = data.unikernel_image.web.id
  memory = 64
}

output "web_image" {
  value = {
    format = data.unikernel_image.web.format # e.g. "multiboot"
    boot   = data.unikernel_image.web.boot   # "kernel"
    size   = data.unikernel_image.web.size
  }
}
