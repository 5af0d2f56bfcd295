package family

import (
	"net/netip"
	"strings"
	"testing"
)

func static(i int, cidr, gw string) Static {
	s := Static{Index: i, Address: netip.MustParsePrefix(cidr)}
	if gw != "" {
		s.Gateway = netip.MustParseAddr(gw)
	}
	return s
}

// What each family composes from plain input: the address first, then the
// environment, the raw cmdline, and the arguments where the family reads them.
func TestComposeLayout(t *testing.T) {
	net0 := []Static{static(0, "10.0.0.2/24", "10.0.0.1")}
	for _, c := range []struct {
		family string
		in     Input
		want   string
	}{
		{Generic, Input{Raw: "console=ttyS0 x", Kernel: true, Static: net0}, "console=ttyS0 x"},
		{Solo5, Input{Args: []string{"--port=8080"}, Static: net0, Kernel: true},
			"--ipv4=10.0.0.2/24 --ipv4-gateway=10.0.0.1 --port=8080"},
		{Solo5, Input{Raw: "--solo5:quiet", Args: []string{"--hello=world"}, Kernel: true}, "--solo5:quiet --hello=world"},
		{Unikraft, Input{Args: []string{"one", "two"}, Kernel: true}, "one two"},
		{Unikraft, Input{Args: []string{"one"}, Static: net0, Env: map[string]string{"B": "2", "A": "1"}, Raw: "vfs.fstab=x", Kernel: true},
			`netdev.ip=10.0.0.2/24:10.0.0.1 env.vars=[ "A=1" "B=2" ] vfs.fstab=x -- one`},
		{Unikraft, Input{Static: net0, Kernel: true}, "netdev.ip=10.0.0.2/24:10.0.0.1"},
		{Linux, Input{Raw: "console=ttyS0", Static: net0, Env: map[string]string{"MODE": "prod"}, Args: []string{"--listen=:8080"}, Kernel: true},
			"console=ttyS0 ip=10.0.0.2::10.0.0.1:255.255.255.0::eth0:off MODE=prod -- --listen=:8080"},
		{OSv, Input{Raw: "--verbose", Static: net0, Env: map[string]string{"GREETING": "hi"}, Args: []string{"/hello"}, Kernel: true},
			"--ip=eth0,10.0.0.2,255.255.255.0 --defaultgw=10.0.0.1 --env=GREETING=hi --verbose /hello"},
		{OSv, Input{Static: net0}, ""},
		{Nanos, Input{Static: net0}, ""},
	} {
		r, _ := Lookup(c.family)
		got, probs := r.Compose(c.in)
		if len(probs) > 0 || got != c.want {
			t.Errorf("%s %+v:\n got %q %v\nwant %q", c.family, c.in, got, probs, c.want)
		}
	}
}

// What a family cannot carry is a problem naming the attribute.
func TestComposeRefusals(t *testing.T) {
	for _, c := range []struct {
		family string
		in     Input
		attr   string
		want   string
	}{
		{Generic, Input{Args: []string{"x"}, Kernel: true}, "args", "Set `family`"},
		{Generic, Input{Env: map[string]string{"A": "1"}, Kernel: true}, "env", "Set `family`"},
		{Solo5, Input{Env: map[string]string{"A": "1"}, Kernel: true}, "env", "no environment"},
		{Solo5, Input{Static: []Static{static(1, "10.0.1.2/24", "")}, Kernel: true}, "network_interfaces", "first interface"},
		{Nanos, Input{Args: []string{"x"}}, "args", "config.json"},
		{Nanos, Input{Env: map[string]string{"A": "1"}}, "env", "config.json"},
		{OSv, Input{Args: []string{"/hello"}}, "args", "imgedit.py setargs"},
		{OSv, Input{Args: []string{"/hello"}, Raw: "/other", Kernel: true}, "cmdline", "application command"},
		{OSv, Input{Args: []string{"--verbose"}, Kernel: true}, "args", "program to run"},
		{Unikraft, Input{Args: []string{"x"}, Raw: "a.b=1 -- y", Kernel: true}, "cmdline", "own \" -- \""},
		{Unikraft, Input{Args: []string{"x"}}, "args", "set `kernel`"},
		{Linux, Input{Args: []string{"x"}, Raw: "quiet -- y", Kernel: true}, "cmdline", "own \" -- \""},
		{Linux, Input{Args: []string{"a\nb"}, Kernel: true}, "args", "newline"},
		{Linux, Input{Env: map[string]string{"1A": "x"}, Kernel: true}, "env", "not a valid name"},
		{Linux, Input{Args: []string{strings.Repeat("a", 2100)}, Kernel: true}, "args", "keeps at most 2047"},
		{Unikraft, Input{Args: []string{strings.Repeat("a", 4100)}, Kernel: true}, "args", "keeps at most 3839"},
		{Unikraft, Input{Args: []string{"a", "--", "b"}, Kernel: true}, "args", "end of its library parameters"},
		{Unikraft, Input{Args: strings.Fields(strings.Repeat("w ", 60)), Kernel: true}, "args", "at most 60"},
		{Linux, Input{Args: strings.Fields(strings.Repeat("w ", 32)), Kernel: true}, "args", "at most 31"},
		{Linux, Input{Args: []string{"--"}, Kernel: true}, "args", `the word "--"`},
		{Linux, Input{Args: []string{`say "hi"`}, Kernel: true}, "args", "double quote"},
		{OSv, Input{Args: []string{"/hello", "$HOME"}, Kernel: true}, "args", "dollar sign"},
		{OSv, Input{Args: []string{"/hello", "ünï"}, Kernel: true}, "args", "ASCII only"},
		{OSv, Input{Args: []string{"/hello"}, Env: map[string]string{"E": ""}, Kernel: true}, "env", "powers the guest off"},
		{OSv, Input{Args: []string{"/hello"}, Static: []Static{static(0, "10.0.0.2/24", "")}, Interfaces: 2, Kernel: true},
			"network_interfaces", "every interface"},
		{Solo5, Input{Args: []string{""}, Kernel: true}, "args", "empty argument"},
	} {
		r, _ := Lookup(c.family)
		_, probs := r.Compose(c.in)
		if len(probs) == 0 {
			t.Errorf("%s %+v: composed, want a problem with %s", c.family, c.in, c.attr)
			continue
		}
		if probs[0].Attribute != c.attr || !strings.Contains(probs[0].Detail, c.want) {
			t.Errorf("%s %+v: got %s %q, want %s with %q", c.family, c.in, probs[0].Attribute, probs[0].Detail, c.attr, c.want)
		}
	}
}

func TestAcceptsFormat(t *testing.T) {
	solo5, _ := Lookup(Solo5)
	if solo5.AcceptsFormat(FormatDisk) || !solo5.AcceptsFormat(FormatMultiboot) || !solo5.AcceptsFormat(FormatUnknown) {
		t.Error("solo5 takes multiboot and PVH kernels, not disks; an unknown format passes")
	}
	nanos, _ := Lookup(Nanos)
	if !nanos.AcceptsFormat(FormatDisk) || nanos.AcceptsFormat(FormatMultiboot) {
		t.Error("nanos boots from its disk")
	}
}

func TestAddressesIn(t *testing.T) {
	for raw, want := range map[string]string{
		"--ipv4=10.0.0.3/24 --ipv4-gateway=10.0.0.1":                  "10.0.0.3",
		"netdev.ip=10.0.0.4/24:10.0.0.1 -- x":                         "10.0.0.4",
		"console=ttyS0 ip=10.0.0.5::10.0.0.1:255.255.255.0::eth0:off": "10.0.0.5",
		"--ip=eth0,10.0.0.6,255.255.255.0 /hello":                     "10.0.0.6",
		"ip=dhcp": "",
	} {
		got := AddressesIn(raw)
		if (want == "") != (len(got) == 0) || (len(got) > 0 && got[0].String() != want) {
			t.Errorf("AddressesIn(%q) = %v, want %s", raw, got, want)
		}
	}
}

func TestStaticMask(t *testing.T) {
	for cidr, want := range map[string]string{"10.0.0.2/24": "255.255.255.0", "10.0.0.2/20": "255.255.240.0", "10.0.0.2/32": "255.255.255.255"} {
		if got := static(0, cidr, "").Mask(); got != want {
			t.Errorf("%s: mask %s, want %s", cidr, got, want)
		}
	}
}
