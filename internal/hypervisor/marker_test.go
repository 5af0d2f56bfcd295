package hypervisor

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// ProcessStart reads this process's start time, and says that a pid that
// cannot exist does not.
func TestProcessStart(t *testing.T) {
	start, ok := ProcessStart(os.Getpid())
	if !ok || start == 0 {
		t.Fatalf("ProcessStart(own pid) = %d, %v; want a start time", start, ok)
	}
	if again, _ := ProcessStart(os.Getpid()); again != start {
		t.Errorf("start time changed: %d then %d", start, again)
	}
	if _, ok := ProcessStart(1 << 30); ok {
		t.Error("ProcessStart of an impossible pid says it exists")
	}
}

// Abandoned: only an in-flight create whose deadline passed, or whose
// process on this machine is gone (or its pid reused), can be taken over.
func TestCreateMarkerAbandoned(t *testing.T) {
	host, _ := os.Hostname()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	own, _ := ProcessStart(os.Getpid())
	live := CreateMarker{ID: "a", State: CreateInFlight, Host: host, PID: os.Getpid(), PIDStart: own, Started: now.Add(-time.Minute), Deadline: now.Add(time.Hour)}
	cases := map[string]struct {
		m    CreateMarker
		want bool
		why  string
	}{
		"live process here":    {live, false, ""},
		"deadline passed":      {with(live, func(m *CreateMarker) { m.Deadline = now.Add(-time.Second) }), true, "time limit passed"},
		"process gone":         {with(live, func(m *CreateMarker) { m.PID = 1 << 30 }), true, "is gone"},
		"pid reused":           {with(live, func(m *CreateMarker) { m.PIDStart = own + 1 }), true, "another process"},
		"other host, in time":  {with(live, func(m *CreateMarker) { m.Host = "elsewhere"; m.PID = 1 << 30 }), false, ""},
		"other host, too late": {with(live, func(m *CreateMarker) { m.Host = "elsewhere"; m.Deadline = now.Add(-time.Second) }), true, "time limit"},
		"finished":             {with(live, func(m *CreateMarker) { m.State = CreateFinished; m.PID = 1 << 30 }), false, ""},
		"finished, late":       {with(live, func(m *CreateMarker) { m.State = CreateFinished; m.Deadline = now.Add(-time.Hour) }), false, ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, why := c.m.Abandoned(now)
			if got != c.want || !strings.Contains(why, c.why) {
				t.Errorf("Abandoned = %v, %q; want %v, containing %q", got, why, c.want, c.why)
			}
		})
	}
}

func with(m CreateMarker, f func(*CreateMarker)) CreateMarker { f(&m); return m }

// Refusal names the reason: no marker, a finished create (another state),
// or a create that may still run (with its deadline); none when abandoned.
func TestCreateMarkerRefusal(t *testing.T) {
	now := time.Now()
	m := NewCreateMarker(now.Add(time.Hour))
	for _, c := range []struct {
		m    *CreateMarker
		want string
	}{
		{nil, "made outside this provider"},
		{&CreateMarker{ID: "b", State: CreateFinished}, "perhaps another workspace's"},
		{m, "is being created by create " + m.ID},
		{&CreateMarker{ID: "c", State: CreateInFlight, Deadline: now.Add(-time.Second)}, ""},
	} {
		got := c.m.Refusal("libvirt domain", "x", now)
		if c.want == "" && got != "" || !strings.Contains(got, c.want) {
			t.Errorf("Refusal(%+v) = %q; want %q", c.m, got, c.want)
		}
		if c.want != "" && !strings.Contains(got, "import") && c.m != m {
			t.Errorf("Refusal %q does not say how to adopt on purpose", got)
		}
	}
}

// NewCreateMarker describes this process, with a deadline after its start.
func TestNewCreateMarker(t *testing.T) {
	deadline := time.Now().Add(10 * time.Minute)
	m := NewCreateMarker(deadline)
	if m.State != CreateInFlight || m.PID != os.Getpid() || m.PIDStart == 0 || len(m.ID) != 16 {
		t.Errorf("marker %+v", m)
	}
	if m.Deadline.Before(deadline) || !m.Started.Before(m.Deadline) {
		t.Errorf("deadline %v for %v, started %v", m.Deadline, deadline, m.Started)
	}
	if ok, _ := m.Abandoned(time.Now()); ok {
		t.Error("a create of this process is abandoned")
	}
}

// The marker survives the definition's round trip, a redefinition without
// one (an update), and MarkDomainCreated, beside the family.
func TestDomainCreateMarkerOnTestDriver(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	name := "unit-marker-1"
	m := NewCreateMarker(time.Now().Add(time.Hour))
	spec := DomainSpec{Name: name, Type: "qemu", MemoryMiB: 32, VCPUs: 1, Kernel: "/k", Family: "linux", Create: m}
	uuid, err := c.DefineDomain(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.UndefineDomain(ctx, name) })
	read := func() *CreateMarker {
		t.Helper()
		info, err := c.ReadDomain(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if info.Spec.Family != "linux" {
			t.Errorf("family %q after the marker changed", info.Spec.Family)
		}
		if info.Spec.Create == nil {
			t.Fatal("the marker was dropped")
		}
		return info.Spec.Create
	}
	if got := read(); got.ID != m.ID || got.State != CreateInFlight || got.PID != m.PID || got.PIDStart != m.PIDStart ||
		!got.Deadline.Equal(m.Deadline) || !got.Started.Equal(m.Started) || got.Host != m.Host {
		t.Errorf("read back %+v, want %+v", got, m)
	}
	spec.Create, spec.UUID, spec.MemoryMiB = nil, uuid, 48
	if _, err := c.DefineDomain(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if got := read(); got.ID != m.ID || got.State != CreateInFlight {
		t.Errorf("after a redefinition: %+v", got)
	}
	if err := c.StartDomain(ctx, name); err != nil {
		t.Fatal(err)
	}
	if err := c.MarkDomainCreated(ctx, name); err != nil {
		t.Fatal(err)
	}
	if got := read(); got.ID != m.ID || got.State != CreateFinished {
		t.Errorf("after MarkDomainCreated: %+v", got)
	}
	if err := c.MarkDomainCreated(ctx, name); err != nil {
		t.Errorf("marking twice: %v", err)
	}
	_ = c.StopDomain(ctx, name, 0)
	if got := read(); got.State != CreateFinished {
		t.Errorf("after a stop: %+v", got)
	}
}

// A domain without a marker (made outside the provider) stays without one.
func TestMarkDomainCreatedWithoutMarker(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	name := "unit-marker-2"
	if _, err := c.DefineDomain(ctx, DomainSpec{Name: name, Type: "qemu", MemoryMiB: 32, VCPUs: 1, Kernel: "/k"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.UndefineDomain(ctx, name) })
	if err := c.MarkDomainCreated(ctx, name); err != nil {
		t.Fatal(err)
	}
	info, err := c.ReadDomain(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if info.Spec.Create != nil {
		t.Errorf("marker %+v appeared", info.Spec.Create)
	}
}
