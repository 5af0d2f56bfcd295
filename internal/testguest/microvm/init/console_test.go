//go:build linux

package main

import "testing"

func TestConsoleDevice(t *testing.T) {
	for _, c := range []struct{ cmdline, want string }{
		{"panic=-1", ""},
		{"console=ttyS0 panic=-1", "ttyS0"},
		{"console=ttyS0,115200n8", "ttyS0"},
		{"console=ttyS0 console=hvc0 panic=-1", "hvc0"},
		{"console=../../etc/passwd", ""},
		{"console=", ""},
	} {
		if got := consoleDevice(c.cmdline); got != c.want {
			t.Errorf("consoleDevice(%q) = %q, want %q", c.cmdline, got, c.want)
		}
	}
}
