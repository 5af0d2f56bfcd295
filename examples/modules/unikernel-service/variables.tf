variable "name" {
  description = "Name of the service. It prefixes every object the module creates on the host: the pool (`<name>-images`), the network (`<name>-net`) and the instances (`<name>-1`, `<name>-2`, ...)."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.name))
    error_message = "name must be 2 to 32 characters of lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen, for example \"web\" or \"team-a-api\"."
  }
}

variable "image_source" {
  description = "Where the unikernel comes from: a local path, or an https:// URL."
  type        = string
  validation {
    condition     = length(trimspace(var.image_source)) > 0
    error_message = "image_source must be a local path or an https:// URL of the unikernel image."
  }
  validation {
    condition     = !startswith(var.image_source, "http://")
    error_message = "image_source must not be a plain http:// URL: use https://, or a local path."
  }
}

variable "image_sha256" {
  description = "SHA-256 of the image, as 64 hexadecimal digits (`sha256sum` prints it). The bytes are checked against it before anything boots."
  type        = string
  validation {
    condition     = can(regex("^[0-9a-f]{64}$", var.image_sha256))
    error_message = "image_sha256 must be 64 lower-case hexadecimal digits, as `sha256sum <image>` prints them."
  }
}

variable "boot" {
  description = "How the image boots: \"kernel\" for a unikernel kernel (multiboot, PVH, bzImage) that QEMU loads directly, \"disk\" for a bootable disk image."
  type        = string
  nullable    = false
  default     = "kernel"
  validation {
    condition     = contains(["kernel", "disk"], var.boot)
    error_message = "boot must be \"kernel\" or \"disk\"."
  }
}

variable "instance_count" {
  description = "How many instances of the unikernel to run, 1 to 100."
  type        = number
  nullable    = false
  default     = 1
  validation {
    condition     = var.instance_count >= 1 && var.instance_count <= 100 && floor(var.instance_count) == var.instance_count
    error_message = "instance_count must be a whole number from 1 to 100."
  }
}

variable "memory" {
  description = "Memory of each instance in MiB, 8 to 65536. The default is the provider's."
  type        = number
  nullable    = false
  default     = 64
  validation {
    condition     = var.memory >= 8 && var.memory <= 65536 && floor(var.memory) == var.memory
    error_message = "memory must be a whole number of MiB from 8 to 65536."
  }
}

variable "cmdline" {
  description = "Kernel command line of each instance (boot = \"kernel\" only). The unikernel reads it; `$${index}` in it is replaced with the instance's number (1, 2, ...). null passes none."
  type        = string
  default     = null
  validation {
    condition     = var.cmdline == null || try(length(var.cmdline) <= 4096, false)
    error_message = "cmdline must be at most 4096 characters, the provider's limit for a kernel command line."
  }
}

variable "family" {
  description = "The unikernel family (solo5, unikraft, nanos, osv, linux, or generic, the provider's default): it decides how args, env and each instance's reserved address are written into the kernel command line."
  type        = string
  nullable    = false
  default     = "generic"
}

variable "args" {
  description = "The application's arguments, each passed as one word (needs a family other than generic). `$${index}` in them is replaced with the instance's number."
  type        = list(string)
  nullable    = false
  default     = []
}

variable "env" {
  description = "Environment variables of the application (for families that have them: unikraft, osv, linux)."
  type        = map(string)
  nullable    = false
  default     = {}
}

variable "network_cidr" {
  description = "IPv4 network of the service, for example \"10.30.0.0/24\". It must not overlap another network on the host. Instances get reserved addresses from .10 on, and the upper half is the DHCP range, so a /24 holds up to 100 instances."
  type        = string
  validation {
    condition     = can(cidrhost(var.network_cidr, 0)) && can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+/[0-9]+$", var.network_cidr))
    error_message = "network_cidr must be an IPv4 network in CIDR notation, for example \"10.30.0.0/24\"."
  }
  validation {
    condition     = try(tonumber(split("/", var.network_cidr)[1]) >= 8 && tonumber(split("/", var.network_cidr)[1]) <= 26, true)
    error_message = "network_cidr must have a prefix length from /8 to /26, so that reserved addresses (.10 and up) stay below the DHCP range in the upper half."
  }
  validation {
    condition     = try(cidrhost(var.network_cidr, 0) == split("/", var.network_cidr)[0], true)
    error_message = "network_cidr must name the network address itself, for example \"10.30.0.0/24\" rather than \"10.30.0.5/24\"."
  }
}

variable "ready_console" {
  description = "Regular expression that a console line of each instance matches once it is ready. Apply waits for it on every boot."
  type        = string
  validation {
    condition     = length(var.ready_console) > 0
    error_message = "ready_console must be a regular expression that the unikernel's ready line matches, for example \"listening on\"."
  }
}

variable "ready_timeout" {
  description = "How long apply waits for each instance's ready line, as a Go duration such as \"90s\" or \"1m30s\". null leaves it to the provider, which waits 2m."
  type        = string
  default     = null
  validation {
    condition     = var.ready_timeout == null || can(regex("^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$", var.ready_timeout)) && can(regex("[1-9]", var.ready_timeout))
    error_message = "ready_timeout must be a Go duration greater than zero, such as \"90s\", \"2m\" or \"1m30s\"."
  }
}

variable "shutdown_timeout" {
  description = "How long an instance gets to power off after an ACPI shutdown request before it is stopped hard, as a Go duration; \"0s\" stops it at once. null leaves it to the provider, which follows the boot format: 10s for guests that act on ACPI (a Linux kernel, a disk-booted system, or a kernel whose format is unknown) and 0s for multiboot, multiboot2 and PVH unikernels, which ignore it."
  type        = string
  default     = null
  validation {
    condition     = var.shutdown_timeout == null || can(regex("^(0|([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$", var.shutdown_timeout))
    error_message = "shutdown_timeout must be a Go duration of zero or more, such as \"0s\", \"10s\" or \"1m30s\"."
  }
}

variable "pool_path" {
  description = "Host directory of the service's storage pool. null means `/var/lib/unikernel/<name>`."
  type        = string
  default     = null
}
