package provider

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Remote settings of the provider block that the URI cannot carry well (file
// paths, host-key checking). They map onto libvirt's own URI parameters; the
// provider adds no transport of its own.
type remoteSettings struct {
	SSHKeyFile        string // keyfile=
	SSHKnownHostsFile string // known_hosts=
	SSHHostKeyCheck   string // known_hosts_verify= (libssh, libssh2) or no_verify=1 (ssh)
	TLSPKIPath        string // pkipath=
	Insecure          bool
}

// Host-key checking choices of `ssh_host_key_check`.
var hostKeyChecks = []string{"normal", "auto", "ignore"}

// uriError is a configuration problem with the attribute it belongs to.
type uriError struct {
	Attr string
	Msg  string
}

func (e *uriError) Error() string { return e.Msg }

// riskyParams are URI parameters that turn off the check of who is at the
// other end, or run an arbitrary local command. They are refused unless
// `insecure = true`.
func riskyParams(q url.Values) []string {
	var risky []string
	if v := q.Get("no_verify"); v != "" && v != "0" {
		risky = append(risky, "no_verify="+v+" (skips the check of the server's host key or certificate)")
	}
	if strings.EqualFold(q.Get("known_hosts_verify"), "ignore") {
		risky = append(risky, "known_hosts_verify=ignore (accepts any SSH host key)")
	}
	if q.Has("command") {
		risky = append(risky, "command= (runs a local program of its own instead of ssh)")
	}
	if q.Has("proxy") && q.Get("proxy") != "auto" && q.Get("proxy") != "native" && q.Get("proxy") != "netcat" {
		risky = append(risky, "proxy="+q.Get("proxy"))
	}
	return risky
}

// transportOf returns the transport of a libvirt URI: "unix" for local
// URIs, else what follows "+" in the scheme (ssh, libssh, libssh2, tls, tcp).
func transportOf(u *url.URL) string {
	if _, t, ok := strings.Cut(u.Scheme, "+"); ok {
		return strings.ToLower(t)
	}
	if u.Host != "" {
		return "tls" // libvirt's default for a remote host without transport
	}
	return "unix"
}

// buildURI adds the remote settings to uri as libvirt URI parameters and
// checks the result. It returns the URI to open and warnings for the user.
func buildURI(uri string, r remoteSettings) (string, []string, error) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" {
		return "", nil, &uriError{"uri", fmt.Sprintf("%q is not a libvirt URI: expected a form like qemu:///system, "+
			"qemu+ssh://user@host/system or qemu+tls://host/system", uri)}
	}
	p := uriParams{q: u.Query(), uri: uri, tr: transportOf(u)}
	before := encodeQuery(p.q)
	if err := p.addSSH(r); err != nil {
		return "", nil, err
	}
	if r.TLSPKIPath != "" && p.tr != "tls" {
		return "", nil, &uriError{"tls_pki_path", fmt.Sprintf("`tls_pki_path` applies to qemu+tls:// URIs only; the URI %q uses the %s transport", uri, p.tr)}
	}
	if err := p.set("tls_pki_path", "pkipath", r.TLSPKIPath); err != nil {
		return "", nil, err
	}
	warnings, err := checkRisky(p.q, u.Host, r)
	if err != nil {
		return "", nil, err
	}
	if encodeQuery(p.q) == before {
		return uri, warnings, nil
	}
	u.RawQuery = encodeQuery(p.q)
	return u.String(), warnings, nil
}

// uriParams are the query parameters of a libvirt URI being built from the provider's settings.
type uriParams struct {
	q   url.Values
	uri string // as the user wrote it
	tr  string // its transport
}

// set sets param from the attribute attr; a URI that already has another value for it is an error.
func (p uriParams) set(attr, param, value string) error {
	if value == "" {
		return nil
	}
	if old := p.q.Get(param); old != "" && old != value {
		return &uriError{attr, fmt.Sprintf("`%s` sets %s=%s, but the URI already has %s=%s: set it in one place only",
			attr, param, value, param, old)}
	}
	p.q.Set(param, value)
	return nil
}

// addSSH adds the SSH settings, which apply to SSH transports only; OpenSSH (qemu+ssh://) takes
// host keys and their checking from its own configuration.
func (p uriParams) addSSH(r remoteSettings) error {
	tr := p.tr
	if r.SSHKeyFile != "" || r.SSHKnownHostsFile != "" || r.SSHHostKeyCheck != "" {
		attr := "ssh_key_file"
		if r.SSHKeyFile == "" {
			attr = "ssh_known_hosts_file"
			if r.SSHKnownHostsFile == "" {
				attr = "ssh_host_key_check"
			}
		}
		if tr != "ssh" && tr != "libssh" && tr != "libssh2" {
			return &uriError{attr, fmt.Sprintf("`%s` applies to SSH URIs only (qemu+ssh://, qemu+libssh://, qemu+libssh2://); "+
				"the URI %q uses the %s transport", attr, p.uri, tr)}
		}
	}
	if err := p.set("ssh_key_file", "keyfile", r.SSHKeyFile); err != nil {
		return err
	}
	if r.SSHKnownHostsFile != "" && tr == "ssh" {
		return &uriError{"ssh_known_hosts_file", "qemu+ssh:// runs OpenSSH, which takes host keys from its own files, " +
			"not from libvirt: set `UserKnownHostsFile` for the host in ~/.ssh/config, or use qemu+libssh:// (libvirt's " +
			"built-in SSH client), which honours `ssh_known_hosts_file`"}
	}
	if err := p.set("ssh_known_hosts_file", "known_hosts", r.SSHKnownHostsFile); err != nil {
		return err
	}
	switch {
	case r.SSHHostKeyCheck == "" || (r.SSHHostKeyCheck == "normal" && tr == "ssh"):
		return nil
	case tr == "ssh" && r.SSHHostKeyCheck == "auto":
		return &uriError{"ssh_host_key_check", "qemu+ssh:// runs OpenSSH: to add unknown host keys automatically, " +
			"set `StrictHostKeyChecking accept-new` for the host in ~/.ssh/config"}
	case tr == "ssh" && r.SSHHostKeyCheck == "ignore":
		return p.set("ssh_host_key_check", "no_verify", "1")
	default:
		return p.set("ssh_host_key_check", "known_hosts_verify", r.SSHHostKeyCheck)
	}
}

// checkRisky refuses parameters that weaken the check of which host answers, unless insecure is
// set, in which case they become warnings.
func checkRisky(q url.Values, host string, r remoteSettings) ([]string, error) {
	risky := riskyParams(q)
	if len(risky) == 0 {
		return nil, nil
	}
	if !r.Insecure {
		attr := "uri"
		if r.SSHHostKeyCheck == "ignore" {
			attr = "ssh_host_key_check"
		}
		return nil, &uriError{attr, fmt.Sprintf("The connection would use %s. These weaken or bypass the check "+
			"of which host you talk to. Remove them, or set `insecure = true` in the provider block to accept the risk.",
			strings.Join(risky, ", "))}
	}
	return []string{fmt.Sprintf("insecure = true: the connection to %s uses %s.", host, strings.Join(risky, ", "))}, nil
}

// encodeQuery encodes q in a stable order, keeping '/' readable in paths.
func encodeQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			b.WriteString(strings.ReplaceAll(url.QueryEscape(v), "%2F", "/"))
		}
	}
	return b.String()
}
