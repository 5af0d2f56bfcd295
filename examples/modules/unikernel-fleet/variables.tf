variable "name" {
  description = "Name of the fleet. Replicas are `<name>-<index>` (index from 0) on whichever host they run; the pool (`<name>-images`) and the network (`<name>-net`) are made on every host."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.name))
    error_message = "name must be 2 to 32 characters of lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen, for example \"edge\"."
  }
}

variable "hosts" {
  description = "The hosts, by a key of your choice: `uri` is the libvirt URI; `hypervisor` the provider's `hypervisor` setting for it (null: the host's best); `console_path` and `pool_path` override the provider's console log directory and the module's pool directory on that host (needed only when hosts share a filesystem); `weight` (default 1) scales the host's share of the replicas; `drain = true` moves its replicas to the other hosts and removes the fleet's pool, image and network from it, the step before the host leaves the map (its provider must outlive what it made by one apply)."
  type = map(object({
    uri        = string
    hypervisor   = optional(string)
    console_path = optional(string)
    pool_path    = optional(string)
    weight     = optional(number, 1)
    drain      = optional(bool, false)
  }))
  validation {
    condition     = length(var.hosts) > 0
    error_message = "hosts must list at least one host."
  }
  validation {
    condition     = alltrue([for k, h in var.hosts : can(regex("^[a-z0-9][a-z0-9-]{0,30}$", k))])
    error_message = "hosts keys must be 1 to 31 lower-case letters, digits and hyphens, for example \"kvm-a\"."
  }
  validation {
    condition     = alltrue([for h in var.hosts : h.weight > 0])
    error_message = "Every host's weight must be more than 0."
  }
}

variable "replicas" {
  description = "How many replicas, 0 to 1000."
  type        = number
  validation {
    condition     = var.replicas >= 0 && var.replicas <= 1000 && floor(var.replicas) == var.replicas
    error_message = "replicas must be a whole number from 0 to 1000."
  }
}

variable "image_source" {
  description = "Where the unikernel comes from: a local path or an https:// URL. It is uploaded once per host and checked against image_sha256 before anything boots."
  type        = string
}

variable "image_sha256" {
  description = "SHA-256 of the image, as 64 hexadecimal digits."
  type        = string
  validation {
    condition     = can(regex("^[0-9a-f]{64}$", var.image_sha256))
    error_message = "image_sha256 must be 64 lower-case hexadecimal digits, as `sha256sum <image>` prints them."
  }
}

variable "memory" {
  description = "Memory of each replica in MiB, 8 to 65536."
  type        = number
  default     = 64
  validation {
    condition     = var.memory >= 8 && var.memory <= 65536 && floor(var.memory) == var.memory
    error_message = "memory must be a whole number of MiB from 8 to 65536."
  }
}

variable "reserve_mib" {
  description = "Memory each host keeps for itself: a host takes a new replica only while its free memory minus this stays above the replica's memory."
  type        = number
  default     = 512
  validation {
    condition     = var.reserve_mib >= 0
    error_message = "reserve_mib must be 0 or more."
  }
}

variable "cmdline" {
  description = "Kernel command line of each replica. `$${index}` in it is replaced with the replica's index and `$${host}` with its host's key."
  type        = string
  default     = ""
}

variable "network_cidr" {
  description = "IPv4 network of the fleet, made on every host (the hosts' networks are separate). Replica i has the address .(10 + i) on whichever host it runs, so the network needs room for 10 + replicas addresses below its DHCP range (its upper half): a /20 holds 1,000."
  type        = string
  validation {
    condition     = can(cidrhost(var.network_cidr, 0))
    error_message = "network_cidr must be an IPv4 network in CIDR notation, for example \"10.40.0.0/20\"."
  }
}

variable "pool_path" {
  description = "Directory of the image pool on each host. Default: /var/lib/unikernel/<name>."
  type        = string
  default     = null
}

variable "ready_console" {
  description = "Regular expression that a console line of each replica matches once it is ready. Apply waits for it."
  type        = string
}

variable "ready_timeout" {
  description = "How long apply waits for each replica's ready line, as a Go duration."
  type        = string
  default     = "5m"
}

variable "shutdown_timeout" {
  description = "How long a replica gets to stop cleanly before it is powered off; null for the provider's default."
  type        = string
  default     = null
}
