# An instance is imported by its libvirt domain name...
terraform import unikernel_instance.web web-1

# ...or by its domain UUID.
terraform import unikernel_instance.web 0f8a4c3e-5b7d-4e21-9c6a-2d1e7f3b8a90
