package acctest

// The leak checker: every acceptance test must leave nothing behind that it
// made. Many tests (of this package and of other checkouts) share one
// libvirtd, so a plain before/after diff of the host would blame one test
// for another's objects. The checker is precise instead: RandName registers
// every random name it hands out with the tests that are running in this
// process at that moment, and after a test only objects whose names contain
// one of its names count as its own:
//
//   - libvirt domains, networks, storage pools and volumes (in every pool,
//     the console pool among them);
//   - console logs on the host's disk (<name>.log in the console directory), and
//     create markers there of objects named with Prefix (create-*.json);
//   - qemu processes started with `-name guest=<name>`;
//   - DHCP reservations on any network whose MAC belonged to one of the
//     test's domains while the test ran, or whose host name has its names.
//
// A name handed out while several tests ran at once (parallel tests) belongs
// to all of them, and is checked by the last of them to end, so an object is
// only ever reported once no test that could own it is still running.
//
// UNIKERNEL_LEAKCHECK=host adds a whole-host diff for machines that run one
// test binary at a time (CI): any object named with Prefix that appeared
// during the test and was not there before counts as a leak, whoever named
// it. Objects not named with Prefix are never reported.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// ConsoleDir is where the provider keeps console logs by default.
const ConsoleDir = "/var/lib/unikernel/console"

// leakRegistry maps names handed out by RandName to the trackers (tests)
// that were active when they were.
var leakRegistry = struct {
	sync.Mutex
	active map[*Tracker]bool
	owners map[string][]*Tracker // name -> trackers that may own it
	orphan []string              // names handed out while no test was tracked
}{active: map[*Tracker]bool{}, owners: map[string][]*Tracker{}}

// registerName records name as made by the tests running now.
func registerName(name string) {
	leakRegistry.Lock()
	defer leakRegistry.Unlock()
	if len(leakRegistry.active) == 0 {
		leakRegistry.orphan = append(leakRegistry.orphan, name)
		return
	}
	for tr := range leakRegistry.active {
		leakRegistry.owners[name] = append(leakRegistry.owners[name], tr)
		tr.names = append(tr.names, name)
	}
}

// Tracker follows the objects of one test. Create it with CheckLeaks.
type Tracker struct {
	t     testing.TB
	names []string // guarded by leakRegistry
	macs  sync.Map // MACKey(network, MAC) -> domain name, seen while the test ran
	stop  chan struct{}
	done  chan struct{}
	host  map[string]bool // whole-host mode: Prefix objects present before
}

// CheckLeaks starts tracking the calling test: names RandName hands out from
// now until the test ends are its own, and when it ends (after every other
// cleanup) nothing named with them may be left. Leftovers fail the test, are
// listed, and are removed so that they do not disturb later tests.
// PreCheck calls it, so every acceptance test is checked.
func CheckLeaks(t testing.TB) *Tracker {
	t.Helper()
	tr := &Tracker{t: t, stop: make(chan struct{}), done: make(chan struct{})}
	leakRegistry.Lock()
	// Names handed out just before tracking started (a test that names its
	// objects before its pre-check) belong to this test.
	for _, n := range leakRegistry.orphan {
		leakRegistry.owners[n] = append(leakRegistry.owners[n], tr)
		tr.names = append(tr.names, n)
	}
	leakRegistry.orphan = nil
	leakRegistry.active[tr] = true
	leakRegistry.Unlock()
	if os.Getenv("UNIKERNEL_LEAKCHECK") == "host" {
		if inv, err := TakeInventory(context.Background()); err == nil {
			tr.host = map[string]bool{}
			for _, o := range inv.Objects {
				if strings.Contains(o.text(), Prefix) {
					tr.host[o.key()] = true
				}
			}
		} else {
			t.Fatalf("leak check: cannot take the inventory before the test: %v", err)
		}
	}
	go tr.watchMACs()
	t.Cleanup(tr.finish)
	return tr
}

// Names returns the names attributed to the test so far.
func (tr *Tracker) Names() []string {
	leakRegistry.Lock()
	defer leakRegistry.Unlock()
	return append([]string(nil), tr.names...)
}

// Track attributes extra names to the test, for objects not named by
// RandName (for example a name derived from a random one by truncation).
func (tr *Tracker) Track(names ...string) {
	leakRegistry.Lock()
	defer leakRegistry.Unlock()
	for _, n := range names {
		leakRegistry.owners[n] = append(leakRegistry.owners[n], tr)
		tr.names = append(tr.names, n)
	}
}

// watchMACs remembers the MACs of the test's domains while it runs, so that
// DHCP reservations by those MACs can be checked after the domains are gone.
func (tr *Tracker) watchMACs() {
	defer close(tr.done)
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		tr.sampleMACs()
		select {
		case <-tr.stop:
			return
		case <-tick.C:
		}
	}
}

func (tr *Tracker) sampleMACs() {
	names := tr.Names()
	if len(names) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := hypervisor.Shared(ctx, URI(), 10*time.Second)
	if err != nil {
		return
	}
	doms, err := c.DomainNames(ctx)
	if err != nil {
		return
	}
	for _, d := range doms {
		if !containsAny(d, names) {
			continue
		}
		info, err := c.ReadDomain(ctx, d)
		if err != nil {
			continue
		}
		for _, nic := range info.Spec.Interfaces {
			if nic.MAC != "" {
				tr.macs.Store(MACKey(nic.Network, nic.MAC), d)
			}
		}
	}
}

// finish runs when the test ends: it checks the names that no running test
// still shares, and hands the others to the tests that still run.
func (tr *Tracker) finish() {
	close(tr.stop)
	<-tr.done
	tr.sampleMACs()
	leakRegistry.Lock()
	delete(leakRegistry.active, tr)
	var mine []string
	for _, n := range tr.names {
		shared := false
		for _, o := range leakRegistry.owners[n] {
			if o != tr && leakRegistry.active[o] {
				shared = true
			}
		}
		if !shared {
			mine = append(mine, n)
			delete(leakRegistry.owners, n)
		}
	}
	leakRegistry.Unlock()
	// A MAC counts only when its domain's name is one of this test's own: a name that a running test
	// shares was sampled too, and that test's reservations are still in use.
	macs := map[string]string{}
	tr.macs.Range(func(k, v any) bool {
		if d := v.(string); containsAny(d, mine) {
			macs[k.(string)] = d
		}
		return true
	})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	leaks, err := FindLeaks(ctx, mine, macs)
	if err != nil {
		tr.t.Errorf("leak check: %v", err)
		return
	}
	if tr.host != nil {
		inv, err := TakeInventory(ctx)
		if err != nil {
			tr.t.Errorf("leak check: cannot take the inventory after the test: %v", err)
			return
		}
		seen := map[string]bool{}
		for _, l := range leaks {
			seen[l.key()] = true
		}
		for _, o := range inv.Objects {
			if strings.Contains(o.text(), Prefix) && !tr.host[o.key()] && !seen[o.key()] && !ownedByActive(o.text()) {
				leaks = append(leaks, o)
			}
		}
	}
	if len(leaks) == 0 {
		return
	}
	var lines []string
	for _, l := range leaks {
		lines = append(lines, "  "+l.String())
	}
	tr.t.Errorf("leak check: the test left %d object(s) behind:\n%s", len(leaks), strings.Join(lines, "\n"))
	if err := RemoveLeaks(ctx, leaks); err != nil {
		tr.t.Errorf("leak check: removing the leftovers: %v", err)
	}
}

// ownedByActive reports whether name contains a name of a test still running.
func ownedByActive(name string) bool {
	leakRegistry.Lock()
	defer leakRegistry.Unlock()
	for n, owners := range leakRegistry.owners {
		if strings.Contains(name, n) {
			for _, o := range owners {
				if leakRegistry.active[o] {
					return true
				}
			}
		}
	}
	return false
}

// Object is something on the host that a test can leave behind.
type Object struct {
	Kind string // domain, network, pool, volume, console-log, qemu, dhcp-host
	Name string // the object's name, file name, or a description
	Pool string // for volumes: the pool; for dhcp-host: the network
	MAC  string // for dhcp-host
	PID  int    // for qemu
	// About is what a create marker (a sidecar volume in the console
	// directory, hypervisor/volume_sidecar.go) is of: "<kind> <pool>/<name>".
	About string
}

// text is what names are matched against: the name, and what the object is about.
func (o Object) text() string { return strings.TrimSpace(o.Name + " " + o.About) }

func (o Object) key() string { return o.Kind + "/" + o.Pool + "/" + o.Name + "/" + o.MAC }

func (o Object) String() string {
	switch o.Kind {
	case "volume":
		return fmt.Sprintf("volume %s in pool %s", o.Name, o.Pool)
	case "dhcp-host":
		return fmt.Sprintf("DHCP reservation of %s (%s) on network %s", o.MAC, o.Name, o.Pool)
	case "qemu":
		return fmt.Sprintf("qemu process %d of guest %s", o.PID, o.Name)
	case "create-marker":
		return fmt.Sprintf("create marker %s of %s (left by a killed create)", o.Name, o.About)
	}
	return o.Kind + " " + o.Name
}

// Inventory is everything the leak checker can see on the host.
type Inventory struct {
	Objects []Object
}

// TakeInventory lists the host's domains, networks with their DHCP
// reservations, pools with their volumes, console log files and qemu
// processes.
func TakeInventory(ctx context.Context) (Inventory, error) {
	c, err := hypervisor.Shared(ctx, URI(), 10*time.Second)
	if err != nil {
		return Inventory{}, err
	}
	var inv Inventory
	doms, err := c.DomainNames(ctx)
	if err != nil {
		return inv, err
	}
	for _, d := range doms {
		inv.Objects = append(inv.Objects, Object{Kind: "domain", Name: d})
	}
	nets, err := c.NetworkNames(ctx)
	if err != nil {
		return inv, err
	}
	for _, n := range nets {
		inv.Objects = append(inv.Objects, Object{Kind: "network", Name: n})
		info, err := c.ReadNetwork(ctx, n)
		if hypervisor.IsNotFound(err) {
			continue // deleted meanwhile by someone else
		}
		if err != nil {
			return inv, err
		}
		for _, h := range info.Spec.Hosts {
			inv.Objects = append(inv.Objects, Object{Kind: "dhcp-host", Name: h.Hostname + " " + h.IPv4, Pool: n, MAC: h.MAC})
		}
	}
	pools, err := c.PoolNames(ctx)
	if err != nil {
		return inv, err
	}
	for _, p := range pools {
		inv.Objects = append(inv.Objects, Object{Kind: "pool", Name: p})
		vols, err := c.VolumeNames(ctx, p)
		if err != nil {
			continue // inactive, or deleted meanwhile: the pool itself is listed
		}
		for _, v := range vols {
			inv.Objects = append(inv.Objects, Object{Kind: "volume", Name: v, Pool: p})
		}
	}
	if hypervisor.LocalURI(URI()) {
		entries, _ := os.ReadDir(ConsoleDir)
		for _, e := range entries {
			p := filepath.Join(ConsoleDir, e.Name())
			if about, ok := createMarkerOf(p); ok {
				inv.Objects = append(inv.Objects, Object{Kind: "create-marker", Name: p, About: about})
				continue
			}
			inv.Objects = append(inv.Objects, Object{Kind: "console-log", Name: p})
		}
		inv.Objects = append(inv.Objects, qemuProcesses()...)
	}
	return inv, nil
}

// FindLeaks returns the objects whose names contain one of names, and the
// DHCP reservations of macs (MACKey(network, MAC) -> domain that had it).
func FindLeaks(ctx context.Context, names []string, macs map[string]string) ([]Object, error) {
	if len(names) == 0 && len(macs) == 0 {
		return nil, nil
	}
	var leaks []Object
	// A guest's qemu process can outlive its domain's destroy by a moment;
	// look again before calling anything a leak.
	for attempt := 0; attempt < 5; attempt++ {
		inv, err := TakeInventory(ctx)
		if err != nil {
			return nil, err
		}
		leaks = leaks[:0]
		for _, o := range inv.Objects {
			if o.Kind == "dhcp-host" {
				if d, ok := macs[MACKey(o.Pool, o.MAC)]; ok {
					o.Name = strings.TrimSpace(o.Name + " of " + d)
					leaks = append(leaks, o)
					continue
				}
			}
			if containsAny(o.text(), names) {
				leaks = append(leaks, o)
			}
		}
		if len(leaks) == 0 {
			return nil, nil
		}
		time.Sleep(time.Second)
	}
	sort.Slice(leaks, func(i, j int) bool { return leaks[i].key() < leaks[j].key() })
	return leaks, nil
}

// RemoveLeaks removes leftovers, in dependency order.
func RemoveLeaks(ctx context.Context, leaks []Object) error {
	c, err := hypervisor.Shared(ctx, URI(), 10*time.Second)
	if err != nil {
		return err
	}
	var errs []string
	note := func(err error) {
		if err != nil && !hypervisor.IsNotFound(err) {
			errs = append(errs, err.Error())
		}
	}
	order := []string{"domain", "qemu", "dhcp-host", "network", "volume", "console-log", "create-marker", "pool"}
	killed := false
	for _, kind := range order {
		for _, l := range leaks {
			if l.Kind != kind {
				continue
			}
			switch kind {
			case "domain":
				note(c.StopDomain(ctx, l.Name, 0))
				note(c.UndefineDomain(ctx, l.Name))
			case "qemu":
				// Only a guest of the test itself: its name holds a test's name.
				if l.PID > 0 && syscall.Kill(l.PID, syscall.SIGKILL) == nil {
					killed = true
				}
			case "dhcp-host":
				if killed {
					killed = false
					time.Sleep(time.Second) // let libvirt notice the guest is gone
				}
				note(c.RemoveDHCPHost(ctx, l.Pool, l.MAC))
			case "network":
				note(c.DeleteNetwork(ctx, l.Name))
			case "volume":
				note(c.DeleteVolume(ctx, l.Pool, l.Name))
			case "console-log", "create-marker":
				if err := os.Remove(l.Name); err != nil && !os.IsNotExist(err) {
					errs = append(errs, err.Error())
				}
			case "pool":
				note(c.PurgePool(ctx, l.Name))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// qemuProcesses lists the host's qemu processes by guest name, from the
// `-name guest=<name>,...` argument libvirt gives them.
func qemuProcesses() []Object {
	var out []Object
	dirs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range dirs {
		b, err := os.ReadFile(f)
		if err != nil || !bytes.Contains(b, []byte("guest=")) {
			continue
		}
		args := strings.Split(string(b), "\x00")
		for i := 0; i+1 < len(args); i++ {
			if args[i] != "-name" || !strings.HasPrefix(args[i+1], "guest=") {
				continue
			}
			name := strings.TrimPrefix(args[i+1], "guest=")
			if j := strings.IndexByte(name, ','); j >= 0 {
				name = name[:j]
			}
			var pid int
			_, _ = fmt.Sscanf(filepath.Base(filepath.Dir(f)), "%d", &pid)
			out = append(out, Object{Kind: "qemu", Name: name, PID: pid})
		}
	}
	return out
}

// QemuPID returns the pid of the qemu process of guest name, or 0.
func QemuPID(name string) int {
	for _, p := range qemuProcesses() {
		if p.Name == name {
			return p.PID
		}
	}
	return 0
}

// MACKey names a reservation: two tests may give the same MAC to guests on networks of their own.
func MACKey(network, mac string) string { return network + " " + strings.ToLower(mac) }

func containsAny(s string, names []string) bool {
	for _, n := range names {
		if n != "" && strings.Contains(s, n) {
			return true
		}
	}
	return false
}

// createMarkerOf returns what the create marker file p is of ("<kind>
// <pool>/<name>"), false when p is no create marker.
func createMarkerOf(p string) (string, bool) {
	base := filepath.Base(p)
	if !strings.HasPrefix(base, "create-") || !strings.HasSuffix(base, ".json") {
		return "", false
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return "", false
	}
	var m struct{ Kind, Pool, Name string }
	if json.Unmarshal(b, &m) != nil || m.Kind == "" {
		return "", false
	}
	return m.Kind + " " + m.Pool + "/" + m.Name, true
}
