package hypervisor

import (
	"context"
	"sort"
	"strings"
	"sync/atomic"
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

// Domain calls run on any connection of the pool, and run again on a
// reopened connection when the daemon went away while they ran (retryRead
// and retryChange, conn_retry.go). Each is safe to repeat: reads, and
// changes that check the current state first. libvirt orders the calls on
// one domain itself, and a destroy or a start keeps one of the daemon's
// per-connection request slots busy while QEMU stops or starts.

// DefineDomain creates or replaces the persistent definition of spec.Name
// and returns the domain's UUID. When the connection was lost during a define
// without a UUID (a create), the repeat first looks for the domain: the lost
// call may have defined it, and a second define would then be refused.
func (c *Client) DefineDomain(ctx context.Context, spec DomainSpec) (string, error) {
	var tried atomic.Bool
	return call(ctx, c, retryChange.on("define", kindDomain, spec.Name), func(s *session) (string, error) {
		if tried.Swap(true) && spec.UUID == "" {
			if info, rerr := s.readDomain(ctx, spec.Name); rerr == nil {
				return info.Spec.UUID, nil
			}
		}
		return s.defineDomain(ctx, spec)
	})
}

// LookupDomainName resolves a name or UUID to the domain's name.
func (c *Client) LookupDomainName(ctx context.Context, nameOrUUID string) (string, error) {
	return call(ctx, c, retryRead.on("look up", kindDomain, nameOrUUID), func(s *session) (string, error) {
		return s.lookupDomainName(ctx, nameOrUUID)
	})
}

// ReadDomain returns the persistent definition, state and autostart of name.
func (c *Client) ReadDomain(ctx context.Context, name string) (DomainInfo, error) {
	return call(ctx, c, retryRead.on("read", kindDomain, name), func(s *session) (DomainInfo, error) {
		return s.readDomain(ctx, name)
	})
}

// StartDomain starts a defined domain. Starting a running domain is not an error.
func (c *Client) StartDomain(ctx context.Context, name string) error {
	return c.do(ctx, retryChange.on("start", kindDomain, name), func(s *session) error { return s.startDomain(ctx, name) })
}

// StopDomain asks the guest to shut down, waits up to grace, then destroys it.
// Many unikernels ignore ACPI, so a zero grace destroys at once. Stopping a
// domain that is not running is not an error.
func (c *Client) StopDomain(ctx context.Context, name string, grace time.Duration) error {
	// The call itself waits for the guest up to grace.
	return c.do(ctx, retryChange.on("stop", kindDomain, name).plus(grace), func(s *session) error { return s.stopDomain(ctx, name, grace) })
}

// UndefineDomain removes the persistent definition. A missing domain is not an error.
func (c *Client) UndefineDomain(ctx context.Context, name string) error {
	return c.do(ctx, retryChange.on("undefine", kindDomain, name), func(s *session) error { return s.undefineDomain(ctx, name) })
}

// SetDomainAutostart sets whether the domain starts with the host.
func (c *Client) SetDomainAutostart(ctx context.Context, name string, on bool) error {
	return c.do(ctx, retryChange.on("set autostart of", kindDomain, name), func(s *session) error { return s.setDomainAutostart(ctx, name, on) })
}

// DomainNames lists the names of all defined domains, sorted.
func (c *Client) DomainNames(ctx context.Context) ([]string, error) {
	return call(ctx, c, retryMain.on("list", "domains on", c.uri), func(s *session) ([]string, error) { return s.domainNames(ctx) })
}

// DomainState returns the run state of name.
func (c *Client) DomainState(ctx context.Context, name string) (DomainState, error) {
	return call(ctx, c, retryRead.on("read the state of", kindDomain, name), func(s *session) (DomainState, error) {
		return s.domainState(ctx, name)
	})
}

// MarkDomainCreated records in the domain's metadata that the create that
// made it finished (marker.go). Call it as the last step of a create.
func (c *Client) MarkDomainCreated(ctx context.Context, name string) error {
	return c.do(ctx, retryChange.on("mark the create of", kindDomain, name), func(s *session) error { return s.markDomainCreated(ctx, name) })
}

// defineDomain creates or replaces the persistent definition of spec.Name
// and returns the domain's UUID. A create defines what DomainXML builds; a
// replacement (spec.UUID set) of an existing domain edits its current
// definition (MergeDomainXML), so that what the spec does not own stays as
// it is. A replacement that changes the firmware of a stopped UEFI domain
// also drops its NVRAM file (redefineFirmware).
func (s *session) defineDomain(ctx context.Context, spec DomainSpec) (string, error) {
	var x *libvirtxml.Domain
	var err error
	if spec.UUID != "" {
		s.carryCreateMarker(ctx, &spec)
		var old *libvirtxml.Domain
		if old, err = s.inactiveDefinition(spec.Name); err != nil {
			return "", err
		}
		if old != nil && strings.EqualFold(old.UUID, spec.UUID) {
			spec.Machine = s.keepMachineVersion(old, spec)
			x, err = MergeDomainXML(old, spec, s.volumePaths(old))
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
		if uuid, done, err := s.redefineFirmware(spec, doc); done || err != nil {
			return uuid, err
		}
	}
	return s.defineXML(spec.Name, doc)
}

// keepMachineVersion returns the machine type for a redefinition of old: the
// versioned machine old has when spec names an alias of it (a "pc" or "q35"
// configuration, which libvirt stored as pc-i440fx-7.2 or pc-q35-7.2), so
// that an update does not move the guest to a newer machine version that a
// QEMU upgrade brought; spec.Machine otherwise.
func (s *session) keepMachineVersion(old *libvirtxml.Domain, spec DomainSpec) string {
	if spec.Machine == "" || old.OS == nil || old.OS.Type == nil || old.OS.Type.Machine == spec.Machine {
		return spec.Machine
	}
	if machines, err := s.machines(old.Type); err == nil && machines[spec.Machine] == old.OS.Type.Machine {
		return old.OS.Type.Machine
	}
	return spec.Machine
}

// volumePaths resolves the volumes of d's volume disks to their host paths;
// a volume that cannot be looked up is left out (its disk is then not
// modelled, and kept as it is by a redefinition).
func (s *session) volumePaths(d *libvirtxml.Domain) VolumePaths {
	if d.Devices == nil {
		return nil
	}
	var out VolumePaths
	for _, disk := range d.Devices.Disks {
		if disk.Source == nil || disk.Source.Volume == nil {
			continue
		}
		key := PoolVolume{disk.Source.Volume.Pool, disk.Source.Volume.Volume}
		if path := s.volumePath(key); path != "" {
			if out == nil {
				out = VolumePaths{}
			}
			out[key] = path
		}
	}
	return out
}

func (s *session) volumePath(v PoolVolume) string {
	pool, err := s.conn().LookupStoragePoolByName(v.Pool)
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
func (s *session) inactiveDefinition(name string) (*libvirtxml.Domain, error) {
	dom, err := s.lookupDomain(name)
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
func (s *session) defineXML(name, doc string) (string, error) {
	dom, err := s.conn().DomainDefineXMLFlags(doc, libvirt.DOMAIN_DEFINE_VALIDATE)
	if err != nil {
		return "", wrap(err, "define", kindDomain, name)
	}
	defer func() { _ = dom.Free() }()
	uuid, err := dom.GetUUIDString()
	return uuid, wrap(err, "read the UUID of", kindDomain, name)
}

func (s *session) lookupDomain(name string) (*libvirt.Domain, error) {
	dom, err := s.conn().LookupDomainByName(name)
	return dom, wrap(err, "look up", kindDomain, name)
}

// lookupDomainName resolves a name or UUID to the domain's name.
func (s *session) lookupDomainName(_ context.Context, nameOrUUID string) (string, error) {
	dom, err := s.conn().LookupDomainByName(nameOrUUID)
	if err != nil && codeOf(err) == ErrNotFound {
		dom, err = s.conn().LookupDomainByUUIDString(nameOrUUID)
	}
	if err != nil {
		return "", wrap(err, "look up", kindDomain, nameOrUUID)
	}
	defer func() { _ = dom.Free() }()
	name, err := dom.GetName()
	return name, wrap(err, "read the name of", kindDomain, nameOrUUID)
}

// readDomain returns the persistent definition, state and autostart of name.
func (s *session) readDomain(_ context.Context, name string) (DomainInfo, error) {
	dom, err := s.lookupDomain(name)
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
	info := DomainInfo{Spec: SpecFromDomainXMLVolumes(&x, s.volumePaths(&x))}
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
func (s *session) startDomain(_ context.Context, name string) error {
	return s.withDomain(name, func(dom *libvirt.Domain) error {
		if active, err := dom.IsActive(); err == nil && active {
			return nil
		}
		return wrap(dom.Create(), "start", kindDomain, name)
	})
}

// stopDomain asks the guest to shut down, waits up to grace, then destroys it.
// Many unikernels ignore ACPI, so a zero grace destroys at once. Stopping a
// domain that is not running is not an error.
func (s *session) stopDomain(ctx context.Context, name string, grace time.Duration) error {
	return s.withDomain(name, func(dom *libvirt.Domain) error {
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
		err := dom.Destroy()
		if err != nil {
			if active, aerr := dom.IsActive(); aerr == nil && !active {
				return nil // it stopped on its own meanwhile
			}
		}
		return wrap(err, "destroy", kindDomain, name)
	})
}

// undefineDomain removes the persistent definition, with its managed save,
// snapshot metadata and NVRAM file (UEFI guests). A missing domain is not an
// error.
func (s *session) undefineDomain(_ context.Context, name string) error {
	dom, err := s.lookupDomain(name)
	if IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	defer func() { _ = dom.Free() }()
	return wrap(s.undefine(dom), "undefine", kindDomain, name)
}

// undefineFlagSets are the flags an undefine tries, in order: some drivers
// refuse some of them (libvirt's libxl driver has no snapshots, the test
// driver no NVRAM). Once a driver refused a set, the client starts from the
// next one (refusalUndefineFlags).
var undefineFlagSets = []libvirt.DomainUndefineFlagsValues{
	libvirt.DOMAIN_UNDEFINE_MANAGED_SAVE | libvirt.DOMAIN_UNDEFINE_SNAPSHOTS_METADATA | libvirt.DOMAIN_UNDEFINE_NVRAM,
	libvirt.DOMAIN_UNDEFINE_MANAGED_SAVE | libvirt.DOMAIN_UNDEFINE_NVRAM,
	libvirt.DOMAIN_UNDEFINE_MANAGED_SAVE | libvirt.DOMAIN_UNDEFINE_SNAPSHOTS_METADATA,
	libvirt.DOMAIN_UNDEFINE_MANAGED_SAVE,
}

// undefine undefines dom with the first set of flags the driver accepts.
func (s *session) undefine(dom *libvirt.Domain) error {
	i := s.refusals.fallback(refusalUndefineFlags)
	err := dom.UndefineFlags(undefineFlagSets[i])
	for isUnsupportedFlags(err) && i+1 < len(undefineFlagSets) {
		i++
		err = dom.UndefineFlags(undefineFlagSets[i])
	}
	s.refusals.keepFallback(refusalUndefineFlags, i)
	return err
}

// setDomainAutostart sets whether the domain starts with the host.
func (s *session) setDomainAutostart(_ context.Context, name string, on bool) error {
	return s.withDomain(name, func(dom *libvirt.Domain) error {
		return wrap(dom.SetAutostart(on), "set autostart of", kindDomain, name)
	})
}

// domainNames lists the names of all defined domains, sorted.
func (s *session) domainNames(_ context.Context) ([]string, error) {
	doms, err := s.conn().ListAllDomains(0)
	if err != nil {
		return nil, wrap(err, "list", "domains on", s.uri)
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
func (s *session) domainState(_ context.Context, name string) (DomainState, error) {
	st, _, err := s.libvirtState(name)
	if err != nil {
		return "", err
	}
	return mapState(st), nil
}

// libvirtState returns libvirt's run state of name and its reason.
func (s *session) libvirtState(name string) (libvirt.DomainState, int, error) {
	dom, err := s.lookupDomain(name)
	if err != nil {
		return 0, 0, err
	}
	defer func() { _ = dom.Free() }()
	st, reason, err := dom.GetState()
	return st, reason, wrap(err, "read the state of", kindDomain, name)
}

// DomainStopReason tells why a shut-off domain stopped: "shutdown" when the
// guest powered itself off, "crashed", "destroyed", "failed" or "other".
// Empty while it runs.
func (c *Client) DomainStopReason(ctx context.Context, name string) (string, error) {
	return call(ctx, c, callOnce.on("read the state of", kindDomain, name), func(s *session) (string, error) {
		st, reason, err := s.libvirtState(name)
		if err != nil {
			return "", err
		}
		if st != libvirt.DOMAIN_SHUTOFF {
			if st == libvirt.DOMAIN_CRASHED {
				return "crashed", nil
			}
			return "", nil
		}
		switch libvirt.DomainShutoffReason(reason) {
		case libvirt.DOMAIN_SHUTOFF_SHUTDOWN:
			return "shutdown", nil
		case libvirt.DOMAIN_SHUTOFF_CRASHED:
			return "crashed", nil
		case libvirt.DOMAIN_SHUTOFF_DESTROYED:
			return "destroyed", nil
		case libvirt.DOMAIN_SHUTOFF_FAILED:
			return "failed", nil
		}
		return "other", nil
	})
}

// withDomain looks the domain name up on s, runs fn on it and frees it.
func (s *session) withDomain(name string, fn func(dom *libvirt.Domain) error) error {
	dom, err := s.lookupDomain(name)
	if err != nil {
		return err
	}
	defer func() { _ = dom.Free() }()
	return fn(dom)
}
