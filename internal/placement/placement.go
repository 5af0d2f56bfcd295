// Package placement decides which host each replica of a fleet runs on.
//
// The rule is deterministic and stable:
//
//  1. A replica that already runs on a listed host that is not draining stays there.
//  2. Replicas at or above the requested count are dropped (the highest indexes go first).
//  3. Every other replica, in index order, goes to the host that has the fewest replicas for its
//     weight (spread first), among the hosts with room for its memory; a tie goes to the host with
//     the most free memory left, then to the first name.
//
// So adding a host moves nothing that runs, and removing or draining one moves only its replicas.
package placement

import (
	"fmt"
	"sort"
	"strings"
)

// Host is one place replicas can run.
type Host struct {
	Name string
	// Weight scales the host's share of the replicas (2 takes twice as many as 1). Zero means 1.
	Weight float64
	// FreeMemoryMiB is the memory the host has for new replicas; negative means unknown, which
	// places without a memory check.
	FreeMemoryMiB int64
	// Drain moves the host's replicas elsewhere and places none on it, so that it can be removed.
	Drain bool
}

// Request is what to place.
type Request struct {
	Hosts     []Host
	Replicas  int
	MemoryMiB int64
	// Current maps a replica's index to the host it runs on now.
	Current map[int]string
}

// Move is a replica that leaves its host.
type Move struct {
	Replica  int
	From, To string
	// Why says why it moves: the host was removed or is draining.
	Why string
}

// Result is where each replica goes.
type Result struct {
	// Hosts holds the host of replica i at index i.
	Hosts []string
	Moves []Move
}

// PerHost lists the replica indexes of each host, in order; every host of hosts has an entry.
func (r Result) PerHost(hosts []Host) map[string][]int {
	out := make(map[string][]int, len(hosts))
	for _, h := range hosts {
		out[h.Name] = []int{}
	}
	for i, h := range r.Hosts {
		out[h] = append(out[h], i)
	}
	return out
}

// Place applies the rule of the package comment.
func Place(req Request) (Result, error) {
	if err := check(req); err != nil {
		return Result{}, err
	}
	hosts := append([]Host(nil), req.Hosts...)
	sort.Slice(hosts, func(i, j int) bool { return hosts[i].Name < hosts[j].Name })
	byName := make(map[string]*Host, len(hosts))
	for i := range hosts {
		if hosts[i].Weight == 0 {
			hosts[i].Weight = 1
		}
		byName[hosts[i].Name] = &hosts[i]
	}
	res := Result{Hosts: make([]string, req.Replicas)}
	count := make(map[string]int, len(hosts))
	free := make(map[string]int64, len(hosts))
	for _, h := range hosts {
		free[h.Name] = h.FreeMemoryMiB
	}
	for i := 0; i < req.Replicas; i++ {
		if h, ok := byName[req.Current[i]]; ok && !h.Drain {
			res.Hosts[i] = h.Name
			count[h.Name]++
		}
	}
	for i := 0; i < req.Replicas; i++ {
		if res.Hosts[i] != "" {
			continue
		}
		best := pick(hosts, count, free, req.MemoryMiB)
		if best == "" {
			return Result{}, noRoom(i, req.MemoryMiB, hosts, free)
		}
		res.Hosts[i] = best
		count[best]++
		if free[best] >= 0 {
			free[best] -= req.MemoryMiB
		}
		if from, ok := req.Current[i]; ok && from != "" {
			why := "its host is no longer listed"
			if h, listed := byName[from]; listed && h.Drain {
				why = "its host is draining"
			}
			res.Moves = append(res.Moves, Move{Replica: i, From: from, To: best, Why: why})
		}
	}
	return res, nil
}

// pick returns the host for one more replica, or "" when none has room.
func pick(hosts []Host, count map[string]int, free map[string]int64, mem int64) string {
	best := ""
	var bestLoad float64
	var bestFree int64
	for _, h := range hosts {
		if h.Drain || (free[h.Name] >= 0 && free[h.Name] < mem) {
			continue
		}
		load := float64(count[h.Name]) / h.Weight
		f := free[h.Name]
		if best == "" || load < bestLoad || (load == bestLoad && roomier(f, bestFree)) {
			best, bestLoad, bestFree = h.Name, load, f
		}
	}
	return best
}

// roomier reports whether free memory a beats b; unknown (negative) counts as the most.
func roomier(a, b int64) bool {
	switch {
	case a < 0 && b < 0:
		return false
	case a < 0:
		return true
	case b < 0:
		return false
	}
	return a > b
}

func check(req Request) error {
	if req.Replicas < 0 {
		return fmt.Errorf("replicas must be 0 or more, got %d", req.Replicas)
	}
	if req.MemoryMiB <= 0 {
		return fmt.Errorf("memory must be a positive number of MiB, got %d", req.MemoryMiB)
	}
	seen := map[string]bool{}
	usable := 0
	for _, h := range req.Hosts {
		switch {
		case h.Name == "":
			return fmt.Errorf("every host needs a name")
		case seen[h.Name]:
			return fmt.Errorf("host %q is listed twice", h.Name)
		case h.Weight < 0:
			return fmt.Errorf("host %q: weight must be more than 0, got %g", h.Name, h.Weight)
		}
		seen[h.Name] = true
		if !h.Drain {
			usable++
		}
	}
	if req.Replicas > 0 && usable == 0 {
		return fmt.Errorf("%d replicas need at least one host that is not draining", req.Replicas)
	}
	return nil
}

func noRoom(i int, mem int64, hosts []Host, free map[string]int64) error {
	var parts []string
	for _, h := range hosts {
		switch {
		case h.Drain:
			parts = append(parts, fmt.Sprintf("%s is draining", h.Name))
		default:
			parts = append(parts, fmt.Sprintf("%s has %d MiB free", h.Name, free[h.Name]))
		}
	}
	return fmt.Errorf("replica %d needs %d MiB and no host has room for it: %s", i, mem, strings.Join(parts, ", "))
}
