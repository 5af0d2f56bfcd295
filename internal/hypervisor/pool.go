package hypervisor

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

const kindPool = "storage pool"

// PoolInfo is what Read needs about a storage pool.
type PoolInfo struct {
	Spec       PoolSpec
	Type       string // "dir" for pools this provider creates
	Active     bool
	Autostart  bool
	Capacity   uint64 // bytes; 0 while the pool is stopped
	Allocation uint64
	Available  uint64
}

// PoolNotEmptyError refuses to delete a pool that still holds volumes.
type PoolNotEmptyError struct {
	Pool    string
	Volumes []string // sorted
}

func (e *PoolNotEmptyError) Error() string {
	shown := e.Volumes
	more := ""
	if len(shown) > 10 {
		shown, more = shown[:10], fmt.Sprintf(" and %d more", len(e.Volumes)-10)
	}
	return fmt.Sprintf("storage pool %q still holds %d volume(s): %s%s", e.Pool, len(e.Volumes), strings.Join(shown, ", "), more)
}

// IsPoolNotEmpty reports whether err is a *PoolNotEmptyError.
func IsPoolNotEmpty(err error) bool {
	var e *PoolNotEmptyError
	return errors.As(err, &e)
}

// CreatePool defines, builds (creates the directory), starts and optionally
// autostarts a dir pool. If a later step fails, the definition is removed
// again; the directory, which may have existed before, is left alone.
func (c *Client) CreatePool(ctx context.Context, spec PoolSpec, autostart bool) (PoolInfo, error) {
	return call(ctx, c, callOnce.on("define", kindPool, spec.Name), func(s *session) (PoolInfo, error) {
		x, err := PoolXML(spec)
		if err != nil {
			return PoolInfo{}, &Error{Op: "define", Kind: kindPool, Name: spec.Name, Code: ErrInvalid, Message: err.Error()}
		}
		doc, err := x.Marshal()
		if err != nil {
			return PoolInfo{}, &Error{Op: "define", Kind: kindPool, Name: spec.Name, Code: ErrInvalid, Message: err.Error()}
		}
		pool, err := s.conn().StoragePoolDefineXML(doc, libvirt.STORAGE_POOL_DEFINE_VALIDATE)
		if err != nil {
			return PoolInfo{}, wrap(err, "define", kindPool, spec.Name)
		}
		defer func() { _ = pool.Free() }()
		undo := func(op string, err error) (PoolInfo, error) {
			if active, aerr := pool.IsActive(); aerr == nil && active {
				_ = pool.Destroy()
			}
			_ = pool.Undefine()
			return PoolInfo{}, wrap(err, op, kindPool, spec.Name)
		}
		if err := pool.Build(0); err != nil {
			return undo("build", err)
		}
		if err := pool.Create(0); err != nil {
			return undo("start", err)
		}
		if autostart {
			if err := pool.SetAutostart(true); err != nil {
				return undo("set autostart of", err)
			}
		}
		return s.poolInfo(pool, spec.Name)
	})
}

func (s *session) lookupPool(name string) (*libvirt.StoragePool, error) {
	pool, err := s.conn().LookupStoragePoolByName(name)
	return pool, wrap(err, "look up", kindPool, name)
}

// ReadPool returns a pool's definition and state.
func (c *Client) ReadPool(ctx context.Context, name string) (PoolInfo, error) {
	return call(ctx, c, retryRead.on("read", kindPool, name), func(s *session) (PoolInfo, error) {
		return s.readPool(ctx, name)
	})
}

// readPool returns the persistent definition, run state, autostart and
// sizes of a pool.
func (s *session) readPool(_ context.Context, name string) (PoolInfo, error) {
	pool, err := s.lookupPool(name)
	if err != nil {
		return PoolInfo{}, err
	}
	defer func() { _ = pool.Free() }()
	return s.poolInfo(pool, name)
}

func (s *session) poolInfo(pool *libvirt.StoragePool, name string) (PoolInfo, error) {
	doc, err := pool.GetXMLDesc(0) // a dir pool has no live-only configuration
	if err != nil {
		return PoolInfo{}, wrap(err, "read the definition of", kindPool, name)
	}
	var x libvirtxml.StoragePool
	if err := x.Unmarshal(doc); err != nil {
		return PoolInfo{}, &Error{Op: "parse the definition of", Kind: kindPool, Name: name, Message: err.Error()}
	}
	info := PoolInfo{Spec: PoolSpecFromXML(&x), Type: x.Type}
	if info.Active, err = pool.IsActive(); err != nil {
		return PoolInfo{}, wrap(err, "read the state of", kindPool, name)
	}
	if info.Autostart, err = pool.GetAutostart(); err != nil {
		return PoolInfo{}, wrap(err, "read autostart of", kindPool, name)
	}
	gi, err := pool.GetInfo()
	if err != nil {
		return PoolInfo{}, wrap(err, "read the sizes of", kindPool, name)
	}
	if info.Active {
		info.Capacity, info.Allocation, info.Available = gi.Capacity, gi.Allocation, gi.Available
	}
	return info, nil
}

// StartPool starts a stopped pool, creating its directory again when it is
// gone. Starting a running pool is not an error.
func (c *Client) StartPool(ctx context.Context, name string) error {
	return c.do(ctx, callOnce.on("start", kindPool, name), func(s *session) error {
		return s.withPool(name, func(pool *libvirt.StoragePool) error {
			if active, err := pool.IsActive(); err != nil {
				return wrap(err, "read the state of", kindPool, name)
			} else if active {
				return nil
			}
			if err := pool.Build(0); err != nil {
				return wrap(err, "build", kindPool, name)
			}
			return wrap(pool.Create(0), "start", kindPool, name)
		})
	})
}

// StopPool stops a running pool; its definition and files stay.
func (c *Client) StopPool(ctx context.Context, name string) error {
	return c.do(ctx, callOnce.on("stop", kindPool, name), func(s *session) error {
		return s.withPool(name, func(pool *libvirt.StoragePool) error {
			if active, err := pool.IsActive(); err != nil || !active {
				return wrap(err, "read the state of", kindPool, name)
			}
			lock := s.poolLock(name)
			lock.Lock()
			defer lock.Unlock()
			return wrap(pool.Destroy(), "stop", kindPool, name)
		})
	})
}

// SetPoolAutostart turns autostart on or off.
func (c *Client) SetPoolAutostart(ctx context.Context, name string, on bool) error {
	return c.do(ctx, callOnce.on("set autostart of", kindPool, name), func(s *session) error {
		return s.withPool(name, func(pool *libvirt.StoragePool) error {
			return wrap(pool.SetAutostart(on), "set autostart of", kindPool, name)
		})
	})
}

// RefreshPool makes libvirt rescan the pool's directory, so that files added
// or removed behind its back show up. libvirt refuses a refresh while a
// volume of the pool is being created, so the two are serialised.
func (c *Client) RefreshPool(ctx context.Context, name string) error {
	return c.do(ctx, callOnce.on("refresh", kindPool, name), func(s *session) error { return s.refreshByName(name) })
}

// refreshByName is RefreshPool on s.
func (s *session) refreshByName(name string) error {
	return s.withPool(name, func(pool *libvirt.StoragePool) error {
		return s.refresh(pool, name)
	})
}

func (s *session) refresh(pool *libvirt.StoragePool, name string) error {
	lock := s.poolLock(name)
	lock.Lock()
	defer lock.Unlock()
	return wrap(pool.Refresh(0), "refresh", kindPool, name)
}

// DeletePool stops, removes the directory of and undefines a pool. It refuses
// with a *PoolNotEmptyError while the pool holds volumes (files libvirt sees
// after a refresh), and never deletes a file: the directory is removed only
// when it is empty. A pool that cannot be started (its directory is gone) is
// just undefined. A missing pool is not an error.
func (c *Client) DeletePool(ctx context.Context, name string) error {
	return c.do(ctx, callOnce.on("delete", kindPool, name), func(s *session) error {
		pool, err := s.conn().LookupStoragePoolByName(name)
		if err != nil {
			if codeOf(err) == ErrNotFound {
				return nil
			}
			return wrap(err, "look up", kindPool, name)
		}
		defer func() { _ = pool.Free() }()
		active, err := pool.IsActive()
		if err != nil {
			return wrap(err, "read the state of", kindPool, name)
		}
		startedHere := false
		if !active {
			// Only a running pool can be listed; start it to look inside.
			startedHere = pool.Create(0) == nil
			active = startedHere
		}
		if active {
			if err := s.refresh(pool, name); err != nil {
				return err
			}
			names, err := volumeNames(pool)
			if err != nil {
				return wrap(err, "list the volumes of", kindPool, name)
			}
			if len(names) > 0 {
				if startedHere {
					_ = pool.Destroy()
				}
				return &PoolNotEmptyError{Pool: name, Volumes: names}
			}
			lock := s.poolLock(name)
			lock.Lock()
			err = pool.Destroy()
			lock.Unlock()
			if err != nil {
				return wrap(err, "stop", kindPool, name)
			}
			// rmdir: fails rather than delete anything if a file appeared meanwhile.
			if err := pool.Delete(libvirt.STORAGE_POOL_DELETE_NORMAL); err != nil {
				return wrap(err, "remove the directory of", kindPool, name)
			}
		}
		return wrap(pool.Undefine(), "undefine", kindPool, name)
	})
}

// PoolNames lists the names of all defined storage pools, sorted.
func (c *Client) PoolNames(ctx context.Context) ([]string, error) {
	return call(ctx, c, callOnce.on("list", "storage pools on", c.uri), func(s *session) ([]string, error) {
		names, err := s.poolNames()
		return names, wrap(err, "list", "storage pools on", s.uri)
	})
}

// VolumeNames lists the names of the volumes in a running pool, sorted.
func (c *Client) VolumeNames(ctx context.Context, poolName string) ([]string, error) {
	return call(ctx, c, callOnce.on("list the volumes of", kindPool, poolName), func(s *session) ([]string, error) {
		pool, err := s.activePool(poolName) // an inactive pool is a PoolInactiveError, not libvirt's generic refusal
		if err != nil {
			return nil, err
		}
		defer func() { _ = pool.Free() }()
		names, err := volumeNames(pool)
		return names, wrap(err, "list the volumes of", kindPool, poolName)
	})
}

func volumeNames(pool *libvirt.StoragePool) ([]string, error) {
	vols, err := pool.ListAllStorageVolumes(0)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(vols))
	for i := range vols {
		if n, err := vols[i].GetName(); err == nil {
			names = append(names, n)
		}
		_ = vols[i].Free()
	}
	sort.Strings(names)
	return names, nil
}

// withPool looks the pool name up on s, runs fn on it and frees it.
func (s *session) withPool(name string, fn func(pool *libvirt.StoragePool) error) error {
	pool, err := s.lookupPool(name)
	if err != nil {
		return err
	}
	defer func() { _ = pool.Free() }()
	return fn(pool)
}
