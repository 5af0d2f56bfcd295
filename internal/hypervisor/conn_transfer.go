package hypervisor

import (
	"context"
	"time"

	"github.com/hashicorp/go-hclog"
	"libvirt.org/go/libvirt"
)

// maxTransfers is how many volume uploads and downloads one client runs at
// once; more wait. A few saturate a local disk and link already.
const maxTransfers = 4

// transferConns are the connections of volume uploads and downloads.
//
// Streams never share the connections of other calls: libvirtd (seen with
// 9.0) stops answering a connection for good when stream traffic meets its
// per-client request limit ("stream is not open"), which would hang every
// other call.
type transferConns struct {
	uri         string
	log         hclog.Logger
	openTimeout time.Duration
	// slots bounds the transfers running at once.
	slots chan struct{}
	// idle holds transfer connections whose transfer ended, for the next one:
	// over SSH a new connection costs a handshake (about a second here).
	idle chan *conn
}

func newTransferConns(uri string, log hclog.Logger, openTimeout time.Duration) *transferConns {
	return &transferConns{uri: uri, log: log, openTimeout: openTimeout,
		slots: make(chan struct{}, maxTransfers), idle: make(chan *conn, maxTransfers)}
}

// take returns a live idle transfer connection, or nil. Dead ones (the
// daemon restarted, the link dropped) are closed on the way.
func (t *transferConns) take() *conn {
	for {
		select {
		case tc := <-t.idle:
			if tc.alive() {
				return tc
			}
			_ = tc.close()
		default:
			return nil
		}
	}
}

// close closes the idle transfer connections.
func (t *transferConns) close() {
	for tc := t.take(); tc != nil; tc = t.take() {
		_ = tc.close()
	}
}

// openTransfer waits for a transfer slot, then takes a connection of its own
// for one volume upload or download, looks the volume up on it and opens a
// stream. done releases all of it.
func (s *session) openTransfer(ctx context.Context, poolName, volName string) (vol *libvirt.StorageVol, st *libvirt.Stream, done func(), err error) {
	id := poolName + "/" + volName
	t := s.transfers
	select {
	case t.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, nil, ctxError(ctx, "start a transfer for", kindVolume, id)
	}
	release := func() { <-t.slots }
	tc, err := t.take(), error(nil)
	if tc == nil {
		tc, err = dialConn(ctx, t.uri, t.log, t.openTimeout)
	}
	if err != nil && !alive(s.conn()) {
		// The daemon went away: s.conn() waited for it; try once more.
		tc, err = dialConn(ctx, t.uri, t.log, t.openTimeout)
	}
	if err != nil {
		release()
		return nil, nil, nil, err
	}
	closeAll := func() {
		// A live connection serves the next transfer; one that died is closed.
		if tc.alive() {
			select {
			case t.idle <- tc:
				release()
				return
			default:
			}
		}
		_ = tc.close()
		release()
	}
	vol, st, err = transferStream(tc.raw(), poolName, volName)
	if err != nil {
		closeAll()
		return nil, nil, nil, err
	}
	return vol, st, func() { _ = st.Free(); _ = vol.Free(); closeAll() }, nil
}

// transferStream looks the volume up on lc and opens a stream for it.
func transferStream(lc *libvirt.Connect, poolName, volName string) (*libvirt.StorageVol, *libvirt.Stream, error) {
	id := poolName + "/" + volName
	pool, err := lc.LookupStoragePoolByName(poolName)
	if err != nil {
		return nil, nil, wrap(err, "look up", kindPool, poolName)
	}
	vol, err := pool.LookupStorageVolByName(volName)
	_ = pool.Free()
	if err != nil {
		return nil, nil, wrap(err, "look up", kindVolume, id)
	}
	st, err := lc.NewStream(0)
	if err != nil {
		_ = vol.Free()
		return nil, nil, wrap(err, "open a stream for", kindVolume, id)
	}
	return vol, st, nil
}
