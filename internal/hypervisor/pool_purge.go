package hypervisor

import "context"

// PurgePool deletes every volume in a pool, then stops, deletes the directory
// of, and undefines the pool. It is for sweeping test leftovers and for the
// console pool; the pool resource itself refuses to delete a pool that still
// holds volumes. A missing pool is not an error.
func (c *Client) PurgePool(ctx context.Context, name string) error {
	return c.do(ctx, callOnce.on("purge", kindPool, name), func(s *session) error {
		pool, err := s.conn().LookupStoragePoolByName(name)
		if codeOf(err) == ErrNotFound {
			return nil
		}
		if err != nil {
			return wrap(err, "look up", "storage pool", name)
		}
		defer func() { _ = pool.Free() }()
		lock := s.poolLock(name)
		lock.Lock()
		defer lock.Unlock()
		if active, err := pool.IsActive(); err == nil && active {
			_ = pool.Refresh(0)
			vols, err := pool.ListAllStorageVolumes(0)
			if err != nil {
				return wrap(err, "list the volumes of", "storage pool", name)
			}
			for i := range vols {
				err := vols[i].Delete(0)
				_ = vols[i].Free()
				if err != nil && codeOf(err) != ErrNotFound {
					return wrap(err, "delete a volume of", "storage pool", name)
				}
			}
			if err := pool.Destroy(); err != nil {
				return wrap(err, "stop", "storage pool", name)
			}
		}
		_ = pool.Delete(0) // removes the (now empty) directory
		return wrap(pool.Undefine(), "undefine", "storage pool", name)
	})
}
