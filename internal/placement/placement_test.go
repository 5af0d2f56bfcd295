package placement

import (
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

func hosts(names ...string) []Host {
	var hs []Host
	for _, n := range names {
		hs = append(hs, Host{Name: n, FreeMemoryMiB: -1})
	}
	return hs
}

func current(assigned []string) map[int]string {
	m := map[int]string{}
	for i, h := range assigned {
		m[i] = h
	}
	return m
}

func TestPlace_spreadsBeforeStacking(t *testing.T) {
	res, err := Place(Request{Hosts: hosts("c", "a", "b"), Replicas: 5, MemoryMiB: 16})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a", "b", "c", "a", "b"}
	if !reflect.DeepEqual(res.Hosts, want) {
		t.Fatalf("hosts = %v, want %v", res.Hosts, want)
	}
	per := res.PerHost(hosts("a", "b", "c"))
	if !reflect.DeepEqual(per["c"], []int{2}) || !reflect.DeepEqual(per["a"], []int{0, 3}) {
		t.Fatalf("per host = %v", per)
	}
}

func TestPlace_weights(t *testing.T) {
	hs := hosts("a", "b")
	hs[1].Weight = 2
	res, err := Place(Request{Hosts: hs, Replicas: 6, MemoryMiB: 16})
	if err != nil {
		t.Fatal(err)
	}
	per := res.PerHost(hs)
	if len(per["a"]) != 2 || len(per["b"]) != 4 {
		t.Fatalf("weight 1 and 2 over 6 replicas: %v", per)
	}
}

func TestPlace_freeMemoryBreaksTiesAndBounds(t *testing.T) {
	hs := []Host{{Name: "a", FreeMemoryMiB: 40}, {Name: "b", FreeMemoryMiB: 100}, {Name: "c", FreeMemoryMiB: 10}}
	res, err := Place(Request{Hosts: hs, Replicas: 4, MemoryMiB: 32})
	if err != nil {
		t.Fatal(err)
	}
	// c never has room; b has the most free memory, so it takes the first replica and the third.
	want := []string{"b", "a", "b", "b"}
	if !reflect.DeepEqual(res.Hosts, want) {
		t.Fatalf("hosts = %v, want %v", res.Hosts, want)
	}
	_, err = Place(Request{Hosts: hs, Replicas: 5, MemoryMiB: 32})
	if err == nil || !strings.Contains(err.Error(), "replica 4 needs 32 MiB") || !strings.Contains(err.Error(), "c has 10 MiB free") {
		t.Fatalf("a fifth replica of 32 MiB fits nowhere; got %v", err)
	}
}

func TestPlace_addingAHostMovesNothing(t *testing.T) {
	before, err := Place(Request{Hosts: hosts("a", "b"), Replicas: 6, MemoryMiB: 16})
	if err != nil {
		t.Fatal(err)
	}
	after, err := Place(Request{Hosts: hosts("a", "b", "c"), Replicas: 9, MemoryMiB: 16, Current: current(before.Hosts)})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(after.Hosts[:6], before.Hosts) || len(after.Moves) != 0 {
		t.Fatalf("running replicas moved: before %v, after %v, moves %v", before.Hosts, after.Hosts, after.Moves)
	}
	if want := []string{"c", "c", "c"}; !reflect.DeepEqual(after.Hosts[6:], want) {
		t.Fatalf("new replicas went to %v, want the new host first: %v", after.Hosts[6:], want)
	}
}

func TestPlace_removingOrDrainingMovesOnlyItsReplicas(t *testing.T) {
	before, _ := Place(Request{Hosts: hosts("a", "b", "c"), Replicas: 6, MemoryMiB: 16})
	for _, tc := range []struct {
		name  string
		hosts []Host
		why   string
	}{
		{"removed", hosts("a", "c"), "no longer listed"},
		{"draining", append(hosts("a", "c"), Host{Name: "b", Drain: true, FreeMemoryMiB: -1}), "draining"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			after, err := Place(Request{Hosts: tc.hosts, Replicas: 6, MemoryMiB: 16, Current: current(before.Hosts)})
			if err != nil {
				t.Fatal(err)
			}
			for i, h := range before.Hosts {
				if h != "b" && after.Hosts[i] != h {
					t.Errorf("replica %d moved from %s to %s", i, h, after.Hosts[i])
				}
				if after.Hosts[i] == "b" {
					t.Errorf("replica %d stays on b", i)
				}
			}
			if len(after.Moves) != 2 {
				t.Fatalf("moves = %v, want the two replicas of b", after.Moves)
			}
			for _, m := range after.Moves {
				if m.From != "b" || !strings.Contains(m.Why, tc.why) {
					t.Errorf("move %+v", m)
				}
			}
		})
	}
}

func TestPlace_scaleDownDropsHighestIndexes(t *testing.T) {
	before, _ := Place(Request{Hosts: hosts("a", "b"), Replicas: 5, MemoryMiB: 16})
	after, err := Place(Request{Hosts: hosts("a", "b"), Replicas: 3, MemoryMiB: 16, Current: current(before.Hosts)})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(after.Hosts, before.Hosts[:3]) {
		t.Fatalf("after = %v, before = %v", after.Hosts, before.Hosts)
	}
}

func TestPlace_badInput(t *testing.T) {
	for _, tc := range []struct {
		req  Request
		want string
	}{
		{Request{Hosts: hosts("a"), Replicas: -1, MemoryMiB: 16}, "replicas must be 0 or more"},
		{Request{Hosts: hosts("a"), Replicas: 1}, "memory must be a positive"},
		{Request{Hosts: hosts("a", "a"), Replicas: 1, MemoryMiB: 16}, `host "a" is listed twice`},
		{Request{Hosts: []Host{{Name: "a", Weight: -1}}, Replicas: 1, MemoryMiB: 16}, "weight must be more than 0"},
		{Request{Hosts: []Host{{Name: "a", Drain: true}}, Replicas: 1, MemoryMiB: 16}, "not draining"},
		{Request{Replicas: 1, MemoryMiB: 16}, "not draining"},
	} {
		if _, err := Place(tc.req); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want %q", tc.req, err, tc.want)
		}
	}
	if res, err := Place(Request{Replicas: 0, MemoryMiB: 16}); err != nil || len(res.Hosts) != 0 {
		t.Errorf("no replicas and no hosts: %v %v", res, err)
	}
}

// Over random fleets: the result is the same for the same input, every replica that ran on a listed
// host that is not draining stays, no host gets more than its memory, and with equal weights and
// no memory bound the counts differ by at most one when nothing was placed before.
func TestPlace_properties(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	names := []string{"a", "b", "c", "d", "e"}
	for round := 0; round < 2000; round++ {
		var hs []Host
		for _, n := range names[:1+rng.Intn(len(names))] {
			hs = append(hs, Host{Name: n, FreeMemoryMiB: int64(rng.Intn(400)) - 1, Drain: rng.Intn(8) == 0})
		}
		req := Request{Hosts: hs, Replicas: rng.Intn(20), MemoryMiB: 16, Current: map[int]string{}}
		for i := 0; i < 25; i++ {
			if rng.Intn(2) == 0 {
				req.Current[i] = names[rng.Intn(len(names))]
			}
		}
		res, err := Place(req)
		again, err2 := Place(req)
		if (err == nil) != (err2 == nil) || !reflect.DeepEqual(res, again) {
			t.Fatalf("round %d: not deterministic", round)
		}
		if err != nil {
			continue
		}
		used := map[string]int64{}
		for i, h := range res.Hosts {
			cur, had := req.Current[i]
			for _, x := range hs {
				if had && x.Name == cur && !x.Drain && h != cur {
					t.Fatalf("round %d: replica %d left %s for %s", round, i, cur, h)
				}
			}
			if !had || cur != h {
				used[h] += req.MemoryMiB
			}
		}
		for _, h := range hs {
			if h.FreeMemoryMiB >= 0 && used[h.Name] > h.FreeMemoryMiB {
				t.Fatalf("round %d: %s got %d MiB of new replicas with %d free", round, h.Name, used[h.Name], h.FreeMemoryMiB)
			}
		}
	}
	for n := 1; n < 30; n++ {
		res, err := Place(Request{Hosts: hosts("a", "b", "c"), Replicas: n, MemoryMiB: 16})
		if err != nil {
			t.Fatal(err)
		}
		per := res.PerHost(hosts("a", "b", "c"))
		lo, hi := n, 0
		for _, is := range per {
			lo, hi = min(lo, len(is)), max(hi, len(is))
		}
		if hi-lo > 1 {
			t.Fatalf("%d replicas over three hosts: %v", n, per)
		}
	}
}
