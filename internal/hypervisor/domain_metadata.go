package hypervisor

import (
	"context"
	"encoding/xml"
	"strings"
	"time"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// MetadataNamespace is the XML namespace of the provider's element in a
// domain's <metadata>. Elements of other namespaces are ignored when read.
const MetadataNamespace = "https://registry.terraform.io/providers/unikernel-dev/unikernel/instance/1"

// metadataKey is the namespace prefix libvirt gives the provider's element.
const metadataKey = "unikernel"

// domainMetadata is the provider's element in <metadata>: what an instance
// is that libvirt's own definition does not say.
type domainMetadata struct {
	XMLName xml.Name        `xml:"https://registry.terraform.io/providers/unikernel-dev/unikernel/instance/1 instance"`
	Family  string          `xml:"family,omitempty"`
	Create  *createMetadata `xml:"create"`
}

// createMetadata is a CreateMarker as the attributes of <create>.
type createMetadata struct {
	ID       string `xml:"id,attr"`
	State    string `xml:"state,attr"`
	Host     string `xml:"host,attr"`
	PID      int    `xml:"pid,attr"`
	PIDStart uint64 `xml:"pid_start,attr,omitempty"`
	Started  string `xml:"started,attr"`
	Deadline string `xml:"deadline,attr"`
}

func toCreateMetadata(m *CreateMarker) *createMetadata {
	if m == nil {
		return nil
	}
	return &createMetadata{ID: m.ID, State: m.State, Host: m.Host, PID: m.PID, PIDStart: m.PIDStart,
		Started: m.Started.UTC().Format(time.RFC3339), Deadline: m.Deadline.UTC().Format(time.RFC3339)}
}

func (c *createMetadata) marker() *CreateMarker {
	if c == nil {
		return nil
	}
	m := &CreateMarker{ID: c.ID, State: c.State, Host: c.Host, PID: c.PID, PIDStart: c.PIDStart}
	m.Started, _ = time.Parse(time.RFC3339, c.Started)
	m.Deadline, _ = time.Parse(time.RFC3339, c.Deadline)
	return m
}

// metadataElement returns the provider's element of spec, "" when there is
// nothing to say.
func metadataElement(spec DomainSpec) (string, error) {
	if spec.Family == "" && spec.Create == nil {
		return "", nil
	}
	b, err := xml.Marshal(domainMetadata{Family: spec.Family, Create: toCreateMetadata(spec.Create)})
	return string(b), err
}

// metadataXML returns the <metadata> of spec, nil when there is nothing to say.
func metadataXML(spec DomainSpec) (*libvirtxml.DomainMetadata, error) {
	el, err := metadataElement(spec)
	if err != nil || el == "" {
		return nil, err
	}
	return &libvirtxml.DomainMetadata{XML: el}, nil
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
			s.Create = m.Create.marker()
		}
		return
	}
}

// markDomainCreated records in name's definition (and in the running
// domain's, when it runs) that the create that made it finished.
func (s *session) markDomainCreated(ctx context.Context, name string) error {
	info, err := s.readDomain(ctx, name)
	if err != nil {
		return err
	}
	spec := info.Spec
	if spec.Create == nil {
		return nil // not made by a create of this provider (an import): nothing to finish
	}
	if spec.Create.State == CreateFinished {
		return nil
	}
	spec.Create.State = CreateFinished
	el, err := metadataElement(spec)
	if err != nil {
		return &Error{Op: "mark the create of", Kind: kindDomain, Name: name, Code: ErrInvalid, Message: err.Error()}
	}
	dom, err := s.lookupDomain(name)
	if err != nil {
		return err
	}
	defer func() { _ = dom.Free() }()
	flags := libvirt.DOMAIN_AFFECT_CONFIG
	if active, err := dom.IsActive(); err == nil && active {
		flags |= libvirt.DOMAIN_AFFECT_LIVE
	}
	return wrap(dom.SetMetadata(libvirt.DOMAIN_METADATA_ELEMENT, el, metadataKey, MetadataNamespace, flags),
		"mark the create of", kindDomain, name)
}

// carryCreateMarker fills spec.Create from the existing definition of
// spec.Name, so that a redefinition never drops the marker.
func (s *session) carryCreateMarker(ctx context.Context, spec *DomainSpec) {
	if spec.Create != nil {
		return
	}
	if info, err := s.readDomain(ctx, spec.Name); err == nil {
		spec.Create = info.Spec.Create
	}
}
