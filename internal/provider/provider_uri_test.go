package provider

import (
	"errors"
	"strings"
	"testing"
)

func TestBuildURI_remoteSettings(t *testing.T) {
	cases := []struct {
		name    string
		uri     string
		r       remoteSettings
		want    string
		attr    string // error attribute, when an error is expected
		warning bool
	}{
		{name: "local unchanged", uri: "qemu:///system", want: "qemu:///system"},
		{name: "socket unchanged", uri: "qemu:///system?socket=/run/x/libvirt-sock", want: "qemu:///system?socket=/run/x/libvirt-sock"},
		{name: "ssh key", uri: "qemu+ssh://root@h/system", r: remoteSettings{SSHKeyFile: "/k/id"},
			want: "qemu+ssh://root@h/system?keyfile=/k/id"},
		{name: "libssh known hosts and auto", uri: "qemu+libssh://root@h/system",
			r:    remoteSettings{SSHKeyFile: "/k/id", SSHKnownHostsFile: "/k/known", SSHHostKeyCheck: "auto"},
			want: "qemu+libssh://root@h/system?keyfile=/k/id&known_hosts=/k/known&known_hosts_verify=auto"},
		{name: "ssh known hosts refused", uri: "qemu+ssh://h/system", r: remoteSettings{SSHKnownHostsFile: "/k/known"}, attr: "ssh_known_hosts_file"},
		{name: "ssh auto refused", uri: "qemu+ssh://h/system", r: remoteSettings{SSHHostKeyCheck: "auto"}, attr: "ssh_host_key_check"},
		{name: "ssh ignore needs insecure", uri: "qemu+ssh://h/system", r: remoteSettings{SSHHostKeyCheck: "ignore"}, attr: "ssh_host_key_check"},
		{name: "ssh ignore with insecure", uri: "qemu+ssh://h/system", r: remoteSettings{SSHHostKeyCheck: "ignore", Insecure: true},
			want: "qemu+ssh://h/system?no_verify=1", warning: true},
		{name: "no_verify in uri refused", uri: "qemu+tls://h/system?no_verify=1", attr: "uri"},
		{name: "no_verify=0 fine", uri: "qemu+tls://h/system?no_verify=0", want: "qemu+tls://h/system?no_verify=0"},
		{name: "known_hosts_verify=ignore refused", uri: "qemu+libssh://h/system?known_hosts_verify=ignore", attr: "uri"},
		{name: "command refused", uri: "qemu+ssh://h/system?command=/tmp/x", attr: "uri"},
		{name: "command with insecure", uri: "qemu+ssh://h/system?command=/tmp/x", r: remoteSettings{Insecure: true},
			want: "qemu+ssh://h/system?command=/tmp/x", warning: true},
		{name: "tls pki", uri: "qemu+tls://h/system", r: remoteSettings{TLSPKIPath: "/p"}, want: "qemu+tls://h/system?pkipath=/p"},
		{name: "tls pki on ssh refused", uri: "qemu+ssh://h/system", r: remoteSettings{TLSPKIPath: "/p"}, attr: "tls_pki_path"},
		{name: "ssh key on local refused", uri: "qemu:///system", r: remoteSettings{SSHKeyFile: "/k"}, attr: "ssh_key_file"},
		{name: "conflicting key", uri: "qemu+ssh://h/system?keyfile=/a", r: remoteSettings{SSHKeyFile: "/b"}, attr: "ssh_key_file"},
		{name: "same key twice fine", uri: "qemu+ssh://h/system?keyfile=/a", r: remoteSettings{SSHKeyFile: "/a"}, want: "qemu+ssh://h/system?keyfile=/a"},
		{name: "not a uri", uri: "system", attr: "uri"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, warnings, err := buildURI(c.uri, c.r)
			if c.attr != "" {
				var ue *uriError
				if !errors.As(err, &ue) || ue.Attr != c.attr {
					t.Fatalf("want an error on %s, got %v (uri %q)", c.attr, err, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
			if (len(warnings) > 0) != c.warning {
				t.Errorf("warnings %v, want some: %v", warnings, c.warning)
			}
			for _, w := range warnings {
				if !strings.Contains(w, "insecure") {
					t.Errorf("warning does not name insecure: %s", w)
				}
			}
		})
	}
}
