package hypervisor

import (
	"context"
	"fmt"
	"runtime"
	"sort"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// HostInfo describes the hypervisor host behind a connection.
type HostInfo struct {
	Hostname          string
	Driver            string // "QEMU", "Xen", "TEST", ...
	LibvirtVersion    string
	HypervisorVersion string
	Arch              string
	CPUs              int64
	MemoryMiB         int64
	FreeMemoryMiB     int64
	// KernelBootTypes are the domain types ("kvm", "qemu", "xen") that can boot
	// a kernel directly on the host's architecture.
	KernelBootTypes []string
	Networks        []string
	Pools           []string
}

// Host reads the host's facts.
func (c *Client) Host(ctx context.Context) (HostInfo, error) {
	return call(ctx, c, callOnce.on("read", "host", c.uri), func(s *session) (HostInfo, error) {
		var h HostInfo
		var err error
		fail := func(err error, what string) (HostInfo, error) {
			return HostInfo{}, wrap(err, "read "+what+" of", "host", s.uri)
		}
		if h.Hostname, err = s.conn().GetHostname(); err != nil {
			return fail(err, "the hostname")
		}
		if h.Driver, err = s.conn().GetType(); err != nil {
			return fail(err, "the driver")
		}
		lib, err := s.conn().GetLibVersion()
		if err != nil {
			return fail(err, "the libvirt version")
		}
		h.LibvirtVersion = versionString(uint64(lib))
		hv, err := s.conn().GetVersion()
		if err != nil {
			return fail(err, "the hypervisor version")
		}
		h.HypervisorVersion = versionString(uint64(hv))
		node, err := s.conn().GetNodeInfo()
		if err != nil {
			return fail(err, "the node info")
		}
		h.CPUs = int64(node.Cpus)
		h.MemoryMiB = int64(node.Memory / 1024)
		free, err := s.conn().GetFreeMemory()
		if err != nil {
			return fail(err, "the free memory")
		}
		h.FreeMemoryMiB = int64(free / (1024 * 1024))
		caps, err := s.capabilities()
		if err != nil {
			return fail(err, "the capabilities")
		}
		h.Arch = caps.Host.CPU.Arch
		h.KernelBootTypes = KernelBootTypes(caps)
		if h.Networks, err = s.networkNames(); err != nil {
			return fail(err, "the networks")
		}
		if h.Pools, err = s.poolNames(); err != nil {
			return fail(err, "the storage pools")
		}
		return h, nil
	})
}

// KernelBootTypes lists the domain types that can boot a kernel directly on
// the host architecture, in the order kvm, qemu, xen. Pure.
func KernelBootTypes(caps *libvirtxml.Caps) []string {
	seen := map[string]bool{}
	for _, g := range caps.Guests {
		if g.Arch.Name != caps.Host.CPU.Arch {
			continue
		}
		switch g.OSType {
		case "hvm", "xen", "xenpvh":
		default:
			continue
		}
		for _, d := range g.Arch.Domains {
			seen[d.Type] = true
		}
	}
	order := map[string]int{"kvm": 0, "qemu": 1, "xen": 2}
	var out []string
	for t := range seen {
		if _, ok := order[t]; ok {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return order[out[i]] < order[out[j]] })
	return out
}

// ResolveHypervisor turns "auto" into a concrete domain type: kvm when the
// host offers it, else qemu, else xen. Other values pass through unchanged.
func (c *Client) ResolveHypervisor(ctx context.Context, want string) (string, error) {
	return call(ctx, c, callOnce.on("read the capabilities of", "host", c.uri), func(s *session) (string, error) {
		if want != "" && want != "auto" {
			return want, nil
		}
		caps, err := s.capabilities()
		if err != nil {
			return "", wrap(err, "read the capabilities of", "host", s.uri)
		}
		types := KernelBootTypes(caps)
		if len(types) == 0 {
			return "", &Error{Op: "choose a hypervisor on", Kind: "host", Name: s.uri, Code: ErrInvalid,
				Message: "the host offers no domain type (kvm, qemu or xen) for " + caps.Host.CPU.Arch}
		}
		return types[0], nil
	})
}

func (s *session) networkNames() ([]string, error) {
	nets, err := s.conn().ListAllNetworks(0)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(nets))
	for i := range nets {
		if n, err := nets[i].GetName(); err == nil {
			names = append(names, n)
		}
		_ = nets[i].Free()
	}
	sort.Strings(names)
	return names, nil
}

func (s *session) poolNames() ([]string, error) {
	pools, err := s.conn().ListAllStoragePools(0)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(pools))
	for i := range pools {
		if n, err := pools[i].GetName(); err == nil {
			names = append(names, n)
		}
		_ = pools[i].Free()
	}
	sort.Strings(names)
	return names, nil
}

// versionString formats libvirt's major*1000000+minor*1000+release encoding.
func versionString(v uint64) string {
	return fmt.Sprintf("%d.%d.%d", v/1000000, v/1000%1000, v%1000)
}

// hostArch is the architecture domains are defined for when the caller does not say.
var hostArch = map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[runtime.GOARCH]

// HostCapacity returns the host's total memory in MiB and its CPU count: a
// cheap call for plan-time bounds.
func (c *Client) HostCapacity(ctx context.Context) (memoryMiB, cpus int64, err error) {
	node, err := call(ctx, c, callOnce.on("read the node info of", "host", c.uri), func(s *session) (*libvirt.NodeInfo, error) {
		node, err := s.conn().GetNodeInfo()
		return node, wrap(err, "read the node info of", "host", s.uri)
	})
	if err != nil {
		return 0, 0, err
	}
	return int64(node.Memory / 1024), int64(node.Cpus), nil
}
