resource "unikernel_pool" "data" {
  name = "unikernel-data"
  path = "/var/lib/unikernel/data"
}

# A blank data disk: a sparse raw file of 2 GiB (size takes B, KiB, MiB, GiB,
# TiB or KB, MB, GB, TB, or a plain number of bytes). Raising size later
# grows it in place, live for a running instance; a smaller size is refused.
resource "unikernel_volume" "db" {
  name = "db.img"
  pool = unikernel_pool.data.name
  size = "2GiB"
}

# A full copy of an image (not an overlay), grown to 512 MiB: the image may be
# removed later without touching the volume.
resource "unikernel_volume" "seeded" {
  name         = "seeded.qcow2"
  pool         = unikernel_pool.data.name
  format       = "qcow2"
  source_image = unikernel_image.seed.id
  size         = "512MiB"
}

resource "unikernel_image" "seed" {
  name   = "seed.img"
  pool   = unikernel_pool.data.name
  source = "${path.module}/build/seed.img"
}

resource "unikernel_image" "app" {
  name   = "app.virtio"
  pool   = unikernel_pool.data.name
  source = "${path.module}/build/app.virtio"
}

# The instance attaches the volume; replacing or destroying the instance
# leaves the volume and its data as they are.
resource "unikernel_instance" "app" {
  name   = "app"
  kernel = unikernel_image.app.id
  family = "solo5"
  memory = 64
  disks  = [{ volume = unikernel_volume.db.id }]
}
