package validators

// Network validators: MAC addresses, IPv4 addresses, CIDRs, interface names
// and DNS names. Each has a Check function for cross-attribute validation and
// a validator.String for schemas, with one wording for every error.
//
// Values must be written in their canonical form (lowercase MACs, IPv6 as
// RFC 5952 prints it, CIDRs with the host bits cleared), because libvirt
// stores them that way and a different spelling would show as a change
// after every apply.

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

var macRe = regexp.MustCompile(`^[0-9a-f]{2}(:[0-9a-f]{2}){5}$`)

// CheckMAC accepts a unicast MAC address written as six lowercase hex pairs
// separated by colons, for example 52:54:00:ab:cd:ef.
func CheckMAC(s string) error {
	if !macRe.MatchString(s) {
		if macRe.MatchString(strings.ToLower(s)) {
			return fmt.Errorf("%q must be written in lowercase: %s", s, strings.ToLower(s))
		}
		return fmt.Errorf("%q is not a MAC address: write six hex pairs separated by colons, for example 52:54:00:ab:cd:ef", s)
	}
	var first byte
	_, _ = fmt.Sscanf(s[:2], "%02x", &first)
	if first&1 == 1 {
		return fmt.Errorf("%q is a multicast MAC address: the first byte must be even, for example 52:54:00:ab:cd:ef", s)
	}
	return nil
}

// CheckIPv4 parses an IPv4 address in dotted-quad form.
func CheckIPv4(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}, fmt.Errorf("%q is not an IPv4 address such as 10.0.0.5", s)
	}
	return a, nil
}

// CheckCIDR parses an IPv4 (ipv6 false) or IPv6 network in canonical form,
// for example 10.0.0.0/24 or fd00:1::/64. maxBits bounds the prefix length so
// that the network has room for a gateway and guests.
func CheckCIDR(s string, ipv6 bool, maxBits int) (netip.Prefix, error) {
	family, example := "IPv4", "10.0.0.0/24"
	if ipv6 {
		family, example = "IPv6", "fd00:1::/64"
	}
	p, err := netip.ParsePrefix(s)
	if err != nil || p.Addr().Is4() == ipv6 || p.Addr().Is4In6() || p.Addr().Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q is not an %s CIDR such as %s", s, family, example)
	}
	if p.Bits() > maxBits {
		return netip.Prefix{}, fmt.Errorf("%q is too small: the prefix length must be at most /%d", s, maxBits)
	}
	if canon := p.Masked().String(); canon != s {
		return netip.Prefix{}, fmt.Errorf("%q is not written as a network: write %s", s, canon)
	}
	return p, nil
}

// MaxInterfaceName is the longest network interface name Linux accepts.
const MaxInterfaceName = 15

// CheckInterfaceName accepts a Linux network interface name such as a
// bridge: 1 to 15 characters, no slash, colon or white space.
func CheckInterfaceName(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("an interface name must not be empty")
	case len(s) > MaxInterfaceName:
		return fmt.Errorf("%q has %d characters: Linux interface names have at most %d", s, len(s), MaxInterfaceName)
	case s == "." || s == "..", strings.ContainsAny(s, "/: \t\n\r"):
		return fmt.Errorf("%q is not a valid interface name: it must not contain '/', ':' or white space", s)
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fmt.Errorf("%q is not a valid interface name: it must not contain control characters", s)
	}
	return nil
}

var dnsLabelRe = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$`)

// CheckDNSName accepts a host or domain name: dot-separated labels of
// letters, digits and inner hyphens, each at most 63 characters, 253 in all.
func CheckDNSName(s string) error {
	if s == "" || len(s) > 253 {
		return fmt.Errorf("%q is not a DNS name: it must have 1 to 253 characters", s)
	}
	for _, label := range strings.Split(s, ".") {
		if !dnsLabelRe.MatchString(label) {
			return fmt.Errorf("%q is not a DNS name: use letters, digits and hyphens in dot-separated labels, such as web-1.example.internal", s)
		}
	}
	return nil
}

// MAC validates a unicast MAC address in lowercase, colon-separated form.
func MAC() validator.String {
	return String("Invalid MAC address", "value must be a unicast MAC address such as 52:54:00:ab:cd:ef", CheckMAC)
}

// IPv4Address validates an IPv4 address.
func IPv4Address() validator.String {
	return String("Invalid IPv4 address", "value must be an IPv4 address", func(s string) error {
		_, err := CheckIPv4(s)
		return err
	})
}

// IPv4CIDR validates an IPv4 network of at most maxBits prefix bits.
func IPv4CIDR(maxBits int) validator.String {
	return String("Invalid IPv4 CIDR", fmt.Sprintf("value must be an IPv4 network such as 10.0.0.0/24, at most /%d", maxBits),
		func(s string) error {
			_, err := CheckCIDR(s, false, maxBits)
			return err
		})
}

// IPv6CIDR validates an IPv6 network of at most maxBits prefix bits.
func IPv6CIDR(maxBits int) validator.String {
	return String("Invalid IPv6 CIDR", fmt.Sprintf("value must be an IPv6 network such as fd00:1::/64, at most /%d", maxBits),
		func(s string) error {
			_, err := CheckCIDR(s, true, maxBits)
			return err
		})
}

// InterfaceName validates a Linux network interface name (at most 15 characters).
func InterfaceName() validator.String {
	return String("Invalid interface name", "value must be a network interface name of at most 15 characters", CheckInterfaceName)
}

// DNSName validates a host or domain name.
func DNSName() validator.String {
	return String("Invalid DNS name", "value must be a host or domain name such as web-1.example.internal", CheckDNSName)
}
