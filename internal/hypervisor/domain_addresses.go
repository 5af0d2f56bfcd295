package hypervisor

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"libvirt.org/go/libvirt"
)

// ARPAddresses returns the IPv4 addresses libvirt's ARP source knows for the
// domain's interfaces, by MAC. It works over remote URIs too, but libvirt
// 9.0 on recent kernels fails with "wrong nlmsg len"; callers treat an error
// as "no addresses from this source". A driver without the source (libxl
// refuses it) is asked once per client: its refusal is kept and returned
// from then on, so that polls do not fill the daemon's log with it.
func (c *Client) ARPAddresses(ctx context.Context, name string) (map[string][]string, error) {
	return call(ctx, c, callOnce.on("read the ARP addresses of", kindDomain, name), func(s *session) (map[string][]string, error) {
		if refused := s.refusals.refused(refusalARPSource); refused != nil {
			return nil, refused
		}
		dom, err := s.lookupDomain(name)
		if err != nil {
			return nil, err
		}
		defer func() { _ = dom.Free() }()
		ifaces, err := dom.ListAllInterfaceAddresses(libvirt.DOMAIN_INTERFACE_ADDRESSES_SRC_ARP)
		if err != nil {
			werr := wrap(err, "read the ARP addresses of", kindDomain, name)
			var refusal *Error
			if arpSourceRefused(err) && asError(werr, &refusal) {
				s.refusals.keep(refusalARPSource, refusal)
			}
			return nil, werr
		}
		out := map[string][]string{}
		for _, i := range ifaces {
			for _, a := range i.Addrs {
				if a.Type == libvirt.IP_ADDR_TYPE_IPV4 {
					mac := strings.ToLower(i.Hwaddr)
					out[mac] = append(out[mac], a.Addr)
				}
			}
		}
		return out, nil
	})
}

// arpSourceRefused reports whether err is a driver's refusal of the ARP
// address source itself, which no later call changes.
func arpSourceRefused(err error) bool {
	var lv libvirt.Error
	if !errors.As(err, &lv) {
		return false
	}
	switch lv.Code {
	case libvirt.ERR_ARGUMENT_UNSUPPORTED, libvirt.ERR_NO_SUPPORT, libvirt.ERR_OPERATION_UNSUPPORTED:
		return true
	}
	return false
}

// NeighbourTable reads this host's IPv4 neighbour (ARP) table, in the
// network namespace of the calling process, as MAC to addresses. Only
// complete entries count.
func NeighbourTable() (map[string][]string, error) {
	f, err := os.Open("/proc/net/arp")
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	return ParseNeighbourTable(f)
}

// ParseNeighbourTable parses /proc/net/arp. Pure.
func ParseNeighbourTable(r io.Reader) (map[string][]string, error) {
	out := map[string][]string{}
	sc := bufio.NewScanner(r)
	first := true
	for sc.Scan() {
		if first { // header
			first = false
			continue
		}
		f := strings.Fields(sc.Text())
		if len(f) < 4 || net.ParseIP(f[0]).To4() == nil {
			continue
		}
		flags, err := strconv.ParseUint(strings.TrimPrefix(f[2], "0x"), 16, 32)
		if err != nil || flags&0x2 == 0 { // ATF_COM: the entry is complete
			continue
		}
		mac := strings.ToLower(f[3])
		if mac == "00:00:00:00:00:00" {
			continue
		}
		out[mac] = append(out[mac], f[0])
	}
	return out, sc.Err()
}

// ProbeNeighbour makes this host resolve ip's link-layer address by sending
// one UDP datagram to its discard port: the kernel learns a neighbour only
// after it has talked to it. The datagram itself needs no answer.
func ProbeNeighbour(ip string) {
	conn, err := net.DialTimeout("udp4", net.JoinHostPort(ip, "9"), time.Second)
	if err != nil {
		return
	}
	_, _ = conn.Write([]byte{0})
	_ = conn.Close()
}
