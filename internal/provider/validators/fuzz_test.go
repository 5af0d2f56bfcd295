package validators

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func accepts(v validator.String, s string) bool {
	resp := &validator.StringResponse{}
	v.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("x"), ConfigValue: types.StringValue(s)}, resp)
	return !resp.Diagnostics.HasError()
}

// FuzzCheckMAC: an accepted MAC is a unicast address in canonical form.
func FuzzCheckMAC(f *testing.F) {
	for _, s := range []string{"52:54:00:ab:cd:ef", "52:54:00:AB:CD:EF", "01:00:5e:00:00:01", "", "52-54-00-ab-cd-ef", "52:54:00:ab:cd:ef:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckMAC(s) != nil {
			return
		}
		hw, err := net.ParseMAC(s)
		if err != nil || len(hw) != 6 {
			t.Fatalf("accepted %q, which is not a MAC: %v", s, err)
		}
		if hw.String() != s {
			t.Fatalf("accepted %q, which is not canonical (%s)", s, hw)
		}
		if hw[0]&1 == 1 {
			t.Fatalf("accepted multicast %q", s)
		}
	})
}

// FuzzNameValidators: an accepted interface, DNS or object name has no
// character that could act as markup, a path separator or white space.
func FuzzNameValidators(f *testing.F) {
	for _, s := range []string{"web-1", "a<b", "..", ".", "a/b", "a b", "café", "br0", "x.internal", strings.Repeat("a", 70)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckInterfaceName(s) == nil && (s == "" || len(s) > MaxInterfaceName || s == ".." || strings.ContainsAny(s, "/: \t\n\x00")) {
			t.Fatalf("interface name %q accepted", s)
		}
		if CheckDNSName(s) == nil && strings.ContainsAny(s, "<>&\"' /\\\x00\n") {
			t.Fatalf("DNS name %q accepted", s)
		}
		if CheckNotDotName(s) == nil && (s == "." || s == "..") {
			t.Fatalf("%q accepted", s)
		}
	})
}

// FuzzCmdline: an accepted command line carries no line break or NUL, and
// an accepted path is absolute, clean and free of `..` components.
func FuzzCmdline(f *testing.F) {
	for _, s := range []string{"console=ttyS0", "a\nb", "a\x00b", "/var/lib/k.elf", "/a/../b", "/a//b", "rel"} {
		f.Add(s)
	}
	cmd, abs := NoControlChars(), AbsolutePath()
	f.Fuzz(func(t *testing.T, s string) {
		if accepts(cmd, s) && strings.ContainsAny(s, "\n\r\x00") {
			t.Fatalf("command line %q accepted", s)
		}
		if accepts(abs, s) {
			if !strings.HasPrefix(s, "/") || strings.ContainsRune(s, 0) || containsDotDot(s) || strings.Contains(s, "//") {
				t.Fatalf("path %q accepted", s)
			}
		}
	})
}

// FuzzDurations: an accepted positive duration is longer than zero.
func FuzzDurations(f *testing.F) {
	for _, s := range []string{"2m", "0s", "-5s", "soon", "1h30m", "0.000000001s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := CheckPositiveDuration(s); err == nil && d <= 0 {
			t.Fatalf("%q accepted as %v", s, d)
		}
	})
}
