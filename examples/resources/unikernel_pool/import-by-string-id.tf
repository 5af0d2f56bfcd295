# Adopt an existing dir pool by its libvirt name (Terraform 1.5+, OpenTofu 1.5+).
# The resource block must describe the pool as it is: the first plan shows any
# difference.
import {
  to = unikernel_pool.images
  id = "unikernel-images"
}
