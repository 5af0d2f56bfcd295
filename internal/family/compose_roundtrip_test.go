package family

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// What a guest of each family sees, by the models of the runtimes' own
// parsers (parse_test.go), when it boots the line Compose writes: its
// arguments exactly as given, its environment, and its static address.

var roundTripWords = []string{
	"plain", "two words", `say "hi"`, "it's", `back\slash`, "a=b", "x.y=z", "--flag=on", "tab\there",
	"ünïcødé", "日本", "ends]", "[starts", "semi;colon", "amp&", "bang!", "dollar$HOME", "--",
	"--solo5:quiet", "help", "", " lead", "trail ", "\"", "\\", "'", "é", "à",
}

var roundTripEnv = map[string]string{"GREETING": "hi there", "PATH_LIST": "/a:/b", "Q": `say "hi"`, "EMPTY": "", "U": "ünï"}

// check composes in for family, parses the line as the guest would, and says
// what differs; "" when the guest sees exactly in.
func check(t *testing.T, family string, in Input) (string, bool) {
	t.Helper()
	r, _ := Lookup(family)
	line, probs := r.Compose(in)
	if len(probs) > 0 {
		return "", false
	}
	static := map[int]Static{}
	for _, s := range in.Static {
		static[s.Index] = s
	}
	wantEnv := func(prefix string) []string {
		var out []string
		for _, k := range sortedKeys(in.Env) {
			out = append(out, prefix+k+"="+in.Env[k])
		}
		return out
	}
	args := in.Args
	if args == nil {
		args = []string{}
	}
	switch family {
	case Solo5:
		_, argv := parseSolo5Mirage(line)
		var want []string
		if s, ok := static[0]; ok {
			want = append(want, "--ipv4="+s.Address.String(), "--ipv4-gateway="+s.Gateway.String())
		}
		want = append(want, args...)
		if !slices.Equal(argv, want) {
			return fmt.Sprintf("%q: MirageOS sees %q, want %q", line, argv, want), true
		}
	case Unikraft:
		params, argv := parseUnikraft(line)
		if !slices.Equal(argv, args) {
			return fmt.Sprintf("%q: the application sees %q, want %q", line, argv, args), true
		}
		if s, ok := static[0]; ok && !slices.Equal(params["netdev.ip"], []string{s.Address.String() + ":" + s.Gateway.String()}) {
			return fmt.Sprintf("%q: netdev.ip is %q", line, params["netdev.ip"]), true
		}
		if len(in.Env) > 0 && !slices.Equal(params["env.vars"], wantEnv("")) {
			return fmt.Sprintf("%q: env.vars is %q, want %q", line, params["env.vars"], wantEnv("")), true
		}
	case Linux:
		kernel, argv, env := parseLinux(line)
		if !slices.Equal(argv, args) {
			return fmt.Sprintf("%q: /init gets %q, want %q", line, argv, args), true
		}
		for _, kv := range wantEnv("") {
			if !slices.Contains(env, kv) {
				return fmt.Sprintf("%q: /init's environment %q lacks %q", line, env, kv), true
			}
		}
		if s, ok := static[0]; ok && !slices.Contains(kernel, fmt.Sprintf("ip=%s::%s:%s::eth0:off", s.Address.Addr(), s.Gateway, s.Mask())) {
			return fmt.Sprintf("%q: the kernel's parameters %q lack ip=", line, kernel), true
		}
	case OSv:
		opts, cmds := parseOSv(line)
		if !reflect.DeepEqual(cmds, [][]string{args}) {
			return fmt.Sprintf("%q: OSv runs %q, want %q", line, cmds, args), true
		}
		for _, o := range wantEnv("--env=") {
			if !slices.Contains(opts, o) {
				return fmt.Sprintf("%q: OSv's options %q lack %q", line, opts, o), true
			}
		}
		for _, s := range in.Static {
			if o := fmt.Sprintf("--ip=eth%d,%s,%s", s.Index, s.Address.Addr(), s.Mask()); !slices.Contains(opts, o) {
				return fmt.Sprintf("%q: OSv's options %q lack %q", line, opts, o), true
			}
		}
	}
	return "", true
}

func TestComposeRoundTrip(t *testing.T) {
	net0 := []Static{static(0, "10.0.0.2/24", "10.0.0.1")}
	composed := map[string]int{}
	for _, family := range []string{Solo5, Unikraft, Linux, OSv} {
		for _, w := range roundTripWords {
			for _, in := range []Input{
				{Args: []string{w}, Kernel: true},
				{Args: []string{"/prog", w, "last"}, Kernel: true, Static: net0, Interfaces: 1},
				{Args: []string{"/prog", w}, Kernel: true, Env: map[string]string{"K": w}},
			} {
				if family == Solo5 {
					in.Env = nil
				}
				diff, ok := check(t, family, in)
				if diff != "" {
					t.Errorf("%s %q: %s", family, w, diff)
				}
				if ok {
					composed[family]++
				}
			}
		}
		// Every family's environment, where it has one, with the awkward values it can carry.
		env := map[string]string{}
		for k, v := range roundTripEnv {
			in := Input{Args: []string{"/prog"}, Env: map[string]string{k: v}, Kernel: true}
			if _, ok := check(t, family, in); ok && family != Solo5 {
				env[k] = v
			}
		}
		if family != Solo5 {
			if len(env) < 2 {
				t.Errorf("%s carries almost no environment: %v", family, env)
			}
			if diff, _ := check(t, family, Input{Args: []string{"/prog"}, Env: env, Kernel: true}); diff != "" {
				t.Errorf("%s env %v: %s", family, env, diff)
			}
		}
	}
	for _, family := range []string{Solo5, Unikraft, Linux, OSv} {
		if composed[family] < len(roundTripWords) {
			t.Errorf("%s composed only %d of %d inputs: it refuses too much", family, composed[family], 3*len(roundTripWords))
		}
	}
}

// FuzzComposeRoundTrip: whatever args and environment a family accepts, its
// guest sees exactly.
func FuzzComposeRoundTrip(f *testing.F) {
	for _, w := range roundTripWords {
		f.Add(uint8(0), w, "v")
	}
	f.Fuzz(func(t *testing.T, which uint8, a, b string) {
		if fuzzTooLong(a, b) {
			return
		}
		family := []string{Solo5, Unikraft, Linux, OSv}[int(which)%4]
		in := Input{Args: []string{"/prog", a, b}, Kernel: true, Static: []Static{static(0, "10.1.2.3/16", "10.1.0.1")}, Interfaces: 1}
		if family != Solo5 {
			in.Env = map[string]string{"A": b, "B_2": a}
		}
		if diff, _ := check(t, family, in); diff != "" {
			t.Error(diff)
		}
		if strings.ContainsAny(a+b, "\x00\n") {
			r, _ := Lookup(family)
			if _, probs := r.Compose(in); len(probs) == 0 {
				t.Errorf("%s composed a NUL or newline", family)
			}
		}
	})
}
