package hypervisor

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

const kindDomain = "domain"

// domainState is the run state of a domain, as the provider reports it.
type DomainState string

// Domain states.
const (
	StateRunning DomainState = "running"
	StateShutoff DomainState = "shutoff"
	StateCrashed DomainState = "crashed"
	StatePaused  DomainState = "paused"
	StateOther   DomainState = "other"
)

// DomainInfo is what Read needs: the persistent configuration, the run state
// and autostart, each from its own source.
type DomainInfo struct {
	Spec      DomainSpec
	State     DomainState
	Autostart bool
}

// defineDomain creates or replaces the persistent definition of spec.Name
// and returns the domain's UUID. A create defines what DomainXML builds; a
// replacement (spec.UUID set) of an existing domain edits its current
// definition (MergeDomainXML), so that what the spec does not own stays as
// it is. A replacement that changes the firmware of a stopped UEFI domain
// also drops its NVRAM file (redefineFirmware).
func (c *Client) defineDomain(ctx context.Context, spec DomainSpec) (string, error) {
	var x *libvirtxml.Domain
	var err error
	if spec.UUID != "" {
		c.carryCreateMarker(ctx, &spec)
		var old *libvirtxml.Domain
		if old, err = c.inactiveDefinition(spec.Name); err != nil {
			return "", err
		}
		if old != nil && strings.EqualFold(old.UUID, spec.UUID) {
			spec.Machine = c.keepMachineVersion(ctx, old, spec)
			x, err = MergeDomainXML(old, spec, c.volumePaths(old))
		}
	}
	if x == nil && err == nil {
		x, err = DomainXML(spec)
	}
	if err != nil {
		return "", &Error{Op: "define", Kind: kindDomain, Name: spec.Name, Code: ErrInvalid, Message: err.Error()}
	}
	doc, err := x.Marshal()
	if err != nil {
		return "", &Error{Op: "define", Kind: kindDomain, Name: spec.Name, Code: ErrInvalid, Message: err.Error()}
	}
	if spec.UUID != "" {
		if uuid, done, err := c.redefineFirmware(spec, doc); done || err != nil {
			return uuid, err
		}
	}
	return c.defineXML(spec.Name, doc)
}

// keepMachineVersion returns the machine type for a redefinition of old: the
// versioned machine old has when spec names an alias of it (a "pc" or "q35"
// configuration, which libvirt stored as pc-i440fx-7.2 or pc-q35-7.2), so
// that an update does not move the guest to a newer machine version that a
// QEMU upgrade brought; spec.Machine otherwise.
func (c *Client) keepMachineVersion(ctx context.Context, old *libvirtxml.Domain, spec DomainSpec) string {
	if spec.Machine == "" || old.OS == nil || old.OS.Type == nil || old.OS.Type.Machine == spec.Machine {
		return spec.Machine
	}
	if machines, err := c.Machines(ctx, old.Type); err == nil && machines[spec.Machine] == old.OS.Type.Machine {
		return old.OS.Type.Machine
	}
	return spec.Machine
}

// volumePaths resolves the volumes of d's volume disks to their host paths;
// a volume that cannot be looked up is left out (its disk is then not
// modelled, and kept as it is by a redefinition).
func (c *Client) volumePaths(d *libvirtxml.Domain) VolumePaths {
	if d.Devices == nil {
		return nil
	}
	var out VolumePaths
	for _, disk := range d.Devices.Disks {
		if disk.Source == nil || disk.Source.Volume == nil {
			continue
		}
		key := PoolVolume{disk.Source.Volume.Pool, disk.Source.Volume.Volume}
		if path := c.volumePath(key); path != "" {
			if out == nil {
				out = VolumePaths{}
			}
			out[key] = path
		}
	}
	return out
}

func (c *Client) volumePath(v PoolVolume) string {
	pool, err := c.conn().LookupStoragePoolByName(v.Pool)
	if err != nil {
		return ""
	}
	defer func() { _ = pool.Free() }()
	vol, err := pool.LookupStorageVolByName(v.Volume)
	if err != nil {
		return ""
	}
	defer func() { _ = vol.Free() }()
	path, err := vol.GetPath()
	if err != nil {
		return ""
	}
	return path
}

// inactiveDefinition returns the persistent definition of name, nil when
// there is no such domain.
func (c *Client) inactiveDefinition(name string) (*libvirtxml.Domain, error) {
	dom, err := c.lookupDomain(name)
	if IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer func() { _ = dom.Free() }()
	doc, err := dom.GetXMLDesc(libvirt.DOMAIN_XML_INACTIVE)
	if err != nil {
		return nil, wrap(err, "read the definition of", kindDomain, name)
	}
	var x libvirtxml.Domain
	if err := x.Unmarshal(doc); err != nil {
		return nil, &Error{Op: "parse the definition of", Kind: kindDomain, Name: name, Message: err.Error()}
	}
	return &x, nil
}

// defineXML defines doc and returns the domain's UUID.
func (c *Client) defineXML(name, doc string) (string, error) {
	dom, err := c.conn().DomainDefineXMLFlags(doc, libvirt.DOMAIN_DEFINE_VALIDATE)
	if err != nil {
		return "", wrap(err, "define", kindDomain, name)
	}
	defer func() { _ = dom.Free() }()
	uuid, err := dom.GetUUIDString()
	return uuid, wrap(err, "read the UUID of", kindDomain, name)
}

func (c *Client) lookupDomain(name string) (*libvirt.Domain, error) {
	dom, err := c.conn().LookupDomainByName(name)
	return dom, wrap(err, "look up", kindDomain, name)
}

// lookupDomainName resolves a name or UUID to the domain's name.
func (c *Client) lookupDomainName(_ context.Context, nameOrUUID string) (string, error) {
	dom, err := c.conn().LookupDomainByName(nameOrUUID)
	if err != nil && codeOf(err) == ErrNotFound {
		dom, err = c.conn().LookupDomainByUUIDString(nameOrUUID)
	}
	if err != nil {
		return "", wrap(err, "look up", kindDomain, nameOrUUID)
	}
	defer func() { _ = dom.Free() }()
	name, err := dom.GetName()
	return name, wrap(err, "read the name of", kindDomain, nameOrUUID)
}

// readDomain returns the persistent definition, state and autostart of name.
func (c *Client) readDomain(_ context.Context, name string) (DomainInfo, error) {
	dom, err := c.lookupDomain(name)
	if err != nil {
		return DomainInfo{}, err
	}
	defer func() { _ = dom.Free() }()
	doc, err := dom.GetXMLDesc(libvirt.DOMAIN_XML_INACTIVE)
	if err != nil {
		return DomainInfo{}, wrap(err, "read the definition of", kindDomain, name)
	}
	var x libvirtxml.Domain
	if err := x.Unmarshal(doc); err != nil {
		return DomainInfo{}, &Error{Op: "parse the definition of", Kind: kindDomain, Name: name, Message: err.Error()}
	}
	info := DomainInfo{Spec: SpecFromDomainXMLVolumes(&x, c.volumePaths(&x))}
	st, _, err := dom.GetState()
	if err != nil {
		return DomainInfo{}, wrap(err, "read the state of", kindDomain, name)
	}
	info.State = mapState(st)
	if info.Autostart, err = dom.GetAutostart(); err != nil {
		return DomainInfo{}, wrap(err, "read autostart of", kindDomain, name)
	}
	return info, nil
}

func mapState(st libvirt.DomainState) DomainState {
	switch st {
	case libvirt.DOMAIN_RUNNING, libvirt.DOMAIN_BLOCKED:
		return StateRunning
	case libvirt.DOMAIN_SHUTOFF, libvirt.DOMAIN_SHUTDOWN, libvirt.DOMAIN_NOSTATE:
		return StateShutoff
	case libvirt.DOMAIN_CRASHED:
		return StateCrashed
	case libvirt.DOMAIN_PAUSED, libvirt.DOMAIN_PMSUSPENDED:
		return StatePaused
	}
	return StateOther
}

// startDomain starts a defined domain. Starting a running domain is not an error.
func (c *Client) startDomain(_ context.Context, name string) error {
	dom, err := c.lookupDomain(name)
	if err != nil {
		return err
	}
	defer func() { _ = dom.Free() }()
	if active, err := dom.IsActive(); err == nil && active {
		return nil
	}
	return wrap(dom.Create(), "start", kindDomain, name)
}

// stopDomain asks the guest to shut down, waits up to grace, then destroys it.
// Many unikernels ignore ACPI, so a zero grace destroys at once. Stopping a
// domain that is not running is not an error.
func (c *Client) stopDomain(ctx context.Context, name string, grace time.Duration) error {
	dom, err := c.lookupDomain(name)
	if err != nil {
		return err
	}
	defer func() { _ = dom.Free() }()
	if active, err := dom.IsActive(); err == nil && !active {
		return nil
	}
	if grace > 0 && dom.Shutdown() == nil {
		deadline := time.Now().Add(grace)
		for time.Now().Before(deadline) && ctx.Err() == nil {
			if active, err := dom.IsActive(); err == nil && !active {
				return nil
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	err = dom.Destroy()
	if err != nil {
		if active, aerr := dom.IsActive(); aerr == nil && !active {
			return nil // it stopped on its own meanwhile
		}
	}
	return wrap(err, "destroy", kindDomain, name)
}

// undefineDomain removes the persistent definition, with its managed save,
// snapshot metadata and NVRAM file (UEFI guests). A missing domain is not an
// error.
func (c *Client) undefineDomain(_ context.Context, name string) error {
	dom, err := c.lookupDomain(name)
	if IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	defer func() { _ = dom.Free() }()
	return wrap(c.undefine(dom), "undefine", kindDomain, name)
}

// undefineFlagSets are the flags an undefine tries, in order: some drivers
// refuse some of them (libvirt's libxl driver has no snapshots, the test
// driver no NVRAM). Once a driver refused a set, the client starts from the
// next one.
var undefineFlagSets = []libvirt.DomainUndefineFlagsValues{
	libvirt.DOMAIN_UNDEFINE_MANAGED_SAVE | libvirt.DOMAIN_UNDEFINE_SNAPSHOTS_METADATA | libvirt.DOMAIN_UNDEFINE_NVRAM,
	libvirt.DOMAIN_UNDEFINE_MANAGED_SAVE | libvirt.DOMAIN_UNDEFINE_NVRAM,
	libvirt.DOMAIN_UNDEFINE_MANAGED_SAVE | libvirt.DOMAIN_UNDEFINE_SNAPSHOTS_METADATA,
	libvirt.DOMAIN_UNDEFINE_MANAGED_SAVE,
}

// undefine undefines dom with the first set of flags the driver accepts.
func (c *Client) undefine(dom *libvirt.Domain) error {
	root := c
	if c.parent != nil {
		root = c.parent
	}
	i := int(root.undefineFlags.Load())
	err := dom.UndefineFlags(undefineFlagSets[i])
	for isUnsupportedFlags(err) && i+1 < len(undefineFlagSets) {
		i++
		err = dom.UndefineFlags(undefineFlagSets[i])
	}
	root.undefineFlags.Store(int32(i))
	return err
}

// isUnsupportedFlags reports whether a driver refused the flags of a call
// (libvirt's virCheckFlags: VIR_ERR_INVALID_ARG).
func isUnsupportedFlags(err error) bool {
	var lv libvirt.Error
	return errors.As(err, &lv) && lv.Code == libvirt.ERR_INVALID_ARG
}

// setDomainAutostart sets whether the domain starts with the host.
func (c *Client) setDomainAutostart(_ context.Context, name string, on bool) error {
	dom, err := c.lookupDomain(name)
	if err != nil {
		return err
	}
	defer func() { _ = dom.Free() }()
	return wrap(dom.SetAutostart(on), "set autostart of", kindDomain, name)
}

// domainNames lists the names of all defined domains, sorted.
func (c *Client) domainNames(_ context.Context) ([]string, error) {
	doms, err := c.conn().ListAllDomains(0)
	if err != nil {
		return nil, wrap(err, "list", "domains on", c.uri)
	}
	names := make([]string, 0, len(doms))
	for i := range doms {
		if n, err := doms[i].GetName(); err == nil {
			names = append(names, n)
		}
		_ = doms[i].Free()
	}
	sort.Strings(names)
	return names, nil
}

// domainState returns the run state of name.
func (c *Client) domainState(_ context.Context, name string) (DomainState, error) {
	dom, err := c.lookupDomain(name)
	if err != nil {
		return "", err
	}
	defer func() { _ = dom.Free() }()
	st, _, err := dom.GetState()
	if err != nil {
		return "", wrap(err, "read the state of", kindDomain, name)
	}
	return mapState(st), nil
}
