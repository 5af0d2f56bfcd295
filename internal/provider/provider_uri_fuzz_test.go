package provider

import (
	"net/url"
	"testing"
)

// FuzzBuildURI feeds the URI policy with arbitrary URIs and remote settings.
// It must never panic; a URI it accepts without `insecure` carries none of
// the risky parameters; the settings it adds are in the URI it returns, and
// the URI stays parseable with its scheme and host unchanged.
//
//	go test -fuzz FuzzBuildURI ./internal/provider
func FuzzBuildURI(f *testing.F) {
	f.Add("qemu:///system", "", "", "", "", false)
	f.Add("qemu+ssh://root@host/system", "/root/.ssh/id", "", "", "", false)
	f.Add("qemu+libssh://host/system?known_hosts_verify=ignore", "", "/k", "normal", "", false)
	f.Add("qemu+tls://host/system?no_verify=1", "", "", "", "/etc/pki", true)
	f.Add("qemu+ssh://h/system?command=/bin/sh&proxy=evil", "", "", "ignore", "", false)
	f.Add("xen+ssh://root@127.0.0.1:2222/system?keyfile=/a", "/b", "", "auto", "", false)
	f.Fuzz(func(t *testing.T, uri, key, knownHosts, check, pki string, insecure bool) {
		r := remoteSettings{SSHKeyFile: key, SSHKnownHostsFile: knownHosts, SSHHostKeyCheck: check, TLSPKIPath: pki, Insecure: insecure}
		out, warnings, err := buildURI(uri, r)
		if err != nil {
			if _, ok := err.(*uriError); !ok {
				t.Fatalf("buildURI(%q) returned %T, want a *uriError naming an attribute", uri, err)
			}
			return
		}
		u, perr := url.Parse(out)
		if perr != nil {
			t.Fatalf("buildURI(%q) = %q, which does not parse: %v", uri, out, perr)
		}
		in, _ := url.Parse(uri)
		if u.Scheme != in.Scheme || u.Host != in.Host {
			t.Fatalf("buildURI(%q) = %q changed the scheme or host", uri, out)
		}
		if risky := riskyParams(u.Query()); len(risky) > 0 && !insecure {
			t.Fatalf("buildURI(%q) = %q accepted %v without insecure", uri, out, risky)
		}
		if len(warnings) > 0 && !insecure {
			t.Fatalf("buildURI(%q) warned %v without insecure", uri, warnings)
		}
		q := u.Query()
		for param, want := range map[string]string{"keyfile": key, "known_hosts": knownHosts, "pkipath": pki} {
			if want != "" && q.Get(param) != want {
				t.Fatalf("buildURI(%q) = %q lost %s=%q", uri, out, param, want)
			}
		}
	})
}
