# A pool is imported by its libvirt name (only pools of type dir).
terraform import unikernel_pool.images unikernel-images
