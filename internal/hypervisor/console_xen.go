package hypervisor

import (
	"context"
	"time"
)

// Consoles on Xen. libxl ignores <log file=...> on a console, so virtlogd
// writes nothing there. xenconsoled logs every guest's console itself, to
// guest-<name>.log in its log directory, when it runs with
// `--log=guest --log-dir=/var/log/xen/console` (XENCONSOLED_ARGS in
// /etc/default/xen). The provider makes that directory a "dir" storage pool
// and reads the logs through the volume API, as it does virtlogd's on QEMU, so
// this works over xen+ssh:// too.
//
// Boot markers: xenconsoled opens a guest's log when the domain appears and
// appends to it (O_APPEND), and closes it when the domain is gone. The
// provider appends a marker only while the domain is shut off, and first waits
// until the log stops growing (settleXenLog): output of the previous boot that
// xenconsoled drains after the domain died then lands before the marker, and
// the readiness gate, which reads from the end of the marker, sees only this
// boot's output.

// XenConsolePath is xenconsoled's log directory on a Xen host.
const XenConsolePath = "/var/log/xen/console"

// XenLogVolume is the volume name of the log xenconsoled writes for domain.
func XenLogVolume(domain string) string { return "guest-" + domain + ".log" }

// xenSettle is how long a log must keep its size before a marker goes in,
// and xenSettleMax how long to wait for that at most.
const (
	xenSettle    = 400 * time.Millisecond
	xenSettleMax = 5 * time.Second
)

// settleXenLog waits until the console log of domain keeps its size for
// xenSettle (at most xenSettleMax; a log that keeps growing is left as it is).
func (s *session) settleXenLog(ctx context.Context, p ConsolePool, domain string) error {
	last, err := s.consoleSize(ctx, p, domain)
	if err != nil {
		return err
	}
	for deadline := time.Now().Add(xenSettleMax); time.Now().Before(deadline); {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(xenSettle):
		}
		n, err := s.consoleSize(ctx, p, domain)
		if err != nil {
			return err
		}
		if n == last {
			return nil
		}
		last = n
	}
	return nil
}
