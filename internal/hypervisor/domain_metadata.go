package hypervisor

import (
	"encoding/xml"
	"strings"

	"libvirt.org/go/libvirtxml"
)

// MetadataNamespace is the XML namespace of the provider's element in a
// domain's <metadata>. Elements of other namespaces are ignored when read.
const MetadataNamespace = "https://registry.terraform.io/providers/unikernel-dev/unikernel/instance/1"

// domainMetadata is the provider's element in <metadata>: what an instance
// is that libvirt's own definition does not say.
type domainMetadata struct {
	XMLName xml.Name `xml:"https://registry.terraform.io/providers/unikernel-dev/unikernel/instance/1 instance"`
	Family  string   `xml:"family,omitempty"`
}

// metadataXML returns the <metadata> of spec, nil when there is nothing to say.
func metadataXML(spec DomainSpec) (*libvirtxml.DomainMetadata, error) {
	if spec.Family == "" {
		return nil, nil
	}
	b, err := xml.Marshal(domainMetadata{Family: spec.Family})
	if err != nil {
		return nil, err
	}
	return &libvirtxml.DomainMetadata{XML: string(b)}, nil
}

// readMetadata fills spec's provider metadata from a definition's
// <metadata>; elements of other namespaces are skipped.
func readMetadata(d *libvirtxml.Domain, s *DomainSpec) {
	if d.Metadata == nil || strings.TrimSpace(d.Metadata.XML) == "" {
		return
	}
	dec := xml.NewDecoder(strings.NewReader(d.Metadata.XML))
	for {
		tok, err := dec.Token()
		if err != nil {
			return
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if start.Name.Space != MetadataNamespace || start.Name.Local != "instance" {
			if dec.Skip() != nil {
				return
			}
			continue
		}
		var m domainMetadata
		if dec.DecodeElement(&m, &start) == nil {
			s.Family = m.Family
		}
		return
	}
}
