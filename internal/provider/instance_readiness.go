package provider

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

// consoleTailLines is how many console lines a readiness error shows. A
// Linux guest's panic trace alone is about 30 lines, and its cause (a dying
// init's own message, the panic's reason) is printed just above it.
const consoleTailLines = 60

// gateError is a readiness gate failure: the guest was started but did not
// become ready.
type gateError struct{ msg string }

func (e *gateError) Error() string { return e.msg }

func isGateError(err error) bool {
	var g *gateError
	return errors.As(err, &g)
}

// readinessGate is the parsed wait_for block.
type readinessGate struct {
	console *regexp.Regexp
	ipv4    bool
	tcpPort int
	timeout time.Duration
}

func (m *instanceModel) readinessGate() readinessGate {
	g := readinessGate{timeout: 2 * time.Minute}
	w := m.WaitFor
	if w == nil {
		return g
	}
	if s := w.Console.ValueString(); s != "" {
		g.console = regexp.MustCompile(s) // validated at plan time
	}
	g.ipv4 = w.IPv4.ValueBool()
	if p := w.TCPPort.ValueInt64(); p > 0 {
		g.tcpPort, g.ipv4 = int(p), true
	}
	if d, err := time.ParseDuration(w.Timeout.ValueString()); err == nil {
		g.timeout = d
	}
	return g
}

func (g readinessGate) empty() bool { return g.console == nil && !g.ipv4 && g.tcpPort == 0 }

// afterConsolePoll, when set, runs after each console poll of the readiness
// wait. Tests set it to have a guest print and stop between two polls.
var afterConsolePoll func()

// readinessProgress is what a readiness wait has seen so far.
type readinessProgress struct {
	consoleOK, ipv4OK, tcpOK bool
	seen                     uint64 // the console log's size at the last read
	lastErr                  error  // the last error of a poll, for the timeout's message
}

// waitReady polls until every condition of the gate holds, the guest stops,
// or the gate times out.
func (r *InstanceResource) waitReady(ctx context.Context, m *instanceModel, consoleOffset uint64) error {
	g := m.readinessGate()
	job := m.job()
	if g.empty() && !job {
		return nil
	}
	c := r.data.Client
	name := m.Name.ValueString()
	deadline := time.Now().Add(g.timeout)
	p := readinessProgress{consoleOK: g.console == nil, ipv4OK: !g.ipv4, tcpOK: g.tcpPort == 0, seen: consoleOffset}
	var stateAt time.Time
	// A local console log is a file: poll it often, so that readiness is seen
	// soon after the line is printed. Libvirt is asked for the domain's state
	// at most five times a second.
	interval := 200 * time.Millisecond
	if c.Local() {
		interval = 50 * time.Millisecond
	}
	for {
		if !p.consoleOK {
			r.pollConsole(ctx, name, consoleOffset, g, &p)
		}
		if afterConsolePoll != nil {
			afterConsolePoll()
		}
		if !p.ipv4OK || !p.tcpOK {
			r.pollAddresses(ctx, m, g, &p)
		}
		if p.consoleOK && p.ipv4OK && p.tcpOK && !job {
			return nil
		}
		var (
			st  = hypervisor.StateRunning
			err error
		)
		if time.Since(stateAt) >= 200*time.Millisecond || time.Now().After(deadline) {
			st, err = c.DomainState(ctx, name)
			stateAt = time.Now()
		}
		if err == nil && st != hypervisor.StateRunning {
			if !job {
				return r.stoppedWhileBooting(ctx, m, consoleOffset, st, g, &p)
			}
			if done, err := r.jobEnded(ctx, m, consoleOffset, p.consoleOK, g); done {
				return err
			}
		}
		if ctx.Err() != nil {
			return r.gateCancelled(ctx, m, consoleOffset, p.consoleOK, p.ipv4OK, p.tcpOK, g)
		}
		if time.Now().After(deadline) {
			why := fmt.Sprintf("was not ready after %s", g.timeout)
			if job {
				why = fmt.Sprintf("did not power off within %s", g.timeout)
			}
			if p.lastErr != nil {
				why += fmt.Sprintf(" (last error: %s)", p.lastErr)
			}
			return r.gateFailure(ctx, m, consoleOffset, why, p.consoleOK, p.ipv4OK, p.tcpOK, g)
		}
		select {
		case <-ctx.Done():
		case <-time.After(interval):
		}
	}
}

// pollConsole reads this boot's console, from offset, when the log grew
// (its size is a cheap call), and matches it against the gate's pattern.
func (r *InstanceResource) pollConsole(ctx context.Context, name string, offset uint64, g readinessGate, p *readinessProgress) {
	c := r.data.Client
	size, err := c.ConsoleSize(ctx, r.data.Console, name)
	if err == nil && size > p.seen {
		var b []byte
		if b, err = c.ReadConsole(ctx, r.data.Console, name, offset, 0); err == nil {
			p.seen = offset + uint64(len(b))
			p.consoleOK = matchLine(g.console, b)
		}
	}
	if err != nil {
		p.lastErr = err
	}
}

// pollAddresses checks that every interface has an IPv4 address and, with
// wait_for.tcp_port, that the port accepts connections on the first one.
func (r *InstanceResource) pollAddresses(ctx context.Context, m *instanceModel, g readinessGate, p *readinessProgress) {
	info, err := r.data.Client.ReadDomain(ctx, m.Name.ValueString())
	if err != nil {
		p.lastErr = err
		return
	}
	addrs := r.addresses(ctx, info, m)
	p.ipv4OK = len(info.Spec.Interfaces) > 0
	for _, n := range info.Spec.Interfaces {
		p.ipv4OK = p.ipv4OK && len(addrs[n.MAC]) > 0
	}
	if p.ipv4OK && !p.tcpOK {
		ip := addrs[info.Spec.Interfaces[0].MAC][0]
		var derr error
		if p.tcpOK, derr = dialOK(ctx, net.JoinHostPort(ip, strconv.Itoa(g.tcpPort))); derr != nil {
			p.lastErr = derr // "network is unreachable" says that this machine cannot reach the guest at all
		}
	}
}

// stoppedWhileBooting decides a service's readiness once the guest no longer
// runs (state st): it was ready when the last console read shows the ready
// line and every other condition held; otherwise the gate failed.
func (r *InstanceResource) stoppedWhileBooting(ctx context.Context, m *instanceModel, offset uint64, st hypervisor.DomainState,
	g readinessGate, p *readinessProgress) error {
	if !p.consoleOK {
		// The ready line may have been printed just before a
		// power-off that came between two polls.
		p.consoleOK = r.consoleMatchesAfterStop(ctx, m, offset, g)
		if p.consoleOK && p.ipv4OK && p.tcpOK {
			return nil
		}
	}
	return r.gateFailure(ctx, m, offset, fmt.Sprintf("stopped while booting (state %s). If it is meant to "+
		"run to completion and power off, set mode = \"job\"", st), p.consoleOK, p.ipv4OK, p.tcpOK, g)
}

// consoleMatchesAfterStop reads this boot's console once more after the
// guest stopped: its last lines may have been printed between the previous
// read and the power-off. The log is written by libvirt's log daemon, which
// can still be draining the guest's output when libvirt reports the domain
// stopped, so a miss is read again twice, 100 ms apart.
func (r *InstanceResource) consoleMatchesAfterStop(ctx context.Context, m *instanceModel, offset uint64, g readinessGate) bool {
	for i := 0; ; i++ {
		out, err := r.data.Client.ReadConsole(ctx, r.data.Console, m.Name.ValueString(), offset, 0)
		if err == nil && matchLine(g.console, out) {
			return true
		}
		if i == 2 {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// matchLine reports whether a line of out, as hypervisor.ConsoleText shows
// it (control bytes such as NUL removed), matches re.
func matchLine(re *regexp.Regexp, out []byte) bool {
	for _, line := range strings.Split(hypervisor.ConsoleText(string(out)), "\n") {
		if re.MatchString(line) {
			return true
		}
	}
	return false
}

func dialOK(ctx context.Context, addr string) (bool, error) {
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false, err
	}
	_ = conn.Close()
	return true, nil
}

// gateCancelled is the error of a readiness wait that Terraform interrupted
// or whose operation time limit (the resource's `timeouts`) passed. When the
// limit passed it also says, as a gate timeout does, which conditions did not
// hold and what the guest printed: the console is read on a context of its
// own, since the operation's has expired. It is not a gateError: the caller
// removes what it started rather than keep it.
func (r *InstanceResource) gateCancelled(ctx context.Context, m *instanceModel, offset uint64,
	consoleOK, ipv4OK, tcpOK bool, g readinessGate) error {
	err := cancelledError(ctx, m.Name.ValueString(), "waiting for readiness")
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return err
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	detail := r.gateFailure(dctx, m, offset, "was not ready when the time limit passed", consoleOK, ipv4OK, tcpOK, g)
	return fmt.Errorf("%w\n\n%s", err, detail.Error())
}

// gateFailure builds the readiness error: which conditions did not hold and
// the last console lines of this boot.
func (r *InstanceResource) gateFailure(ctx context.Context, m *instanceModel, offset uint64, why string,
	consoleOK, ipv4OK, tcpOK bool, g readinessGate) error {
	var failed []string
	if !consoleOK {
		failed = append(failed, fmt.Sprintf("wait_for.console: no console line matched %q", g.console.String()))
	}
	if !ipv4OK {
		msg := "wait_for.ipv4: not every interface has an IPv4 address (from a DHCP lease, or for a " +
			"static address, from the neighbour table after a probe of its reserved ipv4_address)"
		if !hypervisor.LocalURI(r.data.Client.URI()) {
			msg = "wait_for.ipv4: not every interface has an IPv4 address (from a DHCP lease; over a remote URI a " +
				"static address counts only once its reserved ipv4_address accepts a connection on wait_for.tcp_port)"
		}
		failed = append(failed, msg)
	}
	if !tcpOK {
		msg := fmt.Sprintf("wait_for.tcp_port: port %d did not accept connections", g.tcpPort)
		if !hypervisor.LocalURI(r.data.Client.URI()) {
			msg += " (the provider dials from where Terraform runs, and over a remote URI the guest's network is often " +
				"not reachable from there: use wait_for.console or wait_for.ipv4 for guests on remote hosts)"
		}
		failed = append(failed, msg)
	}
	out, err := r.data.Client.ReadConsole(ctx, r.data.Console, m.Name.ValueString(), offset, 64*1024)
	tail := "(console log unavailable: " + fmt.Sprint(err) + ")"
	if err == nil {
		tail = lastLines(string(out), consoleTailLines)
		if tail == "" {
			tail = "(the guest printed nothing)"
		}
	}
	if len(failed) == 0 {
		failed = append(failed, "mode = \"job\": the guest did not power itself off")
	}
	return &gateError{msg: fmt.Sprintf("Instance %q %s.\n\nConditions that did not hold:\n  - %s\n\nLast console lines:\n%s",
		m.Name.ValueString(), why, strings.Join(failed, "\n  - "), tail)}
}

// lastLines is the end of the console for an error message, indented.
func lastLines(s string, n int) string {
	tail := hypervisor.LastLines(s, n)
	if tail == "" {
		return ""
	}
	return "  " + strings.ReplaceAll(tail, "\n", "\n  ")
}

// jobEnded decides a job's result once the guest no longer runs: it
// succeeded when the guest powered itself off and, with wait_for.console,
// printed a matching line during this run. done is false while the domain
// is still on its way down (libvirt's "shutdown" state), to poll again.
func (r *InstanceResource) jobEnded(ctx context.Context, m *instanceModel, offset uint64, consoleOK bool, g readinessGate) (done bool, err error) {
	c := r.data.Client
	name := m.Name.ValueString()
	reason, err := c.DomainStopReason(ctx, name)
	if err != nil {
		return true, err
	}
	if reason == "" {
		return false, nil
	}
	if !consoleOK {
		// The last lines may have arrived with the power-off.
		consoleOK = r.consoleMatchesAfterStop(ctx, m, offset, g)
	}
	if reason == "shutdown" && consoleOK {
		tflog.Info(ctx, "job finished", map[string]any{"instance": name})
		return true, nil
	}
	why := "powered off"
	if reason != "shutdown" {
		why = fmt.Sprintf("stopped without powering off (%s)", reason)
	}
	return true, r.gateFailure(ctx, m, offset, "is a job that "+why, consoleOK, true, true, g)
}
