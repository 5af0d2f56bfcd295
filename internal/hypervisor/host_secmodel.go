package hypervisor

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"libvirt.org/go/libvirtxml"
)

// Security is how the host confines the QEMU processes of a domain type, as
// its capabilities' <secmodel> elements say.
type Security struct {
	// Models are the security drivers in use, in the capabilities' order:
	// "dac", "apparmor", "selinux" (a host without any reports "none").
	Models []string
	// UID and GID are the user and group QEMU runs as, from the DAC base
	// label of the domain type (`+64055:+64055` on stock Debian). -1 when the
	// host reports no DAC label.
	UID, GID int
}

// Has reports whether model is among the host's security models.
func (s Security) Has(model string) bool { return slices.Contains(s.Models, model) }

// User describes the QEMU user for messages: its name on this machine when
// it has one (only meaningful for a local hypervisor), and its uid and gid.
func (s Security) User(local bool) string {
	if s.UID < 0 {
		return "an unknown user"
	}
	ids := fmt.Sprintf("uid %d, gid %d", s.UID, s.GID)
	if local {
		if u, err := user.LookupId(strconv.Itoa(s.UID)); err == nil {
			return fmt.Sprintf("%s (%s)", u.Username, ids)
		}
	}
	return ids
}

// SecurityFromCaps is the Security of domain type typ in caps. Pure.
func SecurityFromCaps(caps *libvirtxml.Caps, typ string) Security {
	s := Security{UID: -1, GID: -1}
	for _, m := range caps.Host.SecModel {
		s.Models = append(s.Models, m.Name)
		if m.Name != "dac" {
			continue
		}
		// The label of typ, else the first one.
		for _, l := range m.Labels {
			uid, gid, ok := parseDACLabel(l.Value)
			if !ok {
				continue
			}
			if l.Type == typ || s.UID < 0 {
				s.UID, s.GID = uid, gid
			}
			if l.Type == typ {
				break
			}
		}
	}
	return s
}

// parseDACLabel reads a DAC label: `+UID:+GID`, as libvirt reports it in the
// capabilities.
func parseDACLabel(v string) (uid, gid int, ok bool) {
	u, g, found := strings.Cut(v, ":")
	if !found {
		return 0, 0, false
	}
	uid, err1 := strconv.Atoi(strings.TrimPrefix(u, "+"))
	gid, err2 := strconv.Atoi(strings.TrimPrefix(g, "+"))
	if err1 != nil || err2 != nil || uid < 0 || gid < 0 {
		return 0, 0, false
	}
	return uid, gid, true
}

// Access bits for PathBlocked.
const (
	AccessRead  = 4
	AccessWrite = 2
	AccessExec  = 1
)

// PathBlocked walks p's ancestors on this machine and returns the first
// directory that uid (with gid and the supplementary groups of uid's user)
// may not enter, or p itself when it lacks the access bits want (0 checks
// only the directories: libvirt's dynamic ownership gives QEMU's user the
// file itself, not its directories). It returns "" when nothing blocks, and
// for root. Directories with an access control list are taken as passable:
// only their mode bits are read.
func PathBlocked(p string, uid, gid int, want uint32) string {
	if uid <= 0 || !filepath.IsAbs(p) {
		return ""
	}
	groups := map[int]bool{gid: true}
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		if ids, err := u.GroupIds(); err == nil {
			for _, id := range ids {
				if n, err := strconv.Atoi(id); err == nil {
					groups[n] = true
				}
			}
		}
	}
	allowed := func(path string, bits uint32) bool {
		var st syscall.Stat_t
		if err := syscall.Stat(path, &st); err != nil {
			return true // missing or unreadable to us: not this check's to report
		}
		if hasACL(path) {
			return true
		}
		mode := st.Mode & 0o777
		switch {
		case int(st.Uid) == uid:
			mode >>= 6
		case groups[int(st.Gid)]:
			mode >>= 3
		}
		return mode&bits == bits
	}
	clean := filepath.Clean(p)
	var dirs []string
	for d := filepath.Dir(clean); ; d = filepath.Dir(d) {
		dirs = append(dirs, d)
		if d == "/" {
			break
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if !allowed(dirs[i], AccessExec) {
			return dirs[i]
		}
	}
	if want != 0 && !allowed(clean, want) {
		return clean
	}
	return ""
}

func hasACL(p string) bool {
	n, err := syscall.Getxattr(p, "system.posix_acl_access", nil)
	return err == nil && n > 0
}

// FileMode describes p's mode and owner for messages ("" when p cannot be read).
func FileMode(p string) string {
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		return ""
	}
	owner := strconv.Itoa(int(st.Uid))
	if u, err := user.LookupId(owner); err == nil {
		owner = u.Username
	}
	return fmt.Sprintf("%s, owner %s", os.FileMode(st.Mode&0o777), owner)
}
