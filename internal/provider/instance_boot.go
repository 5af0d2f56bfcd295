package provider

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
	"github.com/unikernel-dev/terraform-provider-unikernel/internal/imageformat"
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

// boot writes a boot marker into the console log, starts the domain, and
// waits for the readiness gate. The marker separates this boot's output from
// earlier ones, and the gate only looks at what follows it.
func (r *InstanceResource) boot(ctx context.Context, m *instanceModel, why string) error {
	c := r.data.Client
	name := m.Name.ValueString()
	marker := fmt.Sprintf("\n=== unikernel: %s at %s ===\n", why, time.Now().UTC().Format(time.RFC3339))
	if err := c.AppendConsole(ctx, r.data.Console, name, marker); err != nil {
		return err
	}
	offset, err := c.ConsoleSize(ctx, r.data.Console, name)
	if err != nil {
		return err
	}
	tflog.Debug(ctx, "starting domain", map[string]any{"instance": name, "console_offset": offset})
	start := time.Now()
	if err := c.StartDomain(ctx, name); err != nil {
		return r.explainStartError(ctx, m.Hypervisor.ValueString(), err)
	}
	if err := r.waitReady(ctx, m, offset); err != nil {
		return err
	}
	tflog.Info(ctx, "instance ready", map[string]any{"instance": name, "seconds": time.Since(start).Seconds()})
	return nil
}

// gate is the parsed wait_for block.
type gate struct {
	console *regexp.Regexp
	ipv4    bool
	tcpPort int
	timeout time.Duration
}

func (m *instanceModel) gate() gate {
	g := gate{timeout: 2 * time.Minute}
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

func (g gate) empty() bool { return g.console == nil && !g.ipv4 && g.tcpPort == 0 }

// afterConsolePoll, when set, runs after each console poll of the readiness
// wait. Tests set it to have a guest print and stop between two polls.
var afterConsolePoll func()

// waitReady polls until every condition of the gate holds, the guest stops,
// or the gate times out.
func (r *InstanceResource) waitReady(ctx context.Context, m *instanceModel, consoleOffset uint64) error {
	g := m.gate()
	job := m.job()
	if g.empty() && !job {
		return nil
	}
	c := r.data.Client
	name := m.Name.ValueString()
	deadline := time.Now().Add(g.timeout)
	var (
		consoleOK = g.console == nil
		ipv4OK    = !g.ipv4
		tcpOK     = g.tcpPort == 0
		addrs     map[string][]string
		out       []byte
		seen      = consoleOffset
		lastErr   error
		stateAt   time.Time
	)
	// A local console log is a file: poll it often, so that readiness is seen
	// soon after the line is printed. Libvirt is asked for the domain's state
	// at most five times a second.
	interval := 200 * time.Millisecond
	if c.Local() {
		interval = 50 * time.Millisecond
	}
	for {
		if !consoleOK {
			// Download only when the log grew: its size is a cheap call.
			size, err := c.ConsoleSize(ctx, r.data.Console, name)
			if err == nil && size > seen {
				var b []byte
				if b, err = c.ReadConsole(ctx, r.data.Console, name, consoleOffset, 0); err == nil {
					out, seen = b, consoleOffset+uint64(len(b))
					consoleOK = matchLine(g.console, out)
				}
			}
			if err != nil {
				lastErr = err
			}
		}
		if afterConsolePoll != nil {
			afterConsolePoll()
		}
		if !ipv4OK || !tcpOK {
			info, err := c.ReadDomain(ctx, name)
			if err != nil {
				lastErr = err
			} else {
				addrs = r.addresses(ctx, info, m)
				ipv4OK = len(info.Spec.Interfaces) > 0
				for _, n := range info.Spec.Interfaces {
					ipv4OK = ipv4OK && len(addrs[n.MAC]) > 0
				}
				if ipv4OK && !tcpOK {
					ip := addrs[info.Spec.Interfaces[0].MAC][0]
					var derr error
					if tcpOK, derr = dialOK(ctx, net.JoinHostPort(ip, strconv.Itoa(g.tcpPort))); derr != nil {
						lastErr = derr // "network is unreachable" says that this machine cannot reach the guest at all
					}
				}
			}
		}
		if consoleOK && ipv4OK && tcpOK && !job {
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
			if job {
				if done, err := r.jobEnded(ctx, m, consoleOffset, consoleOK, g); done {
					return err
				}
			} else {
				if !consoleOK {
					// The ready line may have been printed just before a
					// power-off that came between two polls.
					consoleOK = r.consoleMatchesAfterStop(ctx, m, consoleOffset, g)
					if consoleOK && ipv4OK && tcpOK {
						return nil
					}
				}
				return r.gateFailure(ctx, m, consoleOffset, fmt.Sprintf("stopped while booting (state %s). If it is meant to "+
					"run to completion and power off, set mode = \"job\"", st), consoleOK, ipv4OK, tcpOK, g)
			}
		}
		if ctx.Err() != nil {
			return r.gateCancelled(ctx, m, consoleOffset, consoleOK, ipv4OK, tcpOK, g)
		}
		if time.Now().After(deadline) {
			why := fmt.Sprintf("was not ready after %s", g.timeout)
			if job {
				why = fmt.Sprintf("did not power off within %s", g.timeout)
			}
			if lastErr != nil {
				why += fmt.Sprintf(" (last error: %s)", lastErr)
			}
			return r.gateFailure(ctx, m, consoleOffset, why, consoleOK, ipv4OK, tcpOK, g)
		}
		select {
		case <-ctx.Done():
		case <-time.After(interval):
		}
	}
}

// consoleMatchesAfterStop reads this boot's console once more after the
// guest stopped: its last lines may have been printed between the previous
// read and the power-off. The log is written by libvirt's log daemon, which
// can still be draining the guest's output when libvirt reports the domain
// stopped, so a miss is read again twice, 100 ms apart.
func (r *InstanceResource) consoleMatchesAfterStop(ctx context.Context, m *instanceModel, offset uint64, g gate) bool {
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
	consoleOK, ipv4OK, tcpOK bool, g gate) error {
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
	consoleOK, ipv4OK, tcpOK bool, g gate) error {
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

// imageChanges tells checkBootImages which images an update changes. Without
// prior (a create) every image is new. With prior (state), a kernel or disk
// whose path (and configured format) is the same is unchanged: it was
// accepted when it was attached, and is not inspected or refused again, so an
// imported instance whose disk the provider would not attach today (a qcow2
// with a backing file) can still be changed in everything else. rebuilt says
// that an image was rebuilt under its path (the fingerprint changed): the
// kernel is inspected again, and unchanged disks only for their format.
type imageChanges struct {
	prior   *instanceModel
	rebuilt bool
}

func (c imageChanges) kernelChanged(m *instanceModel) bool {
	return c.prior == nil || c.rebuilt || !m.Kernel.Equal(c.prior.Kernel) || !m.Initrd.Equal(c.prior.Initrd) ||
		!known(c.prior.BootFormat)
}

// priorDisk is the disk at index i of prior when the plan keeps it unchanged.
func (c imageChanges) priorDisk(m *instanceModel, i int) (diskModel, bool) {
	if c.prior == nil || i >= len(c.prior.Disks) {
		return diskModel{}, false
	}
	d, p := m.Disks[i], c.prior.Disks[i]
	same := d.source() == p.source() && d.BaseImage.Equal(p.BaseImage) && d.Volume.Equal(p.Volume) &&
		(d.Format.IsUnknown() || d.Format.IsNull() || d.Format.Equal(p.Format)) && known(p.Format)
	return p, same
}

// checkBootImages inspects the kernel and boot disk when they are volumes
// of a storage pool (reading their headers through libvirt), refuses
// combinations that cannot boot, and fills in detected disk formats. It
// returns the boot format for state. Only the images that ch says change are
// inspected and can be refused.
func (r *InstanceResource) checkBootImages(ctx context.Context, m *instanceModel, ch imageChanges, diags *diag.Diagnostics) (string, bool) {
	bootFormat := "disk"
	if k := m.Kernel.ValueString(); k != "" && !ch.kernelChanged(m) {
		bootFormat = ch.prior.BootFormat.ValueString()
	} else if k != "" {
		bootFormat = "unknown"
		res, found := r.detect(ctx, k, path.Root("kernel"), diags)
		xenFormat, ok := r.checkXenImage(m, path.Root("kernel"), k, true, res, found, diags)
		if !ok {
			return "", false
		}
		res.Format = xenFormat
		if found {
			if res.Format == "" || res.Format.Boot() != imageformat.BootKernel {
				what := string(res.Format)
				if res.Refused != "" {
					what = res.Refused
				}
				diags.AddAttributeError(path.Root("kernel"), "Image cannot boot as a kernel",
					fmt.Sprintf("%s is a %s image, which does not boot as a kernel. Kernels must be multiboot, multiboot2, PVH or "+
						"Linux bzImage. Attach disk images through `disks` instead.", k, what))
				return "", false
			}
			bootFormat = string(res.Format)
		}
		if in := m.Initrd.ValueString(); in != "" {
			res, found := r.detect(ctx, in, path.Root("initrd"), diags)
			if _, ok := r.checkXenImage(m, path.Root("initrd"), in, false, res, found, diags); !ok {
				return "", false
			}
			if found && res.Format == imageformat.QCOW2 {
				diags.AddAttributeError(path.Root("initrd"), "Image cannot be an initrd",
					fmt.Sprintf("%s is a qcow2 disk image; an initrd is a cpio archive (format raw).", in))
				return "", false
			}
		}
	}
	for i := range m.Disks {
		d := &m.Disks[i]
		p := path.Root("disks").AtListIndex(i)
		if d.BaseImage.ValueString() != "" {
			d.Format = types.StringValue("qcow2") // the overlay's; the base's own format is detected at create
		}
		prior, unchanged := ch.priorDisk(m, i)
		if unchanged && (!ch.rebuilt || !d.Format.IsUnknown() && !d.Format.IsNull()) {
			if d.Format.IsUnknown() || d.Format.IsNull() {
				d.Format = prior.Format
			}
			continue
		}
		var scratch diag.Diagnostics
		into := diags
		if unchanged {
			into = &scratch // a rebuilt image under an unchanged path: only its format is read again
		}
		res, found := r.detect(ctx, d.source(), p, into)
		if !unchanged && found && res.Refused != "" {
			attr := "path"
			for _, a := range []string{"image", "base_image", "volume"} {
				if d.attribute(a).ValueString() != "" {
					attr = a
					break
				}
			}
			// Terraform points at the disk (it cannot point inside a list of objects); the detail names the attribute.
			diags.AddAttributeError(p, "Disk image refused", fmt.Sprintf("disks[%d].%s = %q: %s", i, attr, d.source(), res.Refused))
			return "", false
		}
		if !unchanged && found && i == 0 && m.Kernel.IsNull() && res.Format.Boot() == imageformat.BootKernel {
			diags.AddAttributeError(p, "Kernel given as boot disk",
				fmt.Sprintf("%s is a %s kernel, which does not boot from a disk. Set it as `kernel` instead.", d.source(), res.Format))
			return "", false
		}
		if d.Format.IsUnknown() || d.Format.IsNull() {
			f := "raw"
			if found && (res.Format == imageformat.QCOW2 || res.Format == imageformat.ISO) {
				f = string(res.Format)
			} else if unchanged && !found {
				f = prior.Format.ValueString()
			}
			d.Format = types.StringValue(f)
		}
	}
	return bootFormat, !diags.HasError()
}

// attribute is the disk's attribute of that name among its sources.
func (d diskModel) attribute(name string) types.String {
	switch name {
	case "image":
		return d.Image
	case "base_image":
		return d.BaseImage
	case "volume":
		return d.Volume
	}
	return d.Path
}

// detect reads an image's headers: through libvirt when it is a storage
// volume, and from the file itself when it is a host path and the hypervisor
// is local (see hypervisor.LocalURI), where a missing file is an
// error at plan time. found is false for host paths on a remote hypervisor,
// which are used as given.
func (r *InstanceResource) detect(ctx context.Context, p string, attr path.Path, diags *diag.Diagnostics) (imageformat.Result, bool) {
	v, err := r.data.Client.OpenVolumeByPath(ctx, p)
	if hypervisor.IsNotFound(err) {
		if hypervisor.LocalURI(r.data.Client.URI()) {
			return detectHostFile(p, attr, diags)
		}
		tflog.Debug(ctx, "path is not a storage volume on a remote host; not inspecting it", map[string]any{"path": p})
		return imageformat.Result{}, false
	}
	if err != nil {
		diags.AddAttributeError(attr, "Unable to inspect image", err.Error())
		return imageformat.Result{}, false
	}
	defer func() { _ = v.Close() }()
	res, err := imageformat.Detect(v, v.Size())
	if err != nil {
		diags.AddAttributeError(attr, "Unable to inspect image", err.Error())
		return imageformat.Result{}, false
	}
	return res, true
}

// detectHostFile reads the headers of a host path on the local hypervisor.
func detectHostFile(p string, attr path.Path, diags *diag.Diagnostics) (imageformat.Result, bool) {
	f, err := os.Open(p)
	if err == nil {
		defer func() { _ = f.Close() }()
		var st os.FileInfo
		if st, err = f.Stat(); err == nil && !st.Mode().IsRegular() {
			err = fmt.Errorf("%s is not a regular file", p)
		}
		if err == nil {
			var res imageformat.Result
			if res, err = imageformat.Detect(f, st.Size()); err == nil {
				return res, true
			}
		}
	}
	what := "Check the path, or upload the file as a unikernel_image and refer to its id."
	if errors.Is(err, os.ErrNotExist) {
		err = fmt.Errorf("%s does not exist on the hypervisor host", p)
	}
	diags.AddAttributeError(attr, "Unable to inspect image", fmt.Sprintf("%s.\n\n%s", err, what))
	return imageformat.Result{}, false
}

// cancelledError says that an operation on an instance ended because
// Terraform was interrupted or the operation's timeout (the resource's
// `timeouts`) passed, rather than because the guest failed.
func cancelledError(ctx context.Context, name, during string) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s for instance %q was cancelled: the operation's time limit (the resource's `timeouts`) passed", during, name)
	}
	return fmt.Errorf("%s for instance %q was cancelled: Terraform was interrupted", during, name)
}
