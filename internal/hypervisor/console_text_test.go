package hypervisor

import "testing"

func TestLastLines(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"", 3, ""},
		{"a\r\nb\r\n", 3, "a\nb"},
		{"a\nb\nc\nd\n\n", 2, "c\nd"},
		{"one", 1, "one"},
	} {
		if got := LastLines(c.in, c.n); got != c.want {
			t.Errorf("LastLines(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

// Console text as gates match it: NULs and other control bytes go, tabs
// stay, CRLF and lone CRs end lines.
func TestConsoleText(t *testing.T) {
	for in, want := range map[string]string{
		"\x00\x001: Set IPv4 address 10.0.0.2 mask 255.255.255.0\r\n": "1: Set IPv4 address 10.0.0.2 mask 255.255.255.0\n",
		"a\tb\x1b[0mc\x07\x7f": "a\tb[0mc",
		"one\rtwo\r\nthree\n":  "one\ntwo\nthree\n",
		"héllo\x00 wörld":      "héllo wörld",
		"":                     "",
	} {
		if got := ConsoleText(in); got != want {
			t.Errorf("ConsoleText(%q) = %q, want %q", in, got, want)
		}
	}
	if got := LastLines("\x00\x00first\r\nsecond\x00\r\n", 1); got != "second" {
		t.Errorf("LastLines = %q", got)
	}
}
