package hypervisor

import (
	"errors"
	"sync"

	"libvirt.org/go/libvirt"
)

// Some drivers refuse a call, or a flag of one, for good: what they offer does
// not change while the client lives. The client keeps each such refusal in
// one registry, so that it asks once, not at every poll (which would also
// fill the daemon's log). The registry belongs to the client, whatever
// connection a call runs on.

// refusal names one thing a driver may refuse for good.
type refusal int

const (
	// refusalARPSource: libvirt's ARP source of interface addresses (the
	// libxl driver refuses it). Kept: the driver's error, returned from then
	// on (see ARPAddresses).
	refusalARPSource refusal = iota
	// refusalUndefineFlags: undefine flags (libxl has no snapshots, the test
	// driver no NVRAM). Kept: the index in undefineFlagSets of the first set
	// the driver did not refuse (see undefine).
	refusalUndefineFlags

	numRefusals
)

// refusalNames are the registered refusals, in the order of their constants.
var refusalNames = [numRefusals]string{
	refusalARPSource:     "ARP address source",
	refusalUndefineFlags: "undefine flags",
}

func (r refusal) String() string { return refusalNames[r] }

// refusals is the registry: for each refusal, the driver's error once it
// refused, and how far down its list of fallbacks the client had to go.
type refusals struct {
	mu   sync.Mutex
	kept [numRefusals]keptRefusal
}

type keptRefusal struct {
	err      *Error // the driver's refusal; nil when it did not refuse
	fallback int    // index of the first fallback the driver accepted
}

// refused returns the driver's kept refusal of r, nil when there is none.
func (rs *refusals) refused(r refusal) *Error {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.kept[r].err
}

// keep records the driver's refusal of r.
func (rs *refusals) keep(r refusal, err *Error) {
	rs.mu.Lock()
	rs.kept[r].err = err
	rs.mu.Unlock()
}

// fallback returns the index of the first fallback of r the driver accepted
// (0 until it refused one).
func (rs *refusals) fallback(r refusal) int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.kept[r].fallback
}

// keepFallback records that the driver accepted fallback i of r.
func (rs *refusals) keepFallback(r refusal, i int) {
	rs.mu.Lock()
	rs.kept[r].fallback = i
	rs.mu.Unlock()
}

// isUnsupportedFlags reports whether a driver refused the flags of a call
// (libvirt's virCheckFlags: VIR_ERR_INVALID_ARG).
func isUnsupportedFlags(err error) bool {
	var lv libvirt.Error
	return errors.As(err, &lv) && lv.Code == libvirt.ERR_INVALID_ARG
}
