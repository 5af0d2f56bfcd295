package hypervisor

// DefineXMLForTest defines a raw document, as another tool (virsh, the
// libvirt provider) would, for the acceptance tests of package
// hypervisor_test.
func (c *Client) DefineXMLForTest(name, doc string) (string, error) { return c.defineXML(name, doc) }

// InactiveDefinitionForTest returns the persistent definition of name.
var InactiveDefinitionForTest = (*Client).inactiveDefinition
