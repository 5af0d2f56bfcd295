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
