//go:build linux

package main

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"
)

var testMAC = net.HardwareAddr{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}

func TestDHCPMessageRoundTrip(t *testing.T) {
	in := &dhcpMsg{Op: bootReply, XID: 0xdeadbeef, Flags: 0x8000, CHAddr: testMAC,
		YIAddr: netip.MustParseAddr("10.0.2.15"), Options: map[byte][]byte{
			optMsgType: {dhcpOffer}, optSubnetMask: {255, 255, 255, 0}, optRouter: {10, 0, 2, 2}}}
	b := in.marshal()
	if len(b) != 300 {
		t.Fatalf("len = %d, want 300", len(b))
	}
	out, err := parseDHCP(b)
	if err != nil {
		t.Fatal(err)
	}
	if out.Op != in.Op || out.XID != in.XID || out.Flags != in.Flags || out.YIAddr != in.YIAddr ||
		out.CHAddr.String() != in.CHAddr.String() || out.msgType() != dhcpOffer {
		t.Fatalf("got %+v, want %+v", out, in)
	}
	for code, v := range in.Options {
		if !bytes.Equal(out.Options[code], v) {
			t.Errorf("option %d = %v, want %v", code, out.Options[code], v)
		}
	}
	if _, err := parseDHCP(b[:239]); err == nil {
		t.Error("truncated message parsed without error")
	}
}

func TestUDPRoundTripAndChecksums(t *testing.T) {
	src, dst := netip.MustParseAddr("10.0.2.2"), netip.MustParseAddr("255.255.255.255")
	payload := []byte("odd-length payload")
	pkt := buildUDP(src, dst, serverPort, clientPort, payload)
	if checksum(pkt[:20]) != 0 {
		t.Error("IPv4 header checksum does not verify")
	}
	s, d := src.As4(), dst.As4()
	pseudo := append(append(append([]byte{}, s[:]...), d[:]...), 0, 17, pkt[24], pkt[25])
	if checksum(pseudo, pkt[20:]) != 0 {
		t.Error("UDP checksum does not verify")
	}
	port, got, err := parseUDP(pkt)
	if err != nil || port != clientPort || !bytes.Equal(got, payload) {
		t.Fatalf("parseUDP = %d, %q, %v", port, got, err)
	}
	// Trailing Ethernet padding after the IP total length must be ignored.
	if _, got, _ := parseUDP(append(pkt, 0, 0, 0)); !bytes.Equal(got, payload) {
		t.Errorf("padding leaked into payload: %q", got)
	}
}

// fakeServer answers DISCOVER with OFFER and REQUEST with ACK (or NAK), in
// memory, like a real server on the other end of the AF_PACKET socket.
type fakeServer struct {
	t       *testing.T
	queue   [][]byte
	nak     bool
	dropped int // number of client packets to ignore first (tests retransmission)
	sent    []byte
}

func (s *fakeServer) send(pkt []byte) error {
	port, payload, err := parseUDP(pkt)
	if err != nil || port != serverPort {
		s.t.Fatalf("client sent a bad packet: port %d, %v", port, err)
	}
	m, err := parseDHCP(payload)
	if err != nil {
		s.t.Fatal(err)
	}
	s.sent = append(s.sent, m.msgType())
	if s.dropped > 0 {
		s.dropped--
		return nil
	}
	reply := &dhcpMsg{Op: bootReply, XID: m.XID, CHAddr: m.CHAddr, YIAddr: netip.MustParseAddr("192.168.122.57"),
		Options: map[byte][]byte{optServerID: {192, 168, 122, 1}, optSubnetMask: {255, 255, 255, 0}, optRouter: {192, 168, 122, 1}}}
	switch m.msgType() {
	case dhcpDiscover:
		reply.Options[optMsgType] = []byte{dhcpOffer}
	case dhcpRequest:
		if got := m.Options[optRequestedIP]; !bytes.Equal(got, []byte{192, 168, 122, 57}) {
			s.t.Errorf("requested IP = %v", got)
		}
		if got := m.Options[optServerID]; !bytes.Equal(got, []byte{192, 168, 122, 1}) {
			s.t.Errorf("server ID = %v", got)
		}
		reply.Options[optMsgType] = []byte{dhcpAck}
		if s.nak {
			reply.Options[optMsgType] = []byte{dhcpNak}
		}
	}
	// A reply for someone else first: it must be skipped.
	other := *reply
	other.XID++
	s.queue = append(s.queue,
		buildUDP(netip.MustParseAddr("192.168.122.1"), netip.MustParseAddr("255.255.255.255"), serverPort, clientPort, other.marshal()),
		buildUDP(netip.MustParseAddr("192.168.122.1"), netip.MustParseAddr("255.255.255.255"), serverPort, clientPort, reply.marshal()))
	return nil
}

func (s *fakeServer) recv(timeout time.Duration) ([]byte, error) {
	if len(s.queue) == 0 {
		time.Sleep(timeout)
		return nil, nil
	}
	p := s.queue[0]
	s.queue = s.queue[1:]
	return p, nil
}

func TestRunDHCP(t *testing.T) {
	srv := &fakeServer{t: t}
	l, err := runDHCP(srv, testMAC, 42)
	if err != nil {
		t.Fatal(err)
	}
	prefix, _ := l.Mask.Size()
	if l.Addr.String() != "192.168.122.57" || prefix != 24 || l.Router.String() != "192.168.122.1" {
		t.Fatalf("lease = %+v", l)
	}
	if !bytes.Equal(srv.sent, []byte{dhcpDiscover, dhcpRequest}) {
		t.Errorf("client sent message types %v", srv.sent)
	}
}

func TestRunDHCPRetransmitAndNak(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for one retransmission (1 s)")
	}
	srv := &fakeServer{t: t, dropped: 1}
	if _, err := runDHCP(srv, testMAC, 7); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(srv.sent, []byte{dhcpDiscover, dhcpDiscover, dhcpRequest}) {
		t.Errorf("client sent message types %v", srv.sent)
	}

	if _, err := runDHCP(&fakeServer{t: t, nak: true}, testMAC, 8); err == nil {
		t.Error("NAK accepted")
	}
}

func TestParseUDPRejectsGarbage(t *testing.T) {
	for _, p := range [][]byte{nil, make([]byte, 19), append([]byte{0x60}, make([]byte, 40)...)} {
		if _, _, err := parseUDP(p); err == nil {
			t.Errorf("parseUDP(%x) succeeded", p)
		}
	}
	bad := buildUDP(netip.IPv4Unspecified(), netip.IPv4Unspecified(), 1, 2, nil)
	binary.BigEndian.PutUint16(bad[24:], 100) // UDP length beyond the packet
	if _, _, err := parseUDP(bad); err == nil {
		t.Error("bad UDP length accepted")
	}
}
