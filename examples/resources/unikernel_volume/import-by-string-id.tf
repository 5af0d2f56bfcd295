# Adopt an existing volume as `<pool>/<volume name>` (Terraform 1.5+,
# OpenTofu 1.5+). `format` and `size` left unset keep what libvirt holds, so
# `name` and `pool` are enough; a qcow2 overlay on a backing volume (the libvirt
# provider's base_volume_id) is imported as it is.
import {
  to = unikernel_volume.db
  id = "unikernel-data/db.img"
}
