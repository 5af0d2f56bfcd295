package provider

// Acceptance tests of adopting what teams already run (issue 28): objects
// made by the libvirt provider (dmacvicar/terraform-provider-libvirt, v0.8
// and v0.9), by virt-install and by hand with virsh, defined on the real
// daemon from fixtures captured as libvirt holds them
// (testdata/migrate/README.md says how), then imported with `import` blocks,
// with the configuration the migration guide gives and with the one
// `terraform plan -generate-config-out` writes.
//
// The fixtures are read with libvirtxml; names, paths, MACs, bridges and
// addresses are set through the structs, and everything is defined through
// libvirt. Terraform runs as a user runs it (init, plan -out, apply of the
// saved plan, show -json), against this package's provider served in
// process (TF_REATTACH_PROVIDERS), so that -generate-config-out and saved
// plans are exercised exactly.
//
// What is asserted, per fixture:
//   - the first plan changes nothing (an image's first plan only records its
//     `source`, after checking the bytes, and changes nothing in libvirt);
//   - the configuration -generate-config-out writes is valid and plans no
//     change either;
//   - the import apply restarts nothing (QEMU pid and domain id), leaves the
//     domain XML outside what the schema owns as it was, the address as it
//     was, and the OSv lighttpd answering HTTP;
//   - a `memory` change restarts the guest once, without an error, keeps the
//     user's serial file (still written), on_reboot, controllers, balloon and
//     the rest of the devices;
//   - a `description` change on the adopted copy-on-write overlay instance
//     applies live.

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	plugin "github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/acctest"
)

// ---------------------------------------------------------------------------
// Fixtures defined through libvirt

// migrateEnv holds what one test defined out of band, and removes it.
type migrateEnv struct {
	t      *testing.T
	conn   *libvirt.Connect
	prefix string // first three octets of the test's /24 (acctest.CIDR), e.g. 10.131.7
	logDir string // where the users' serial files are written
}

func newMigrateEnv(t *testing.T) *migrateEnv {
	t.Helper()
	conn, err := libvirt.NewConnect(acctest.URI())
	if err != nil {
		t.Fatalf("connecting to %s: %v", acctest.URI(), err)
	}
	t.Cleanup(func() { _, _ = conn.Close() })
	logDir := acctest.PoolDir(t)
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &migrateEnv{t: t, conn: conn, prefix: acctest.CIDR(t).Prefix(), logDir: logDir}
}

func migrateFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "migrate", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func randomMAC(t *testing.T) string {
	t.Helper()
	n := acctest.RandName("m") // only for its randomness; never defined
	h := n[len(n)-6:]
	return "52:54:00:" + h[0:2] + ":" + h[2:4] + ":" + h[4:6]
}

// definePool defines and starts a dir pool from the fixture, as the libvirt
// provider's libvirt_pool does, in a fresh directory.
func (e *migrateEnv) definePool(fixture string) (name, dir string) {
	t := e.t
	t.Helper()
	p := &libvirtxml.StoragePool{}
	if err := p.Unmarshal(migrateFixture(t, fixture)); err != nil {
		t.Fatal(err)
	}
	name, dir = acctest.RandName("mig-pool"), acctest.PoolDir(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p.Name, p.UUID = name, ""
	p.Capacity, p.Allocation, p.Available = nil, nil, nil
	p.Target.Path = dir
	doc, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	pool, err := e.conn.StoragePoolDefineXML(doc, 0)
	if err != nil {
		t.Fatalf("defining pool %s: %v", name, err)
	}
	t.Cleanup(func() {
		if pool, err := e.conn.LookupStoragePoolByName(name); err == nil {
			if vols, err := pool.ListAllStorageVolumes(0); err == nil {
				for _, v := range vols {
					_ = v.Delete(0)
					_ = v.Free()
				}
			}
			_ = pool.Destroy()
			_ = pool.Undefine()
			_ = pool.Free()
		}
	})
	defer pool.Free()
	if err := pool.Create(0); err != nil {
		t.Fatalf("starting pool %s: %v", name, err)
	}
	if err := pool.SetAutostart(true); err != nil {
		t.Fatal(err)
	}
	return name, dir
}

// createVolume creates a volume from the fixture in pool: with backing set,
// a copy-on-write overlay of that path (libvirt_volume { base_volume_id });
// with upload set, a volume holding that file's bytes (libvirt_volume {
// source }). It returns the volume's path.
func (e *migrateEnv) createVolume(pool, fixture, name, backing, upload string) string {
	t := e.t
	t.Helper()
	v := &libvirtxml.StorageVolume{}
	if err := v.Unmarshal(migrateFixture(t, fixture)); err != nil {
		t.Fatal(err)
	}
	v.Name, v.Key = name, ""
	v.Allocation, v.Physical = nil, nil
	if v.Target != nil {
		v.Target.Path, v.Target.Timestamps = "", nil
	}
	if v.BackingStore != nil {
		v.BackingStore.Path, v.BackingStore.Permissions = backing, nil
	}
	doc, err := v.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.conn.LookupStoragePoolByName(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Free()
	vol, err := p.StorageVolCreateXML(doc, 0)
	if err != nil {
		t.Fatalf("creating volume %s in %s: %v", name, pool, err)
	}
	defer vol.Free()
	if upload != "" {
		f, err := os.Open(upload)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		stream, err := e.conn.NewStream(0)
		if err != nil {
			t.Fatal(err)
		}
		defer stream.Free()
		if err := vol.Upload(stream, 0, uint64(st.Size()), 0); err != nil {
			t.Fatalf("uploading %s into %s: %v", upload, name, err)
		}
		buf := make([]byte, 1<<20)
		if err := stream.SendAll(func(_ *libvirt.Stream, n int) ([]byte, error) {
			if n > len(buf) {
				n = len(buf)
			}
			k, err := f.Read(buf[:n])
			if errors.Is(err, io.EOF) {
				return nil, nil
			}
			return buf[:k], err
		}); err != nil {
			t.Fatalf("uploading %s into %s: %v", upload, name, err)
		}
		if err := stream.Finish(); err != nil {
			t.Fatal(err)
		}
		if err := p.Refresh(0); err != nil {
			t.Fatal(err)
		}
	}
	path, err := vol.GetPath()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// defineNetwork defines and starts the network fixture on the test's /24,
// with its own name and bridge. It returns the name.
func (e *migrateEnv) defineNetwork(fixture string) string {
	t := e.t
	t.Helper()
	n := &libvirtxml.Network{}
	if err := n.Unmarshal(migrateFixture(t, fixture)); err != nil {
		t.Fatal(err)
	}
	name := acctest.RandName("mig-net")
	n.Name, n.UUID, n.MAC = name, "", nil
	n.Bridge = &libvirtxml.NetworkBridge{Name: "tfmig" + name[len(name)-8:], STP: "on", Delay: "0"}
	if n.Domain != nil {
		n.Domain.Name = name[len(name)-8:] + ".local"
	}
	if len(n.IPs) != 1 || n.IPs[0].DHCP == nil || len(n.IPs[0].DHCP.Ranges) != 1 {
		t.Fatalf("network fixture %s: want one <ip> with one DHCP range", fixture)
	}
	n.IPs[0].Address = e.prefix + ".1"
	n.IPs[0].DHCP.Ranges[0].Start = e.prefix + ".2"
	n.IPs[0].DHCP.Ranges[0].End = e.prefix + ".254"
	doc, err := n.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	net, err := e.conn.NetworkDefineXML(doc)
	if err != nil {
		t.Fatalf("defining network %s: %v", name, err)
	}
	t.Cleanup(func() {
		if net, err := e.conn.LookupNetworkByName(name); err == nil {
			_ = net.Destroy()
			_ = net.Undefine()
			_ = net.Free()
		}
	})
	defer net.Free()
	if err := net.Create(); err != nil {
		t.Fatalf("starting network %s: %v", name, err)
	}
	if err := net.SetAutostart(true); err != nil {
		t.Fatal(err)
	}
	return name
}

// defineDomain defines the domain fixture under a new name with the test's
// hypervisor type, lets set adjust it (paths, networks, MACs), and starts
// it. It returns the name.
func (e *migrateEnv) defineDomain(fixture, kind string, set func(d *libvirtxml.Domain)) string {
	t := e.t
	t.Helper()
	d := &libvirtxml.Domain{}
	if err := d.Unmarshal(migrateFixture(t, fixture)); err != nil {
		t.Fatal(err)
	}
	name := acctest.RandName(kind)
	d.Name, d.UUID, d.ID = name, "", nil
	d.Type = acctest.Hypervisor()
	set(d)
	doc, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	dom, err := e.conn.DomainDefineXML(doc)
	if err != nil {
		t.Fatalf("defining domain %s: %v", name, err)
	}
	t.Cleanup(func() { e.removeDomain(name) })
	defer dom.Free()
	if err := dom.Create(); err != nil {
		t.Fatalf("starting domain %s: %v", name, err)
	}
	return name
}

// removeDomain removes the domain and what the provider may have added for
// it (its console log volume in the provider's console pool).
func (e *migrateEnv) removeDomain(name string) {
	if dom, err := e.conn.LookupDomainByName(name); err == nil {
		_ = dom.Destroy()
		_ = dom.UndefineFlags(libvirt.DOMAIN_UNDEFINE_NVRAM | libvirt.DOMAIN_UNDEFINE_MANAGED_SAVE)
		_ = dom.Free()
	}
	if p, err := e.conn.LookupStoragePoolByName(DefaultConsolePool); err == nil {
		_ = p.Refresh(0)
		if v, err := p.LookupStorageVolByName(name + ".log"); err == nil {
			_ = v.Delete(0)
			_ = v.Free()
		}
		_ = p.Free()
	}
	_ = os.Remove(filepath.Join(DefaultConsolePath, name+".log"))
}

// setNIC points the domain's only interface at network with mac.
func setNIC(t *testing.T, d *libvirtxml.Domain, network, mac string) {
	t.Helper()
	if d.Devices == nil || len(d.Devices.Interfaces) != 1 {
		t.Fatal("domain fixture: want exactly one interface")
	}
	i := &d.Devices.Interfaces[0]
	i.Source = &libvirtxml.DomainInterfaceSource{Network: &libvirtxml.DomainInterfaceSourceNetwork{Network: network}}
	i.MAC = &libvirtxml.DomainInterfaceMAC{Address: mac}
	i.Address = nil
}

// setSerialFile points the domain's file serial (and the console libvirt
// derived from it) at path.
func setSerialFile(t *testing.T, d *libvirtxml.Domain, path string) {
	t.Helper()
	if d.Devices == nil || len(d.Devices.Serials) != 1 || d.Devices.Serials[0].Source == nil ||
		d.Devices.Serials[0].Source.File == nil {
		t.Fatal("domain fixture: want one <serial type='file'>")
	}
	d.Devices.Serials[0].Source.File.Path = path
	for i := range d.Devices.Consoles {
		if s := d.Devices.Consoles[i].Source; s != nil && s.File != nil {
			s.File.Path = path
		}
	}
}

// domainNow is what the tests compare before and after: the QEMU process,
// libvirt's domain id and the inactive XML.
type domainNow struct {
	pid      int
	id       uint
	inactive string
}

func (e *migrateEnv) domainNow(name string) domainNow {
	t := e.t
	t.Helper()
	dom, err := e.conn.LookupDomainByName(name)
	if err != nil {
		t.Fatal(err)
	}
	defer dom.Free()
	id, err := dom.GetID()
	if err != nil {
		t.Fatalf("domain %s is not running: %v", name, err)
	}
	doc, err := dom.GetXMLDesc(libvirt.DOMAIN_XML_INACTIVE)
	if err != nil {
		t.Fatal(err)
	}
	return domainNow{pid: acctest.QemuPID(name), id: id, inactive: doc}
}

func (e *migrateEnv) domainXML(name string) *libvirtxml.Domain {
	t := e.t
	t.Helper()
	d := &libvirtxml.Domain{}
	if err := d.Unmarshal(e.domainNow(name).inactive); err != nil {
		t.Fatal(err)
	}
	return d
}

// unownedXML is the inactive domain XML without what the instance schema
// owns: what an adopting provider must keep exactly as it found it. The
// UUID is kept (it must not change either).
func unownedXML(t *testing.T, doc string) string {
	t.Helper()
	d := &libvirtxml.Domain{}
	if err := d.Unmarshal(doc); err != nil {
		t.Fatal(err)
	}
	d.Type, d.Description, d.Title, d.Metadata = "", "", "", nil
	d.Memory, d.CurrentMemory, d.MaximumMemory, d.VCPU = nil, nil, nil, nil
	d.CPU = nil                      // cpu_mode, cpu_features
	d.OnPoweroff, d.OnCrash = "", "" // on_poweroff, on_crash (on_reboot is not owned)
	if d.OS != nil {
		d.OS.Kernel, d.OS.Initrd, d.OS.Cmdline = "", "", ""   // kernel, initrd, boot_cmdline
		d.OS.Loader, d.OS.NVRam, d.OS.Firmware = nil, nil, "" // firmware, secure_boot
		if d.OS.Type != nil {
			d.OS.Type.Machine = "" // machine
		}
	}
	if d.Features != nil {
		d.Features.ACPI = nil // acpi
	}
	if d.Devices != nil {
		d.Devices.Disks, d.Devices.Interfaces = nil, nil // disks, network_interfaces
		d.Devices.RNGs, d.Devices.Filesystems = nil, nil // rng, filesystems
	}
	out, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkUnowned fails when the XML outside what the schema owns changed.
func checkUnowned(t *testing.T, what, before, after string) {
	t.Helper()
	b, a := unownedXML(t, before), unownedXML(t, after)
	if b != a {
		t.Errorf("%s: the domain XML outside what the instance schema owns changed:\n%s", what, lineDiff(b, a))
	}
}

// lineDiff lists the lines only in a (-) and only in b (+).
func lineDiff(a, b string) string {
	count := func(s string) map[string]int {
		m := map[string]int{}
		for _, l := range strings.Split(s, "\n") {
			m[strings.TrimSpace(l)]++
		}
		return m
	}
	ca, cb := count(a), count(b)
	var out []string
	for l, n := range ca {
		if cb[l] < n {
			out = append(out, "- "+l)
		}
	}
	for l, n := range cb {
		if ca[l] < n {
			out = append(out, "+ "+l)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// leaseOf waits until the network leased an address to mac.
func leaseOf(t *testing.T, network, mac string) string {
	t.Helper()
	c := acctest.MustClient(t)
	deadline := time.Now().Add(3 * time.Minute)
	for {
		leases, err := c.Leases(context.Background(), network)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range leases {
			if strings.EqualFold(l.MAC, mac) {
				return l.IPv4
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no DHCP lease for %s on %s after 3 minutes", mac, network)
		}
		time.Sleep(time.Second)
	}
}

// httpAnswers waits up to wait for url to answer with a body containing want.
func httpAnswers(url, want string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	var last error
	for {
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if strings.Contains(string(b), want) {
				return nil
			}
			err = fmt.Errorf("answered %d %q", resp.StatusCode, b)
		}
		last = err
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %v", url, last)
		}
		time.Sleep(time.Second)
	}
}

// waitFileContains waits until path holds want (a regular expression) at
// least n times.
func waitFileContains(path, want string, n int, wait time.Duration) error {
	re := regexp.MustCompile(want)
	deadline := time.Now().Add(wait)
	for {
		b, err := os.ReadFile(path)
		if err == nil && len(re.FindAll(b, -1)) >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s holds %q %d times after %s, want at least %d (%v); it ends with:\n%s",
				path, want, len(re.FindAll(b, -1)), wait, n, err, tail(string(b), 600))
		}
		time.Sleep(time.Second)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// ---------------------------------------------------------------------------
// Terraform as a user runs it

const migrateProviderAddr = "registry.terraform.io/unikernel-dev/unikernel"

// tfWork is a Terraform working directory driven through the CLI.
type tfWork struct {
	t   *testing.T
	dir string
	cli string
}

func newTFWork(t *testing.T) *tfWork {
	t.Helper()
	return &tfWork{t: t, dir: t.TempDir(), cli: acctest.TerraformCLI(t)}
}

func (w *tfWork) write(name, content string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.dir, name), []byte(content), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// serveProvider serves this package's provider in process for one CLI
// command and returns the TF_REATTACH_PROVIDERS value and a stop function.
func serveProvider(t *testing.T) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cfgCh := make(chan *plugin.ReattachConfig, 1)
	closeCh := make(chan struct{})
	errCh := make(chan error, 1)
	go func() {
		errCh <- tf6server.Serve(migrateProviderAddr, providerserver.NewProtocol6(New("test")()),
			tf6server.WithDebug(ctx, cfgCh, closeCh), tf6server.WithoutLogStderrOverride())
	}()
	var cfg *plugin.ReattachConfig
	select {
	case cfg = <-cfgCh:
	case err := <-errCh:
		cancel()
		t.Fatalf("serving the provider: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("serving the provider: no reattach configuration after 30s")
	}
	type addr struct{ Network, String string }
	type reattach struct {
		Protocol        string
		ProtocolVersion int
		Pid             int
		Test            bool
		Addr            addr
	}
	r := reattach{Protocol: string(cfg.Protocol), ProtocolVersion: cfg.ProtocolVersion, Pid: cfg.Pid, Test: true,
		Addr: addr{Network: cfg.Addr.Network(), String: cfg.Addr.String()}}
	b, err := json.Marshal(map[string]reattach{
		migrateProviderAddr:                             r,
		"registry.opentofu.org/unikernel-dev/unikernel": r,
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b), func() {
		cancel()
		select {
		case <-closeCh:
		case <-time.After(30 * time.Second):
		}
	}
}

// run runs one CLI command in the directory and returns its output.
func (w *tfWork) run(args ...string) (string, error) {
	w.t.Helper()
	reattach, stop := serveProvider(w.t)
	defer stop()
	cmd := exec.Command(w.cli, args...)
	cmd.Dir = w.dir
	cmd.Env = append(os.Environ(), "TF_REATTACH_PROVIDERS="+reattach, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %v\n%s", filepath.Base(w.cli), strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

func (w *tfWork) mustRun(args ...string) string {
	w.t.Helper()
	out, err := w.run(args...)
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

// tfChange is one resource change of a saved plan.
type tfChange struct {
	Address string `json:"address"`
	Change  struct {
		Actions      []string        `json:"actions"`
		Before       map[string]any  `json:"before"`
		After        map[string]any  `json:"after"`
		AfterUnknown map[string]any  `json:"after_unknown"`
		Importing    json.RawMessage `json:"importing"`
		ReplacePaths json.RawMessage `json:"replace_paths"`
	} `json:"change"`
}

type tfPlan struct {
	Changes []tfChange `json:"resource_changes"`
	text    string
}

func (c tfChange) noop() bool {
	return len(c.Change.Actions) == 1 && c.Change.Actions[0] == "no-op"
}

// attrs lists the top-level attributes whose planned value differs.
func (c tfChange) attrs() []string {
	var out []string
	keys := map[string]bool{}
	for k := range c.Change.Before {
		keys[k] = true
	}
	for k := range c.Change.After {
		keys[k] = true
	}
	for k := range c.Change.AfterUnknown {
		keys[k] = true
	}
	for k := range keys {
		b, a := c.Change.Before[k], c.Change.After[k]
		if u, ok := c.Change.AfterUnknown[k]; ok && u == true {
			out = append(out, fmt.Sprintf("%s: %s -> (known after apply)", k, compact(b)))
			continue
		}
		if !reflect.DeepEqual(b, a) {
			out = append(out, fmt.Sprintf("%s: %s -> %s", k, compact(b), compact(a)))
		}
	}
	sort.Strings(out)
	return out
}

func compact(v any) string {
	b, _ := json.Marshal(v)
	s := string(b)
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// describe is the plan's changes, one resource per paragraph, for failure
// messages and the before/after notes.
func (p *tfPlan) describe() string {
	var out []string
	for _, c := range p.Changes {
		if c.noop() {
			continue
		}
		s := fmt.Sprintf("%s: %s", c.Address, strings.Join(c.Change.Actions, ","))
		if len(c.Change.ReplacePaths) > 0 && string(c.Change.ReplacePaths) != "null" {
			s += " (replace because of " + string(c.Change.ReplacePaths) + ")"
		}
		for _, a := range c.attrs() {
			s += "\n    " + a
		}
		out = append(out, s)
	}
	return strings.Join(out, "\n")
}

func (p *tfPlan) change(addr string) *tfChange {
	for i := range p.Changes {
		if p.Changes[i].Address == addr {
			return &p.Changes[i]
		}
	}
	return nil
}

// plan runs `plan -out` with extra arguments, then `show -json`.
func (w *tfWork) plan(extra ...string) (*tfPlan, error) {
	w.t.Helper()
	args := append([]string{"plan", "-input=false", "-no-color", "-out=tfplan"}, extra...)
	text, err := w.run(args...)
	if err != nil {
		return nil, err
	}
	js := w.mustRun("show", "-json", "tfplan")
	p := &tfPlan{text: text}
	if i := strings.IndexByte(js, '{'); i > 0 {
		js = js[i:]
	}
	if err := json.Unmarshal([]byte(js), p); err != nil {
		w.t.Fatalf("reading the plan: %v\n%s", err, js)
	}
	return p, nil
}

func (w *tfWork) applyPlan() error {
	w.t.Helper()
	_, err := w.run("apply", "-input=false", "-no-color", "tfplan")
	return err
}

// state returns the attributes of addr in the state.
func (w *tfWork) state(addr string) map[string]any {
	w.t.Helper()
	js := w.mustRun("show", "-json")
	if i := strings.IndexByte(js, '{'); i > 0 {
		js = js[i:]
	}
	var s struct {
		Values struct {
			Root struct {
				Resources []struct {
					Address string         `json:"address"`
					Values  map[string]any `json:"values"`
				} `json:"resources"`
			} `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal([]byte(js), &s); err != nil {
		w.t.Fatalf("reading the state: %v", err)
	}
	for _, r := range s.Values.Root.Resources {
		if r.Address == addr {
			return r.Values
		}
	}
	w.t.Fatalf("%s not in state", addr)
	return nil
}

// expectPlanNoChanges fails unless every change in p is a no-op, except the
// resources in stateOnly, which may be updates of only the listed
// attributes (an image's source, which an import cannot read back).
func expectPlanNoChanges(t *testing.T, what string, p *tfPlan, stateOnly map[string][]string) {
	t.Helper()
	var bad []string
	for _, c := range p.Changes {
		if c.noop() {
			continue
		}
		if allowed, ok := stateOnly[c.Address]; ok && len(c.Change.Actions) == 1 && c.Change.Actions[0] == "update" {
			ok := true
			for _, a := range c.attrs() {
				name := strings.SplitN(a, ":", 2)[0]
				found := false
				for _, x := range allowed {
					found = found || x == name
				}
				ok = ok && found
			}
			if ok {
				continue
			}
		}
		bad = append(bad, c.Address)
	}
	if len(bad) > 0 {
		t.Errorf("%s: want no changes, the plan changes %s:\n%s", what, strings.Join(bad, ", "), p.describe())
	}
}

// generateConfig plans the import blocks in imports with
// -generate-config-out in a fresh directory, then plans again with the
// generated configuration, and fails unless both succeed and the second
// changes nothing.
func generateConfig(t *testing.T, imports string, stateOnly map[string][]string) {
	t.Helper()
	w := newTFWork(t)
	w.write("main.tf", migrateTerraformBlock()+testProviderBlock()+imports)
	w.mustRun("init", "-input=false", "-no-color")
	p, err := w.plan("-generate-config-out=generated.tf")
	gen, _ := os.ReadFile(filepath.Join(w.dir, "generated.tf"))
	if err != nil {
		t.Errorf("plan -generate-config-out failed: %v\ngenerated.tf:\n%s", err, gen)
		return
	}
	expectPlanNoChanges(t, "plan -generate-config-out", p, stateOnly)
	p, err = w.plan()
	if err != nil {
		t.Errorf("plan with the generated configuration failed: %v\ngenerated.tf:\n%s", err, gen)
		return
	}
	expectPlanNoChanges(t, "plan with the generated configuration", p, stateOnly)
	if t.Failed() {
		t.Logf("generated.tf:\n%s", gen)
	}
}

func migrateTerraformBlock() string {
	return `
terraform {
  required_providers {
    unikernel = {
      source = "unikernel-dev/unikernel"
    }
  }
}
`
}

func migratePreCheck(t *testing.T) {
	t.Helper()
	// The provider runs in this process: without TF_LOG* its logs are off,
	// as in the released binary (main.quietLogEnv).
	quiet := true
	for _, kv := range os.Environ() {
		quiet = quiet && !strings.HasPrefix(kv, "TF_LOG")
	}
	if quiet {
		t.Setenv("TF_LOG_SDK", "OFF")
		t.Setenv("TF_LOG_PROVIDER", "OFF")
	}
	testAccInstancePreCheck(t)
	acctest.RequireHarnessNetns(t)
	acctest.TerraformCLI(t)
}

// ---------------------------------------------------------------------------
// The tests

// migrateRun is what a fixture test imports: the import blocks and the
// resource blocks the guide gives (as a function of the memory and the
// description of the instance), and the instance's address.
type migrateRun struct {
	imports   string
	resources func(memory int, description string) string
	instance  string // the domain's name
	addr      string // the instance's resource address
	stateOnly map[string][]string
	memory    int
}

// adopt runs the import with the guide's configuration and checks the first
// plan and the import apply, then returns the working directory.
func adopt(t *testing.T, e *migrateEnv, r migrateRun, check func(what string)) *tfWork {
	t.Helper()
	w := newTFWork(t)
	w.write("main.tf", migrateTerraformBlock()+testProviderBlock()+r.imports+r.resources(r.memory, ""))
	w.mustRun("init", "-input=false", "-no-color")
	before := e.domainNow(r.instance)
	p, err := w.plan()
	if err != nil {
		t.Fatalf("first plan: %v", err)
	}
	expectPlanNoChanges(t, "first plan", p, r.stateOnly)
	// An apply error does not stop the test: what the apply did to the
	// domain is checked all the same.
	if err := w.applyPlan(); err != nil {
		t.Errorf("import apply: %v", err)
	}
	after := e.domainNow(r.instance)
	if after.pid != before.pid || after.id != before.id {
		t.Errorf("the import apply restarted %s: QEMU pid %d -> %d, domain id %d -> %d",
			r.instance, before.pid, after.pid, before.id, after.id)
	}
	if after.inactive != before.inactive {
		t.Errorf("the import apply changed the domain definition of %s:\n%s", r.instance,
			lineDiff(before.inactive, after.inactive))
	}
	check("after the import apply")
	p, err = w.plan()
	if err != nil {
		t.Errorf("plan after the import: %v", err)
		return w
	}
	expectPlanNoChanges(t, "plan after the import", p, nil)
	return w
}

// changeMemory applies a memory change and checks that the instance was
// restarted once, without an error, keeping everything it does not own.
func changeMemory(t *testing.T, e *migrateEnv, w *tfWork, r migrateRun, check func(what string)) {
	t.Helper()
	mem := r.memory + 64
	w.write("main.tf", migrateTerraformBlock()+testProviderBlock()+r.resources(mem, ""))
	before := e.domainNow(r.instance)
	p, err := w.plan()
	if err != nil {
		t.Fatalf("plan of the memory change: %v", err)
	}
	c := p.change(r.addr)
	if c == nil || len(c.Change.Actions) != 1 || c.Change.Actions[0] != "update" {
		t.Fatalf("the memory change should update %s in place, the plan is:\n%s", r.addr, p.describe())
	}
	if err := w.applyPlan(); err != nil {
		t.Errorf("apply of the memory change: %v", err)
	}
	after := e.domainNow(r.instance)
	if after.pid == before.pid || after.pid == 0 {
		t.Errorf("the memory change should restart %s once: QEMU pid %d -> %d", r.instance, before.pid, after.pid)
	}
	d := &libvirtxml.Domain{}
	if err := d.Unmarshal(after.inactive); err != nil {
		t.Fatal(err)
	}
	if d.Memory == nil || d.Memory.Value*memUnit(d.Memory.Unit) != uint(mem)<<20 {
		t.Errorf("memory after the change: %+v, want %d MiB", d.Memory, mem)
	}
	if d.OnReboot != "restart" {
		t.Errorf("on_reboot after the memory change: %q, want restart as before", d.OnReboot)
	}
	checkUnowned(t, "after the memory change", before.inactive, after.inactive)
	check("after the memory change")
	p, err = w.plan()
	if err != nil {
		t.Fatalf("plan after the memory change: %v", err)
	}
	expectPlanNoChanges(t, "plan after the memory change", p, nil)
}

func memUnit(u string) uint {
	switch u {
	case "", "KiB", "k", "K":
		return 1 << 10
	case "MiB", "M", "m":
		return 1 << 20
	case "GiB", "G", "g":
		return 1 << 30
	case "b", "bytes":
		return 1
	}
	return 0
}

// checkSerialFile fails unless the domain still writes its console to the
// user's file, the state's console_log names it, and the file was written
// since since, with want.
func checkSerialFile(t *testing.T, e *migrateEnv, w *tfWork, name, addr, path, want string, since time.Time) {
	t.Helper()
	d := e.domainXML(name)
	if len(d.Devices.Serials) != 1 || d.Devices.Serials[0].Source == nil || d.Devices.Serials[0].Source.File == nil ||
		d.Devices.Serials[0].Source.File.Path != path {
		got, _ := xmlOf(d.Devices.Serials)
		t.Errorf("%s: the serial device should still write to %s, it is:\n%s", name, path, got)
	}
	if got := w.state(addr)["console_log"]; got != path {
		t.Errorf("%s: console_log is %v, want the serial file the domain writes, %s", addr, got, path)
	}
	if err := waitFileContains(path, want, 1, 3*time.Minute); err != nil {
		t.Error(err)
		return
	}
	if st, err := os.Stat(path); err != nil || st.ModTime().Before(since) {
		t.Errorf("%s was not written since %s (%v)", path, since.Format(time.RFC3339), err)
	}
}

func xmlOf(v any) (string, error) {
	b, err := xml.MarshalIndent(v, "", "  ")
	return string(b), err
}

// osvSetup defines, as the libvirt provider v0.8 does, a dir pool, the OSv
// lighttpd disk uploaded into a base volume, a copy-on-write overlay of it,
// a NAT network with DHCP, and a domain on the overlay with a NIC on the
// network and a file serial console, starts it and waits for HTTP.
type osvSetup struct {
	pool, poolDir, base, basePath, overlay string
	network, name, mac, serial, ip         string
}

func setupOSv(t *testing.T, e *migrateEnv) osvSetup {
	t.Helper()
	tp := acctest.ThirdPartyGuests(t)
	var s osvSetup
	s.pool, s.poolDir = e.definePool("pool-libvirt-provider-dir.xml")
	s.base = "osv-lighttpd-base.qcow2"
	s.basePath = e.createVolume(s.pool, "volume-libvirt-provider-base.xml", s.base, "", tp.OSvLighttpd)
	s.network = e.defineNetwork("network-libvirt-provider-0.8-nat.xml")
	s.mac = randomMAC(t)
	s.name = e.defineDomain("domain-libvirt-provider-0.8-osv-overlay.xml", "mig-osv", func(d *libvirtxml.Domain) {
		s.overlay = d.Name + ".qcow2"
		e.createVolume(s.pool, "volume-libvirt-provider-overlay.xml", s.overlay, s.basePath, "")
		disk := &d.Devices.Disks[0]
		disk.Source.Volume.Pool, disk.Source.Volume.Volume = s.pool, s.overlay
		setNIC(t, d, s.network, s.mac)
		s.serial = filepath.Join(e.logDir, d.Name+".log")
		setSerialFile(t, d, s.serial)
	})
	s.ip = leaseOf(t, s.network, s.mac)
	if err := httpAnswers("http://"+s.ip+"/", "Hello, world!", 2*time.Minute); err != nil {
		t.Fatalf("the OSv lighttpd defined as the libvirt provider does should serve: %v", err)
	}
	return s
}

func (s osvSetup) networkBlock(e *migrateEnv) string {
	return fmt.Sprintf(`
resource "unikernel_network" "nat" {
  name      = %[1]q
  mode      = "nat"
  ipv4_cidr = "%[2]s.0/24"
  dhcp = {
    start = "%[2]s.2"
    end   = "%[2]s.254"
  }
  dns = {
    domain = %[3]q
  }
}
`, s.network, e.prefix, s.network[len(s.network)-8:]+".local")
}

// TestAccMigrate_libvirtProviderOSvOverlay adopts an upstream OSv lighttpd
// made by the libvirt provider v0.8 on its copy-on-write overlay, with a NIC
// on its NAT network and a file serial console added by the user's XSLT,
// together with its pool, network and base volume.
func TestAccMigrate_libvirtProviderOSvOverlay(t *testing.T) {
	migratePreCheck(t)
	e := newMigrateEnv(t)
	s := setupOSv(t, e)
	imports := fmt.Sprintf(`
import {
  to = unikernel_pool.images
  id = %[1]q
}
import {
  to = unikernel_network.nat
  id = %[2]q
}
import {
  to = unikernel_image.osv
  id = "%[1]s/%[3]s"
}
import {
  to = unikernel_instance.web
  id = %[4]q
}
`, s.pool, s.network, s.base, s.name)
	stateOnly := map[string][]string{"unikernel_image.osv": {"source"}}
	t.Run("generate-config-out", func(t *testing.T) { generateConfig(t, imports, stateOnly) })

	baseStat, err := os.Stat(s.basePath)
	if err != nil {
		t.Fatal(err)
	}
	r := migrateRun{
		imports: imports, instance: s.name, addr: "unikernel_instance.web", stateOnly: stateOnly, memory: 256,
		resources: func(memory int, description string) string {
			desc := ""
			if description != "" {
				desc = fmt.Sprintf("  description = %q\n", description)
			}
			return fmt.Sprintf(`
resource "unikernel_pool" "images" {
  name = %[1]q
  path = %[2]q
}
%[3]s
resource "unikernel_image" "osv" {
  name   = %[4]q
  pool   = unikernel_pool.images.name
  source = %[5]q
}

resource "unikernel_instance" "web" {
  name   = %[6]q
  memory = %[7]d
%[8]s  disks = [{ base_image = unikernel_image.osv.id }]
  network_interfaces = [{
    network = unikernel_network.nat.name
    mac     = %[9]q
  }]
}
`, s.pool, s.poolDir, s.networkBlock(e), s.base, acctest.ThirdPartyGuests(t).OSvLighttpd, s.name, memory, desc, s.mac)
		},
	}
	serving := func(what string) {
		t.Helper()
		if ip := leaseOf(t, s.network, s.mac); ip != s.ip {
			t.Errorf("%s: the guest's address changed: %s -> %s", what, s.ip, ip)
		}
		if err := httpAnswers("http://"+s.ip+"/", "Hello, world!", 2*time.Minute); err != nil {
			t.Errorf("%s: lighttpd does not answer: %v", what, err)
		}
	}
	netBefore := e.networkXML(s.network)
	w := adopt(t, e, r, serving)
	if got := e.networkXML(s.network); got != netBefore {
		t.Errorf("the import apply changed the network:\n%s", lineDiff(netBefore, got))
	}
	if st, err := os.Stat(s.basePath); err != nil || st.ModTime() != baseStat.ModTime() || st.Size() != baseStat.Size() {
		t.Errorf("recording the image's source touched the base volume %s (%v)", s.basePath, err)
	}
	checkSerialFile(t, e, w, s.name, r.addr, s.serial, `server started`, time.Time{})

	// A description change on the adopted overlay instance applies live.
	t.Run("description", func(t *testing.T) {
		w.write("main.tf", migrateTerraformBlock()+testProviderBlock()+r.resources(r.memory, "adopted from the libvirt provider"))
		before := e.domainNow(s.name)
		p, err := w.plan()
		if err != nil {
			t.Fatalf("plan of the description change: %v", err)
		}
		if c := p.change(r.addr); c == nil || len(c.Change.Actions) != 1 || c.Change.Actions[0] != "update" {
			t.Fatalf("the description change should update %s in place, the plan is:\n%s", r.addr, p.describe())
		}
		if err := w.applyPlan(); err != nil {
			t.Fatalf("apply of the description change: %v", err)
		}
		after := e.domainNow(s.name)
		if after.pid != before.pid || after.id != before.id {
			t.Errorf("the description change restarted %s: QEMU pid %d -> %d", s.name, before.pid, after.pid)
		}
		if d := e.domainXML(s.name); d.Description != "adopted from the libvirt provider" {
			t.Errorf("description in libvirt: %q", d.Description)
		}
		checkUnowned(t, "after the description change", before.inactive, after.inactive)
		// Back to no description, as the rest of the test configures it.
		w.write("main.tf", migrateTerraformBlock()+testProviderBlock()+r.resources(r.memory, ""))
		if _, err := w.plan(); err != nil {
			t.Fatal(err)
		}
		if err := w.applyPlan(); err != nil {
			t.Fatalf("apply of the description removal: %v", err)
		}
	})

	t.Run("memory", func(t *testing.T) {
		start := time.Now()
		changeMemory(t, e, w, r, serving)
		checkSerialFile(t, e, w, s.name, r.addr, s.serial, `server started`, start)
	})
}

func (e *migrateEnv) networkXML(name string) string {
	e.t.Helper()
	n, err := e.conn.LookupNetworkByName(name)
	if err != nil {
		e.t.Fatalf("network %s: %v", name, err)
	}
	defer n.Free()
	doc, err := n.GetXMLDesc(libvirt.NETWORK_XML_INACTIVE)
	if err != nil {
		e.t.Fatal(err)
	}
	return doc
}

// TestAccMigrate_libvirtProviderKernelGuest adopts a direct kernel boot
// guest made by the libvirt provider v0.9 (os.kernel, os.initrd, os.cmdline,
// a NIC on a NAT network, a pty serial console), the Linux microVM test
// guest, which serves its command line over HTTP.
func TestAccMigrate_libvirtProviderKernelGuest(t *testing.T) {
	migratePreCheck(t)
	e := newMigrateEnv(t)
	g := acctest.TestGuests(t)
	dir := acctest.PoolDir(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	kernel, initrd := filepath.Join(dir, "vmlinuz"), filepath.Join(dir, "initramfs.cpio")
	acctest.CopyFile(t, g.MicroVMKernel, kernel)
	acctest.CopyFile(t, g.MicroVMInitrd, initrd)
	network := e.defineNetwork("network-libvirt-provider-0.8-nat.xml")
	mac := randomMAC(t)
	const cmdline = "console=ttyS0 panic=-1 quiet"
	name := e.defineDomain("domain-libvirt-provider-0.9-kernel.xml", "mig-kboot", func(d *libvirtxml.Domain) {
		d.OS.Kernel, d.OS.Initrd, d.OS.Cmdline = kernel, initrd, cmdline
		setNIC(t, d, network, mac)
	})
	ip := leaseOf(t, network, mac)
	url := fmt.Sprintf("http://%s:%d/", ip, acctest.MicroVMPort)
	if err := httpAnswers(url, "panic=-1", 2*time.Minute); err != nil {
		t.Fatalf("the kernel guest defined as the libvirt provider does should serve: %v", err)
	}
	s := osvSetup{network: network}
	imports := fmt.Sprintf(`
import {
  to = unikernel_network.nat
  id = %[1]q
}
import {
  to = unikernel_instance.vm
  id = %[2]q
}
`, network, name)
	t.Run("generate-config-out", func(t *testing.T) { generateConfig(t, imports, nil) })
	r := migrateRun{
		imports: imports, instance: name, addr: "unikernel_instance.vm", memory: 128,
		resources: func(memory int, _ string) string {
			return s.networkBlock(e) + fmt.Sprintf(`
resource "unikernel_instance" "vm" {
  name    = %[1]q
  memory  = %[2]d
  kernel  = %[3]q
  initrd  = %[4]q
  cmdline = %[5]q
  network_interfaces = [{
    network = unikernel_network.nat.name
    mac     = %[6]q
  }]
}
`, name, memory, kernel, initrd, cmdline, mac)
		},
	}
	serving := func(what string) {
		t.Helper()
		if got := leaseOf(t, network, mac); got != ip {
			t.Errorf("%s: the guest's address changed: %s -> %s", what, ip, got)
		}
		if err := httpAnswers(url, "panic=-1", 2*time.Minute); err != nil {
			t.Errorf("%s: the guest does not answer: %v", what, err)
		}
	}
	w := adopt(t, e, r, serving)
	t.Run("memory", func(t *testing.T) { changeMemory(t, e, w, r, serving) })
}

// TestAccMigrate_virtInstallImport adopts a domain that `virt-install
// --import` defined (its USB controllers, e1000 NIC, pty console, clock
// timers and power management as virt-install writes them) on a qcow2 disk
// given by path.
func TestAccMigrate_virtInstallImport(t *testing.T) {
	migratePreCheck(t)
	e := newMigrateEnv(t)
	g := acctest.TestGuests(t)
	dir := acctest.PoolDir(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	disk := filepath.Join(dir, "disk.qcow2")
	acctest.CopyFile(t, g.BootDiskQCOW2, disk)
	network := e.defineNetwork("network-libvirt-provider-0.8-nat.xml")
	mac := randomMAC(t)
	name := e.defineDomain("domain-virt-install-import.xml", "mig-vi", func(d *libvirtxml.Domain) {
		d.Devices.Disks[0].Source.File.File = disk
		setNIC(t, d, network, mac)
	})
	s := osvSetup{network: network}
	imports := fmt.Sprintf(`
import {
  to = unikernel_network.nat
  id = %[1]q
}
import {
  to = unikernel_instance.vm
  id = %[2]q
}
`, network, name)
	t.Run("generate-config-out", func(t *testing.T) { generateConfig(t, imports, nil) })
	r := migrateRun{
		imports: imports, instance: name, addr: "unikernel_instance.vm", memory: 64,
		resources: func(memory int, _ string) string {
			return s.networkBlock(e) + fmt.Sprintf(`
resource "unikernel_instance" "vm" {
  name   = %[1]q
  memory = %[2]d
  disks  = [{ path = %[3]q, format = "qcow2" }]
  network_interfaces = [{
    network = unikernel_network.nat.name
    mac     = %[4]q
    model   = "e1000"
  }]
}
`, name, memory, disk, mac)
		},
	}
	running := func(what string) {
		t.Helper()
		if acctest.QemuPID(name) == 0 {
			t.Errorf("%s: %s is not running", what, name)
		}
	}
	w := adopt(t, e, r, running)
	t.Run("memory", func(t *testing.T) { changeMemory(t, e, w, r, running) })
}

// TestAccMigrate_virshHandMade adopts a domain written by hand and defined
// with virsh: a multiboot kernel with a command line, and a serial console
// into a file of the user's.
func TestAccMigrate_virshHandMade(t *testing.T) {
	migratePreCheck(t)
	e := newMigrateEnv(t)
	g := acctest.TestGuests(t)
	dir := acctest.PoolDir(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	kernel := filepath.Join(dir, "kernel.elf")
	acctest.CopyFile(t, g.MultibootKernel, kernel)
	var serial string
	const cmdline = "hand made"
	name := e.defineDomain("domain-virsh-hand.xml", "mig-hand", func(d *libvirtxml.Domain) {
		d.OS.Kernel, d.OS.Cmdline = kernel, cmdline
		serial = filepath.Join(e.logDir, d.Name+".log")
		setSerialFile(t, d, serial)
	})
	if err := waitFileContains(serial, "UNIKERNEL-READY cmdline=hand made", 1, time.Minute); err != nil {
		t.Fatal(err)
	}
	imports := fmt.Sprintf(`
import {
  to = unikernel_instance.vm
  id = %q
}
`, name)
	t.Run("generate-config-out", func(t *testing.T) { generateConfig(t, imports, nil) })
	r := migrateRun{
		imports: imports, instance: name, addr: "unikernel_instance.vm", memory: 32,
		resources: func(memory int, _ string) string {
			return fmt.Sprintf(`
resource "unikernel_instance" "vm" {
  name    = %[1]q
  memory  = %[2]d
  kernel  = %[3]q
  cmdline = %[4]q
}
`, name, memory, kernel, cmdline)
		},
	}
	w := adopt(t, e, r, func(string) {})
	checkSerialFile(t, e, w, name, r.addr, serial, "UNIKERNEL-READY cmdline=hand made", time.Time{})
	t.Run("memory", func(t *testing.T) {
		start := time.Now()
		changeMemory(t, e, w, r, func(string) {})
		checkSerialFile(t, e, w, name, r.addr, serial, "UNIKERNEL-READY cmdline=hand made", start)
	})
}

// TestAccMigrate_guideExample applies the migration guide's worked example
// (examples/guides/migrating-from-libvirt-provider) to objects defined as
// the libvirt provider defines them: its import blocks and configuration,
// with the variables pointing at them, plan no change but the image's
// recorded source, apply without a restart, and plan nothing after.
func TestAccMigrate_guideExample(t *testing.T) {
	migratePreCheck(t)
	t.Setenv(EnvHypervisor, acctest.Hypervisor())
	e := newMigrateEnv(t)
	s := setupOSv(t, e)
	w := newTFWork(t)
	src := filepath.Join(acctest.RepoRoot(t), "examples", "guides", "migrating-from-libvirt-provider")
	files, err := filepath.Glob(filepath.Join(src, "*.tf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("the guide's example in %s: %v", src, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		w.write(filepath.Base(f), string(b))
	}
	vars, err := json.Marshal(map[string]any{
		"libvirt_uri":        acctest.URI(),
		"pool_name":          s.pool,
		"pool_path":          s.poolDir,
		"network_name":       s.network,
		"network_cidr":       e.prefix + ".0/24",
		"network_domain":     s.network[len(s.network)-8:] + ".local",
		"base_volume_name":   s.base,
		"base_volume_source": acctest.ThirdPartyGuests(t).OSvLighttpd,
		"domain_name":        s.name,
		"domain_memory":      256,
		"domain_mac":         s.mac,
	})
	if err != nil {
		t.Fatal(err)
	}
	w.write("test.auto.tfvars.json", string(vars))
	w.mustRun("init", "-input=false", "-no-color")
	before := e.domainNow(s.name)
	p, err := w.plan()
	if err != nil {
		t.Fatalf("the example's first plan: %v", err)
	}
	expectPlanNoChanges(t, "the example's first plan", p, map[string][]string{"unikernel_image.osv": {"source"}})
	if err := w.applyPlan(); err != nil {
		t.Fatalf("the example's apply: %v", err)
	}
	after := e.domainNow(s.name)
	if after.pid != before.pid || after.id != before.id {
		t.Errorf("the example's apply restarted %s: QEMU pid %d -> %d", s.name, before.pid, after.pid)
	}
	if after.inactive != before.inactive {
		t.Errorf("the example's apply changed the domain definition:\n%s", lineDiff(before.inactive, after.inactive))
	}
	if err := httpAnswers("http://"+s.ip+"/", "Hello, world!", time.Minute); err != nil {
		t.Errorf("lighttpd after the example's apply: %v", err)
	}
	p, err = w.plan()
	if err != nil {
		t.Fatalf("plan after the example's apply: %v", err)
	}
	expectPlanNoChanges(t, "plan after the example's apply", p, nil)
}
