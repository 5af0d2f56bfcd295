package provider

import (
	"errors"
	"strings"
	"testing"

	"github.com/unikernel-dev/terraform-provider-unikernel/internal/hypervisor"
)

func TestHostChecks_fixForEachMissingFeature(t *testing.T) {
	console := hypervisor.ConsolePool{Name: "unikernel-console", Path: "/var/lib/unikernel/console"}
	stock := hostFacts{
		Types:    []string{"kvm", "qemu"},
		Security: hypervisor.Security{Models: []string{"apparmor", "dac"}, UID: 64055, GID: 64055},
		UserName: "libvirt-qemu (uid 64055, gid 64055)",
		EFI:      true, RNG: []string{"random", "egd"}, Console: console,
	}
	byName := func(cs []hostCheck) map[string]hostCheck {
		m := map[string]hostCheck{}
		for _, c := range cs {
			m[c.Name] = c
		}
		return m
	}
	got := hostChecks(stock)
	names := []string{}
	for _, c := range got {
		names = append(names, c.Name)
		if !c.OK || c.Fix != "" {
			t.Errorf("stock host: %+v, want ok without a fix", c)
		}
	}
	if strings.Join(names, ",") != "qemu_user,kvm,uefi,rng,console_pool" {
		t.Fatalf("names %v", names)
	}
	if d := byName(got)["qemu_user"].Detail; !strings.Contains(d, "libvirt-qemu (uid 64055") || !strings.Contains(d, "apparmor, dac") {
		t.Errorf("qemu_user detail %q", d)
	}

	bad := stock
	bad.Types = []string{"qemu"}
	bad.EFI = false
	bad.RNG = []string{"egd"}
	bad.ConsoleDef = &hypervisor.PoolInfo{Spec: hypervisor.PoolSpec{Path: "/srv/consoles"}}
	m := byName(hostChecks(bad))
	for name, want := range map[string]string{
		"kvm": "kvm_intel", "uefi": "ovmf", "rng": "rng = false", "console_pool": `console_path = "/srv/consoles"`,
	} {
		if c := m[name]; c.OK || !strings.Contains(c.Fix, want) {
			t.Errorf("%s: %+v, want not ok with a fix naming %q", name, c, want)
		}
	}

	blocked := stock
	blocked.KVMBlocked, blocked.KVMMode = "/dev/kvm", "-rw-------, owner root"
	if c := byName(hostChecks(blocked))["kvm"]; c.OK || !strings.Contains(c.Detail, "libvirt-qemu") || !strings.Contains(c.Fix, "chmod 0660 /dev/kvm") {
		t.Errorf("kvm with /dev/kvm closed: %+v", c)
	}

	failed := stock
	failed.SecurityErr, failed.RNGErr, failed.ConsoleErr = errors.New("e1"), errors.New("e2"), errors.New("e3")
	for _, c := range hostChecks(failed) {
		if (c.Name == "qemu_user" || c.Name == "rng" || c.Name == "console_pool") && (c.OK || c.Fix == "") {
			t.Errorf("read error: %+v, want not ok with a fix", c)
		}
	}

	root := stock
	root.Security.UID, root.Security.GID = 0, 0
	if c := byName(hostChecks(root))["qemu_user"]; !c.OK || !strings.Contains(c.Detail, "as root") {
		t.Errorf("root: %+v", c)
	}
	xen := hostFacts{Xen: true, Types: []string{"xen"}, EFI: true, Console: console}
	for _, c := range hostChecks(xen) {
		if !c.OK {
			t.Errorf("xen: %+v", c)
		}
	}
}
