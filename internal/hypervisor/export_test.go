package hypervisor

import (
	"context"

	"libvirt.org/go/libvirtxml"
)

// DefineXMLForTest defines a raw document, as another tool (virsh, the
// libvirt provider) would, for the acceptance tests of package
// hypervisor_test.
func (c *Client) DefineXMLForTest(name, doc string) (string, error) {
	return call(context.Background(), c, callOnce.on("define", kindDomain, name), func(s *session) (string, error) {
		return s.defineXML(name, doc)
	})
}

// InactiveDefinitionForTest returns the persistent definition of name.
func InactiveDefinitionForTest(c *Client, name string) (*libvirtxml.Domain, error) {
	return call(context.Background(), c, callOnce.on("read the definition of", kindDomain, name), func(s *session) (*libvirtxml.Domain, error) {
		return s.inactiveDefinition(name)
	})
}
