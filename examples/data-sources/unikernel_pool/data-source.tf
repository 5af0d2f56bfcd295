# A pool defined outside Terraform, for example libvirt's "default" pool.
data "unikernel_pool" "default" {
  name = "default"
}

resource "unikernel_image" "kernel" {
  name   = "kernel.elf"
  pool   = data.unikernel_pool.default.name
  source = "${path.module}/build/kernel.elf"
}

output "free_bytes" {
  value = data.unikernel_pool.default.available
}
