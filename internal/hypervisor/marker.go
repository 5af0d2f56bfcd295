package hypervisor

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// An apply that is killed (SIGKILL, the OOM killer, a CI timeout) while a
// create runs leaves objects that no state knows. Each object the provider
// makes therefore carries a create marker: who made it, and whether that
// create finished. The next create of the same name takes over what an
// abandoned create left; everything else of that name is refused.
//
// Domains carry it in their <metadata> (domain_metadata.go). Networks and
// volumes have no metadata in libvirt 9.0, so theirs is a sidecar: a small
// JSON volume in the console pool (volume_sidecar.go), present only while the
// create is in flight.

// Create marker states.
const (
	CreateInFlight = "in-flight"
	CreateFinished = "created"
)

// CreateMarker says which create made an object and whether it finished.
type CreateMarker struct {
	ID    string `json:"id"`
	State string `json:"state"`
	// Host is the host name of the machine that ran the provider, PID its
	// process and PIDStart the process's start time in clock ticks since boot
	// (/proc/<pid>/stat field 22), so that a reused pid is not taken for the
	// creator.
	Host     string    `json:"host"`
	PID      int       `json:"pid"`
	PIDStart uint64    `json:"pid_start,omitempty"`
	Started  time.Time `json:"started"`
	// Deadline is the start plus the create's timeout: after it the create
	// cannot still run, as its context has expired.
	Deadline time.Time `json:"deadline"`
}

// NewCreateMarker returns an in-flight marker of a create by this process
// that ends at deadline.
func NewCreateMarker(deadline time.Time) *CreateMarker {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	host, _ := os.Hostname()
	pid := os.Getpid()
	start, _ := ProcessStart(pid)
	return &CreateMarker{
		ID: hex.EncodeToString(b), State: CreateInFlight, Host: host, PID: pid, PIDStart: start,
		Started: time.Now().UTC().Truncate(time.Second), Deadline: deadline.UTC().Truncate(time.Second).Add(time.Second),
	}
}

// processStartHook replaces ProcessStart in unit tests.
var processStartHook func(pid int) (uint64, bool)

// ProcessStart returns the start time of process pid in clock ticks since
// boot, and whether the process exists.
func ProcessStart(pid int) (uint64, bool) {
	if processStartHook != nil {
		return processStartHook(pid)
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command (field 2) is in parentheses and may hold spaces: count the
	// fields after its closing parenthesis, where field 3 starts.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0, false
	}
	v, err := strconv.ParseUint(f[19], 10, 64) // field 22
	if err != nil {
		return 0, false
	}
	return v, true
}

// Abandoned reports whether m is the marker of a create that can no longer
// finish, with the reason: its deadline passed, or it ran on this machine
// in a process that is gone. A finished create, or one that may still run,
// is not abandoned.
func (m CreateMarker) Abandoned(now time.Time) (bool, string) {
	if m.State != CreateInFlight {
		return false, ""
	}
	if !m.Deadline.IsZero() && now.After(m.Deadline) {
		return true, fmt.Sprintf("its time limit passed at %s", m.Deadline.Format(time.RFC3339))
	}
	host, _ := os.Hostname()
	if m.Host != "" && m.Host == host {
		start, ok := ProcessStart(m.PID)
		if !ok {
			return true, fmt.Sprintf("process %d on %s is gone", m.PID, m.Host)
		}
		if m.PIDStart != 0 && start != m.PIDStart {
			return true, fmt.Sprintf("process %d on %s is gone (its pid belongs to another process now)", m.PID, m.Host)
		}
	}
	return false, ""
}

// Describe says which create m is, for messages.
func (m CreateMarker) Describe() string {
	return fmt.Sprintf("create %s by process %d on %s, started %s", m.ID, m.PID, m.Host, m.Started.Format(time.RFC3339))
}

// Refusal explains why an object of name with marker m (nil: none) is not
// taken over by a create; "" when it is abandoned and may be taken over.
func (m *CreateMarker) Refusal(kind, name string, now time.Time) string {
	adopt := "To manage it with Terraform, adopt it on purpose with an `import` block (or `terraform import`), or choose another name."
	switch {
	case m == nil:
		return fmt.Sprintf("A %s named %q exists already, made outside this provider (it carries no create marker). %s", kind, name, adopt)
	case m.State == CreateFinished:
		return fmt.Sprintf("A %s named %q exists already, created by Terraform (%s); it belongs to some state, perhaps another workspace's. %s", kind, name, m.Describe(), adopt)
	}
	if ok, _ := m.Abandoned(now); ok {
		return ""
	}
	return fmt.Sprintf("A %s named %q is being created by %s; if that process is gone, the next apply after %s takes it over.",
		kind, name, m.Describe(), m.Deadline.Format(time.RFC3339))
}

// Adopted is the warning detail for an object taken over from an abandoned create.
func (m CreateMarker) Adopted(kind, name string, now time.Time) string {
	_, why := m.Abandoned(now)
	return fmt.Sprintf("Adopted %s %s left by an interrupted create (%s; %s): it was rebuilt to the planned configuration.", kind, name, m.Describe(), why)
}

// SidecarRefusal is Refusal for an object whose marker is a sidecar
// (volume_sidecar.go), where no sidecar means no create in flight: the object was
// made outside the provider, or by a create that finished.
func SidecarRefusal(m *CreateMarker, kind, name string, now time.Time) string {
	if m == nil {
		return fmt.Sprintf("A %s named %q exists already, and no create of it is in flight: it was made outside this provider, "+
			"or by a create that finished, so it belongs to some state, perhaps another workspace's. To manage it with Terraform, "+
			"adopt it on purpose with an `import` block (or `terraform import`), or choose another name.", kind, name)
	}
	return m.Refusal(kind, name, now)
}
