resource "unikernel_pool" "images" {
  name = "unikernel-images"
  path = "/var/lib/unikernel/images"
}

# A kernel built locally. Its SHA-256 is computed at plan time: a new build
# at the same path shows as a replacement in the plan, and instances that
# boot `unikernel_image.web.id` follow. The format (here multiboot or pvh) is
# detected from the ELF headers.
resource "unikernel_image" "web" {
  name   = "web.elf"
  pool   = unikernel_pool.images.name
  source = "${path.module}/build/web.elf"
}

# A disk image fetched over HTTPS and pinned: if the bytes differ, the apply
# fails before anything is created and shows both digests. http:// URLs must
# set sha256.
resource "unikernel_image" "nanos" {
  name   = "httpserver.img"
  pool   = unikernel_pool.images.name
  source = "https://artifacts.example.com/nanos/httpserver.img"
  sha256 = "5555555555555555555555555555555555555555555555555555555555555555"
  format = "raw"
}

# An ELF that carries both a multiboot header and a PVH note is detected as
# multiboot (as QEMU boots it); choose PVH explicitly.
resource "unikernel_image" "pvh" {
  name   = "unikraft.elf"
  pool   = unikernel_pool.images.name
  source = "${path.module}/build/unikraft_qemu-x86_64"
  format = "pvh"
}

output "web_kernel" {
  value = {
    id     = unikernel_image.web.id # the volume key: pass it to an instance's kernel
    format = unikernel_image.web.format
    boot   = unikernel_image.web.boot # "kernel" or "disk"
    sha256 = unikernel_image.web.sha256
  }
}
