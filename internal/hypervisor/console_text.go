package hypervisor

import "strings"

// LastLines returns the last n lines of console output s, without carriage
// returns and trailing newlines: what error messages and test failures show
// of a guest's console.
func LastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(s, "\r", ""), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
