# Adopt the volume by its resource identity, its pool and name (Terraform 1.12+,
# OpenTofu 1.12+).
import {
  to = unikernel_volume.db
  identity = {
    pool = "unikernel-data"
    name = "db.img"
  }
}
