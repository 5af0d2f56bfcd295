# An image is imported by <pool>/<volume name>. Its SHA-256 is computed once
# by downloading the volume through libvirt, and its format is detected from
# its headers. The first apply afterwards records `source` after checking
# that it holds the same bytes.
terraform import unikernel_image.web unikernel-images/web.elf
