package hypervisor

import (
	"context"
	"errors"
	"fmt"
	"io"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

const kindVolume = "storage volume"

// UploadChunk is the size of each stream write. libvirt's remote protocol
// carries stream data in packets of at most 256 KiB; of writes from 64 KiB
// to 16 MiB measured on a 256 MiB upload, 256 KiB and 512 KiB were the
// fastest and 1 MiB and more were slower.
const UploadChunk = 256 << 10

// PoolInactiveError says that a pool is defined but not running, so its
// volumes cannot be read or changed until it is started.
type PoolInactiveError struct {
	Pool string
}

func (e *PoolInactiveError) Error() string {
	return fmt.Sprintf("storage pool %q is not running", e.Pool)
}

// IsPoolInactive reports whether err is a *PoolInactiveError.
func IsPoolInactive(err error) bool {
	var e *PoolInactiveError
	return errors.As(err, &e)
}

// activePool looks up a pool and checks that it runs.
func (s *session) activePool(name string) (*libvirt.StoragePool, error) {
	pool, err := s.lookupPool(name)
	if err != nil {
		return nil, err
	}
	active, err := pool.IsActive()
	if err != nil {
		_ = pool.Free()
		return nil, wrap(err, "read the state of", kindPool, name)
	}
	if !active {
		_ = pool.Free()
		return nil, &PoolInactiveError{Pool: name}
	}
	return pool, nil
}

func (s *session) lookupVolume(poolName, name string) (*libvirt.StorageVol, error) {
	pool, err := s.activePool(poolName)
	if err != nil {
		return nil, err
	}
	defer func() { _ = pool.Free() }()
	vol, err := pool.LookupStorageVolByName(name)
	return vol, wrap(err, "look up", kindVolume, poolName+"/"+name)
}

// CreateVolume creates an empty volume for an image of spec.Size bytes.
//
// Locking, measured on libvirt 9.0 with 20 and 50 parallel uploads into one
// pool: creating, uploading to and deleting volumes may all run at once, but
// libvirt refuses to refresh (or stop) a pool while a volume of it is being
// created or while an upload or download is being set up ("pool has
// asynchronous jobs running"). So those short calls and refreshes hold the
// pool's lock, and the streaming of the bytes does not.
func (c *Client) CreateVolume(ctx context.Context, poolName string, spec VolumeSpec) (VolumeInfo, error) {
	return call(ctx, c, callOnce.on("create", kindVolume, poolName+"/"+spec.Name), func(s *session) (VolumeInfo, error) {
		x, err := VolumeXML(spec)
		return s.createVolume(poolName, spec.Name, x, err)
	})
}

// createVolume defines the volume x (built with error xerr) in a running
// pool, under the pool's lock (see CreateVolume).
func (s *session) createVolume(poolName, name string, x *libvirtxml.StorageVolume, xerr error) (VolumeInfo, error) {
	return s.createVolumeFrom(poolName, name, x, xerr, nil, "")
}

// createVolumeFrom is createVolume with the bytes of src (its key srcKey)
// copied in, libvirt converting between formats; src nil creates it empty.
// A clone is an asynchronous job of the pool while it copies, so it holds
// the pool's lock as a create does.
func (s *session) createVolumeFrom(poolName, name string, x *libvirtxml.StorageVolume, xerr error,
	src *libvirt.StorageVol, srcKey string) (VolumeInfo, error) {
	id := poolName + "/" + name
	if xerr != nil {
		return VolumeInfo{}, &Error{Op: "create", Kind: kindVolume, Name: id, Code: ErrInvalid, Message: xerr.Error()}
	}
	doc, err := x.Marshal()
	if err != nil {
		return VolumeInfo{}, &Error{Op: "create", Kind: kindVolume, Name: id, Code: ErrInvalid, Message: err.Error()}
	}
	pool, err := s.activePool(poolName)
	if err != nil {
		return VolumeInfo{}, err
	}
	defer func() { _ = pool.Free() }()
	lock := s.poolLock(poolName)
	lock.Lock()
	var vol *libvirt.StorageVol
	if src == nil {
		vol, err = pool.StorageVolCreateXML(doc, 0)
	} else {
		vol, err = pool.StorageVolCreateXMLFrom(doc, src, 0)
	}
	lock.Unlock()
	if err != nil {
		op := "create"
		if src != nil {
			op = "copy " + srcKey + " into"
		}
		return VolumeInfo{}, wrap(err, op, kindVolume, id)
	}
	defer func() { _ = vol.Free() }()
	return volumeInfo(vol, poolName, id)
}

// Upload streams exactly size bytes from r into the volume through
// libvirt's volume upload API, which works over remote connections too.
// Memory use is two UploadChunk buffers. When check is not nil it runs after
// the last byte is sent and before the upload is committed; an error from it,
// from r or from ctx aborts the stream. Upload does not remove the volume on
// failure; CreateVolumeFrom does.
func (c *Client) Upload(ctx context.Context, poolName, name string, r io.Reader, size uint64, check func() error) error {
	return c.do(ctx, callOnce.on("upload to", kindVolume, poolName+"/"+name), func(s *session) error {
		return s.upload(ctx, poolName, name, r, size, check)
	})
}

// upload is Upload on s.
func (s *session) upload(ctx context.Context, poolName, name string, r io.Reader, size uint64, check func() error) error {
	id := poolName + "/" + name
	vol, st, done, err := s.openTransfer(ctx, poolName, name)
	if err != nil {
		return err
	}
	defer done()
	// Starting a transfer is an asynchronous job of the pool for a moment
	// (a refresh then fails); the transfer itself is not.
	lock := s.poolLock(poolName)
	lock.Lock()
	err = vol.Upload(st, 0, size, 0)
	lock.Unlock()
	if err != nil {
		return wrap(err, "start the upload to", kindVolume, id)
	}
	abort := func(err error) error {
		_ = st.Abort()
		return err
	}
	// Reading the source (and whatever hashing wraps it) overlaps with
	// sending: a reader goroutine fills one buffer while the other is sent.
	chunks, stop := readAhead(r, size)
	defer stop()
	prog := s.progress("upload", id, size)
	var sent uint64
	for sent < size {
		if err := ctx.Err(); err != nil {
			return abort(ctxError(ctx, "upload to", kindVolume, id))
		}
		ch := <-chunks.full
		for off := 0; off < ch.n; {
			m, err := st.Send(ch.buf[off:ch.n])
			if err != nil {
				return abort(wrap(err, "upload to", kindVolume, id))
			}
			off += m
		}
		sent += uint64(ch.n)
		prog.at(sent)
		switch {
		case errors.Is(ch.err, io.EOF), errors.Is(ch.err, io.ErrUnexpectedEOF):
			return abort(fmt.Errorf("the image ended after %d of %d bytes", sent, size))
		case ch.err != nil:
			return abort(fmt.Errorf("read the image after %d of %d bytes: %w", sent, size, ch.err))
		}
		chunks.free <- ch.buf
	}
	if check != nil {
		if err := check(); err != nil {
			return abort(err)
		}
	}
	if err := st.Finish(); err != nil {
		return wrap(err, "finish the upload to", kindVolume, id)
	}
	prog.done(sent)
	return nil
}

type chunk struct {
	buf []byte
	n   int
	err error
}

type chunkQueue struct {
	free chan []byte
	full chan chunk
}

// readAhead reads exactly size bytes of r in UploadChunk pieces on a
// goroutine, two buffers deep, and hands them out in order. A chunk with an
// error is the last one. stop ends the goroutine and waits for it, so r is
// never read after the caller returns.
func readAhead(r io.Reader, size uint64) (chunkQueue, func()) {
	q := chunkQueue{free: make(chan []byte, 2), full: make(chan chunk, 2)}
	q.free <- make([]byte, UploadChunk)
	q.free <- make([]byte, UploadChunk)
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		var read uint64
		for read < size {
			var buf []byte
			select {
			case buf = <-q.free:
			case <-done:
				return
			}
			want := min(uint64(len(buf)), size-read)
			n, err := io.ReadFull(r, buf[:want])
			read += uint64(n)
			select {
			case q.full <- chunk{buf: buf, n: n, err: err}:
			case <-done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return q, func() {
		close(done)
		<-finished
	}
}

// CreateVolumeFrom creates a volume of exactly spec.Size bytes and uploads
// r into it. If any step fails, or the volume does not end up with exactly
// spec.Size bytes, the volume is deleted again, so nothing half-written stays.
func (c *Client) CreateVolumeFrom(ctx context.Context, poolName string, spec VolumeSpec, r io.Reader, check func() error) (VolumeInfo, error) {
	if _, err := c.CreateVolume(ctx, poolName, spec); err != nil {
		return VolumeInfo{}, err
	}
	fail := func(err error) (VolumeInfo, error) {
		if derr := c.DeleteVolume(context.WithoutCancel(ctx), poolName, spec.Name); derr != nil {
			err = fmt.Errorf("%w (removing the partly written volume failed too: %w)", err, derr)
		}
		return VolumeInfo{}, err
	}
	if err := c.Upload(ctx, poolName, spec.Name, r, spec.Size, check); err != nil {
		return fail(err)
	}
	info, err := c.ReadVolume(ctx, poolName, spec.Name)
	if err != nil {
		return fail(err)
	}
	if info.Size != spec.Size {
		return fail(&Error{Op: "upload to", Kind: kindVolume, Name: poolName + "/" + spec.Name, Code: ErrOther,
			Message: fmt.Sprintf("the volume holds %d bytes after the upload instead of %d", info.Size, spec.Size)})
	}
	return info, nil
}

// ReadVolume returns a volume's facts.
func (c *Client) ReadVolume(ctx context.Context, poolName, name string) (VolumeInfo, error) {
	return call(ctx, c, retryRead.on("read", kindVolume, poolName+"/"+name), func(s *session) (VolumeInfo, error) {
		return s.readVolume(poolName, name)
	})
}

// DeleteVolume deletes a volume; a missing one is not an error.
func (c *Client) DeleteVolume(ctx context.Context, poolName, name string) error {
	return c.do(ctx, retryMain.on("delete", kindVolume, poolName+"/"+name), func(s *session) error { return s.deleteVolume(ctx, poolName, name) })
}

// readVolume returns the key, path, size and format of a volume. A volume
// whose file was removed behind libvirt's back is reported as not found:
// when libvirt still lists it but cannot read it, the pool is refreshed and
// the lookup tried once more. A stopped pool gives a *PoolInactiveError.
func (s *session) readVolume(poolName, name string) (VolumeInfo, error) {
	id := poolName + "/" + name
	for attempt := 0; ; attempt++ {
		vol, err := s.lookupVolume(poolName, name)
		if err != nil {
			return VolumeInfo{}, err
		}
		info, err := volumeInfo(vol, poolName, id)
		_ = vol.Free()
		if err == nil || attempt > 0 {
			return info, err
		}
		if rerr := s.refreshByName(poolName); rerr != nil {
			return VolumeInfo{}, err
		}
	}
}

func volumeInfo(vol *libvirt.StorageVol, poolName, id string) (VolumeInfo, error) {
	doc, err := vol.GetXMLDesc(0)
	if err != nil {
		return VolumeInfo{}, wrap(err, "read", kindVolume, id)
	}
	var x libvirtxml.StorageVolume
	if err := x.Unmarshal(doc); err != nil {
		return VolumeInfo{}, &Error{Op: "parse the definition of", Kind: kindVolume, Name: id, Message: err.Error()}
	}
	return VolumeInfoFromXML(poolName, &x), nil
}

// LookupVolumeByKey finds a volume by its key (for dir pools, its path) in
// any pool.
func (c *Client) LookupVolumeByKey(ctx context.Context, key string) (VolumeInfo, error) {
	return call(ctx, c, callOnce.on("look up", kindVolume, key), func(s *session) (VolumeInfo, error) {
		vol, err := s.conn().LookupStorageVolByKey(key)
		if err != nil {
			return VolumeInfo{}, wrap(err, "look up", kindVolume, key)
		}
		defer func() { _ = vol.Free() }()
		pool, err := vol.LookupPoolByVolume()
		if err != nil {
			return VolumeInfo{}, wrap(err, "look up the pool of", kindVolume, key)
		}
		defer func() { _ = pool.Free() }()
		poolName, err := pool.GetName()
		if err != nil {
			return VolumeInfo{}, wrap(err, "look up the pool of", kindVolume, key)
		}
		return volumeInfo(vol, poolName, key)
	})
}

// deleteVolume deletes a volume and its file. A missing volume is not an
// error. libvirt allows deletes while other volumes of the pool are being
// created or uploaded, so no lock is taken.
func (s *session) deleteVolume(_ context.Context, poolName, name string) error {
	vol, err := s.lookupVolume(poolName, name)
	if err != nil {
		if IsNotFound(err) {
			return nil
		}
		return err
	}
	defer func() { _ = vol.Free() }()
	return wrap(vol.Delete(libvirt.STORAGE_VOL_DELETE_NORMAL), "delete", kindVolume, poolName+"/"+name)
}

// DownloadVolume streams the whole volume into w through libvirt's volume
// download API with one UploadChunk buffer, and returns the bytes written.
func (c *Client) DownloadVolume(ctx context.Context, poolName, name string, w io.Writer) (int64, error) {
	return call(ctx, c, callOnce.on("download", kindVolume, poolName+"/"+name), func(s *session) (int64, error) {
		return s.download(ctx, poolName, name, 0, 0, w)
	})
}

// download copies length bytes at offset (0: to the end) of a volume into w.
func (s *session) download(ctx context.Context, poolName, name string, offset, length uint64, w io.Writer) (int64, error) {
	id := poolName + "/" + name
	vol, st, done, err := s.openTransfer(ctx, poolName, name)
	if err != nil {
		return 0, err
	}
	defer done()
	lock := s.poolLock(poolName)
	lock.Lock()
	err = vol.Download(st, offset, length, 0)
	lock.Unlock()
	if err != nil {
		return 0, wrap(err, "start the download from", kindVolume, id)
	}
	buf := make([]byte, UploadChunk)
	var total int64
	prog := s.progress("download", id, length)
	for {
		if err := ctx.Err(); err != nil {
			_ = st.Abort()
			return total, ctxError(ctx, "download from", kindVolume, id)
		}
		n, err := st.Recv(buf)
		if errors.Is(err, io.EOF) {
			prog.done(uint64(total))
			return total, wrap(st.Finish(), "finish the download from", kindVolume, id)
		}
		if err != nil {
			_ = st.Abort()
			return total, wrap(err, "download from", kindVolume, id)
		}
		m, werr := w.Write(buf[:n])
		total += int64(m)
		prog.at(uint64(total))
		if werr == nil && m != n {
			werr = io.ErrShortWrite
		}
		if werr != nil {
			_ = st.Abort()
			return total, werr
		}
	}
}
