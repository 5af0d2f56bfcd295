// Package tfconfig renders the Terraform configurations of acceptance tests
// from small typed blocks, so that a test says which provider, pool, image,
// network and instance it wants (and only what differs from the usual),
// instead of formatting HCL text with positional arguments.
//
// Strings are written as quoted HCL strings; an Expr is written as is (a
// reference such as unikernel_pool.p.name). Zero-valued optional fields are
// left out, so the provider's defaults apply. Extra holds attribute lines
// the typed fields do not cover, written inside the block as given.
package tfconfig

import (
	"fmt"
	"sort"
	"strings"
)

// Block is one top-level block of a configuration.
type Block interface {
	HCL() string
}

// Config joins blocks into a configuration.
func Config(blocks ...Block) string {
	var b strings.Builder
	for _, bl := range blocks {
		b.WriteString("\n")
		b.WriteString(bl.HCL())
	}
	return b.String()
}

// Raw is configuration text used as it is, for blocks without a type here.
type Raw string

// HCL implements Block.
func (r Raw) HCL() string { return string(r) }

// Expr is an HCL expression written as is.
type Expr string

// Quote writes s as an HCL string. Template sequences (${ and %{) are
// escaped, so a value is never interpolated by Terraform.
func Quote(s string) string {
	q := fmt.Sprintf("%q", s)
	q = strings.ReplaceAll(q, "${", "$${")
	return strings.ReplaceAll(q, "%{", "%%{")
}

// body collects the attribute lines of one block.
type body struct{ lines []string }

func (b *body) str(name, v string) {
	if v != "" {
		b.lines = append(b.lines, fmt.Sprintf("%s = %s", name, Quote(v)))
	}
}

func (b *body) expr(name string, v Expr) {
	if v != "" {
		b.lines = append(b.lines, fmt.Sprintf("%s = %s", name, v))
	}
}

func (b *body) int(name string, v int) {
	if v != 0 {
		b.lines = append(b.lines, fmt.Sprintf("%s = %d", name, v))
	}
}

func (b *body) boolPtr(name string, v *bool) {
	if v != nil {
		b.lines = append(b.lines, fmt.Sprintf("%s = %t", name, *v))
	}
}

func (b *body) raw(line string) {
	if s := strings.TrimSpace(line); s != "" {
		b.lines = append(b.lines, s)
	}
}

func (b *body) block(kind, typ, label string) string {
	head := kind + " "
	if typ != "" {
		head += Quote(typ) + " "
	}
	if label != "" {
		head += Quote(label) + " "
	}
	var s strings.Builder
	s.WriteString(head + "{\n")
	for _, l := range b.lines {
		for _, ll := range strings.Split(l, "\n") {
			s.WriteString("  " + ll + "\n")
		}
	}
	s.WriteString("}\n")
	return s.String()
}

// Bool is a pointer to v, for optional booleans.
func Bool(v bool) *bool { return &v }

// Strings is a list of HCL strings.
func Strings(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = Quote(w)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// Map is an HCL object of strings, keys sorted.
func Map(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s = %s", k, Quote(m[k]))
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

// Provider is the provider block.
type Provider struct {
	URI        string
	Hypervisor string
	// ConsolePool and ConsolePath give a private daemon a console pool of
	// the test's own.
	ConsolePool string
	ConsolePath string
	Extra       string
}

// HCL implements Block.
func (p Provider) HCL() string {
	var b body
	b.str("uri", p.URI)
	b.str("hypervisor", p.Hypervisor)
	b.str("console_pool", p.ConsolePool)
	b.str("console_path", p.ConsolePath)
	b.raw(p.Extra)
	return b.block("provider", "unikernel", "")
}

// Pool is a unikernel_pool.
type Pool struct {
	Label string // default "p"
	Name  string
	Path  string
	Extra string
}

// Ref is the expression of the pool's name.
func (p Pool) Ref() Expr { return Expr("unikernel_pool." + or(p.Label, "p") + ".name") }

// HCL implements Block.
func (p Pool) HCL() string {
	var b body
	b.str("name", p.Name)
	b.str("path", p.Path)
	b.raw(p.Extra)
	return b.block("resource", "unikernel_pool", or(p.Label, "p"))
}

// Image is a unikernel_image uploaded from Source.
type Image struct {
	Label  string
	Name   string
	Pool   Expr // default unikernel_pool.p.name
	Source string
	Extra  string
}

// ID is the expression of the image's id (for base_image and kernel).
func (i Image) ID() Expr { return Expr("unikernel_image." + i.Label + ".id") }

// Addr is the image's resource address.
func (i Image) Addr() string { return "unikernel_image." + i.Label }

// Path is the expression of the image's path.
func (i Image) Path() Expr { return Expr("unikernel_image." + i.Label + ".path") }

// HCL implements Block.
func (i Image) HCL() string {
	var b body
	b.str("name", i.Name)
	b.expr("pool", Expr(or(string(i.Pool), "unikernel_pool.p.name")))
	b.str("source", i.Source)
	b.raw(i.Extra)
	return b.block("resource", "unikernel_image", i.Label)
}

// Volume is a unikernel_volume.
type Volume struct {
	Label       string
	Name        string
	Pool        Expr // default unikernel_pool.p.name
	Size        string
	Format      string
	SourceImage Expr
	Extra       string
}

// Addr is the volume's resource address.
func (v Volume) Addr() string { return "unikernel_volume." + v.Label }

// ID is the expression of the volume's id (for an instance's disks).
func (v Volume) ID() Expr { return Expr("unikernel_volume." + v.Label + ".id") }

// HCL implements Block.
func (v Volume) HCL() string {
	var b body
	b.str("name", v.Name)
	b.expr("pool", Expr(or(string(v.Pool), "unikernel_pool.p.name")))
	b.str("size", v.Size)
	b.str("format", v.Format)
	b.expr("source_image", v.SourceImage)
	b.raw(v.Extra)
	return b.block("resource", "unikernel_volume", v.Label)
}

// Network is a unikernel_network.
type Network struct {
	Label    string // default "n"
	Name     string
	Mode     string
	IPv4CIDR string
	IPv6CIDR string
	// Hosts are the DHCP reservations. A nil slice leaves hosts out; an
	// empty one writes hosts = [].
	Hosts []Reservation
	// DNSDomain and DNSHosts make the dns block when either is set.
	DNSDomain string
	DNSHosts  []DNSHost
	Extra     string
}

// Reservation is one of a network's hosts.
type Reservation struct{ MAC, IPv4, Hostname string }

func (r Reservation) hcl() string {
	var parts []string
	for _, kv := range [][2]string{{"mac", r.MAC}, {"ipv4", r.IPv4}, {"hostname", r.Hostname}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+" = "+Quote(kv[1]))
		}
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

// DNSHost is one of the names a network's DNS answers for.
type DNSHost struct {
	IP        string
	Hostnames []string
}

func (d DNSHost) hcl() string {
	return fmt.Sprintf("{ ipv4 = %s, hostnames = %s }", Quote(d.IP), Strings(d.Hostnames))
}

func list[T interface{ hcl() string }](items []T) string {
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = it.hcl()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// Ref is the expression of the network's name.
func (n Network) Ref() Expr { return Expr("unikernel_network." + or(n.Label, "n") + ".name") }

// HCL implements Block.
func (n Network) HCL() string {
	var b body
	b.str("name", n.Name)
	b.str("mode", n.Mode)
	b.str("ipv4_cidr", n.IPv4CIDR)
	b.str("ipv6_cidr", n.IPv6CIDR)
	if n.Hosts != nil {
		b.raw("hosts = " + list(n.Hosts))
	}
	if n.DNSDomain != "" || n.DNSHosts != nil {
		var dns body
		dns.str("domain", n.DNSDomain)
		if n.DNSHosts != nil {
			dns.raw("hosts = " + list(n.DNSHosts))
		}
		b.raw("dns = {\n  " + strings.Join(dns.lines, "\n  ") + "\n}")
	}
	b.raw(n.Extra)
	return b.block("resource", "unikernel_network", or(n.Label, "n"))
}

// Filesystem is one entry of an instance's filesystems.
type Filesystem struct {
	Source   string
	Tag      string
	Driver   string
	ReadOnly bool
}

func (f Filesystem) hcl() string {
	s := fmt.Sprintf("{ source = %s, tag = %s", Quote(f.Source), Quote(f.Tag))
	if f.Driver != "" {
		s += ", driver = " + Quote(f.Driver)
	}
	if f.ReadOnly {
		s += ", read_only = true"
	}
	return s + " }"
}

// NIC is one of an instance's network_interfaces: on the network named
// Network, or on the one NetworkRef refers to.
type NIC struct {
	Network    string
	NetworkRef Expr
	IPv4       string
}

func (n NIC) hcl() string {
	var b body
	b.str("network", n.Network)
	b.expr("network", n.NetworkRef)
	b.str("ipv4_address", n.IPv4)
	return "{\n  " + strings.Join(b.lines, "\n  ") + "\n}"
}

// Disk is one of an instance's disks: a Path on the host, or an Image
// attached as it is, or copy-on-write from BaseImage (an image's id, or a
// quoted path).
type Disk struct {
	Path      string
	Image     Expr
	BaseImage Expr
	Format    string
	ReadOnly  bool
}

func (d Disk) hcl() string {
	var b body
	b.str("path", d.Path)
	b.expr("image", d.Image)
	b.expr("base_image", d.BaseImage)
	b.str("format", d.Format)
	if d.ReadOnly {
		b.raw("read_only = true")
	}
	return "{ " + strings.Join(b.lines, ", ") + " }"
}

// WaitFor is an instance's readiness gate.
type WaitFor struct {
	Console string
	IPv4    bool
	TCPPort int
	Timeout string
}

func (w WaitFor) hcl() string {
	var b body
	b.str("console", w.Console)
	if w.IPv4 {
		b.raw("ipv4 = true")
	}
	b.int("tcp_port", w.TCPPort)
	b.str("timeout", w.Timeout)
	return "{\n  " + strings.Join(b.lines, "\n  ") + "\n}"
}

// Instance is a unikernel_instance.
type Instance struct {
	Label   string // default "vm"
	Name    string
	Family  string
	Kernel  string // a host path, or
	KernelX Expr   // an expression (an image's id or path)
	Initrd  string
	Cmdline string
	Args    []string
	Env     map[string]string
	Memory  int
	Mode    string
	Running *bool
	// ShutdownTimeout: the test guests do not act on ACPI power-off, so
	// tests usually set "0s" or "1s".
	ShutdownTimeout string
	// BaseImages are disks that boot copy-on-write from these images' ids;
	// Disks follow them.
	BaseImages  []Expr
	Disks       []Disk
	Filesystems []Filesystem
	NICs        []NIC
	WaitFor     *WaitFor
	Extra       string
}

// Addr is the instance's resource address.
func (i Instance) Addr() string { return "unikernel_instance." + or(i.Label, "vm") }

// HCL implements Block.
func (i Instance) HCL() string {
	var b body
	b.str("name", i.Name)
	b.str("family", i.Family)
	b.str("kernel", i.Kernel)
	b.expr("kernel", i.KernelX)
	b.str("initrd", i.Initrd)
	b.str("cmdline", i.Cmdline)
	if i.Args != nil {
		b.raw("args = " + Strings(i.Args))
	}
	if i.Env != nil {
		b.raw("env = " + Map(i.Env))
	}
	b.int("memory", i.Memory)
	b.str("mode", i.Mode)
	b.boolPtr("running", i.Running)
	b.str("shutdown_timeout", i.ShutdownTimeout)
	if len(i.BaseImages)+len(i.Disks) > 0 {
		var disks []string
		for _, img := range i.BaseImages {
			disks = append(disks, Disk{BaseImage: img}.hcl())
		}
		for _, d := range i.Disks {
			disks = append(disks, d.hcl())
		}
		b.raw("disks = [" + strings.Join(disks, ", ") + "]")
	}
	if len(i.Filesystems) > 0 {
		fs := make([]string, len(i.Filesystems))
		for k, f := range i.Filesystems {
			fs[k] = "  " + f.hcl() + ","
		}
		b.raw("filesystems = [\n" + strings.Join(fs, "\n") + "\n]")
	}
	if len(i.NICs) > 0 {
		nics := make([]string, len(i.NICs))
		for k, n := range i.NICs {
			nics[k] = n.hcl()
		}
		b.raw("network_interfaces = [" + strings.Join(nics, ", ") + "]")
	}
	if i.WaitFor != nil {
		b.raw("wait_for = " + i.WaitFor.hcl())
	}
	b.raw(i.Extra)
	return b.block("resource", "unikernel_instance", or(i.Label, "vm"))
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
