# A network is imported by its libvirt name or its UUID.
terraform import unikernel_network.lan unikernel-lan
terraform import unikernel_network.lan 0f8a1c3e-2c4b-4d7e-8f9a-0b1c2d3e4f50
