# Adopt the objects the libvirt provider made (Terraform 1.5+, OpenTofu 1.5+).
# A pool and a network are imported by name, an image by `<pool>/<volume>`,
# an instance by the domain's name or UUID.
import {
  to = unikernel_pool.images
  id = var.pool_name
}

import {
  to = unikernel_network.nat
  id = var.network_name
}

import {
  to = unikernel_image.osv
  id = "${var.pool_name}/${var.base_volume_name}"
}

import {
  to = unikernel_instance.web
  id = var.domain_name
}
