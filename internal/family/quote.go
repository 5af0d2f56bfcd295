package family

// The quoting layer: each function below encodes one word so that the
// family's own command-line parser gives back exactly that word, or says, as
// a noun phrase followed by ", which ...", what that family's command line
// cannot carry. Every rule here is taken from the runtime's source; the
// models of those parsers in parse_test.go check the round trip, and fuzz it.
//
// NUL and line breaks are refused for every family: NUL ends a C string, and
// the provider keeps the command line on one line.

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// checkCommon refuses what no family carries.
func checkCommon(s string) error {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return errors.New("a NUL character, which no kernel command line can carry")
	case strings.IndexByte(s, '\n') >= 0:
		return errors.New("a line break, which the provider does not put into a kernel command line")
	}
	return nil
}

// wrapQuoted puts s between double quotes, with a backslash before each
// backslash and each double quote: the quoted form that MirageOS, Unikraft
// and OSv all read back as s.
func wrapQuoted(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' || s[i] == '"' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// solo5Options are the words Solo5's bindings take off the front of the
// command line (bindings/cmdline.c, cmdline_parse).
var solo5Options = []string{"--solo5:quiet", "--solo5:error", "--solo5:warn", "--solo5:info", "--solo5:debug"}

// mirageWord encodes one argv word for a MirageOS unikernel on Solo5.
//
// Solo5 (bindings/cmdline.c, cmdline_parse) first skips leading white space
// (space, \t, \v, \f, \r) and takes off the leading --solo5:LEVEL words; the
// rest goes to mirage-bootvar (parse_argv/mirage_bootvar_parse_argv.ml,
// parse), which splits on the space character only, honours double quotes,
// and takes a backslash, inside or outside quotes, as "the next byte as it
// is". It drops empty words, so "" cannot be carried. It is byte-transparent,
// so UTF-8 passes through. A word is quoted when it holds a space, a quote, a
// backslash or other white space, or starts with "--solo5:", so that Solo5
// cannot mistake it for one of its options.
func mirageWord(s string) (string, error) {
	if err := checkCommon(s); err != nil {
		return "", err
	}
	if s == "" {
		return "", errors.New("an empty argument, which the MirageOS command line cannot carry: its parser drops empty words")
	}
	if strings.ContainsAny(s, " \"\\\t\v\f\r") || strings.HasPrefix(s, "--solo5:") {
		return wrapQuoted(s), nil
	}
	return s, nil
}

// unikraftArg encodes one application argument, a word after " -- ".
//
// Unikraft's tokenizer, ukargparse (lib/ukargparse/argparse.c,
// uk_argnparse), splits the whole command line, library parameters and
// application arguments alike, on space, \t, \n, \r and \v. Single quotes
// keep everything up to the next single quote; double quotes keep everything
// up to the next double quote, except that \" and \\ inside them stand for "
// and \ (any other backslash is kept); outside quotes a backslash takes the
// next byte as it is. A quote pair only groups: an empty pair makes no word,
// so "" cannot be carried. It is byte-transparent, so UTF-8 passes through.
// uklibparam (lib/uklibparam/parser.c, uk_libparam_parse) stops at the first
// "--" and does not look at the words after it, so only the tokenizer's rules
// apply.
func unikraftArg(s string) (string, error) {
	if err := checkCommon(s); err != nil {
		return "", err
	}
	if s == "" {
		return "", errors.New("an empty argument, which the Unikraft command line cannot carry: its parser drops empty words")
	}
	if strings.ContainsAny(s, " \t\r\v'\"\\") {
		return wrapQuoted(s), nil
	}
	return s, nil
}

// unikraftParamValue encodes one string element of a uklibparam array, as
// between the brackets of env.vars=[ ... ]. The element is always put
// between double quotes, so that a list reads the same whatever its
// elements, with \\ and \" for a backslash and a double quote (the rules of
// unikraftArg). uklibparam sees the words that
// ukargparse made, and ends the list at the first word whose last character
// is "]" (parse_arg, PAS_LIST), whatever the quoting was, so an element that
// ends in "]" cannot be carried in the list; an empty element makes no word
// at all.
func unikraftParamValue(s string) (string, error) {
	if err := checkCommon(s); err != nil {
		return "", err
	}
	if s == "" {
		return "", errors.New("an empty value, which a Unikraft parameter list cannot carry: its parser drops empty words")
	}
	if strings.HasSuffix(s, "]") {
		return "", errors.New(`a value ending in "]", which Unikraft's parameter list syntax reads as the end of the list`)
	}
	return wrapQuoted(s), nil
}

// unikraftStringArray writes a uklibparam string array, as
//
//	env.vars=[ "A=1" "B=two words" ]
//
// The opening bracket ends the word "name=[" and the closing one is a word of
// its own, so that no element is glued to a bracket. name is a library
// parameter (library.param). With no elements it returns "": the parameter
// is left out.
//
// An array has a fixed size in the image (env.vars: 8 entries by default,
// CONFIG_LIBPOSIX_ENVIRON_LIBPARAM_MAXCOUNT); the guest drops elements
// beyond it without an error.
func unikraftStringArray(name string, elems []string) (string, error) {
	if !validLibParamName(name) {
		return "", fmt.Errorf("the parameter name %q, which is not of the form library.parameter", name)
	}
	if len(elems) == 0 {
		return "", nil
	}
	words := make([]string, 0, len(elems)+2)
	words = append(words, name+"=[")
	for _, e := range elems {
		q, err := unikraftParamValue(e)
		if err != nil {
			return "", err
		}
		words = append(words, q)
	}
	words = append(words, "]")
	return strings.Join(words, " "), nil
}

func validLibParamName(name string) bool {
	lib, param, ok := strings.Cut(name, ".")
	if !ok || lib == "" || param == "" {
		return false
	}
	for _, r := range name {
		if r != '.' && r != '_' && r != '-' && (r < '0' || r > '9') && (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') {
			return false
		}
	}
	return true
}

// linuxSpace is the Linux kernel's isspace (lib/ctype.c, _ctype): \t \n \v
// \f \r, space, and the byte 0xA0 (Latin-1 no-break space), which is also the
// second byte of UTF-8 characters such as "à" (C3 A0).
func linuxSpace(c byte) bool {
	return c == ' ' || c >= '\t' && c <= '\r' || c == 0xA0
}

// linuxWord encodes one word of the Linux kernel command line, used both for
// KEY=VALUE words before " -- " (init's environment) and for init's
// arguments after it.
//
// The kernel (lib/cmdline.c, next_arg) splits on its isspace; a double quote
// anywhere toggles "inside quotes", and only a quote that opens the word, one
// that opens the value after the first "=", and a matching one at the end of
// the word are removed; init/main.c (repair_env_string) puts the "=" back.
// There is no escape character, so a double quote cannot be carried inside a
// word. A word that holds white space is put between double quotes; "" is the
// empty argument. The word "--" cannot be carried at all: the kernel stops at
// it, and the second pass over init's arguments stops at the next one and
// drops the rest. Other bytes, UTF-8 included, pass through.
func linuxWord(s string) (string, error) {
	if err := checkCommon(s); err != nil {
		return "", err
	}
	if strings.IndexByte(s, '"') >= 0 {
		return "", errors.New(`a double quote ("), which the Linux command line cannot carry inside a word`)
	}
	if s == "--" {
		return "", errors.New(`the word "--", which the Linux kernel always takes as the end of its own parameters`)
	}
	if s == "" {
		return `""`, nil
	}
	for i := 0; i < len(s); i++ {
		if linuxSpace(s[i]) {
			return `"` + s + `"`, nil
		}
	}
	return s, nil
}

// osvMMIOPrefix is what OSv (drivers/virtio-mmio.cc,
// parse_mmio_device_info, in the default x64 build) cuts out of the raw
// command line, wherever it stands, when a device description follows it.
const osvMMIOPrefix = "virtio_mmio.device="

// osvCheck refuses what neither part of OSv's command line carries.
func osvCheck(s string) error {
	if err := checkCommon(s); err != nil {
		return err
	}
	if strings.Contains(s, osvMMIOPrefix) {
		return fmt.Errorf("the text %q, which OSv cuts out of its command line as a device description", osvMMIOPrefix)
	}
	return nil
}

// osvWord encodes one word of OSv's application command line (the part after
// OSv's own options).
//
// OSv (core/commands.cc, parse_command_line) reads it with a Boost.Spirit
// grammar over ASCII: a word is either "..." (where \" \\ \a \b \f \n \r \t
// \v \' are escapes and any other byte but " stands for itself) or a run of
// bytes other than space ; & ! (where the same escapes apply); ; & &! and !
// end a command. A byte outside ASCII makes the grammar fail, and OSv then
// refuses the whole command line, so non-ASCII text cannot be carried. Then
// expand_environ_vars replaces everything from the first "$" of every word
// with the value of the environment variable so named, quoted or not, so a
// "$" cannot be carried either. "" is the empty argument.
//
// A plain word stays as it is, even one that starts with "-": only the
// first word of the application command line must not start with "-", or
// OSv takes it as one of its own options (Compose checks that).
func osvWord(s string) (string, error) {
	if err := osvCheck(s); err != nil {
		return "", err
	}
	if strings.Contains(s, "$") {
		return "", errors.New("a dollar sign ($), which OSv always reads as the start of an environment variable's name")
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			r, _ := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError {
				return "", fmt.Errorf("the byte 0x%02X, which OSv's command line cannot carry: it accepts ASCII only", s[i])
			}
			return "", fmt.Errorf("the non-ASCII character %q (U+%04X), which OSv's command line cannot carry: it accepts ASCII only", r, r)
		}
	}
	if s == "" || strings.ContainsAny(s, " ;&!\"\\\t\v\f\r") {
		return wrapQuoted(s), nil
	}
	return s, nil
}

// osvOption encodes one of OSv's own options, such as --env=KEY=VALUE, which
// come before the application command line.
//
// They are not split like the application's words. OSv (core/commands.cc,
// loader_parse_cmdline) takes words for as long as the next one starts with
// "-", and cuts them with NetBSD's stresep on space, \t and \n, where a
// backslash takes the next byte as it is; there are no quotes (a " is kept as
// it is) and no $ expansion; bytes outside ASCII pass through. So a space, a
// tab or a backslash gets a backslash in front. s must start with "-".
func osvOption(s string) (string, error) {
	if err := osvCheck(s); err != nil {
		return "", err
	}
	if !strings.HasPrefix(s, "-") {
		return "", fmt.Errorf("the option %q, which does not start with \"-\" and so would start OSv's application command line", s)
	}
	if !strings.ContainsAny(s, " \t\\") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == '\t' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String(), nil
}
