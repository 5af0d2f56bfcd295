package hypervisor

import (
	"testing"

	"libvirt.org/go/libvirtxml"
)

// The family is found however libvirt spells the namespace (a prefix or a
// default namespace), beside other tools' metadata, and only in the
// provider's namespace.
func TestReadMetadataFamily(t *testing.T) {
	cases := map[string]struct {
		xml  string
		want string
	}{
		"default namespace": {`<instance xmlns="` + MetadataNamespace + `"><family>osv</family></instance>`, "osv"},
		"prefixed": {`<unikernel:instance xmlns:unikernel="` + MetadataNamespace + `">` +
			`<unikernel:family>nanos</unikernel:family></unikernel:instance>`, "nanos"},
		"after another tool's element": {`<app:instance xmlns:app="https://example.com/app"><family>evil</family></app:instance>` +
			`<instance xmlns="` + MetadataNamespace + `"><family>unikraft</family></instance>`, "unikraft"},
		"only another namespace": {`<instance xmlns="https://example.com/other"><family>linux</family></instance>`, ""},
		"empty":                  {``, ""},
		"not XML":                {`<instance`, ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var s DomainSpec
			readMetadata(&libvirtxml.Domain{Metadata: &libvirtxml.DomainMetadata{XML: c.xml}}, &s)
			if s.Family != c.want {
				t.Errorf("family %q, want %q", s.Family, c.want)
			}
		})
	}
}

// A spec without a family defines no <metadata> at all, so domains defined
// before families were recorded read back unchanged.
func TestMetadataOnlyWithFamily(t *testing.T) {
	x, err := DomainXML(DomainSpec{Name: "a", Type: "qemu", MemoryMiB: 16})
	if err != nil {
		t.Fatal(err)
	}
	if x.Metadata != nil {
		t.Errorf("metadata %+v for a spec without a family", x.Metadata)
	}
	x, err = DomainXML(DomainSpec{Name: "a", Type: "qemu", MemoryMiB: 16, Family: "linux"})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := x.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var back libvirtxml.Domain
	if err := back.Unmarshal(doc); err != nil {
		t.Fatal(err)
	}
	if got := SpecFromDomainXML(&back).Family; got != "linux" {
		t.Errorf("family read back %q, want linux", got)
	}
}
