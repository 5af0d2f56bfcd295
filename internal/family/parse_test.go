package family

// Test-only models of the parsers each family's runtime applies to its
// kernel command line, written from the upstream source (file, function and
// the commit read are named at each model). Each returns what the guest
// would see, so that the encoders in quote.go, and Compose, can be checked
// by a round trip: parse(encode(words)) == words.
//
// Conventions common to the models:
//   - cmdline is the string the provider hands the hypervisor (QEMU -append,
//     libvirt <cmdline>); where the boot loader adds the kernel's file name in
//     front (multiboot), the model adds "/kernel" itself.
//   - argv results leave out argv[0], which the command line does not set
//     (MirageOS: "mirage"; Unikraft: the kernel's name; Linux: the init
//     program). OSv's commands keep the program as their first word.
//   - a nil argv (or nil commands) means the guest refuses the command line
//     and stops; an empty non-nil one means it ran with no arguments.
//   - a C string ends at the first NUL, as it does for the runtime.

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// cString is s up to its first NUL.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

func cBytes(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return string(b[:i])
	}
	return string(b)
}

// ---------------------------------------------------------------------------
// Solo5 (virtio) + MirageOS
//
// Solo5 commit 469c1a8d935b503fa553aef152d1d57d095fa3a4:
//   - bindings/virtio/platform.c, platform_init: the multiboot command line
//     (QEMU's multiboot loader writes "KERNEL APPEND") loses everything up to
//     and including its first space; at most 8191 bytes are kept
//     (static char cmdline[8192]; longer is truncated with a warning).
//   - bindings/cmdline.c, cmdline_parse: skips leading isspace (bindings/lib.c:
//     space and \t..\r), then takes off --solo5:quiet|error|warn|info|debug
//     words, each followed by isspace or the end, for as long as they lead the
//     line; the rest is solo5_start_info.cmdline.
// mirage-bootvar commit 4a5483b5d32b5a5de018d46e3d19bbe06e3c08ea
// (parse_argv/mirage_bootvar_parse_argv.ml, parse; lib/mirage_bootvar.ml,
// argv, which puts "mirage" in front as argv[0] and fails on an error).

const solo5CmdlineSize = 8192

func solo5IsSpace(c byte) bool { return c == ' ' || c-'\t' < 5 }

func parseSolo5Mirage(cmdline string) (solo5Opts []string, argv []string) {
	solo5Opts, rest := solo5StartInfo(cmdline)
	words, ok := mirageParseArgv(rest)
	if !ok {
		return solo5Opts, nil // mirage_bootvar: failwith
	}
	return solo5Opts, words
}

// solo5StartInfo is platform_init and cmdline_parse: the --solo5: options
// taken, and solo5_start_info.cmdline.
func solo5StartInfo(cmdline string) (opts []string, rest string) {
	mb := cString("/kernel " + cmdline)
	if i := strings.IndexByte(mb, ' '); i >= 0 {
		rest = mb[i+1:]
	}
	if len(rest) >= solo5CmdlineSize {
		rest = rest[:solo5CmdlineSize-1]
	}
	p := 0
	for p < len(rest) && solo5IsSpace(rest[p]) {
		p++
	}
	opts = []string{}
	for p < len(rest) {
		matched := false
		for _, o := range solo5Options {
			if strings.HasPrefix(rest[p:], o) {
				after := p + len(o)
				if after == len(rest) || solo5IsSpace(rest[after]) {
					opts = append(opts, o)
					p = after
					matched = true
				}
				break
			}
		}
		if !matched {
			break
		}
		for p < len(rest) && solo5IsSpace(rest[p]) {
			p++
		}
	}
	return opts, rest[p:]
}

// mirageParseArgv is mirage_bootvar_parse_argv.ml's parse: states Normal,
// Escaped, Quoted, Quoted_escaped; only ' ' separates; empty words vanish
// (chars_to_str []); ending escaped or quoted is an error.
func mirageParseArgv(s string) ([]string, bool) {
	const (
		normal = iota
		escaped
		quoted
		quotedEscaped
	)
	state := normal
	words := []string{}
	var cur []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case state == normal && c == ' ':
			if len(cur) > 0 {
				words = append(words, string(cur))
			}
			cur = nil
		case state == escaped:
			cur = append(cur, c)
			state = normal
		case state == quotedEscaped:
			cur = append(cur, c)
			state = quoted
		case state == quoted && c == '\\':
			state = quotedEscaped
		case state == quoted && c == '"':
			state = normal
		case state == quoted:
			cur = append(cur, c)
		case c == '\\':
			state = escaped
		case c == '"':
			state = quoted
		default:
			cur = append(cur, c)
		}
	}
	if state != normal {
		return nil, false
	}
	if len(cur) > 0 {
		words = append(words, string(cur))
	}
	return words, true
}

// ---------------------------------------------------------------------------
// Unikraft, commit eaf6fda1d420ee079b3b612f0130ea2761cf1c56 (0.17.0-89)
//   - lib/ukboot/early_init.c, uk_boot_early_init_parse_cmdl: the multiboot
//     command line ("KERNEL APPEND" from QEMU) is copied into
//     char cmdline[CONFIG_LIBUKBOOT_CMDLINE_MAX_LEN] (4096); a longer one stops
//     the boot (-E2BIG). It is split by uk_argnparse into at most
//     CONFIG_LIBUKBOOT_MAXNBARGS (60) words; argv[0] is the kernel's name.
//     uklibparam first scans argv[1..] for "--"; only when it is found at an
//     index > 0 are the words before it parsed as library parameters and the
//     words after it given to the application (argv[0] kept); otherwise every
//     word is the application's.
//   - lib/ukargparse/argparse.c, uk_argnparse and left_shift: modelled
//     byte for byte below, on a NUL-terminated buffer.
//   - lib/uklibparam/parser.c, parse_arg and uk_libparam_parse: "--" ends
//     (outside a list), "help" asks for the usage text (the boot then stops),
//     "lib.param[=value]" sets a parameter; a value starting with "[" opens a
//     list whose values are the following words, up to one ending in "]".
//     Array parameters take one value per "lib.param=value" word as well.
//     The model records every lib.param it sees (the real parser drops names
//     that no library registered, with a warning), values in order.

const (
	ukCmdlineMaxLen = 4096
	ukMaxNbArgs     = 60
)

func ukLeftShift(buf []byte, index, maxlen int) {
	for buf[index] != 0 && index < maxlen {
		buf[index] = buf[index+1]
		index++
	}
}

// ukArgnparse is uk_argnparse; buf holds the line, NUL-terminated, with room
// for left_shift's reads past maxlen.
func ukArgnparse(buf []byte, maxlen, maxcount int) []string {
	var starts []int
	prevWspace, prevEscape := true, false
	var inQuote byte
	for i := 0; i < maxlen && len(starts) < maxcount; i++ {
		regular := false
		switch c := buf[i]; c {
		case 0:
			i = maxlen // goto out
			continue
		case ' ', '\r', '\n', '\t', '\v':
			if inQuote == 0 && !prevEscape {
				buf[i] = 0
				prevWspace = true
			} else {
				regular = true
			}
		case '\'', '"':
			handled := false
			if prevEscape {
				if inQuote == 0 {
					regular, handled = true, true // escaping removes special meaning
				} else if c == '"' {
					ukLeftShift(buf, i-1, maxlen+1) // \" -> "
					i--
					prevEscape = false
					regular, handled = true, true
				}
			}
			if !handled {
				switch inQuote {
				case 0:
					inQuote = c
					ukLeftShift(buf, i, maxlen)
					i--
				case c:
					inQuote = 0
					ukLeftShift(buf, i, maxlen)
					i--
				default:
					regular = true
				}
			}
		default:
			regular = true
		}
		if !regular {
			continue
		}
		if prevWspace {
			starts = append(starts, i)
			prevWspace = false
			prevEscape = false
		}
		if buf[i] == '\\' && inQuote != '\'' {
			if prevEscape {
				ukLeftShift(buf, i, maxlen) // \\ -> \
				i--
				prevEscape = false
			} else {
				prevEscape = true
			}
		} else if prevEscape {
			if inQuote == 0 {
				ukLeftShift(buf, i-1, maxlen+1) // remove escape symbol
				i--
			}
			prevEscape = false
		}
	}
	argv := make([]string, len(starts))
	for k, st := range starts {
		argv[k] = cBytes(buf[st:])
	}
	return argv
}

// ukLibparam is uk_libparam_parse over argv[1..]: it returns the index of the
// stop word "--" (len(words) when there is none) and whether "help" was
// seen. record, when not nil, is told of each parameter word (value nil)
// and of each value given to a parameter, in order.
func ukLibparam(words []string, record func(name string, value *string)) (stop int, usage bool) {
	if record == nil {
		record = func(string, *string) {}
	}
	inList := false
	name := ""
	listValue := func(v string) {
		if strings.HasSuffix(v, "]") {
			inList = false
			v = v[:len(v)-1]
			if v == "" {
				return
			}
		}
		record(name, &v)
	}
	for i, w := range words {
		if w == "" {
			continue
		}
		if inList {
			listValue(w)
			continue
		}
		if w == "--" {
			return i, usage
		}
		if w == "help" {
			usage = true
			continue
		}
		lib, rest, ok := strings.Cut(w, ".")
		if !ok {
			continue // no library separator: ignored
		}
		param, value, hasValue := strings.Cut(rest, "=")
		name = lib + "." + param
		record(name, nil)
		if hasValue && strings.HasPrefix(value, "[") {
			inList = true
			if value = value[1:]; value != "" {
				listValue(value)
			}
			continue
		}
		if hasValue {
			record(name, &value)
		}
	}
	return len(words), usage
}

func parseUnikraft(cmdline string) (params map[string][]string, argv []string) {
	line := cString("/kernel " + cmdline)
	if len(line) > ukCmdlineMaxLen {
		return nil, nil // "Could not parse cmdline (-7)": the boot stops
	}
	buf := make([]byte, len(line)+2)
	copy(buf, line)
	words := ukArgnparse(buf, len(line), ukMaxNbArgs)
	rest := words[1:]
	if stop, _ := ukLibparam(rest, nil); stop > 0 && stop < len(rest) {
		params = map[string][]string{}
		record := func(name string, value *string) {
			if value == nil {
				params[name] = append(params[name], []string{}...)
			} else {
				params[name] = append(params[name], *value)
			}
		}
		if _, usage := ukLibparam(rest, record); usage {
			return nil, nil // usage text, then the boot stops
		}
		return params, append([]string{}, rest[stop+1:]...)
	}
	return map[string][]string{}, append([]string{}, rest...)
}

// ---------------------------------------------------------------------------
// Linux (torvalds/linux, v6.x: lib/cmdline.c next_arg and skip_spaces;
// kernel/params.c parse_args; init/main.c start_kernel, unknown_bootoption,
// set_init_arg, repair_env_string, init_setup, rdinit_setup; lib/ctype.c;
// arch/x86/include/asm/setup.h COMMAND_LINE_SIZE 2048).
//   - The line is cut to COMMAND_LINE_SIZE-1 bytes (boot_command_line).
//   - parse_args splits with next_arg and stops at a bare "--"; each word is
//     either a kernel parameter (registered, or a __setup/early_param) or, via
//     unknown_bootoption: a word with a "." before its "=" (or anywhere, with
//     no "=") is taken for a module parameter and dropped; KEY=VALUE goes to
//     init's environment (replacing an entry with the same KEY); anything
//     else to init's arguments. init= and rdinit= drop the arguments collected
//     so far. The words after "--" go, whatever their form, to init's
//     arguments through a second parse_args, which stops at the next "--".
//   - init's environment starts as HOME=/ TERM=linux.
// The model cannot know every parameter a given kernel registers: it treats
// the names in linuxKernelParams as the kernel's and everything else as
// unknown. It does not model the limits (CONFIG_INIT_ENV_ARG_LIMIT, 32), nor
// 6.18's dropping of BOOT_IMAGE= and kexec.

const linuxCommandLineSize = 2048

var linuxKernelParams = map[string]bool{}

func init() {
	for _, n := range strings.Fields(`console earlycon earlyprintk root rootfstype rootflags rootwait rootdelay ro rw
		init rdinit ip nfsaddrs nfsroot quiet debug loglevel ignore_loglevel panic panic_on_oops nokaslr mem memmap
		noapic nolapic acpi pci reboot initcall_debug nomodeset mitigations nosmp maxcpus nr_cpus tsc clocksource
		hugepages isolcpus selinux apparmor lsm security audit nopti pti noinitrd initrd resume lpj elevator iommu
		swiotlb irqpoll no_timer_check`) {
		linuxKernelParams[n] = true
	}
}

func linuxSkipSpaces(b []byte) []byte {
	for len(b) > 0 && b[0] != 0 && linuxSpace(b[0]) {
		b = b[1:]
	}
	return b
}

// linuxNextArg is next_arg followed by repair_env_string: it returns the
// parameter's name (param before repair), the word as unknown_bootoption
// and set_init_arg see it (with "=" put back), whether it has a value, and
// the rest of the line.
func linuxNextArg(args []byte) (param, word string, hasVal bool, next []byte) {
	quoted, inQuote := false, false
	if len(args) > 0 && args[0] == '"' {
		args = args[1:]
		inQuote, quoted = true, true
	}
	i, equals := 0, 0
	for ; i < len(args) && args[i] != 0; i++ {
		if linuxSpace(args[i]) && !inQuote {
			break
		}
		if equals == 0 && args[i] == '=' {
			equals = i
		}
		if args[i] == '"' {
			inQuote = !inQuote
		}
	}
	b := make([]byte, i+1) // the word, NUL-terminated, as next_arg leaves it
	copy(b, args[:i])
	val := -1
	if equals != 0 {
		b[equals] = 0
		val = equals + 1
		if b[val] == '"' { // "Don't include quotes in value."
			val++
			if i > 0 && b[i-1] == '"' {
				b[i-1] = 0
			}
		}
	}
	if quoted && i > 0 && b[i-1] == '"' {
		b[i-1] = 0
	}
	if i < len(args) && args[i] != 0 {
		next = args[i+1:]
	} else {
		next = args[i:]
	}
	param = cBytes(b)
	if val >= 0 { // repair_env_string
		switch plen := len(param); val {
		case plen + 1:
			b[val-1] = '='
		case plen + 2:
			b[val-2] = '='
			copy(b[val-1:], b[val:])
		default:
			panic("repair_env_string: BUG()")
		}
	}
	return param, cBytes(b), val >= 0, linuxSkipSpaces(next)
}

func parseLinux(cmdline string) (kernelParams []string, initArgv []string, initEnv []string) {
	line := cString(cmdline)
	if len(line) > linuxCommandLineSize-1 {
		line = line[:linuxCommandLineSize-1]
	}
	kernelParams, initArgv = []string{}, []string{}
	initEnv = []string{"HOME=/", "TERM=linux"}
	args := linuxSkipSpaces([]byte(line))
	for len(args) > 0 && args[0] != 0 {
		param, word, hasVal, next := linuxNextArg(args)
		args = next
		if !hasVal && param == "--" {
			// "Setting init args": set_init_arg for every word, up to the next "--".
			for len(args) > 0 && args[0] != 0 {
				p, w, v, n := linuxNextArg(args)
				args = n
				if !v && p == "--" {
					break
				}
				initArgv = append(initArgv, w)
			}
			break
		}
		switch key := strings.ReplaceAll(param, "-", "_"); {
		case linuxKernelParams[key]:
			kernelParams = append(kernelParams, word)
			if key == "init" || key == "rdinit" {
				initArgv = initArgv[:0]
			}
		case strings.Contains(param, "."):
			kernelParams = append(kernelParams, word) // "Unused module parameter"
		case hasVal:
			replaced := false
			for k, e := range initEnv {
				if strings.HasPrefix(e, param+"=") {
					initEnv[k], replaced = word, true
					break
				}
			}
			if !replaced {
				initEnv = append(initEnv, word)
			}
		default:
			initArgv = append(initArgv, word)
		}
	}
	return kernelParams, initArgv, initEnv
}

// ---------------------------------------------------------------------------
// OSv, commit 0e34e4dc2b278b7f64e4169abbf297b7de46fb6b (v0.57.0-398)
//   - arch/x64/arch-setup.cc, parse_cmdline: first
//     drivers/virtio-mmio.cc, parse_mmio_device_info cuts out every
//     "virtio_mmio.device=SIZE@ADDR:IRQ[:ID]" description (default x64 build,
//     conf_drivers_mmio=1), wherever it stands.
//   - core/commands.cc, loader_parse_cmdline: OSv's options are the words,
//     cut by libc/string/stresep.c (delimiters space \t \n, escape \), taken
//     for as long as the next word starts with "-"; the rest is the
//     application command line. loader.cc, parse_options: --env=K=V is
//     putenv("K=V").
//   - core/commands.cc, parse_command_line: the Boost.Spirit grammar
//     `command`/`commands` (modelled below, including Qi's attribute and
//     pre-skip side effects, checked against the grammar compiled with Boost
//     1.74), then expand_environ_vars on every word. loader.cc,
//     do_main_thread: each command's last element is its terminator (";",
//     "&", "&!", "!", or "" at the end), not an argument.
// The model does not expand "runscript FILE" commands, and knows only the
// environment set by --env options (not OSV_IP).

func osvIsDelim(c byte) bool { return c == ' ' || c == '\t' || c == '\n' }

// osvStresep is stresep(&str, " \t\n", '\\'): the token, the index of the
// rest, and whether the string ended.
func osvStresep(s []byte) (tok string, rest int, end bool) {
	var out []byte
	i := 0
	for {
		if i >= len(s) {
			return string(out), 0, true
		}
		c := s[i]
		i++
		for c == '\\' {
			// memmove drops the escape; the byte after it is kept and skipped.
			if i >= len(s) {
				return string(out), 0, true // a trailing "\": undefined in C
			}
			out = append(out, s[i])
			i++
			if i >= len(s) {
				return string(out), 0, true
			}
			c = s[i]
			i++
		}
		if osvIsDelim(c) {
			return string(out), i, false
		}
		out = append(out, c)
	}
}

func osvLoaderParse(s string) (options []string, app string) {
	str := []byte(s)
	options = []string{}
	for {
		j := 0
		for j < len(str) && osvIsDelim(str[j]) {
			j++
		}
		if j == len(str) || str[j] != '-' {
			return options, string(str)
		}
		tok, rest, end := osvStresep(str)
		if tok != "" {
			options = append(options, tok)
		}
		if end {
			return options, ""
		}
		str = str[rest:]
	}
}

// osvStripMMIO is parse_mmio_device_configuration's loop of
// parse_mmio_device_info.
func osvStripMMIO(s string) string {
	for {
		at0 := strings.Index(s, osvMMIOPrefix)
		if at0 < 0 {
			return s
		}
		size := at0 + len(osvMMIOPrefix)
		if _, ok := cScanInt(s[size:], 10); !ok { // sscanf(size_pos, "%ld")
			return s
		}
		at := strings.IndexByte(s[size:], '@')
		if at < 0 {
			return s
		}
		at += size
		n, ok := cScanInt(s[at+1:], 0) // sscanf(at_pos, "@%lli:%u")
		if !ok || at+1+n >= len(s) || s[at+1+n] != ':' {
			return s
		}
		if _, ok := cScanInt(s[at+2+n:], 10); !ok {
			return s
		}
		end := at
		for end < len(s) && s[end] != ' ' && (s[end] < '\t' || s[end] > '\r') {
			end++
		}
		s = s[:at0] + s[end:]
	}
}

// cScanInt is enough of scanf's %d/%i: leading white space, a sign, then
// digits of the base (0: 0x hex, 0 octal, else decimal). It returns the
// length read.
func cScanInt(s string, base int) (int, bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r') {
		i++
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digit := func(c byte, b int) bool {
		switch b {
		case 16:
			return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
		case 8:
			return c >= '0' && c <= '7'
		}
		return c >= '0' && c <= '9'
	}
	if base == 0 {
		base = 10
		if i < len(s) && s[i] == '0' {
			base = 8
			if i+2 < len(s) && (s[i+1] == 'x' || s[i+1] == 'X') && digit(s[i+2], 16) {
				base, i = 16, i+2
			}
		}
	}
	start := i
	for i < len(s) && digit(s[i], base) {
		i++
	}
	return i, i > start
}

// osvGrammar models command/commands in core/commands.cc over std::string
// iterators with the ascii::space skipper.
type osvGrammar struct {
	s   string
	pos int
}

func osvSkippable(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

func (g *osvGrammar) skip() {
	for g.pos < len(g.s) && osvSkippable(g.s[g.pos]) {
		g.pos++
	}
}

var osvUnescape = map[byte]byte{'a': '\a', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v',
	'\\': '\\', '\'': '\'', '"': '"'}

// unesc is the unesc_char symbols at i.
func (g *osvGrammar) unesc(i int) (byte, bool) {
	if i+1 < len(g.s) && g.s[i] == '\\' {
		c, ok := osvUnescape[g.s[i+1]]
		return c, ok
	}
	return 0, false
}

// quoted is quoted_string: lexeme[...] pre-skips for good; the characters
// matched stay in val even when the closing quote is missing (Qi does not
// roll the attribute back), and the next alternative appends to them.
func (g *osvGrammar) quoted(val *[]byte) bool {
	g.skip()
	i := g.pos
	if i >= len(g.s) || g.s[i] != '"' {
		return false
	}
	i++
	for {
		if c, ok := g.unesc(i); ok {
			*val = append(*val, c)
			i += 2
		} else if i < len(g.s) && g.s[i] != '"' && g.s[i] < utf8.RuneSelf { // ascii::char_ - '"'
			*val = append(*val, g.s[i])
			i++
		} else {
			break
		}
	}
	if i < len(g.s) && g.s[i] == '"' {
		g.pos = i + 1
		return true
	}
	return false
}

// unquoted is string: no_skip[+(unesc_char | (char_ - ' ' - ';' - '&' - '!'))].
func (g *osvGrammar) unquoted(val *[]byte) bool {
	i, n := g.pos, 0
	for {
		if c, ok := g.unesc(i); ok {
			*val = append(*val, c)
			i += 2
		} else if i < len(g.s) && g.s[i] < utf8.RuneSelf && !strings.ContainsRune(" ;&!", rune(g.s[i])) {
			*val = append(*val, g.s[i])
			i++
		} else {
			break
		}
		n++
	}
	if n == 0 {
		return false
	}
	g.pos = i
	return true
}

func (g *osvGrammar) element() (string, bool) {
	var val []byte
	if g.quoted(&val) || g.unquoted(&val) {
		return string(val), true
	}
	return "", false
}

// command is ((quoted_string | string) % *space) >> terminator.
func (g *osvGrammar) command() ([]string, bool) {
	start := g.pos
	w, ok := g.element()
	if !ok {
		g.pos = start
		return nil, false
	}
	words := []string{w}
	for {
		save := g.pos
		g.skip() // the separator *space
		w, ok := g.element()
		if !ok {
			g.pos = save
			break
		}
		words = append(words, w)
	}
	g.skip() // each terminator alternative pre-skips
	rest := g.s[g.pos:]
	switch {
	case strings.HasPrefix(rest, ";"):
		g.pos++
		return append(words, ";"), true
	case strings.HasPrefix(rest, "&!"):
		g.pos += 2
		return append(words, "&!"), true
	case strings.HasPrefix(rest, "&"):
		g.pos++
		return append(words, "&"), true
	case strings.HasPrefix(rest, "!"):
		g.pos++
		return append(words, "!"), true
	case rest == "":
		return append(words, ""), true
	}
	g.pos = start
	return nil, false
}

// osvParseCommandLineMin is parse_command_line_min: commands = cmd % *space;
// phrase_parse succeeds when one command parsed, whatever follows.
func osvParseCommandLineMin(line string) ([][]string, bool) {
	cmds := [][]string{}
	if strings.Trim(line, " \f\n\r\t\v;") == "" {
		return cmds, true
	}
	g := &osvGrammar{s: line}
	c, ok := g.command()
	if !ok {
		return nil, false
	}
	cmds = append(cmds, c)
	for {
		save := g.pos
		g.skip()
		c, ok := g.command()
		if !ok {
			g.pos = save
			break
		}
		cmds = append(cmds, c)
	}
	return cmds, true
}

// osvExpand is expand_environ_vars: from the first "$", the rest of the word
// is a variable's name, replaced by its value (or nothing; musl's getenv
// finds no name that is empty or holds "=").
func osvExpand(word string, env map[string]string) string {
	i := strings.IndexByte(word, '$')
	if i < 0 {
		return word
	}
	return word[:i] + env[word[i+1:]]
}

func parseOSv(cmdline string) (options []string, commands [][]string) {
	line := osvStripMMIO(cString(cmdline))
	options, app := osvLoaderParse(line)
	env := map[string]string{}
	for _, o := range options {
		if kv, ok := strings.CutPrefix(o, "--env="); ok { // musl's putenv
			if k, v, ok := strings.Cut(kv, "="); !ok {
				delete(env, kv)
			} else if k != "" {
				env[k] = v
			}
		}
	}
	cmds, ok := osvParseCommandLineMin(app)
	if !ok {
		return options, nil // "Failed to parse command line.", then power off
	}
	commands = [][]string{}
	for _, c := range cmds {
		argv := make([]string, 0, len(c)-1)
		for _, w := range c[:len(c)-1] {
			argv = append(argv, osvExpand(w, env))
		}
		commands = append(commands, argv)
	}
	return options, commands
}

// ---------------------------------------------------------------------------
// The models against the behaviour documented upstream.

func TestParserModels(t *testing.T) {
	eq := func(name string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %#v\nwant %#v", name, got, want)
		}
	}
	// mirage-bootvar test/test.ml.
	for in, want := range map[string][]string{
		"foo bar baz":           {"foo", "bar", "baz"},
		`foo "bar" baz`:         {"foo", "bar", "baz"},
		`f\ oo b\"r baz`:        {"f oo", `b"r`, "baz"},
		`foo bar"bie"boo baz`:   {"foo", "barbieboo", "baz"},
		`foo "bar baz"`:         {"foo", "bar baz"},
		`foo bar\ baz`:          {"foo", "bar baz"},
		"  ":                    {},
		`"" x`:                  {"x"},
		"--solo5:quiet\t--a\tb": {"--a\tb"},
	} {
		_, got := parseSolo5Mirage(in)
		eq("mirage "+in, got, want)
	}
	opts, argv := parseSolo5Mirage(" --solo5:quiet  --solo5:debug x --solo5:warn")
	eq("solo5 options", [][]string{opts, argv}, [][]string{{"--solo5:quiet", "--solo5:debug"}, {"x", "--solo5:warn"}})
	_, argv = parseSolo5Mirage(`  \`)
	eq("mirage negative test", argv, []string(nil))

	// lib/ukargparse/tests/test_ukargparse_parse.c cases, and the boot rules.
	for in, want := range map[string][]string{
		`a b   c`:             {"a", "b", "c"},
		`"a b" 'c d'`:         {"a b", "c d"},
		`a\ b "c\"d" 'e\f'`:   {"a b", `c"d`, `e\f`},
		`"x\y" "\\" \\ \'`:    {`x\y`, `\`, `\`, `'`},
		`"" ''`:               {},
		`ab"cd ef"gh`:         {"abcd efgh"},
		`-- a b`:              {"--", "a", "b"},
		`vfs.x=1 -- a -- b`:   {"a", "--", "b"},
		`vfs.x=[ -- ] -- a`:   {"a"},
		`help -- a`:           nil,
		`"a.b=[" c d] -- e f`: {"e", "f"},
	} {
		_, got := parseUnikraft(in)
		eq("unikraft "+in, got, want)
	}
	params, argv := parseUnikraft(`netdev.ip=10.0.0.2/24:10.0.0.1 env.vars=[ "A=1" "B=two words" ] env.vars=C=3 x.flag -- app`)
	eq("unikraft params", params, map[string][]string{"netdev.ip": {"10.0.0.2/24:10.0.0.1"},
		"env.vars": {"A=1", "B=two words", "C=3"}, "x.flag": nil})
	eq("unikraft app", argv, []string{"app"})
	params, _ = parseUnikraft(`a.b=[x] a.c=[] a.d=[ y z] a.e=[q -- w] -- app`)
	eq("unikraft lists", params, map[string][]string{"a.b": {"x"}, "a.c": nil, "a.d": {"y", "z"}, "a.e": {"q", "--", "w"}})
	_, argv = parseUnikraft(`a.e=[q -- w -- app`)
	eq("unikraft unclosed list", [][]string{argv}, [][]string{{"a.e=[q", "--", "w", "--", "app"}})
	_, argv = parseUnikraft(strings.Repeat("w ", 70))
	if len(argv) != ukMaxNbArgs-1 || !strings.HasPrefix(argv[len(argv)-1], "w w w") {
		t.Errorf("unikraft word limit: %d words, last %q", len(argv), argv[len(argv)-1])
	}

	k, a, e := parseLinux(`console=ttyS0 "root=/dev/vda" K=v Q="a b" mod.p=1 flag -- x "y z" U=1 -- dropped`)
	eq("linux", [][]string{k, a, e}, [][]string{{"console=ttyS0", "root=/dev/vda", "mod.p=1"}, {"flag", "x", "y z", "U=1"},
		{"HOME=/", "TERM=linux", "K=v", "Q=a b"}})
	k, a, e = parseLinux(`early TERM=vt100 init=/app later`)
	eq("linux init=", [][]string{k, a, e}, [][]string{{"init=/app"}, {"later"}, {"HOME=/", "TERM=vt100"}})
	_, a, _ = parseLinux("-- \"\" \"a\xc3\xa0b\" a\xc3\xa0b")
	eq("linux empty and 0xA0", a, []string{"", "a\xc3\xa0b", "a\xc3", "b"})

	// tests/tst-commands.cc, and the grammar compiled with Boost 1.74.
	for in, want := range map[string][][]string{
		"mkfs.so":                            {{"mkfs.so"}},
		"mkfs.so --blub      --blah":         {{"mkfs.so", "--blub", "--blah"}},
		`mkfs.so  "--blub ;  --blah"`:        {{"mkfs.so", "--blub ;  --blah"}},
		"mkfs.so;cpiod.so   ;   haproxy.so;": {{"mkfs.so"}, {"cpiod.so"}, {"haproxy.so"}},
		`mkfs.so;cpiod.so  " ;; --onx -fon;x \t" ;   haproxy.so`: {{"mkfs.so"}, {"cpiod.so", " ;; --onx -fon;x \t"},
			{"haproxy.so"}},
		" \t\n;":                   {},
		"/hello \xc3\xbcn":         nil,
		"/x a\tb \tc":              {{"/x", "a\tb", "c"}},
		`/x "" "a"b`:               {{"/x", "", "a", "b"}},
		`a"b c"`:                   {{`a"b`, `c"`}},
		`/x a\qb a\\b "a\qb" a\"b`: {{"/x", `a\qb`, `a\b`, `a\qb`, `a"b`}},
		`/x a&b c&!d!e`:            {{"/x", "a"}, {"b", "c"}, {"d"}, {"e"}},
		`/x "unterminated`:         {{"/x", `unterminated"unterminated`}},
		`/x "a\"`:                  {{"/x", `a""a"`}},
		"/x ; ;  /y":               {{"/x"}},
		"/x ; /y \xc3\xbc":         {{"/x"}},
	} {
		_, got := parseOSv(in)
		eq("osv "+in, got, want)
	}
	o, c := parseOSv(`--env=A=1 --env=B=two\ words	-x\\y  /p $A x$B "$NONE" virtio_mmio.device=4K@0xd0000000:5 q`)
	eq("osv options", o, []string{"--env=A=1", "--env=B=two words", `-x\y`})
	eq("osv env", c, [][]string{{"/p", "1", "xtwo words", "", "q"}})
	o, c = parseOSv("--verbose")
	eq("osv options only", [][]string{o}, [][]string{{"--verbose"}})
	eq("osv no command", c, [][]string{})
}

// ---------------------------------------------------------------------------
// Round trips of tricky words.

var trickyWords = []string{
	"plain", "two words", "  lead", "trail  ", `dq"inside`, `sq'inside`, `'`, `"`, `""`, `''`, `\`, `back\slash`,
	`trailing\`, `\\`, `\"`, `a=b`, `a=b=c`, `=lead`, `K=`, `K="v"`, `--`, `-x`, `--flag=value`, "--solo5:quiet",
	"--solo5:quietly", ";", "a;b", "&", "a&!b", "!", "a!", "$HOME", "x$", "ünïcode", "日本", "à", "tab\there",
	"\ttab-first", "cr\r", "ff\f", "vt\v", "help", "x]", "[x", "[x]", "]", "[", "a b ]", "env.vars=[",
	"netdev.ip=1.2.3.4", "", "virtio_mmio.device=4K@0x1000:5", "\x01ctl\x7f",
}

// familyCase is one family's encoder and the command line it is used in.
type familyCase struct {
	name   string
	encode func(string) (string, error)
	// line builds a command line around encoded words; parse gives back what
	// the guest sees of them.
	line  func(enc []string) string
	parse func(line string) []string
	// impossible says whether the encoder must refuse s (NUL and newline
	// aside), from the rules found upstream.
	impossible func(s string) bool
	// maxLen is the longest line the runtime keeps whole (0: no limit).
	maxLen int
}

func nonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

var familyCases = []familyCase{
	{
		name:   "mirage",
		encode: mirageWord,
		line:   func(enc []string) string { return "--solo5:info " + strings.Join(enc, " ") },
		parse: func(line string) []string {
			opts, argv := parseSolo5Mirage(line)
			if !reflect.DeepEqual(opts, []string{"--solo5:info"}) {
				return append([]string{"<opts>"}, opts...)
			}
			return argv
		},
		impossible: func(s string) bool { return s == "" },
		maxLen:     solo5CmdlineSize - 1,
	},
	{
		name:   "mirage-first",
		encode: mirageWord,
		line:   func(enc []string) string { return strings.Join(enc, " ") },
		parse: func(line string) []string {
			opts, argv := parseSolo5Mirage(line)
			if len(opts) > 0 {
				return append([]string{"<opts>"}, opts...)
			}
			return argv
		},
		impossible: func(s string) bool { return s == "" },
		maxLen:     solo5CmdlineSize - 1,
	},
	{
		name:   "unikraft",
		encode: unikraftArg,
		line:   func(enc []string) string { return "netdev.ip=10.0.0.2/24 -- " + strings.Join(enc, " ") },
		parse: func(line string) []string {
			params, argv := parseUnikraft(line)
			if !reflect.DeepEqual(params, map[string][]string{"netdev.ip": {"10.0.0.2/24"}}) {
				return []string{fmt.Sprintf("<params %v>", params)}
			}
			return argv
		},
		impossible: func(s string) bool { return s == "" },
		maxLen:     ukCmdlineMaxLen - len("/kernel "),
	},
	{
		name:   "unikraft-array",
		encode: unikraftParamValue,
		line:   func(enc []string) string { return "env.vars=[ " + strings.Join(enc, " ") + " ] -- app" },
		parse: func(line string) []string {
			params, argv := parseUnikraft(line)
			if !reflect.DeepEqual(argv, []string{"app"}) {
				return []string{fmt.Sprintf("<argv %q>", argv)}
			}
			return params["env.vars"]
		},
		impossible: func(s string) bool { return s == "" || strings.HasSuffix(s, "]") },
		maxLen:     ukCmdlineMaxLen - len("/kernel "),
	},
	{
		name:   "linux-init",
		encode: linuxWord,
		line:   func(enc []string) string { return "console=ttyS0 -- " + strings.Join(enc, " ") },
		parse: func(line string) []string {
			_, argv, _ := parseLinux(line)
			return argv
		},
		impossible: func(s string) bool { return strings.Contains(s, `"`) || s == "--" },
		maxLen:     linuxCommandLineSize - 1,
	},
	{
		name:   "osv",
		encode: osvWord,
		line:   func(enc []string) string { return "--env=A=1 /prog " + strings.Join(enc, " ") },
		parse: func(line string) []string {
			_, cmds := parseOSv(line)
			if len(cmds) != 1 || len(cmds[0]) == 0 || cmds[0][0] != "/prog" {
				return []string{fmt.Sprintf("<commands %q>", cmds)}
			}
			return cmds[0][1:]
		},
		impossible: func(s string) bool {
			return strings.Contains(s, "$") || nonASCII(s) || strings.Contains(s, osvMMIOPrefix)
		},
	},
}

// roundTrip encodes words; it returns whether every word was accepted and,
// if so, what the guest got back.
func (fc familyCase) roundTrip(words []string) ([]string, string, bool) {
	enc := make([]string, len(words))
	for i, w := range words {
		e, err := fc.encode(w)
		if err != nil {
			return nil, "", false
		}
		enc[i] = e
	}
	line := fc.line(enc)
	if fc.maxLen > 0 && len(line) > fc.maxLen {
		return words, line, true // too long to keep: a question for Compose, not for quoting
	}
	return fc.parse(line), line, true
}

func TestRoundTripTricky(t *testing.T) {
	for _, fc := range familyCases {
		var accepted []string
		for _, w := range trickyWords {
			_, err := fc.encode(w)
			if want := fc.impossible(w); (err != nil) != want {
				t.Errorf("%s(%q): error %v, want refusal %v", fc.name, w, err, want)
			}
			if err == nil {
				accepted = append(accepted, w)
			}
			if err != nil && !strings.Contains(err.Error(), ", which ") {
				t.Errorf("%s(%q): message %q does not say what cannot carry it", fc.name, w, err)
			}
			got, line, ok := fc.roundTrip([]string{w})
			if ok && !reflect.DeepEqual(got, []string{w}) {
				t.Errorf("%s: %q encoded as %q came back as %q", fc.name, w, line, got)
			}
		}
		// All accepted words at once, and each next to every other.
		if got, line, _ := fc.roundTrip(accepted); !reflect.DeepEqual(got, accepted) {
			t.Errorf("%s: all words as %q came back as %q", fc.name, line, got)
		}
		for _, a := range accepted {
			for _, b := range accepted {
				if got, line, _ := fc.roundTrip([]string{a, b}); !reflect.DeepEqual(got, []string{a, b}) {
					t.Errorf("%s: %q came back as %q", fc.name, line, got)
				}
			}
		}
	}
}

// Plain words stay as they are.
func TestEncodeMinimal(t *testing.T) {
	for _, c := range []struct {
		enc  func(string) (string, error)
		in   string
		want string
	}{
		{mirageWord, "--port=8080", "--port=8080"},
		{mirageWord, "ünïcode", "ünïcode"},
		{mirageWord, "two words", `"two words"`},
		{mirageWord, "--solo5:quiet", `"--solo5:quiet"`},
		{mirageWord, `a\b"c`, `"a\\b\"c"`},
		{unikraftArg, "日本", "日本"},
		{unikraftArg, "it's", `"it's"`},
		{unikraftParamValue, "A=1", `"A=1"`},
		{linuxWord, "--listen=:8080", "--listen=:8080"},
		{linuxWord, "a b", `"a b"`},
		{linuxWord, "", `""`},
		{linuxWord, "voilà", "\"voilà\""},
		{linuxWord, "ünïcode", "ünïcode"},
		{osvWord, "-D", "-D"},
		{osvWord, "a;b", `"a;b"`},
		{osvWord, "", `""`},
		{osvOption, "--env=A=two words", `--env=A=two\ words`},
		{osvOption, `--env=P=C:\x "q"`, `--env=P=C:\\x\ "q"`},
		{osvOption, "--env=G=ünï", "--env=G=ünï"},
	} {
		if got, err := c.enc(c.in); err != nil || got != c.want {
			t.Errorf("encode(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	got, err := unikraftStringArray("env.vars", []string{"A=1", "B=two words"})
	if want := `env.vars=[ "A=1" "B=two words" ]`; err != nil || got != want {
		t.Errorf("unikraftStringArray = %q, %v; want %q", got, err, want)
	}
	if got, err := unikraftStringArray("env.vars", nil); err != nil || got != "" {
		t.Errorf("unikraftStringArray(nil) = %q, %v", got, err)
	}
	for _, bad := range []string{"vars", ".x", "env.", "env vars.x", `env."x"`} {
		if _, err := unikraftStringArray(bad, []string{"A=1"}); err == nil {
			t.Errorf("unikraftStringArray(%q) accepted", bad)
		}
	}
	if _, err := unikraftStringArray("env.vars", []string{"A=1", "B=x]"}); err == nil {
		t.Error(`unikraftStringArray accepted an element ending in "]"`)
	}
	if _, err := osvOption("/prog"); err == nil {
		t.Error("osvOption accepted a word that does not start with -")
	}
}

// Each encoder refuses NUL, newline and its family's impossible bytes, and
// nothing else: every byte alone and inside a word.
func TestEncodeRefusesExactly(t *testing.T) {
	for _, fc := range familyCases {
		for b := 0; b < 256; b++ {
			for _, w := range []string{string([]byte{byte(b)}), "a" + string([]byte{byte(b)}) + "b"} {
				_, err := fc.encode(w)
				want := b == 0 || b == '\n' || fc.impossible(w)
				if (err != nil) != want {
					t.Errorf("%s(%q): error %v, want refusal %v", fc.name, w, err, want)
				}
			}
		}
	}
	if _, err := osvOption("--env=A=\x00"); err == nil {
		t.Error("osvOption accepted NUL")
	}
	if _, err := osvOption("--env=A=\n"); err == nil {
		t.Error("osvOption accepted a newline")
	}
}

// The array form through unikraftStringArray, and what an element ending in
// "]" would do to it.
func TestUnikraftArray(t *testing.T) {
	elems := []string{"A=1", "B=two words", `C=say "hi"`, `D=C:\dir\`, "E=日本", "F=--", "G=help", "H=[x", "I='q'"}
	arr, err := unikraftStringArray("env.vars", elems)
	if err != nil {
		t.Fatal(err)
	}
	params, argv := parseUnikraft(arr + " -- app")
	if !reflect.DeepEqual(params["env.vars"], elems) || !reflect.DeepEqual(argv, []string{"app"}) {
		t.Errorf("%q: got %q %q", arr, params, argv)
	}
	// The refusal is real: quoted or not, "x]" ends the list there.
	for _, line := range []string{`env.vars=[ "A=x]" "B=1" ] -- app`, `env.vars=[ A=x\] B=1 ] -- app`} {
		if params, _ := parseUnikraft(line); reflect.DeepEqual(params["env.vars"], []string{"A=x]", "B=1"}) {
			t.Errorf("%q carried an element ending in ]", line)
		}
	}
}

func TestLinuxEnvWords(t *testing.T) {
	env := []string{"MODE=prod", "MSG=hello world", "EMPTY=", "JSON={a:1}", "U=ünï voilà", "TERM=xterm", "X=--"}
	var enc []string
	for _, kv := range env {
		e, err := linuxWord(kv)
		if err != nil {
			t.Fatalf("%q: %v", kv, err)
		}
		enc = append(enc, e)
	}
	line := "console=ttyS0 " + strings.Join(enc, " ") + " -- arg"
	k, a, e := parseLinux(line)
	want := []string{"HOME=/", "TERM=xterm", "MODE=prod", "MSG=hello world", "EMPTY=", "JSON={a:1}", "U=ünï voilà", "X=--"}
	if !reflect.DeepEqual(e, want) || !reflect.DeepEqual(a, []string{"arg"}) || !reflect.DeepEqual(k, []string{"console=ttyS0"}) {
		t.Errorf("%q:\n got %q %q %q\nwant env %q", line, k, a, e, want)
	}
}

func TestOSvOptions(t *testing.T) {
	vals := []string{"A=1", "B=two words", `C=back\slash`, `D="q"`, "E=ünï", "F=$HOME", "G=a;b&c!", "H=\ttab"}
	var enc []string
	for _, kv := range vals {
		e, err := osvOption("--env=" + kv)
		if err != nil {
			t.Fatalf("%q: %v", kv, err)
		}
		enc = append(enc, e)
	}
	o, c := parseOSv("--ip=eth0,10.0.0.2,255.255.255.0 " + strings.Join(enc, " ") + " /prog $B")
	wantO := []string{"--ip=eth0,10.0.0.2,255.255.255.0"}
	for _, kv := range vals {
		wantO = append(wantO, "--env="+kv)
	}
	if !reflect.DeepEqual(o, wantO) || !reflect.DeepEqual(c, [][]string{{"/prog", "two words"}}) {
		t.Errorf("got %q %q\nwant %q", o, c, wantO)
	}
}

// ---------------------------------------------------------------------------
// Fuzz targets: any pair of words the encoder accepts comes back as it was;
// a refusal for a family-specific reason is checked against the parser:
// whatever the line, the parser never yields such a word.

func fuzzSeeds(f *testing.F) {
	for _, a := range trickyWords {
		f.Add(a, "next")
	}
	f.Add("", "")
	f.Add("a b", `c"d`)
}

// fuzzTooLong keeps the fuzzer on short words: quoting is decided byte by
// byte, so length adds nothing, while the fuzzer spends on the order of n²
// runs minimizing each new n-byte input (at 1000 bytes, most of a 20 s run).
func fuzzTooLong(a, b string) bool { return len(a)+len(b) > 256 }

func fuzzFamily(t *testing.T, fc familyCase, a, b string) {
	if got, line, ok := fc.roundTrip([]string{a, b}); ok && !reflect.DeepEqual(got, []string{a, b}) {
		t.Fatalf("%s: %q %q encoded as %q came back as %q", fc.name, a, b, line, got)
	}
}

func FuzzRoundTripMirage(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, a, b string) {
		if fuzzTooLong(a, b) {
			return
		}
		fuzzFamily(t, familyCases[0], a, b)
		fuzzFamily(t, familyCases[1], a, b)
		// Refusal: MirageOS never yields an empty word.
		for _, line := range []string{a, a + " " + b} {
			if _, argv := parseSolo5Mirage(line); containsString(argv, "") {
				t.Fatalf("%q gave an empty word: %q", line, argv)
			}
		}
	})
}

func FuzzRoundTripUnikraft(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, a, b string) {
		if fuzzTooLong(a, b) {
			return
		}
		fuzzFamily(t, familyCases[2], a, b)
		fuzzFamily(t, familyCases[3], a, b)
		// Refusal: ukargparse never yields an empty word.
		for _, line := range []string{a, a + " -- " + b} {
			buf := make([]byte, len(line)+2)
			copy(buf, cString(line))
			if words := ukArgnparse(buf, len(cString(line)), 1000); containsString(words, "") {
				t.Fatalf("%q gave an empty word: %q", line, words)
			}
		}
	})
}

func FuzzRoundTripLinux(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, a, b string) {
		if fuzzTooLong(a, b) {
			return
		}
		fuzzFamily(t, familyCases[4], a, b)
		// As environment words: KEY=a before " -- ".
		kv := "K=" + a
		if e, err := linuxWord(kv); err == nil && len(e) < 1000 {
			line := e + " -- x"
			if _, argv, env := parseLinux(line); !containsString(env, kv) || !reflect.DeepEqual(argv, []string{"x"}) {
				t.Fatalf("%q as %q: env %q argv %q", kv, line, env, argv)
			}
		}
		// Refusal: init never gets "--" as an argument, whatever the quoting.
		for _, line := range []string{"-- " + a, "-- " + a + " " + b} {
			if _, argv, _ := parseLinux(line); containsString(argv, "--") {
				t.Fatalf("%q gave init a -- : %q", line, argv)
			}
		}
	})
}

func FuzzRoundTripOSv(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, a, b string) {
		if fuzzTooLong(a, b) {
			return
		}
		fuzzFamily(t, familyCases[5], a, b)
		// As an option: --env=K=a.
		if o, err := osvOption("--env=K=" + a); err == nil {
			opts, cmds := parseOSv(o + " /prog")
			if !reflect.DeepEqual(opts, []string{"--env=K=" + cString(a)}) || len(cmds) != 1 {
				t.Fatalf("--env=K=%q as %q: %q %q", a, o, opts, cmds)
			}
		}
		// Refusal: with no environment, no word OSv runs holds "$" or a byte
		// outside ASCII.
		for _, line := range []string{"/p " + a, "/p " + a + " " + b} {
			_, cmds := parseOSv(line)
			for _, c := range cmds {
				for _, w := range c {
					if strings.Contains(w, "$") || nonASCII(w) {
						t.Fatalf("%q gave the word %q", line, w)
					}
				}
			}
		}
	})
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
