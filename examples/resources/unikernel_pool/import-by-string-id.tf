# Adopt an existing dir pool by its libvirt name (Terraform 1.5+, OpenTofu 1.5+).
# The resource block needs `name` and `path`; `autostart` and `running` left
# unset keep what libvirt holds, so a pool made by `virsh pool-define-as` or
# the libvirt provider imports with an empty plan.
import {
  to = unikernel_pool.images
  id = "unikernel-images"
}
