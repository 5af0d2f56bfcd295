//go:build linux

// Command init is PID 1 of the networked Linux microVM test guest.
//
// It mounts /dev, /proc and /sys, loads the virtio network modules shipped in
// the initramfs, configures eth0 by DHCP, prints exactly one line
//
//	MICROVM-READY ipv4=<addr>/<prefix> mac=<mac>
//
// to the serial console and then serves HTTP on TCP port 8080, where GET /
// returns the kernel command line (/proc/cmdline, trimmed) as text/plain.
//
// Static-address mode: with microvm.ipv4=<addr>/<prefix> (and optionally
// microvm.gw=<addr>) on the kernel command line, eth0 gets that address and
// no DHCP request is ever sent, as MirageOS (--ipv4), Solo5 and Unikraft
// guests with a configured address behave. The ready line is the same.
//
// The kernel's and initramfs-tools' static form is read too:
// ip=<addr>::<gateway>:<netmask>::<device>:off (a device other than eth0 or
// empty is ignored, as is any other ip= form, which means DHCP).
//
// Arguments and environment: right after it starts, init prints
//
//	MICROVM-ARGV ["arg1","arg2"]
//	MICROVM-ENV {"KEY":"value"}
//
// as JSON (non-ASCII unescaped): its arguments after argv[0], and every
// environment variable the kernel handed it except HOME and TERM, which the
// kernel always sets.
//
// Shared folder: with microvm.virtiofs=<tag>, the virtiofs share of that tag
// is mounted read-only at /share before the ready line, and GET /share/<path>
// serves its files. A failed mount is reported as "MICROVM-ERROR share: ...".
//
// 9p share: with microvm.9p=<tag>, the virtio-9p share of that tag is mounted
// at /share instead (the generic kernel's variant of the guest; the cloud
// kernel has no 9p). It is mounted read-write, so that the share's own
// read-only flag decides: init writes /share/microvm-write-probe and prints
//
//	MICROVM-SHARE tag=<tag> write=ok
//
// or "write=denied (<error>)" before the ready line.
//
// Failures are reported as "MICROVM-ERROR <reason>" lines and retried: PID 1
// must never exit, or the kernel panics.
//
// On Xen (PVH or PV) the NIC is a Xen netfront (xen-netfront.ko in the
// initramfs) and the console is the Xen console: with console=hvc0 on the
// command line, init writes to /dev/hvc0, which xenconsoled logs.
package main

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Load order matters: each module depends on the ones before it. Any of them
// may be built into the kernel, in which case its file is simply absent.
var modules = []string{"virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev",
	"virtio_pci", "failover", "net_failover", "virtio_net", "fuse", "virtiofs", "xen-netfront",
	"netfs", "fscache", "9pnet", "9pnet_virtio", "9p"}

const (
	moduleDir = "/lib/modules"
	ifName    = "eth0"
)

var console = os.Stderr

func logf(format string, args ...any) { fmt.Fprintf(console, format+"\n", args...) }

func main() {
	var mountErrs []error
	for _, m := range []struct{ src, dir, fstype string }{
		{"devtmpfs", "/dev", "devtmpfs"}, {"proc", "/proc", "proc"}, {"sysfs", "/sys", "sysfs"},
	} {
		_ = os.MkdirAll(m.dir, 0o755)
		if err := unix.Mount(m.src, m.dir, m.fstype, 0, ""); err != nil && !errors.Is(err, unix.EBUSY) {
			mountErrs = append(mountErrs, fmt.Errorf("mount %s: %w", m.dir, err))
		}
	}
	openConsole()
	logf("\nmicrovm-init: starting") // leading newline: the firmware leaves a partial line on ttyS0
	for _, err := range mountErrs {
		logf("microvm-init: %v", err)
	}
	printArgs()
	loadModules()

	var l *lease
	var mac net.HardwareAddr
	for attempt := 1; ; attempt++ {
		var err error
		if l, mac, err = configure(uint32(time.Now().UnixNano())+uint32(attempt), staticLease()); err == nil {
			break
		}
		logf("MICROVM-ERROR %v", err)
		time.Sleep(time.Second)
	}
	prefix, _ := l.Mask.Size()
	if tag := cmdlineValue("microvm.virtiofs"); tag != "" {
		_ = os.MkdirAll("/share", 0o755)
		if err := unix.Mount(tag, "/share", "virtiofs", unix.MS_RDONLY, ""); err != nil {
			logf("MICROVM-ERROR share: mount virtiofs %s: %v", tag, err)
		} else {
			http.Handle("/share/", http.StripPrefix("/share/", http.FileServer(http.Dir("/share"))))
		}
	} else if tag := cmdlineValue("microvm.9p"); tag != "" {
		mount9p(tag)
	}

	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		b, err := os.ReadFile("/proc/cmdline")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(strings.TrimSpace(string(b))))
	})
	ready := false
	for {
		// Listen before announcing readiness, so that the port is open once
		// the ready line is seen.
		ln, err := net.Listen("tcp4", ":8080")
		if err == nil {
			if !ready {
				logf("MICROVM-READY ipv4=%s/%d mac=%s", l.Addr, prefix, mac)
				ready = true
			}
			err = http.Serve(ln, nil)
		}
		logf("MICROVM-ERROR http: %v", err)
		time.Sleep(time.Second)
	}
}

// printArgs prints init's arguments and environment as JSON lines.
func printArgs() {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if k != "HOME" && k != "TERM" {
			env[k] = v
		}
	}
	for _, line := range []struct {
		tag string
		v   any
	}{{"MICROVM-ARGV", append([]string{}, os.Args[1:]...)}, {"MICROVM-ENV", env}} {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(line.v)
		logf("%s %s", line.tag, strings.TrimSpace(b.String()))
	}
}

// mount9p mounts the virtio-9p share tag at /share, serves it under /share/,
// and reports whether the guest may write to it.
func mount9p(tag string) {
	_ = os.MkdirAll("/share", 0o755)
	if err := unix.Mount(tag, "/share", "9p", 0, "trans=virtio,version=9p2000.L,msize=131072"); err != nil {
		logf("MICROVM-ERROR share: mount 9p %s: %v", tag, err)
		return
	}
	http.Handle("/share/", http.StripPrefix("/share/", http.FileServer(http.Dir("/share"))))
	err := os.WriteFile("/share/microvm-write-probe", []byte("written by the guest\n"), 0o644)
	if err != nil {
		logf("MICROVM-SHARE tag=%s write=denied (%v)", tag, err)
		return
	}
	logf("MICROVM-SHARE tag=%s write=ok", tag)
}

// openConsole makes the console named by the last console= argument (the
// serial port by default, hvc0 on Xen), or /dev/console, stdin, stdout and
// stderr. The initramfs has no /dev/console node, so the kernel started init
// with no open file descriptors at all.
func openConsole() {
	first := "/dev/ttyS0"
	if b, err := os.ReadFile("/proc/cmdline"); err == nil {
		if name := consoleDevice(string(b)); name != "" {
			first = "/dev/" + name
		}
	}
	for _, p := range []string{first, "/dev/ttyS0", "/dev/console"} {
		f, err := os.OpenFile(p, os.O_RDWR|unix.O_NOCTTY, 0)
		if err != nil {
			continue
		}
		for fd := 0; fd <= 2; fd++ {
			_ = unix.Dup2(int(f.Fd()), fd)
		}
		console = f
		return
	}
}

// consoleDevice returns the device of the last console= argument of a kernel
// command line ("hvc0" for console=hvc0, "ttyS0" for console=ttyS0,115200),
// or "" when there is none or it names no plain device.
func consoleDevice(cmdline string) string {
	dev := ""
	for _, f := range strings.Fields(cmdline) {
		if v, ok := strings.CutPrefix(f, "console="); ok {
			dev, _, _ = strings.Cut(v, ",")
		}
	}
	if dev == "" || strings.ContainsAny(dev, "/.") {
		return ""
	}
	return dev
}

// loadModules loads the network modules; missing files (built in), EEXIST
// (already loaded) and ENODEV (xen-netfront outside Xen) are fine, other
// errors are only logged.
func loadModules() {
	for _, name := range modules {
		f, err := os.Open(moduleDir + "/" + name + ".ko")
		if err != nil {
			continue
		}
		if err := unix.FinitModule(int(f.Fd()), "", 0); err != nil && !errors.Is(err, unix.EEXIST) && !errors.Is(err, unix.ENODEV) {
			logf("microvm-init: load %s: %v", name, err)
		}
		f.Close()
	}
}

// cmdlineValue returns the value of key=value on the kernel command line.
func cmdlineValue(key string) string {
	b, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return ""
	}
	for _, f := range strings.Fields(string(b)) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			return v
		}
	}
	return ""
}

// staticLease is the address given on the kernel command line, nil when
// there is none (or it does not parse, which is reported).
func staticLease() *lease {
	b, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return nil
	}
	var l *lease
	for _, f := range strings.Fields(string(b)) {
		switch {
		case strings.HasPrefix(f, "ip="):
			if k := kernelIP(strings.TrimPrefix(f, "ip=")); k != nil {
				l = k
			}
		case strings.HasPrefix(f, "microvm.ipv4="):
			p, err := netip.ParsePrefix(strings.TrimPrefix(f, "microvm.ipv4="))
			if err != nil || !p.Addr().Is4() {
				logf("MICROVM-ERROR %s: want microvm.ipv4=<ipv4>/<prefix>", f)
				return nil
			}
			if l == nil {
				l = &lease{}
			}
			l.Addr, l.Mask = p.Addr(), net.CIDRMask(p.Bits(), 32)
		case strings.HasPrefix(f, "microvm.gw="):
			a, err := netip.ParseAddr(strings.TrimPrefix(f, "microvm.gw="))
			if err != nil || !a.Is4() {
				logf("MICROVM-ERROR %s: want microvm.gw=<ipv4>", f)
				continue
			}
			if l == nil {
				l = &lease{}
			}
			l.Router = a
		}
	}
	if l != nil && !l.Addr.IsValid() {
		return nil
	}
	return l
}

// kernelIP reads the static form of the kernel's ip= parameter,
// <addr>::<gateway>:<netmask>::<device>:off, for eth0 (or no device); nil
// for any other form.
func kernelIP(v string) *lease {
	f := strings.Split(v, ":")
	if len(f) < 7 || (f[5] != "" && f[5] != ifName) || f[6] != "off" {
		return nil
	}
	addr, err := netip.ParseAddr(f[0])
	mask := net.ParseIP(f[3]).To4()
	if err != nil || !addr.Is4() || mask == nil {
		logf("MICROVM-ERROR ip=%s: want ip=<ipv4>::<gateway>:<netmask>::eth0:off", v)
		return nil
	}
	l := &lease{Addr: addr, Mask: net.IPMask(mask)}
	if gw, err := netip.ParseAddr(f[2]); err == nil && gw.Is4() {
		l.Router = gw
	}
	return l
}

// configure waits for eth0, brings it up, and applies the static address
// when there is one, else runs DHCP and applies the lease.
func configure(xid uint32, static *lease) (*lease, net.HardwareAddr, error) {
	var ifc *net.Interface
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		var err error
		if ifc, err = net.InterfaceByName(ifName); err == nil {
			break
		}
		if time.Since(start) > 10*time.Second {
			return nil, nil, fmt.Errorf("no %s: %w", ifName, err)
		}
	}
	sock, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(sock)
	for _, name := range []string{"lo", ifName} {
		if err := ifUp(sock, name); err != nil {
			return nil, nil, err
		}
	}

	l := static
	if l == nil {
		pt, err := newPacketTransport(ifc.Index)
		if err != nil {
			return nil, nil, err
		}
		l, err = runDHCP(pt, ifc.HardwareAddr, xid)
		unix.Close(pt.fd)
		if err != nil {
			return nil, nil, err
		}
	}

	addr := l.Addr.As4()
	if err := setInet4(sock, unix.SIOCSIFADDR, addr[:]); err != nil {
		return nil, nil, err
	}
	if err := setInet4(sock, unix.SIOCSIFNETMASK, l.Mask); err != nil {
		return nil, nil, err
	}
	if l.Router.IsValid() {
		if err := addDefaultRoute(l.Router.As4(), ifc.Index); err != nil {
			logf("microvm-init: default route: %v", err) // not fatal
		}
	}
	return l, ifc.HardwareAddr, nil
}

// ifUp sets IFF_UP on an interface, keeping its other flags.
func ifUp(sock int, name string) error {
	r, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(sock, unix.SIOCGIFFLAGS, r); err != nil {
		return fmt.Errorf("%s: SIOCGIFFLAGS: %w", name, err)
	}
	r.SetUint16(r.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(sock, unix.SIOCSIFFLAGS, r); err != nil {
		return fmt.Errorf("%s: SIOCSIFFLAGS: %w", name, err)
	}
	return nil
}

// setInet4 sets eth0's address (SIOCSIFADDR) or netmask (SIOCSIFNETMASK).
func setInet4(sock int, req uint, a []byte) error {
	r, err := unix.NewIfreq(ifName)
	if err != nil {
		return err
	}
	if err := r.SetInet4Addr(a); err != nil {
		return err
	}
	if err := unix.IoctlIfreq(sock, req, r); err != nil {
		return fmt.Errorf("%s: ioctl %#x: %w", ifName, req, err)
	}
	return nil
}

// packetTransport sends and receives IPv4 packets on an AF_PACKET socket,
// which works before the interface has an address.
type packetTransport struct {
	fd      int
	ifindex int
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func newPacketTransport(ifindex int) (*packetTransport, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_IP)))
	if err != nil {
		return nil, fmt.Errorf("packet socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Ifindex: ifindex}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("packet bind: %w", err)
	}
	return &packetTransport{fd: fd, ifindex: ifindex}, nil
}

func (p *packetTransport) send(pkt []byte) error {
	to := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Ifindex: p.ifindex, Halen: 6,
		Addr: [8]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}
	return unix.Sendto(p.fd, pkt, 0, to)
}

func (p *packetTransport) recv(timeout time.Duration) ([]byte, error) {
	if timeout < time.Millisecond {
		timeout = time.Millisecond
	}
	tv := unix.NsecToTimeval(timeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(p.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return nil, err
	}
	buf := make([]byte, 2048)
	n, _, err := unix.Recvfrom(p.fd, buf, 0)
	if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// addDefaultRoute adds "default via gw dev <ifindex>" with one rtnetlink
// RTM_NEWROUTE message (there is no portable ioctl struct for this in x/sys).
func addDefaultRoute(gw [4]byte, ifindex int) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	attr := func(typ uint16, val []byte) []byte {
		a := make([]byte, 4, 8)
		binary.NativeEndian.PutUint16(a[0:], uint16(4+len(val)))
		binary.NativeEndian.PutUint16(a[2:], typ)
		return append(a, val...) // val is 4 bytes: already aligned
	}
	oif := binary.NativeEndian.AppendUint32(nil, uint32(ifindex))
	rtm := []byte{unix.AF_INET, 0, 0, 0, unix.RT_TABLE_MAIN, unix.RTPROT_BOOT, unix.RT_SCOPE_UNIVERSE, unix.RTN_UNICAST, 0, 0, 0, 0}
	body := append(append(rtm, attr(unix.RTA_GATEWAY, gw[:])...), attr(unix.RTA_OIF, oif)...)
	msg := make([]byte, unix.SizeofNlMsghdr, unix.SizeofNlMsghdr+len(body))
	binary.NativeEndian.PutUint32(msg[0:], uint32(unix.SizeofNlMsghdr+len(body)))
	binary.NativeEndian.PutUint16(msg[4:], unix.RTM_NEWROUTE)
	binary.NativeEndian.PutUint16(msg[6:], unix.NLM_F_REQUEST|unix.NLM_F_ACK|unix.NLM_F_CREATE|unix.NLM_F_EXCL)
	binary.NativeEndian.PutUint32(msg[8:], 1) // sequence number
	msg = append(msg, body...)
	if err := unix.Sendto(fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	// The kernel answers with an NLMSG_ERROR message whose error code is 0 on success.
	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return err
	}
	if n >= unix.SizeofNlMsghdr+4 && binary.NativeEndian.Uint16(buf[4:]) == unix.NLMSG_ERROR {
		if code := int32(binary.NativeEndian.Uint32(buf[16:])); code != 0 {
			return unix.Errno(-code)
		}
	}
	return nil
}
