package libvirt

// #include <stdlib.h>
import "C"

type Connect struct{}
type Domain struct{}

func (c *Connect) LookupDomainByName(name string) (*Domain, error) {
	C.virDomainLookupByNameWrapper(nil, nil, nil)
	return &Domain{}, makeError()
}

func (d *Domain) Free() error {
	C.virDomainFreeWrapper(nil, nil)
	return nil
}

func (d *Domain) Create() error {
	defer d.Free()
	C.virDomainCreateWrapper(nil, nil)
	return nil
}

func (c *Connect) ListAllDomains() error {
	C.virConnectListAllDomainsWrapper(nil, nil)
	return nil
}

func makeError() error {
	C.virResetErrorWrapper(nil)
	return nil
}

func NewConnect() (*Connect, error) {
	C.virConnectOpenAuthDefaultHelper(nil, nil)
	return &Connect{}, nil
}
