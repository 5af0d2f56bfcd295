//go:build linux

package main

// A minimal DHCPv4 client (RFC 2131), split from main.go so that packet
// building, parsing and the DISCOVER/OFFER/REQUEST/ACK exchange can be unit
// tested in memory. Packets are whole IPv4+UDP datagrams, as sent and received
// on an AF_PACKET/SOCK_DGRAM socket (the kernel adds the Ethernet header).

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"
)

const (
	bootRequest = 1
	bootReply   = 2

	dhcpDiscover = 1
	dhcpOffer    = 2
	dhcpRequest  = 3
	dhcpAck      = 5
	dhcpNak      = 6

	optSubnetMask  = 1
	optRouter      = 3
	optRequestedIP = 50
	optMsgType     = 53
	optServerID    = 54
	optParamList   = 55
	optEnd         = 255

	clientPort = 68
	serverPort = 67
	bootpLen   = 236 // fixed BOOTP header, before the magic cookie
)

var magicCookie = []byte{99, 130, 83, 99}

// dhcpMsg is the subset of a DHCP message this client cares about.
type dhcpMsg struct {
	Op      byte
	XID     uint32
	Flags   uint16
	YIAddr  netip.Addr // "your" address, offered by the server
	CHAddr  net.HardwareAddr
	Options map[byte][]byte
}

// lease is the result of a successful exchange.
type lease struct {
	Addr   netip.Addr
	Mask   net.IPMask
	Router netip.Addr // invalid if the server sent none
}

// marshal encodes m as a BOOTP/DHCP payload (padded to the classic 300 bytes).
func (m *dhcpMsg) marshal() []byte {
	b := make([]byte, bootpLen, 300)
	b[0], b[1], b[2] = m.Op, 1, 6 // op, htype ethernet, hlen
	binary.BigEndian.PutUint32(b[4:], m.XID)
	binary.BigEndian.PutUint16(b[10:], m.Flags)
	if m.YIAddr.Is4() {
		a := m.YIAddr.As4()
		copy(b[16:20], a[:])
	}
	copy(b[28:44], m.CHAddr)
	b = append(b, magicCookie...)
	for _, code := range []byte{optMsgType, optServerID, optRequestedIP, optSubnetMask, optRouter, optParamList} {
		if v, ok := m.Options[code]; ok { // fixed order keeps output deterministic
			b = append(b, code, byte(len(v)))
			b = append(b, v...)
		}
	}
	b = append(b, optEnd)
	for len(b) < 300 {
		b = append(b, 0)
	}
	return b
}

// parseDHCP decodes a BOOTP/DHCP payload.
func parseDHCP(b []byte) (*dhcpMsg, error) {
	if len(b) < bootpLen+4 || string(b[bootpLen:bootpLen+4]) != string(magicCookie) {
		return nil, errors.New("not a DHCP message")
	}
	m := &dhcpMsg{
		Op:      b[0],
		XID:     binary.BigEndian.Uint32(b[4:]),
		Flags:   binary.BigEndian.Uint16(b[10:]),
		YIAddr:  netip.AddrFrom4([4]byte(b[16:20])),
		CHAddr:  net.HardwareAddr(append([]byte(nil), b[28:28+6]...)),
		Options: map[byte][]byte{},
	}
	for o := b[bootpLen+4:]; len(o) > 0 && o[0] != optEnd; {
		if o[0] == 0 { // pad
			o = o[1:]
			continue
		}
		if len(o) < 2 || len(o) < 2+int(o[1]) {
			return nil, errors.New("truncated DHCP option")
		}
		m.Options[o[0]] = o[2 : 2+o[1]]
		o = o[2+o[1]:]
	}
	return m, nil
}

// msgType returns the DHCP message type option (0 if absent).
func (m *dhcpMsg) msgType() byte {
	if v := m.Options[optMsgType]; len(v) == 1 {
		return v[0]
	}
	return 0
}

// checksum is the Internet checksum (RFC 1071) over the concatenated chunks;
// every chunk but the last must have an even length.
func checksum(chunks ...[]byte) uint16 {
	var sum uint32
	for _, c := range chunks {
		for i := 0; i+1 < len(c); i += 2 {
			sum += uint32(c[i])<<8 | uint32(c[i+1])
		}
		if len(c)%2 == 1 {
			sum += uint32(c[len(c)-1]) << 8
		}
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// buildUDP wraps payload in UDP and IPv4 headers with valid checksums.
func buildUDP(src, dst netip.Addr, sport, dport uint16, payload []byte) []byte {
	s, d := src.As4(), dst.As4()
	ip := make([]byte, 20, 28+len(payload))
	ip[0], ip[8], ip[9] = 0x45, 64, 17 // IPv4 + 20-byte header, TTL, UDP
	binary.BigEndian.PutUint16(ip[2:], uint16(28+len(payload)))
	copy(ip[12:16], s[:])
	copy(ip[16:20], d[:])
	binary.BigEndian.PutUint16(ip[10:], checksum(ip))

	udp := make([]byte, 8)
	binary.BigEndian.PutUint16(udp[0:], sport)
	binary.BigEndian.PutUint16(udp[2:], dport)
	binary.BigEndian.PutUint16(udp[4:], uint16(8+len(payload)))
	pseudo := append(append(append([]byte{}, s[:]...), d[:]...), 0, 17, udp[4], udp[5])
	csum := checksum(pseudo, udp, payload)
	if csum == 0 {
		csum = 0xffff
	}
	binary.BigEndian.PutUint16(udp[6:], csum)
	return append(append(ip, udp...), payload...)
}

// parseUDP returns the UDP destination port and payload of an IPv4 packet.
func parseUDP(pkt []byte) (dport uint16, payload []byte, err error) {
	if len(pkt) < 20 || pkt[0]>>4 != 4 || pkt[9] != 17 {
		return 0, nil, errors.New("not IPv4/UDP")
	}
	ihl := int(pkt[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(pkt[2:]))
	if ihl < 20 || total > len(pkt) || total < ihl+8 {
		return 0, nil, errors.New("bad IPv4 lengths")
	}
	udp := pkt[ihl:total]
	ulen := int(binary.BigEndian.Uint16(udp[4:]))
	if ulen < 8 || ulen > len(udp) {
		return 0, nil, errors.New("bad UDP length")
	}
	return binary.BigEndian.Uint16(udp[2:]), udp[8:ulen], nil
}

// transport sends and receives raw IPv4 packets. recv returns (nil, nil) on timeout.
type transport interface {
	send(pkt []byte) error
	recv(timeout time.Duration) ([]byte, error)
}

// request broadcasts a client message and waits for a reply of one of the
// wanted types, retransmitting after 1, 2 and 4 seconds.
func request(t transport, m *dhcpMsg, want ...byte) (*dhcpMsg, error) {
	pkt := buildUDP(netip.IPv4Unspecified(), netip.AddrFrom4([4]byte{255, 255, 255, 255}),
		clientPort, serverPort, m.marshal())
	for wait := time.Second; wait <= 4*time.Second; wait *= 2 {
		if err := t.send(pkt); err != nil {
			return nil, err
		}
		for deadline := time.Now().Add(wait); time.Now().Before(deadline); {
			in, err := t.recv(time.Until(deadline))
			if err != nil {
				return nil, err
			}
			port, payload, err := parseUDP(in)
			if in == nil || err != nil || port != clientPort {
				continue
			}
			r, err := parseDHCP(payload)
			if err != nil || r.Op != bootReply || r.XID != m.XID || r.CHAddr.String() != m.CHAddr.String() {
				continue
			}
			for _, w := range want {
				if r.msgType() == w {
					return r, nil
				}
			}
		}
	}
	return nil, fmt.Errorf("no DHCP reply to message type %d", m.msgType())
}

// runDHCP performs DISCOVER/OFFER/REQUEST/ACK and returns the lease.
func runDHCP(t transport, mac net.HardwareAddr, xid uint32) (*lease, error) {
	params := []byte{optSubnetMask, optRouter}
	disc := &dhcpMsg{Op: bootRequest, XID: xid, Flags: 0x8000, CHAddr: mac, // 0x8000: reply by broadcast
		Options: map[byte][]byte{optMsgType: {dhcpDiscover}, optParamList: params}}
	offer, err := request(t, disc, dhcpOffer)
	if err != nil {
		return nil, err
	}
	yi := offer.YIAddr.As4()
	req := &dhcpMsg{Op: bootRequest, XID: xid, Flags: 0x8000, CHAddr: mac, Options: map[byte][]byte{
		optMsgType: {dhcpRequest}, optRequestedIP: yi[:], optServerID: offer.Options[optServerID], optParamList: params}}
	if req.Options[optServerID] == nil {
		delete(req.Options, optServerID)
	}
	ack, err := request(t, req, dhcpAck, dhcpNak)
	if err != nil {
		return nil, err
	}
	if ack.msgType() == dhcpNak {
		return nil, errors.New("DHCP server sent NAK")
	}
	l := &lease{Addr: ack.YIAddr, Mask: net.CIDRMask(24, 32)}
	if v := ack.Options[optSubnetMask]; len(v) == 4 {
		l.Mask = net.IPMask(append([]byte(nil), v...))
	}
	if v := ack.Options[optRouter]; len(v) >= 4 {
		l.Router = netip.AddrFrom4([4]byte(v[:4]))
	}
	if !l.Addr.Is4() || l.Addr.IsUnspecified() {
		return nil, errors.New("DHCP ACK without an address")
	}
	return l, nil
}
