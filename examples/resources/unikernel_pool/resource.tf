# A directory on the host that holds images. It is created when missing,
# started, and started again with the host. Destroying the pool is refused
# while it still holds images: nothing in it is ever deleted by the pool.
resource "unikernel_pool" "images" {
  name = "unikernel-images"
  path = "/var/lib/unikernel/images"

  # Optional: these are the defaults.
  autostart = true
  running   = true
}
