package hypervisor

import (
	"sync"
	"time"

	"libvirt.org/go/libvirt"
)

// poolLocks holds the per-pool locks and rescans of one client.
type poolLocks struct {
	locks     sync.Map // pool name -> *sync.Mutex
	refreshes sync.Map // pool name -> *poolRefresh
}

// poolLock returns the mutex that serialises operations libvirt refuses to
// run concurrently on one pool ("pool has asynchronous jobs running").
func (sh *shared) poolLock(pool string) *sync.Mutex {
	m, _ := sh.pools.locks.LoadOrStore(pool, &sync.Mutex{})
	return m.(*sync.Mutex)
}

// refreshPool rescans a pool's directory. libvirt refuses while a transfer
// is being set up in the pool ("asynchronous jobs running"); this process
// serialises with its own transfers through the pool lock, and retries for
// a few seconds for other clients' transfers.
func (sh *shared) refreshPool(pool *libvirt.StoragePool, name string) error {
	lock := sh.poolLock(name)
	var err error
	for delay := 20 * time.Millisecond; delay < 3*time.Second; delay *= 2 {
		lock.Lock()
		err = pool.Refresh(0)
		lock.Unlock()
		if err == nil || codeOf(err) == ErrNotFound {
			break
		}
		time.Sleep(delay)
	}
	return wrap(err, "refresh", "storage pool", name)
}

// poolRefresh lets concurrent callers share refreshes of one pool: at
// parallelism 50, fifty instances that each need the console pool rescanned
// (a log file virtlogd just created, or rotated copies to delete) would
// otherwise queue fifty scans of a directory of N files behind the pool lock.
type poolRefresh struct {
	mu        sync.Mutex
	running   chan struct{} // closed when the running refresh ends; nil when none runs
	started   time.Time     // when the running refresh started
	lastStart time.Time     // when the last finished refresh started
	lastErr   error
}

// refreshSince makes sure the pool was rescanned by a refresh that started
// at or after since: it returns at once when one has finished, waits for a
// running one that qualifies, and otherwise starts one (after any running
// one ends, as libvirt runs one at a time anyway).
func (sh *shared) refreshSince(pool *libvirt.StoragePool, name string, since time.Time) error {
	v, _ := sh.pools.refreshes.LoadOrStore(name, &poolRefresh{})
	r := v.(*poolRefresh)
	for {
		r.mu.Lock()
		if !r.lastStart.IsZero() && !r.lastStart.Before(since) {
			err := r.lastErr
			r.mu.Unlock()
			return err
		}
		if r.running != nil {
			wait, qualifies := r.running, !r.started.Before(since)
			r.mu.Unlock()
			<-wait
			if qualifies {
				r.mu.Lock()
				err := r.lastErr
				r.mu.Unlock()
				return err
			}
			continue
		}
		done := make(chan struct{})
		r.running, r.started = done, time.Now()
		r.mu.Unlock()
		err := sh.refreshPool(pool, name)
		r.mu.Lock()
		r.lastStart, r.lastErr, r.running = r.started, err, nil
		r.mu.Unlock()
		close(done)
		return err
	}
}
