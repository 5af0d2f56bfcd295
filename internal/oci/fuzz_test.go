package oci

import (
	"testing"
)

// A reference either fails to parse or parses to a canonical form that
// parses to itself.
func FuzzParseReference(f *testing.F) {
	for _, s := range []string{"registry.example.com/team/app:1.4", "127.0.0.1:5000/a@sha256:" +
		"0000000000000000000000000000000000000000000000000000000000000000", "localhost/x", "a/b", "r.io/a:b@c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReference(s)
		if err != nil {
			return
		}
		again, err := ParseReference(r.String())
		if err != nil || again != r {
			t.Fatalf("%q parsed to %s, which parses to %+v, %v", s, r, again, err)
		}
	})
}
