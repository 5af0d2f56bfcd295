package hypervisor

import (
	"net/url"
	"strings"
)

// LocalURI reports whether the hypervisor behind uri runs on this machine and
// reads the same filesystem as this process: a local daemon reached without a
// network transport (`qemu:///system`, `qemu+unix:///session`, `xen:///system`).
// Host paths given for kernels and disks can then be inspected directly, and
// the host's neighbour table is the hypervisor's.
// libvirt's test driver (`test:///default`) runs inside this process, so its
// host is this machine too. Remote URIs (any host, or a transport such as ssh
// or tls) do not share it.
func LocalURI(uri string) bool {
	u, err := url.Parse(uri)
	if err != nil || u.Host != "" {
		return false
	}
	driver, transport, _ := strings.Cut(u.Scheme, "+")
	if driver == "" {
		return false
	}
	return transport == "" || transport == "unix"
}
