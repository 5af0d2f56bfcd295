// Package family holds what the provider knows about each unikernel family:
// how its runtime reads arguments, environment and static addresses from the
// kernel command line, which boot formats it accepts, and the launcher
// settings its own tools use. Rules is the one table; the instance resource,
// its plan-time checks and its documentation are generated from it.
package family

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Family names, as the instance's family attribute takes them.
const (
	Generic  = "generic"
	Solo5    = "solo5"
	Unikraft = "unikraft"
	Nanos    = "nanos"
	OSv      = "osv"
	Linux    = "linux"
)

// MaxCmdlineBytes bounds every composed command line, whatever the family.
const MaxCmdlineBytes = 4096

// Boot formats, as the instance's boot_format reports them ("disk" is a boot
// from the first disk).
const (
	FormatMultiboot  = "multiboot"
	FormatMultiboot2 = "multiboot2"
	FormatPVH        = "pvh"
	FormatLinux      = "linux"
	FormatDisk       = "disk"
	FormatUnknown    = "unknown"
)

// Channel says how a family carries one kind of setting, for the
// documentation and for the refusal when it cannot.
type Channel struct {
	// Encoded is whether the provider writes it into the command line.
	Encoded bool
	// How says, in Markdown, how it is encoded, or where it comes from instead.
	How string
}

// Defaults are a family's launcher settings: what its own tools give QEMU.
// Each applies only where the instance does not set the attribute.
type Defaults struct {
	// ACPI is whether the guest gets ACPI (acpi).
	ACPI bool
	// RNG is whether the guest gets a virtio-rng device (rng).
	RNG bool
	// Machine is the machine type with kvm and qemu (machine); empty means
	// the hypervisor's default.
	Machine string
	// CPUFeatures are CPUID features to require with kvm (cpu_features).
	CPUFeatures map[string]string
	// Console is where the family prints: the serial console the provider
	// always logs.
	Console string
}

// Rules is one family's entry in the table.
type Rules struct {
	Name string
	// Title names the family in documentation and messages.
	Title string
	// BootFormats are the boot formats the family's guests use.
	BootFormats []string
	// Args, Env and Address say how arguments, environment variables and an
	// interface's static address reach the guest.
	Args, Env, Address Channel
	// MaxBytes is the longest command line the family's runtime keeps (the
	// provider's own bound, MaxCmdlineBytes, applies too).
	MaxBytes int
	Defaults Defaults
	// compose writes the command line; it is called with validated input.
	compose func(in Input) (string, []Problem)
}

// Static is an interface's static IPv4 address and where it sits.
type Static struct {
	// Index is the interface's position in network_interfaces.
	Index int
	// Address is the address with its network's prefix length, 10.0.0.2/24.
	Address netip.Prefix
	// Gateway is the network's gateway (the host), or the zero Addr.
	Gateway netip.Addr
}

// Mask is the address's netmask in dotted form, 255.255.255.0.
func (s Static) Mask() string {
	b := uint32(0xffffffff) << (32 - s.Address.Bits())
	if s.Address.Bits() == 0 {
		b = 0
	}
	return fmt.Sprintf("%d.%d.%d.%d", byte(b>>24), byte(b>>16), byte(b>>8), byte(b))
}

// Input is what a command line is composed from.
type Input struct {
	Args []string
	Env  map[string]string
	// Static are the interfaces with a static address, in order.
	Static []Static
	// Raw is the instance's cmdline, added as it is.
	Raw string
	// Interfaces is how many network interfaces the instance has.
	Interfaces int
	// Kernel is whether the instance boots a kernel directly (not its disk).
	Kernel bool
	// Format is the kernel's boot format, or FormatDisk; FormatUnknown or
	// empty when it is not known.
	Format string
}

// Problem is a reason the input cannot be composed, for the attribute it
// names: Attribute is a top-level attribute ("args", "env", "cmdline",
// "network_interfaces", "family"), Index a list position (or -1) and Key a
// map key (or "").
type Problem struct {
	Attribute string
	Index     int
	Key       string
	// NestedAttribute names the attribute inside a list element ("ipv4_address").
	NestedAttribute string
	Summary         string
	Detail          string
}

func problem(attr string, index int, summary, detail string, args ...any) Problem {
	return Problem{Attribute: attr, Index: index, Summary: summary, Detail: fmt.Sprintf(detail, args...)}
}

var table = []*Rules{
	{
		Name: Generic, Title: "any guest",
		BootFormats: []string{FormatMultiboot, FormatMultiboot2, FormatPVH, FormatLinux, FormatDisk},
		Args:        Channel{How: "not composed: write them into `cmdline` as the guest reads them"},
		Env:         Channel{How: "not composed: write them into `cmdline` as the guest reads them"},
		Address:     Channel{How: "not composed: `ipv4_address` is a DHCP reservation; a static guest reads it from `cmdline`"},
		MaxBytes:    MaxCmdlineBytes,
		Defaults:    Defaults{ACPI: true, Console: "serial (COM1)"},
		compose:     composeGeneric,
	},
	{
		Name: Solo5, Title: "MirageOS and other Solo5 guests",
		BootFormats: []string{FormatMultiboot, FormatPVH},
		Args: Channel{Encoded: true, How: "words of the command line, after the address; MirageOS splits them like a shell " +
			"(double and single quotes, backslash), so any word is quoted to arrive as written"},
		Env: Channel{How: "refused: Solo5 and MirageOS have no environment; MirageOS takes its settings as arguments " +
			"(`args = [\"--key=value\"]`)"},
		Address: Channel{Encoded: true, How: "the first interface only, as MirageOS's network stack reads it: " +
			"`--ipv4=<address>/<prefix> --ipv4-gateway=<gateway>`"},
		MaxBytes: 8191,
		Defaults: Defaults{ACPI: true, Machine: "pc", Console: "serial (COM1)"},
		compose:  composeSolo5,
	},
	{
		Name: Unikraft, Title: "Unikraft",
		BootFormats: []string{FormatMultiboot, FormatMultiboot2, FormatPVH, FormatLinux},
		Args: Channel{Encoded: true, How: "the application's arguments, after ` -- ` (uklibparam), double-quoted where " +
			"they need it"},
		Env: Channel{Encoded: true, How: "`env.vars=[ \"KEY=VALUE\" ... ]`, sorted by key (posix-environ, built with " +
			"`CONFIG_LIBPOSIX_ENVIRON_LIBPARAM`)"},
		Address: Channel{Encoded: true, How: "`netdev.ip=<address>/<prefix>:<gateway>` for the first interface " +
			"(uknetdev, built with `CONFIG_LIBUKNETDEV_EINFO_LIBPARAM`)"},
		// 4095 bytes with the kernel's path in front (CONFIG_LIBUKBOOT_CMDLINE_MAX_LEN); a pool path fits in 256.
		MaxBytes: 3839,
		Defaults: Defaults{ACPI: true, Machine: "pc", Console: "serial (COM1)"},
		compose:  composeUnikraft,
	},
	{
		Name: Nanos, Title: "Nanos",
		BootFormats: []string{FormatDisk, FormatLinux},
		Args: Channel{How: "refused: Nanos reads its program's arguments from the image, baked in by ops (config.json " +
			"`Args`) or mkfs (the manifest's `arguments`)"},
		Env: Channel{How: "refused: Nanos reads the environment from the image, baked in by ops (config.json `Env`) " +
			"or mkfs (the manifest's `environment`)"},
		Address: Channel{How: "a DHCP reservation: Nanos asks DHCP for its address unless the image holds one " +
			"(config.json `RunConfig.IPAddress`)"},
		MaxBytes: MaxCmdlineBytes,
		Defaults: Defaults{ACPI: true, RNG: true, Machine: "q35", Console: "serial (COM1)"},
		compose:  composeNanos,
	},
	{
		Name: OSv, Title: "OSv",
		BootFormats: []string{FormatDisk, FormatPVH},
		Args: Channel{Encoded: true, How: "with `kernel` (OSv's `loader.elf` booted directly, the image in `disks`): the " +
			"application's command line, double-quoted where needed. From the disk alone: refused, the command line " +
			"is stored in the image (`scripts/imgedit.py setargs`)"},
		Env: Channel{Encoded: true, How: "with `kernel`: `--env=KEY=VALUE` options, sorted by key. From the disk alone: " +
			"refused, as arguments"},
		Address: Channel{Encoded: true, How: "with `kernel`: `--ip=eth<n>,<address>,<netmask>` per interface and " +
			"`--defaultgw=<gateway>`. From the disk alone: a DHCP reservation (OSv asks DHCP)"},
		MaxBytes: MaxCmdlineBytes,
		Defaults: Defaults{ACPI: true, RNG: true, Machine: "pc", Console: "serial (COM1) and VGA"},
		compose:  composeOSv,
	},
	{
		Name: Linux, Title: "Linux microVMs",
		BootFormats: []string{FormatLinux, FormatPVH, FormatDisk},
		Args:        Channel{Encoded: true, How: "the arguments of `/init`, after ` -- `, double-quoted where needed"},
		Env: Channel{Encoded: true, How: "`KEY=VALUE` words before ` -- `, which the kernel hands to `/init` as its " +
			"environment (names the kernel itself takes, such as `root` or `console`, never reach it)"},
		Address: Channel{Encoded: true, How: "`ip=<address>::<gateway>:<netmask>::eth0:off` for the first interface " +
			"(the kernel's IP autoconfiguration, with the network driver built in); a guest that runs DHCP itself " +
			"gets the same address from the reservation"},
		MaxBytes: 2047, // COMMAND_LINE_SIZE on x86, with its NUL
		Defaults: Defaults{ACPI: true, RNG: true, Console: "serial (COM1), with `console=ttyS0` in `cmdline`"},
		compose:  composeLinux,
	},
}

// Names lists the families in table order.
func Names() []string {
	out := make([]string, len(table))
	for i, r := range table {
		out[i] = r.Name
	}
	return out
}

// All returns the table.
func All() []*Rules { return table }

// Lookup returns a family's rules.
func Lookup(name string) (*Rules, bool) {
	for _, r := range table {
		if r.Name == name {
			return r, true
		}
	}
	return nil, false
}

// EnvNameRe is the shape of an environment variable name every family takes.
var EnvNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// AcceptsFormat reports whether the family boots guests of a format. An
// unknown format (a host path on a remote hypervisor) is accepted.
func (r *Rules) AcceptsFormat(format string) bool {
	return format == "" || format == FormatUnknown || slices.Contains(r.BootFormats, format)
}

// Compose writes the kernel command line for in, or says why it cannot.
func (r *Rules) Compose(in Input) (string, []Problem) {
	var probs []Problem
	for i, a := range in.Args {
		if strings.ContainsAny(a, "\x00\n\r") {
			probs = append(probs, problem("args", i, "Invalid argument", "args[%d] contains a NUL, newline or carriage return, which no kernel command line can carry.", i))
		}
	}
	for _, k := range sortedKeys(in.Env) {
		if !EnvNameRe.MatchString(k) {
			probs = append(probs, Problem{Attribute: "env", Index: -1, Key: k, Summary: "Invalid environment variable name",
				Detail: fmt.Sprintf("env key %q is not a valid name: use letters, digits and '_', not starting with a digit.", k)})
		}
		if strings.ContainsAny(in.Env[k], "\x00\n\r") {
			probs = append(probs, Problem{Attribute: "env", Index: -1, Key: k, Summary: "Invalid environment value",
				Detail: fmt.Sprintf("env[%q] contains a NUL, newline or carriage return, which no kernel command line can carry.", k)})
		}
	}
	if len(probs) > 0 {
		return "", probs
	}
	if !in.Kernel && (len(in.Args) > 0 || len(in.Env) > 0) && r.Name != Nanos && r.Name != OSv && r.Name != Generic {
		attr := "args"
		if len(in.Args) == 0 {
			attr = "env"
		}
		return "", []Problem{problem(attr, -1, "Nothing reads "+attr+" without a kernel",
			"%s reach a %s guest on the kernel command line, which only a directly booted kernel has: set `kernel`, or "+
				"bake them into the disk image.", attr, r.Title)}
	}
	line, probs := r.compose(in)
	if len(probs) > 0 {
		return "", probs
	}
	limit := min(r.MaxBytes, MaxCmdlineBytes)
	if len(line) > limit {
		attr := "args"
		if len(in.Args) == 0 {
			attr = "cmdline"
		}
		return "", []Problem{problem(attr, -1, "Command line too long",
			"The composed command line is %d bytes; %s keeps at most %d. Shorten args, env or cmdline.", len(line), r.Title, limit)}
	}
	return line, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// join joins non-empty words with single spaces.
func join(words ...string) string {
	var out []string
	for _, w := range words {
		if w != "" {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

// encodeAll quotes every argument with quote; failures name args[i].
func encodeAll(args []string, quote func(string) (string, error)) ([]string, []Problem) {
	var out []string
	var probs []Problem
	for i, a := range args {
		q, err := quote(a)
		if err != nil {
			probs = append(probs, problem("args", i, "Argument cannot be passed", "args[%d] = %q holds %s.", i, a, err))
			continue
		}
		out = append(out, q)
	}
	return out, probs
}

// encodeEnv quotes every KEY=VALUE (sorted) with quote; failures name env[KEY].
func encodeEnv(env map[string]string, quote func(string) (string, error)) ([]string, []Problem) {
	var out []string
	var probs []Problem
	for _, k := range sortedKeys(env) {
		q, err := quote(k + "=" + env[k])
		if err != nil {
			probs = append(probs, Problem{Attribute: "env", Index: -1, Key: k, Summary: "Environment variable cannot be passed",
				Detail: fmt.Sprintf("env[%q] = %q holds %s.", k, env[k], err)})
			continue
		}
		out = append(out, q)
	}
	return out, probs
}

// onlyFirstInterface refuses static addresses on interfaces after the first.
func onlyFirstInterface(title string, static []Static) []Problem {
	var probs []Problem
	for _, s := range static {
		if s.Index > 0 {
			probs = append(probs, Problem{Attribute: "network_interfaces", Index: s.Index, NestedAttribute: "ipv4_address",
				Summary: "Static address not supported on this interface",
				Detail: fmt.Sprintf("%s reads a static address for its first interface only. Give network_interfaces[%d] its "+
					"address through the guest's own settings in args, or remove ipv4_address.", title, s.Index)})
		}
	}
	return probs
}

func refuse(attr, detail string) Problem {
	return Problem{Attribute: attr, Index: -1, Summary: "Not supported by this family", Detail: detail}
}

func composeGeneric(in Input) (string, []Problem) {
	var probs []Problem
	if len(in.Args) > 0 {
		probs = append(probs, refuse("args", "family = \"generic\" passes only `cmdline`, as it is. Set `family` to the guest's "+
			"family (solo5, unikraft, linux, osv) so that the provider encodes args the way its runtime reads them."))
	}
	if len(in.Env) > 0 {
		probs = append(probs, refuse("env", "family = \"generic\" passes only `cmdline`, as it is. Set `family` to the guest's "+
			"family (unikraft, linux, osv) so that the provider encodes env the way its runtime reads it."))
	}
	return in.Raw, probs
}

func composeSolo5(in Input) (string, []Problem) {
	var probs []Problem
	if len(in.Env) > 0 {
		probs = append(probs, refuse("env", "Solo5 and MirageOS have no environment variables. MirageOS takes its settings "+
			"as arguments: use args = [\"--key=value\"]."))
	}
	probs = append(probs, onlyFirstInterface("MirageOS", in.Static)...)
	var addr []string
	for _, s := range in.Static {
		if s.Index == 0 {
			addr = append(addr, "--ipv4="+s.Address.String())
			if s.Gateway.IsValid() {
				addr = append(addr, "--ipv4-gateway="+s.Gateway.String())
			}
		}
	}
	args, p := encodeAll(in.Args, mirageWord)
	probs = append(probs, p...)
	if len(probs) > 0 {
		return "", probs
	}
	return join(in.Raw, strings.Join(addr, " "), strings.Join(args, " ")), nil
}

func composeUnikraft(in Input) (string, []Problem) {
	var probs []Problem
	probs = append(probs, onlyFirstInterface("Unikraft", in.Static)...)
	var params []string
	for _, s := range in.Static {
		if s.Index == 0 {
			v := s.Address.String()
			if s.Gateway.IsValid() {
				v += ":" + s.Gateway.String()
			}
			params = append(params, "netdev.ip="+v)
		}
	}
	if len(in.Env) > 0 {
		var kv []string
		for _, k := range sortedKeys(in.Env) {
			kv = append(kv, k+"="+in.Env[k])
		}
		arr, err := unikraftStringArray("env.vars", kv)
		if err != nil {
			probs = append(probs, refuse("env", "env holds "+err.Error()+"."))
		}
		params = append(params, arr)
	}
	if hasWord(in.Raw, "--") && len(in.Args) > 0 {
		probs = append(probs, refuse("cmdline", "cmdline has its own \" -- \", and args are given too. Unikraft's "+
			"application arguments come from args: keep only library parameters (library.param=value) in cmdline."))
	}
	args, p := encodeAll(in.Args, unikraftArg)
	probs = append(probs, p...)
	if len(probs) > 0 {
		return "", probs
	}
	lib := join(append(params, in.Raw)...)
	line := lib
	switch {
	case len(args) == 0:
	case lib == "":
		// Without a library parameter there is no " -- ": every word is the application's.
		if i := slices.Index(in.Args, "--"); i >= 0 {
			return "", []Problem{problem("args", i, "Argument cannot be passed", "args[%d] = \"--\": Unikraft takes a "+
				"\"--\" word as the end of its library parameters when nothing comes before it. Put a library parameter "+
				"into cmdline (then args follow a \" -- \" of their own), or leave the word out.", i)}
		}
		line = strings.Join(args, " ")
	default:
		line = join(lib, "--", strings.Join(args, " "))
	}
	// ukargparse splits at most 60 words, argv[0] (the kernel's path) included.
	if n := len(strings.Fields(line)) + 1; n > unikraftMaxWords {
		return "", []Problem{problem("args", -1, "Too many words", "The composed command line has %d words with the "+
			"kernel's path; Unikraft splits at most %d and leaves the rest unparsed. Use fewer args, env or cmdline words.",
			n, unikraftMaxWords)}
	}
	return line, nil
}

// unikraftMaxWords is ukargparse's limit (lib/ukboot, MAXNBARGS).
const unikraftMaxWords = 60

func composeNanos(in Input) (string, []Problem) {
	var probs []Problem
	if len(in.Args) > 0 {
		probs = append(probs, refuse("args", "Nanos reads its program's arguments from the image, not from the provider. "+
			"Bake them in: with ops, \"Args\" in config.json (`ops build -c config.json`); with mkfs, the manifest's "+
			"`arguments:[...]`. Then roll out the new image."))
	}
	if len(in.Env) > 0 {
		probs = append(probs, refuse("env", "Nanos reads its program's environment from the image, not from the provider. "+
			"Bake it in: with ops, \"Env\" in config.json (`ops build -c config.json`); with mkfs, the manifest's "+
			"`environment:(...)`. Then roll out the new image."))
	}
	return in.Raw, probs
}

func composeOSv(in Input) (string, []Problem) {
	var probs []Problem
	if !in.Kernel {
		if len(in.Args) > 0 {
			probs = append(probs, refuse("args", "An OSv guest that boots from its disk runs the command line stored in the "+
				"image. Bake it in with OSv's `scripts/imgedit.py setargs IMAGE WORD...` (what `scripts/run.py -e` does), or "+
				"boot OSv's kernel directly: kernel = loader.elf (the PVH ELF of the same build) with the image in disks; "+
				"then args and env reach it."))
		}
		if len(in.Env) > 0 {
			probs = append(probs, refuse("env", "An OSv guest that boots from its disk runs the command line stored in the "+
				"image: put --env=KEY=VALUE options into it with `scripts/imgedit.py setargs`, or boot OSv's kernel directly "+
				"(kernel = loader.elf, the image in disks)."))
		}
		return in.Raw, probs
	}
	if len(in.Static) > 0 && len(in.Static) < in.Interfaces {
		probs = append(probs, Problem{Attribute: "network_interfaces", Index: -1, Summary: "Static addresses on some interfaces only",
			Detail: "OSv stops asking DHCP on every interface once one has a static address (--ip), so an interface without " +
				"one would have no address. Give every interface an ipv4_address, or none."})
	}
	for _, k := range sortedKeys(in.Env) {
		if in.Env[k] == "" {
			probs = append(probs, Problem{Attribute: "env", Index: -1, Key: k, Summary: "Environment variable cannot be passed",
				Detail: fmt.Sprintf("env[%q] is empty: OSv powers the guest off on an --env option without a value.", k)})
		}
	}
	var opts []string
	gateway := ""
	for _, s := range in.Static {
		opts = append(opts, fmt.Sprintf("--ip=eth%d,%s,%s", s.Index, s.Address.Addr(), s.Mask()))
		if gateway == "" && s.Gateway.IsValid() {
			gateway = s.Gateway.String()
		}
	}
	if gateway != "" {
		opts = append(opts, "--defaultgw="+gateway)
	}
	env, p := encodeEnv(in.Env, func(kv string) (string, error) { return osvOption("--env=" + kv) })
	probs = append(probs, p...)
	opts = append(opts, env...)
	raw := strings.Fields(in.Raw)
	if len(in.Args) > 0 && len(raw) > 0 {
		for _, w := range raw {
			if !strings.HasPrefix(w, "-") {
				probs = append(probs, refuse("cmdline", fmt.Sprintf("cmdline holds an application command (%q), and args are "+
					"given too. OSv's application command line comes from args: keep only OSv options (words starting with "+
					"\"-\") in cmdline.", w)))
				break
			}
		}
	}
	args, p := encodeAll(in.Args, osvWord)
	probs = append(probs, p...)
	if len(in.Args) > 0 && strings.HasPrefix(in.Args[0], "-") {
		probs = append(probs, problem("args", 0, "Argument cannot be passed", "args[0] = %q starts with \"-\", which OSv "+
			"takes as one of its own options. args[0] is the program to run, such as \"/hello\".", in.Args[0]))
	}
	if len(probs) > 0 {
		return "", probs
	}
	return join(strings.Join(opts, " "), in.Raw, strings.Join(args, " ")), nil
}

func composeLinux(in Input) (string, []Problem) {
	var probs []Problem
	probs = append(probs, onlyFirstInterface("The Linux kernel's ip= parameter", in.Static)...)
	var params []string
	for _, s := range in.Static {
		if s.Index == 0 {
			gw := ""
			if s.Gateway.IsValid() {
				gw = s.Gateway.String()
			}
			params = append(params, fmt.Sprintf("ip=%s::%s:%s::eth0:off", s.Address.Addr(), gw, s.Mask()))
		}
	}
	env, p := encodeEnv(in.Env, linuxWord)
	probs = append(probs, p...)
	if hasWord(in.Raw, "--") && len(in.Args) > 0 {
		probs = append(probs, refuse("cmdline", "cmdline has its own \" -- \", and args are given too. The arguments of "+
			"/init come from args: keep only kernel parameters in cmdline."))
	}
	args, p := encodeAll(in.Args, linuxWord)
	probs = append(probs, p...)
	// init/main.c: at most CONFIG_INIT_ENV_ARG_LIMIT (32) entries in init's
	// argv and envp, its name and HOME and TERM included; more panic the kernel.
	if len(in.Args) > linuxMaxInitArgs {
		probs = append(probs, problem("args", -1, "Too many arguments", "%d args: the Linux kernel hands /init at most %d "+
			"arguments (CONFIG_INIT_ENV_ARG_LIMIT) and panics beyond that.", len(in.Args), linuxMaxInitArgs))
	}
	if len(in.Env) > linuxMaxInitEnv {
		probs = append(probs, problem("env", -1, "Too many environment variables", "%d env entries: the Linux kernel hands "+
			"/init at most %d variables besides HOME and TERM (CONFIG_INIT_ENV_ARG_LIMIT) and panics beyond that.",
			len(in.Env), linuxMaxInitEnv))
	}
	if len(probs) > 0 {
		return "", probs
	}
	line := join(in.Raw, strings.Join(params, " "), strings.Join(env, " "))
	if len(args) > 0 {
		line = join(line, "--", strings.Join(args, " "))
	}
	return line, nil
}

// Limits of init's argv and envp (CONFIG_INIT_ENV_ARG_LIMIT is 32, with the
// program's name, HOME and TERM among them).
const (
	linuxMaxInitArgs = 31
	linuxMaxInitEnv  = 30
)

// hasWord reports whether a space-separated word of s is w.
func hasWord(s, w string) bool { return slices.Contains(strings.Fields(s), w) }

// AddressesIn returns the IPv4 addresses a raw command line gives in any
// family's form (--ipv4=, netdev.ip=, ip=, --ip=), so that the plan can
// check them against the interfaces' addresses.
func AddressesIn(raw string) []netip.Addr {
	var out []netip.Addr
	add := func(s string) {
		if a, err := netip.ParseAddr(s); err == nil && a.Is4() {
			out = append(out, a)
		}
	}
	for _, w := range strings.Fields(raw) {
		w = strings.Trim(w, `"'`)
		switch {
		case strings.HasPrefix(w, "--ipv4="):
			add(strings.SplitN(strings.TrimPrefix(w, "--ipv4="), "/", 2)[0])
		case strings.HasPrefix(w, "netdev.ip="):
			v := strings.Trim(strings.TrimPrefix(w, "netdev.ip="), `[]"' `)
			add(strings.SplitN(strings.SplitN(v, ":", 2)[0], "/", 2)[0])
		case strings.HasPrefix(w, "ip="):
			add(strings.SplitN(strings.TrimPrefix(w, "ip="), ":", 2)[0])
		case strings.HasPrefix(w, "--ip="):
			f := strings.FieldsFunc(strings.TrimPrefix(w, "--ip="), func(r rune) bool { return r == ',' })
			if len(f) >= 2 {
				add(f[1])
			}
		}
	}
	return out
}
