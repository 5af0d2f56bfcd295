# Adopt an existing volume as `<pool>/<volume name>` (Terraform 1.5+,
# OpenTofu 1.5+).
import {
  to = unikernel_volume.db
  id = "unikernel-data/db.img"
}
