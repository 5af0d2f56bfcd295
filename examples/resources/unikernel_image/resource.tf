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

# A Unikraft build that kraftkit pushed to the team's registry, pinned by
# digest: the plan needs no registry call, and the bytes are verified
# against the digest before anything is written to the pool.
resource "unikernel_image" "nginx" {
  name = "nginx_qemu-x86_64"
  pool = unikernel_pool.images.name
  oci = {
    reference = "registry.example.com/unikraft/nginx@sha256:6b7c1f0e3d2a4b5c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e"
  }
}

# Its root file system, from the same package (kraftkit packs it as the
# initrd), and the package's command line for the instance.
resource "unikernel_image" "nginx_rootfs" {
  name = "nginx-rootfs.cpio"
  pool = unikernel_pool.images.name
  oci = {
    reference = "registry.example.com/unikraft/nginx@sha256:6b7c1f0e3d2a4b5c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e"
    part      = "initrd"
  }
}

# A MirageOS unikernel that CI pushes with `oras push` under a tag: each plan
# resolves the tag, and a new build pushed under it replaces the image.
resource "unikernel_image" "mirage" {
  name = "dns.virtio"
  pool = unikernel_pool.images.name
  oci = {
    reference = "registry.example.com/team/mirage-dns:stable"
  }
}

output "nginx_cmdline" {
  value = unikernel_image.nginx.oci_cmdline # the application's arguments from the package
}

output "web_kernel" {
  value = {
    id     = unikernel_image.web.id # the volume key: pass it to an instance's kernel
    format = unikernel_image.web.format
    boot   = unikernel_image.web.boot # "kernel" or "disk"
    sha256 = unikernel_image.web.sha256
  }
}
