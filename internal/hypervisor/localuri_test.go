package hypervisor

import "testing"

func TestLocalURI(t *testing.T) {
	for uri, want := range map[string]bool{
		"qemu:///system":                       true,
		"qemu:///session":                      true,
		"qemu+unix:///system":                  true,
		"qemu:///system?socket=/run/x/sock":    true,
		"xen:///system":                        true,
		"test:///default":                      true,
		"qemu+ssh://root@host/system":          false,
		"qemu+ssh://localhost/system":          false,
		"qemu+tls://host.example/system":       false,
		"qemu+tcp://10.0.0.1/system":           false,
		"qemu://host/system":                   false,
		"xen+ssh://root@127.0.0.1:2222/system": false,
		"":                                     false,
		"%zz":                                  false,
	} {
		if got := LocalURI(uri); got != want {
			t.Errorf("LocalURI(%q) = %v, want %v", uri, got, want)
		}
	}
}
