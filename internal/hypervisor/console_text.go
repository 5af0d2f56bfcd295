package hypervisor

import "strings"

// ConsoleText is console output as readiness gates match it and messages
// show it: line ends normalised to "\n" (CRLF, and a lone CR), and NUL and
// every other non-printing control byte removed, tabs kept. Guests print
// such bytes (Unikraft's lwIP prints its first line after two NULs); the log
// file itself keeps them byte for byte.
func ConsoleText(s string) string {
	clean := func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r < 0x20 || r == 0x7f:
			return -1
		}
		return r
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Map(clean, s)
}

// LastLines returns the last n lines of console output s as ConsoleText,
// without trailing newlines: what error messages and test failures show of a
// guest's console.
func LastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(ConsoleText(s), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
