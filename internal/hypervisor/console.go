package hypervisor

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"sync"
	"time"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// Console logs live in a libvirt "dir" storage pool. virtlogd writes each
// instance's serial console into a file in the pool's directory (mode 0600,
// appended across restarts), and the provider reads it back through libvirt's
// volume download API. That works the same over qemu:///system and remote URIs
// such as qemu+ssh://, where the provider cannot open the host's files.

// ConsolePool names the pool that holds console logs and its host directory.
// On a Xen host (Xen set) the directory is xenconsoled's log directory and the
// logs are xenconsoled's own (see console_xen.go).
type ConsolePool struct {
	Name string
	Path string
	Xen  bool
}

// LogPath is the host path of the console log of domain.
func (p ConsolePool) LogPath(domain string) string { return path.Join(p.Path, p.Volume(domain)) }

// Volume is the volume name of the console log of domain in this pool.
func (p ConsolePool) Volume(domain string) string {
	if p.Xen {
		return XenLogVolume(domain)
	}
	return LogVolume(domain)
}

// LogVolume is the volume name of the console log of domain.
func LogVolume(domain string) string { return domain + ".log" }

// Console calls. Reads and appends are safe to repeat (appending twice at
// worst repeats a boot marker line) and run again on a reopened connection
// (conn_retry.go). On a local daemon the log file is read and written
// directly (console_local.go).

// EnsureConsolePool creates, builds and starts the console log pool when it
// is missing or inactive.
func (c *Client) EnsureConsolePool(ctx context.Context, p ConsolePool) error {
	// Every create asks; almost always the pool is there, active and
	// autostarted, which three reads on any connection tell.
	if ready, err := call(ctx, c, retryRead.on("look up", "storage pool", p.Name), func(s *session) (bool, error) {
		return s.consolePoolReady(p), nil
	}); err == nil && ready {
		return nil
	}
	return c.do(ctx, retryMain.on("prepare", "storage pool", p.Name), func(s *session) error { return s.ensureConsolePool(ctx, p) })
}

// ConsoleSize returns the size in bytes of domain's console log.
func (c *Client) ConsoleSize(ctx context.Context, p ConsolePool, domain string) (uint64, error) {
	if file, ok := c.consoleFile(p, domain); ok {
		if n, ok := localConsoleSize(file); ok {
			return n, nil
		}
	}
	return call(ctx, c, retryRead.on("read the size of", "console log of", domain), func(s *session) (uint64, error) {
		return s.consoleSize(ctx, p, domain)
	})
}

// ReadConsole reads domain's console log from offset, at most limit bytes
// (all when limit is 0).
func (c *Client) ReadConsole(ctx context.Context, p ConsolePool, domain string, offset uint64, limit int) ([]byte, error) {
	if file, ok := c.consoleFile(p, domain); ok {
		if b, ok := readLocalConsole(file, offset, limit); ok {
			return b, nil
		}
	}
	return call(ctx, c, retryMain.on("read", "console log of", domain), func(s *session) ([]byte, error) {
		return s.readConsole(ctx, p, domain, offset, limit)
	})
}

// AppendConsole appends text to domain's console log, creating it when missing.
func (c *Client) AppendConsole(ctx context.Context, p ConsolePool, domain, text string) error {
	if file, ok := c.consoleFile(p, domain); ok {
		if appendLocalConsole(file, text, true) {
			return nil
		}
	}
	return c.do(ctx, retryMain.on("append to", "console log of", domain), func(s *session) error { return s.appendConsole(ctx, p, domain, text) })
}

// DeleteConsole removes the console log of domain and virtlogd's rotated copies.
func (c *Client) DeleteConsole(ctx context.Context, p ConsolePool, domain string) error {
	return c.do(ctx, retryChange.on("delete", "console log of", domain), func(s *session) error { return s.deleteConsole(ctx, p, domain) })
}

var ensurePoolMu sync.Mutex

// ensureConsolePool defines, builds, starts and autostarts the console pool
// when it is missing or stopped. The directory is created with mode 0700, so
// console logs are readable by root only.
func (s *session) ensureConsolePool(_ context.Context, p ConsolePool) error {
	ensurePoolMu.Lock()
	defer ensurePoolMu.Unlock()
	pool, err := s.conn().LookupStoragePoolByName(p.Name)
	if err != nil && codeOf(err) != ErrNotFound {
		return wrap(err, "look up", "storage pool", p.Name)
	}
	if err != nil {
		x := &libvirtxml.StoragePool{
			Type: "dir",
			Name: p.Name,
			Target: &libvirtxml.StoragePoolTarget{
				Path:        p.Path,
				Permissions: &libvirtxml.StoragePoolTargetPermissions{Mode: "0700"},
			},
		}
		doc, err := x.Marshal()
		if err != nil {
			return &Error{Op: "define", Kind: "storage pool", Name: p.Name, Code: ErrInvalid, Message: err.Error()}
		}
		if pool, err = s.conn().StoragePoolDefineXML(doc, 0); err != nil {
			return wrap(err, "define", "storage pool", p.Name)
		}
		if err := pool.Build(libvirt.STORAGE_POOL_BUILD_NEW); err != nil {
			_ = pool.Undefine()
			_ = pool.Free()
			return wrap(err, "build", "storage pool", p.Name)
		}
	}
	defer func() { _ = pool.Free() }()
	if active, err := pool.IsActive(); err == nil && !active {
		if err := pool.Create(0); err != nil {
			return wrap(err, "start", "storage pool", p.Name)
		}
	}
	return wrap(pool.SetAutostart(true), "set autostart of", "storage pool", p.Name)
}

// consolePoolReady reports whether the console pool exists, is active and
// starts with the host.
func (s *session) consolePoolReady(p ConsolePool) bool {
	pool, err := s.conn().LookupStoragePoolByName(p.Name)
	if err != nil {
		return false
	}
	defer func() { _ = pool.Free() }()
	active, err := pool.IsActive()
	if err != nil || !active {
		return false
	}
	auto, err := pool.GetAutostart()
	return err == nil && auto
}

// consoleVolume finds a log volume. With refresh it rescans the pool once
// when libvirt does not know the file yet (virtlogd creates it when the
// domain starts).
func (s *session) consoleVolume(p ConsolePool, vol string, refresh bool) (*libvirt.StorageVol, error) {
	pool, err := s.conn().LookupStoragePoolByName(p.Name)
	if err != nil {
		return nil, wrap(err, "look up", "storage pool", p.Name)
	}
	defer func() { _ = pool.Free() }()
	since := time.Now()
	v, err := pool.LookupStorageVolByName(vol)
	if refresh && codeOf(err) == ErrNotFound {
		if err := s.refreshSince(pool, p.Name, since); err != nil {
			return nil, err
		}
		v, err = pool.LookupStorageVolByName(vol)
	}
	return v, wrap(err, "look up", "console log", vol)
}

// consoleSize returns the size in bytes of the console log of domain, 0 when
// there is none yet.
func (s *session) consoleSize(_ context.Context, p ConsolePool, domain string) (uint64, error) {
	v, err := s.consoleVolume(p, p.Volume(domain), true)
	if IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer func() { _ = v.Free() }()
	return s.volumeSize(v, domain)
}

func (s *session) volumeSize(v *libvirt.StorageVol, domain string) (uint64, error) {
	// Refresh the volume's idea of its size: the file grows behind libvirt's back.
	info, err := v.GetInfo()
	if err != nil {
		return 0, wrap(err, "read the size of", "console log of", domain)
	}
	return info.Capacity, nil
}

// readConsole returns the console log of domain from offset to its end. A
// log that does not exist yet reads as empty. At most limit bytes are
// returned (the last ones) when limit > 0.
func (s *session) readConsole(ctx context.Context, p ConsolePool, domain string, offset uint64, limit int) ([]byte, error) {
	v, err := s.consoleVolume(p, p.Volume(domain), true)
	if IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer func() { _ = v.Free() }()
	tail := &tailBuffer{limit: limit}
	if _, err := s.download(ctx, p.Name, p.Volume(domain), offset, 0, tail); err != nil {
		return nil, err
	}
	return tail.Bytes(), nil
}

// tailBuffer keeps the last limit bytes written to it (all when limit is 0).
type tailBuffer struct {
	bytes.Buffer
	limit int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	n, err := t.Buffer.Write(p)
	if t.limit > 0 && t.Len() > 2*t.limit {
		t.Next(t.Len() - t.limit)
	}
	return n, err
}

func (t *tailBuffer) Bytes() []byte {
	b := t.Buffer.Bytes()
	if t.limit > 0 && len(b) > t.limit {
		b = b[len(b)-t.limit:]
	}
	return b
}

// appendConsole appends text to the console log of domain through libvirt's
// volume upload, creating the log (mode 0600) when it does not exist yet.
// Only call it while the domain is stopped: virtlogd (xenconsoled on Xen)
// owns the file while it runs.
func (s *session) appendConsole(ctx context.Context, p ConsolePool, domain, text string) error {
	if p.Xen {
		if err := s.settleXenLog(ctx, p, domain); err != nil {
			return err
		}
	}
	// Before the first boot the log does not exist: create it through libvirt
	// (no pool refresh needed). If virtlogd made it meanwhile, find it by a refresh.
	v, err := s.consoleVolume(p, p.Volume(domain), false)
	if IsNotFound(err) {
		if v, err = s.createConsoleVolume(p, domain); err != nil {
			v, err = s.consoleVolume(p, p.Volume(domain), true)
		}
	}
	if err != nil {
		return err
	}
	defer func() { _ = v.Free() }()
	size, err := s.volumeSize(v, domain)
	if err != nil {
		return err
	}
	tv, st, done, err := s.openTransfer(ctx, p.Name, p.Volume(domain))
	if err != nil {
		return err
	}
	defer done()
	// As for every transfer, only the start is a job libvirt refuses to run
	// alongside a refresh of the pool.
	lock := s.poolLock(p.Name)
	lock.Lock()
	err = tv.Upload(st, size, uint64(len(text)), 0)
	lock.Unlock()
	if err != nil {
		return wrap(err, "append to", "console log of", domain)
	}
	if _, err := st.Send([]byte(text)); err != nil {
		_ = st.Abort()
		return wrap(err, "append to", "console log of", domain)
	}
	return wrap(st.Finish(), "append to", "console log of", domain)
}

func (s *session) createConsoleVolume(p ConsolePool, domain string) (*libvirt.StorageVol, error) {
	pool, err := s.conn().LookupStoragePoolByName(p.Name)
	if err != nil {
		return nil, wrap(err, "look up", "storage pool", p.Name)
	}
	defer func() { _ = pool.Free() }()
	x := &libvirtxml.StorageVolume{
		Name:     p.Volume(domain),
		Capacity: &libvirtxml.StorageVolumeSize{Value: 0, Unit: "bytes"},
		Target: &libvirtxml.StorageVolumeTarget{
			Format:      &libvirtxml.StorageVolumeTargetFormat{Type: "raw"},
			Permissions: &libvirtxml.StorageVolumeTargetPermissions{Mode: "0600"},
		},
	}
	doc, err := x.Marshal()
	if err != nil {
		return nil, &Error{Op: "create", Kind: "console log of", Name: domain, Code: ErrInvalid, Message: err.Error()}
	}
	lock := s.poolLock(p.Name)
	lock.Lock()
	defer lock.Unlock()
	v, err := pool.StorageVolCreateXML(doc, 0)
	return v, wrap(err, "create", "console log of", domain)
}

// deleteConsole removes the console log of domain and its rotated copies
// (<name>.log.0, .1, ...).
func (s *session) deleteConsole(_ context.Context, p ConsolePool, domain string) error {
	pool, err := s.conn().LookupStoragePoolByName(p.Name)
	if codeOf(err) == ErrNotFound {
		return nil
	}
	if err != nil {
		return wrap(err, "look up", "storage pool", p.Name)
	}
	defer func() { _ = pool.Free() }()
	// The domain is gone: a rescan that starts now sees every copy virtlogd
	// made, and one rescan serves all the instances deleted at the same time.
	if err := s.refreshSince(pool, p.Name, time.Now()); err != nil {
		return err
	}
	// virtlogd names its copies <log>.0, <log>.1, ... without gaps.
	base := p.Volume(domain)
	var firstErr error
	for i := -1; ; i++ {
		n := base
		if i >= 0 {
			n = fmt.Sprintf("%s.%d", base, i)
		}
		v, err := pool.LookupStorageVolByName(n)
		if codeOf(err) == ErrNotFound {
			if i >= 0 {
				break
			}
			continue // no log at all (never started), but maybe copies
		}
		if err != nil {
			return wrap(err, "look up", "console log", n)
		}
		if err := v.Delete(0); err != nil && codeOf(err) != ErrNotFound && firstErr == nil {
			firstErr = wrap(err, "delete", "console log", n)
		}
		_ = v.Free()
	}
	return firstErr
}
