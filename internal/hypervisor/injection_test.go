package hypervisor

// Injection properties of the XML builders: whatever value an attribute
// has, the generated document has exactly the structure (elements and
// attribute names, in order) that a harmless value gives, and the value comes
// back verbatim when the document is parsed. The fuzz targets check this for
// arbitrary strings; the tests below run fixed hostile values in every
// `go test`.
//
// Values that XML 1.0 cannot carry at all (control characters other than
// tab, newline and carriage return, invalid UTF-8) are outside the property:
// the provider's validators refuse them before they reach a builder, and a
// builder never lets them change the structure either.

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"libvirt.org/go/libvirtxml"
)

// hostile are values that break text-built XML.
var hostile = []string{
	`a<b`, `a&b`, `"quoted"`, `'single'`, `]]>`, `<!-- c -->`, `</name><name>x`, `<?xml version="1.0"?>`,
	`&amp;&lt;`, `<![CDATA[x]]>`, "tab\there", "line\nbreak", "cr\rlf", `../../etc/passwd`, "naïve ünïcode ✓",
	`x" onload="y`, `<disk type='file'><source file='/etc/shadow'/></disk>`,
}

// xmlShape is the structure of a document: element and attribute names in
// order, without any text or attribute values.
func xmlShape(t testing.TB, doc string) string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	var b strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return b.String()
		}
		if err != nil {
			t.Fatalf("generated XML does not parse: %v\n%s", err, doc)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			b.WriteString("<" + el.Name.Local)
			for _, a := range el.Attr {
				b.WriteString(" " + a.Name.Local)
			}
			b.WriteString(">")
		case xml.EndElement:
			b.WriteString("</" + el.Name.Local + ">")
		case xml.ProcInst, xml.Directive, xml.Comment:
			b.WriteString("?")
		}
	}
}

// xmlSafe reports whether XML 1.0 can carry s verbatim.
func xmlSafe(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF || r == utf8.RuneError ||
			r >= 0xD800 && r <= 0xDFFF {
			return false
		}
	}
	return true
}

// domainWith is the "microvm" case with every free-text field set to v.
func domainWith(v string) DomainSpec {
	s := domainCases["microvm"]
	s.Name, s.Description, s.Cmdline = v, v, v
	s.Kernel, s.Initrd, s.ConsoleLog = "/k/"+v, "/k/i"+v, "/log/"+v
	s.Disks = []DiskSpec{{Path: "/d/" + v, Format: "qcow2"}}
	s.Interfaces = []InterfaceSpec{{Network: v, MAC: "52:54:00:aa:bb:cc"}}
	return s
}

// checkInjection requires the document that build makes for v to have the
// structure of the one it makes for a harmless value, and, when XML can
// carry v, stored to find v back in it verbatim. A value build refuses
// generates nothing, which passes.
func checkInjection[X interface{ Marshal() (string, error) }](t testing.TB, what, v string,
	build func(string) (X, error), stored func(doc string) error) {
	t.Helper()
	base, err := build("plain")
	if err != nil {
		t.Fatal(err)
	}
	baseDoc, _ := base.Marshal()
	x, err := build(v)
	if err != nil {
		return // refused: nothing is generated
	}
	doc, err := x.Marshal()
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	if got, want := xmlShape(t, doc), xmlShape(t, baseDoc); got != want {
		t.Fatalf("value %q changed the %s XML's structure:\n%s", v, what, doc)
	}
	if !xmlSafe(v) {
		return
	}
	if err := stored(doc); err != nil {
		t.Fatalf("value %q not stored verbatim: %v", v, err)
	}
}

func checkDomainInjection(t testing.TB, v string) {
	t.Helper()
	checkInjection(t, "domain", v, func(v string) (*libvirtxml.Domain, error) { return DomainXML(domainWith(v)) },
		func(doc string) error {
			var back libvirtxml.Domain
			if err := back.Unmarshal(doc); err != nil {
				return fmt.Errorf("unmarshal: %w", err)
			}
			if got, want := SpecFromDomainXML(&back), normalize(domainWith(v)); !reflect.DeepEqual(got, want) {
				return fmt.Errorf("\n got %+v\nwant %+v", got, want)
			}
			return nil
		})
}

func networkWith(v string) NetworkSpec {
	return NetworkSpec{Name: v, Mode: NetworkModeNAT, IPv4CIDR: "10.221.3.0/24", DHCP: true,
		Hosts:     []DHCPHost{{MAC: "52:54:00:22:03:01", IPv4: "10.221.3.10", Hostname: v}},
		DNSDomain: v, DNSHosts: []DNSHost{{IP: "10.221.3.11", Hostnames: []string{v}}}}
}

func checkNetworkInjection(t testing.TB, v string) {
	t.Helper()
	checkInjection(t, "network", v, func(v string) (*libvirtxml.Network, error) { return NetworkXML(networkWith(v)) },
		func(doc string) error {
			var back libvirtxml.Network
			if err := back.Unmarshal(doc); err != nil {
				return fmt.Errorf("unmarshal: %w", err)
			}
			if got, want := SpecFromNetworkXML(&back), normalizeNetwork(networkWith(v)); !reflect.DeepEqual(got, want) {
				return fmt.Errorf("\n got %+v\nwant %+v", got, want)
			}
			return nil
		})
}

func checkPoolInjection(t testing.TB, v string) {
	t.Helper()
	spec := func(v string) PoolSpec { return PoolSpec{Name: v, Path: "/p/" + v} }
	checkInjection(t, "pool", v, func(v string) (*libvirtxml.StoragePool, error) { return PoolXML(spec(v)) },
		func(doc string) error {
			var back libvirtxml.StoragePool
			if err := back.Unmarshal(doc); err != nil {
				return fmt.Errorf("unmarshal: %w", err)
			}
			if got := PoolSpecFromXML(&back); got != spec(v) {
				return fmt.Errorf("got %+v, want %+v", got, spec(v))
			}
			return nil
		})
}

func checkVolumeInjection(t testing.TB, v string) {
	t.Helper()
	checkInjection(t, "volume", v, func(v string) (*libvirtxml.StorageVolume, error) {
		return VolumeXML(VolumeSpec{Name: v, Size: 1 << 20})
	}, func(doc string) error {
		if !bytes.Contains([]byte(doc), []byte(">")) {
			return errors.New("empty document")
		}
		return nil
	})
}

func TestXMLInjectionHostileValues(t *testing.T) {
	for _, v := range hostile {
		// The builders accept these values (the validators refuse most of
		// them earlier), so the properties below are really exercised.
		if _, err := DomainXML(domainWith(v)); err != nil {
			t.Errorf("DomainXML refused %q: %v", v, err)
		}
		if _, err := NetworkXML(networkWith(v)); err != nil {
			t.Errorf("NetworkXML refused %q: %v", v, err)
		}
	}
	for _, v := range append(hostile, "\x00nul", "\x01ctl", "bad\xffutf8") {
		checkDomainInjection(t, v)
		checkNetworkInjection(t, v)
		checkPoolInjection(t, v)
		checkVolumeInjection(t, v)
	}
}

func addHostileSeeds(f *testing.F) {
	for _, v := range hostile {
		f.Add(v)
	}
}

// FuzzDomainXMLInjection: go test -fuzz FuzzDomainXMLInjection ./internal/hypervisor
func FuzzDomainXMLInjection(f *testing.F) {
	addHostileSeeds(f)
	f.Fuzz(func(t *testing.T, v string) { checkDomainInjection(t, v) })
}

// FuzzNetworkXMLInjection: go test -fuzz FuzzNetworkXMLInjection ./internal/hypervisor
func FuzzNetworkXMLInjection(f *testing.F) {
	addHostileSeeds(f)
	f.Fuzz(func(t *testing.T, v string) { checkNetworkInjection(t, v) })
}

// FuzzPoolVolumeXMLInjection: go test -fuzz FuzzPoolVolumeXMLInjection ./internal/hypervisor
func FuzzPoolVolumeXMLInjection(f *testing.F) {
	addHostileSeeds(f)
	f.Fuzz(func(t *testing.T, v string) {
		checkPoolInjection(t, v)
		checkVolumeInjection(t, v)
	})
}

// FuzzDomainXMLRoundTrip builds a domain from fuzzed sizes, MAC and choices,
// and checks spec -> XML -> spec.
func FuzzDomainXMLRoundTrip(f *testing.F) {
	f.Add("qemu", uint(16), uint(1), "52:54:00:aa:bb:cc", "virtio", "qcow2", "virtio", true, "restart")
	f.Add("xen", uint(32), uint(2), "00:16:3e:00:00:01", "netfront", "iso", "sata", false, "preserve")
	f.Fuzz(func(t *testing.T, typ string, mem, vcpus uint, mac, model, format, bus string, ro bool, onCrash string) {
		spec := DomainSpec{Name: "fz", Type: typ, MemoryMiB: mem, VCPUs: vcpus, Kernel: "/k", ConsoleLog: "/l",
			Disks:      []DiskSpec{{Path: "/d", Format: format, Bus: bus, ReadOnly: ro}},
			Interfaces: []InterfaceSpec{{Network: "n", MAC: mac, Model: model}}, OnCrash: onCrash}
		x, err := DomainXML(spec)
		if err != nil {
			return
		}
		doc, err := x.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		var back libvirtxml.Domain
		if err := back.Unmarshal(doc); err != nil {
			t.Fatal(err)
		}
		if !xmlSafe(typ + mac + model + format + bus + onCrash) {
			return
		}
		// A second trip must be a fixed point: what Read reports, written
		// again, reads back the same.
		got := SpecFromDomainXML(&back)
		x2, err := DomainXML(got)
		if err != nil {
			t.Fatalf("the spec read back is refused: %v\n%+v", err, got)
		}
		doc2, _ := x2.Marshal()
		var back2 libvirtxml.Domain
		if err := back2.Unmarshal(doc2); err != nil {
			t.Fatal(err)
		}
		if again := SpecFromDomainXML(&back2); !reflect.DeepEqual(again, got) {
			t.Fatalf("round trip is not stable:\n first %+v\nsecond %+v", got, again)
		}
	})
}
