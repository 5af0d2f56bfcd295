# A volume is imported by <pool>/<volume name>. Its size, capacity and format
# are read from libvirt; source_image, when the configuration sets it, is only
# recorded by the first apply afterwards.
terraform import unikernel_volume.db unikernel-data/db.img
