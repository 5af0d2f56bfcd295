#!/usr/bin/env bash
# Fault: Terraform and its provider killed with SIGKILL mid-apply (a CI
# job's timeout, the OOM killer, a second Ctrl-C), then ONE plain apply (or
# destroy) must converge: exit 0, an empty `plan -detailed-exitcode`, every
# object in state exactly once, and after the final destroy the leak checker
# finds nothing (nor a create marker naming the run). Used by
# `make testacc-faults`.
#   scripts/fault-sigkill.sh [SCENARIO...]
# Scenarios (default: all, in this order):
#   create   apply of 10 instances on a network (static addresses, so DHCP
#            reservations), killed while some are defined, some started and
#            all of those waiting at a readiness gate that cannot match
#   upload   an image of 400 MiB (random bytes, sha256 pinned), killed while
#            its volume is partly written
#   network  apply of 3 networks, killed at libvirt's first network define event
#   update   a restart-class update (memory) of 5 running instances, killed
#            once one of them is shut off (between shutdown and start)
#   redefine the same update, killed once all 5 are redefined and before
#            any is shut off (the new definition saved, the old one running)
#   destroy  destroy of 10 instances, killed once the first domain is gone
#   foreign  a domain of the planned name defined outside Terraform (virsh
#            define), and one created by another working directory's apply,
#            are both refused by an apply that names the domain
#   window   measures the time between the provider returning a finished
#            create and the CLI writing it to the state file (TF_LOG=trace)
# The URI comes from UNIKERNEL_URI, else LIBVIRT_DEFAULT_URI (as the leak
# checker's); the CLI from TF_ACC_TERRAFORM_PATH (else scripts/terraform-cli.sh
# any); the provider from PROVIDER_DIR (else build/bin, see scripts/tf-dev.sh).
# For each scenario it prints what the kill left (domains with their state,
# networks with reservations, pools, volumes with console logs and overlays,
# create markers, qemu processes, state) and what is left after the repair.
# Exits non-zero when any scenario fails.
set -euo pipefail
# shellcheck disable=SC2016,SC2015 # conditions are evaluated later; A && B || C is meant
# shellcheck source-path=SCRIPTDIR source=fleet.sh
. "$(dirname "$0")/fleet.sh"
fleet_init sigkill
uri="${UNIKERNEL_URI:-${LIBVIRT_DEFAULT_URI:-qemu:///system}}"
export UNIKERNEL_URI="$uri"
kernel="$root/build/guests/multiboot/kernel.elf"
[ -f "$kernel" ] || { echo "fault-sigkill: $kernel missing (make guests)" >&2; exit 1; }
[ -x "${PROVIDER_DIR:-$root/build/bin}/terraform-provider-unikernel" ] ||
	{ echo "fault-sigkill: no provider in ${PROVIDER_DIR:-$root/build/bin} (make build)" >&2; exit 1; }
net3="$((RANDOM % 200 + 20))" # third octet of the run's 10.243.x.0/24 networks
# shellcheck disable=SC2034 # kept with the other ranges for readers
consolepool="${UNIKERNEL_CONSOLE_POOL:-unikernel-console}"
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(create upload network update redefine destroy foreign window)

v() { virsh -q -c "$uri" "$@"; }
tf() { local d="$1"; shift; "$root/scripts/tf-dev.sh" "$d" "$@"; }
now() { date +%s.%N; }
secs() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.2f", e - s }'; }
say() { echo "fault-sigkill: $*"; }
(cd "$root" && go build -o "$work/leakcheck" ./internal/acctest/leakcheck)

# ---- configurations -------------------------------------------------------
header() { qemu_provider_header; }
# instances N NAME MEMORY GATE [NETWORK-EXPR ADDRESS-PREFIX]
instances() {
	local nic=""
	[ -z "${5:-}" ] || nic="network_interfaces = [{ network = $5, ipv4_address = \"$6.\${count.index + 10}\" }]"
	cat <<TF
resource "unikernel_instance" "s" {
  count            = $1
  name             = "$2-\${count.index}"
  kernel           = "$kernel"
  cmdline          = "sk \${count.index}"
  memory           = $3
  shutdown_timeout = "0s"
  $nic
  wait_for = {
    console = "$4"
    timeout = "5m"
  }
}
TF
}
network() { # NAME COUNT CIDR-PREFIX (x.y, the third octet is net3 + count.index)
	cat <<TF
resource "unikernel_network" "n" {
  count     = $2
  name      = "$1-\${count.index}"
  mode      = "isolated"
  ipv4_cidr = "$3.\${$net3 + count.index}.0/24"
}
TF
}
ready="UNIKERNEL-READY cmdline=sk [0-9]+\$"
never="NEVER-PRINTED"

# ---- inventory ------------------------------------------------------------
# markers PREFIX: create markers (sidecar JSON volumes create-*.json in any
# pool) whose content names PREFIX.
markers() {
	local p vol f="$work/marker.json"
	for p in $(v pool-list --all --name 2>/dev/null); do
		for vol in $(v vol-list "$p" 2>/dev/null | awk '$1 ~ /^create-.*\.json$/ { print $1 }'); do
			v vol-download --pool "$p" "$vol" "$f" >/dev/null 2>&1 || continue
			grep -q "$1" "$f" && echo "$p/$vol: $(tr -d '\n' <"$f")"
		done
	done
	return 0
}
# inventory DIR PREFIX: what the host and the state hold of the run.
inventory() {
	local d="$1" p="$2" x n=0
	for x in $(v list --all --name | grep "^$p" || true); do
		echo "    domain $x: $(v domstate "$x" 2>/dev/null || echo gone)"; n=$((n + 1))
	done
	for x in $(v net-list --all --name | grep "^$p" || true); do
		echo "    network $x: $(v net-info "$x" 2>/dev/null | awk '/^Active/ { print ($2 == "yes" ? "active" : "inactive") }'), $(v net-dumpxml "$x" 2>/dev/null | grep -c '<host ' || true) DHCP reservations"
		n=$((n + 1))
	done
	for x in $(v net-list --all --name); do # reservations of the run's instances in other networks
		v net-dumpxml "$x" 2>/dev/null | grep "<host .*name=['\"]$p" | sed "s/^ */    reservation in $x: /" || true
	done
	for x in $(v pool-list --all --name); do
		if [[ "$x" == "$p"* ]]; then echo "    pool $x"; n=$((n + 1)); fi
		# Files in the pool's directory too: a console log that virtlogd
		# wrote is a volume only after the pool's next refresh.
		{ v vol-list "$x" 2>/dev/null | awk '{ print $1 }'; ls "$(v pool-dumpxml "$x" 2>/dev/null | sed -n 's|.*<path>\(.*\)</path>.*|\1|p' | head -1)" 2>/dev/null; } |
			sort -u | awk -v p="$p" -v pool="$x" '$1 ~ "^" p { print "    volume " pool "/" $1 }' || true
	done >"$work/vols"
	cat "$work/vols"
	n=$((n + $(grep -c . "$work/vols" || true)))
	markers "$p" | sed 's/^/    create marker /'
	x="$(pgrep -fc "guest=$p" || true)"
	[ "$x" -eq 0 ] || echo "    qemu processes: $x"
	echo "    in state: $(tf "$d" state list 2>/dev/null | wc -l) objects; on the host: $n objects named $p"
}

# ---- the CLI, killed --------------------------------------------------------
# start DIR ARGS...: runs the CLI in the background, output in DIR/killed.log.
start() {
	local d="$1"; shift
	"$root/scripts/tf-dev.sh" "$d" "$@" >"$d/killed.log" 2>&1 &
	pid=$!
	t0=$(now)
}
# until_ COND SECONDS: polls the shell condition every 50 ms while the CLI runs.
until_() {
	local end
	end=$(($(date +%s) + $2))
	while ! eval "$1"; do
		kill -0 "$pid" 2>/dev/null || { echo "the CLI ended (exit $(wait "$pid"; echo $?)) before: $1"; tail -20 "$d/killed.log"; return 1; }
		[ "$(date +%s)" -lt "$end" ] || { echo "not within $2 s: $1"; return 1; }
		sleep 0.05
	done
}
# sigkill: SIGKILL to the CLI and its provider process(es) at once.
sigkill() {
	local kids
	kids="$(pgrep -P "$pid" | tr '\n' ' ' || true)"
	# shellcheck disable=SC2086 # several pids
	kill -KILL "$pid" $kids 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	say "  SIGKILL after $(secs "$t0") s to the CLI ($pid) and its provider ($(for k in $kids; do ps -o comm= -p "$k" 2>/dev/null || echo "$k gone"; done | tr '\n' ' '))"
	for k in $kids; do
		for _ in $(seq 1 50); do kill -0 "$k" 2>/dev/null || break; sleep 0.1; done
		! kill -0 "$k" 2>/dev/null || { echo "process $k survived SIGKILL"; return 1; }
	done
	[ -n "$kids" ] || { echo "no provider process under the CLI at the kill"; return 1; }
}

# ---- checks -----------------------------------------------------------------
# converge DIR PREFIX VERB COUNT: one plain apply (or destroy) must exit 0, the
# plan after it be empty, the state hold COUNT objects, each once.
converge() {
	local d="$1" p="$2" verb="$3" want="$4" s rc=0 have dup n
	s=$(now)
	tf "$d" "$verb" -auto-approve -input=false >"$d/repair.log" 2>&1 || rc=$?
	say "  one $verb after the kill: exit $rc in $(secs "$s") s"
	if [ "$rc" -ne 0 ]; then grep -A8 "Error:" "$d/repair.log" | grep -v '^--$\|^ *$' | head -40; return 1; fi
	n="$(grep -c "Warning: Adopted" "$d/repair.log" || true)"
	[ "$n" -eq 0 ] || say "  it adopted $n objects; the first warning:"
	grep -m1 -A6 "Warning: Adopted" "$d/repair.log" | grep -v "^ *$" | sed 's/^/    /' || true
	rc=0
	local destroy=()
	[ "$verb" = apply ] || destroy=(-destroy)
	tf "$d" plan -input=false -detailed-exitcode "${destroy[@]}" >"$d/plan.log" 2>&1 || rc=$?
	[ "$rc" -eq 0 ] || { echo "the plan after the $verb is not empty (exit $rc)"; grep -E "#|Error" "$d/plan.log" | head -20; return 1; }
	have="$(tf "$d" state list | wc -l)"
	dup="$(tf "$d" state list | sort | uniq -d)"
	[ "$have" -eq "$want" ] && [ -z "$dup" ] || { echo "state holds $have objects (want $want), duplicates: $dup"; return 1; }
	if [ "$verb" = apply ]; then
		local doms ids
		doms="$(v list --all --name | grep -c "^$p" || true)"
		ids="$(tf "$d" state list | grep -c unikernel_instance || true)"
		[ "$doms" -eq "$ids" ] || { echo "$doms domains named $p on the host, $ids instances in state"; return 1; }
	fi
}
# finish DIR PREFIX: destroy, then nothing named PREFIX may be left.
finish() {
	local d="$1" p="$2" s
	s=$(now)
	tf "$d" destroy -auto-approve -input=false >"$d/destroy.log" 2>&1 || { echo "destroy failed"; tail -20 "$d/destroy.log"; return 1; }
	say "  destroy in $(secs "$s") s"
	leaks "$p"
}
leaks() {
	local m
	"$work/leakcheck" "$1" >"$work/leak.log" 2>&1 || { cat "$work/leak.log"; return 1; }
	m="$(markers "$1")"
	[ -z "$m" ] || { echo "create markers left: $m"; return 1; }
}
# scrub DIR PREFIX: after a failure, remove whatever of the run is left.
scrub() {
	local d="$1" p="$2" x pool
	tf "$d" destroy -auto-approve -input=false >/dev/null 2>&1 || true
	for x in $(v list --all --name | grep "^$p" || true); do
		v destroy "$x" >/dev/null 2>&1 || true
		v undefine "$x" --nvram --managed-save >/dev/null 2>&1 || v undefine "$x" >/dev/null 2>&1 || true
	done
	for x in $(v net-list --all --name | grep "^$p" || true); do
		v net-destroy "$x" >/dev/null 2>&1 || true; v net-undefine "$x" >/dev/null 2>&1 || true
	done
	for pool in $(v pool-list --all --name); do
		for x in $(v vol-list "$pool" 2>/dev/null | awk -v p="$p" '$1 ~ "^" p { print $1 }'); do
			v vol-delete --pool "$pool" "$x" >/dev/null 2>&1 || true
		done
		{ markers "$p" | grep "^$pool/" || true; } | while IFS=: read -r x _; do v vol-delete --pool "$pool" "${x#*/}" >/dev/null 2>&1 || true; done
	done
	for x in $(v pool-list --all --name | grep "^$p" || true); do
		v pool-destroy "$x" >/dev/null 2>&1 || true; v pool-delete "$x" >/dev/null 2>&1 || true; v pool-undefine "$x" >/dev/null 2>&1 || true
	done
	for pool in $(v pool-list --all --name); do # console logs not yet volumes
		x="$(v pool-dumpxml "$pool" 2>/dev/null | sed -n 's|.*<path>\(.*\)</path>.*|\1|p' | head -1)"
		[ -z "$x" ] || rm -f "$x/$p"*.log
	done
	return 0
}

# ---- scenarios --------------------------------------------------------------
# Each prepares DIR with what must already be in state, then runs the CLI,
# kills it at its moment, and repairs.

sc_create() {
	local d="$1" p="$2"
	{ header; network "$p-net" 1 10.243; } >"$d/main.tf"
	tf "$d" apply -auto-approve -input=false >"$d/setup.log" 2>&1 || { tail -20 "$d/setup.log"; return 1; }
	{ header; network "$p-net" 1 10.243; instances 10 "$p" 16 "$never" "unikernel_network.n[0].name" "10.243.$net3"; } >"$d/main.tf"
	start "$d" apply -auto-approve -input=false
	# Kill once 4 run (and so wait at the gate); the rest are defined or not yet.
	until_ '[ "$(v list --name | grep -c "^$p-" || true)" -ge 4 ]' 300 || return 1
	sigkill || return 1
	left "$d" "$p"
	{ header; network "$p-net" 1 10.243; instances 10 "$p" 16 "$ready" "unikernel_network.n[0].name" "10.243.$net3"; } >"$d/main.tf"
	converge "$d" "$p" apply 11 || return 1
	[ "$(v list --name | grep -c "^$p-" || true)" -eq 10 ] || { echo "not all 10 instances run after the repair"; return 1; }
}

# written IMAGE VOLUME: how many leading bytes of VOLUME are IMAGE's (0 when
# it does not exist yet).
written() {
	[ -f "$2" ] || { echo 0; return; }
	local o
	o="$(cmp "$1" "$2" 2>/dev/null | sed -n 's/.* differ: byte \([0-9]*\),.*/\1/p')"
	if [ -n "$o" ]; then echo $((o - 1)); else stat -c %s "$2"; fi
}
sc_upload() {
	local d="$1" p="$2" img="$1/big.img" sum size vol
	mkdir -p "$d/pool"
	head -c 400M /dev/urandom >"$img"
	sum="$(sha256sum "$img" | cut -d' ' -f1)"
	size="$(stat -c %s "$img")"
	pool() {
		header
		cat <<TF
resource "unikernel_pool" "p" {
  name = "$p-pool"
  path = "$d/pool"
}
TF
	}
	pool >"$d/main.tf"
	tf "$d" apply -auto-approve -input=false >"$d/setup.log" 2>&1 || { tail -20 "$d/setup.log"; return 1; }
	{ pool; cat <<TF
resource "unikernel_image" "i" {
  name   = "$p-img"
  pool   = unikernel_pool.p.name
  source = "$img"
  sha256 = "$sum"
  format = "raw"
}
TF
	} >"$d/main.tf"
	vol="$d/pool/$p-img"
	start "$d" apply -auto-approve -input=false
	# Partly written: the upload is sequential, so the first byte that
	# differs from the image's tells how far it got (the volume's file is
	# allocated in full at its creation). Kill past 4 MiB.
	until_ '[ "$(written "$img" "$vol")" -gt 4194304 ]' 300 || return 1
	sigkill || return 1
	say "  the volume held the first $(written "$img" "$vol") of $size bytes at the kill"
	left "$d" "$p"
	converge "$d" "$p" apply 2 || return 1
	[ "$(sha256sum "$vol" | cut -d' ' -f1)" = "$sum" ] || { echo "the volume's bytes are not the image's after the repair"; return 1; }
}

# The kill follows libvirt's first network define event: polling the network list let another of the
# three creates finish in between, and a create that has returned but is not yet in the state is the
# window that the window scenario measures, not a kill in the middle of a create.
sc_network() {
	local d="$1" p="$2" ev
	{ header; network "$p-net" 3 10.244; } >"$d/main.tf"
	v net-event --loop --event lifecycle >"$d/events" 2>&1 &
	ev=$!
	sleep 0.3
	start "$d" apply -auto-approve -input=false
	until_ 'grep -aq "for network $p-net.*Defined" "$d/events"' 120 || { kill "$ev"; return 1; }
	sigkill || { kill "$ev"; return 1; }
	kill "$ev" 2>/dev/null || true
	left "$d" "$p"
	converge "$d" "$p" apply 3
}

# kill_at_event DIR MOMENT COMMAND: records libvirt's events into DIR/events,
# runs `COMMAND -auto-approve` in DIR, and SIGKILLs the CLI and its provider
# once the shell condition MOMENT holds (within 300 s); the recording stops.
kill_at_event() {
	local d="$1" moment="$2" ev
	v event --all --loop --timestamp >"$d/events" 2>&1 &
	ev=$!
	sleep 0.3
	start "$d" "$3" -auto-approve -input=false
	until_ "$moment" 300 || { kill "$ev"; return 1; }
	sigkill || { kill "$ev"; return 1; }
	kill "$ev" 2>/dev/null || true
}

sc_update() { update "$1" "$2" 'grep -aq "Stopped" "$d/events"'; }
# The moment all 5 are redefined with the new memory, before any is stopped.
sc_redefine() { update "$1" "$2" '[ "$(grep -ac "Defined Updated" "$d/events")" -ge 5 ]'; }
update() {
	local d="$1" p="$2" moment="$3"
	{ header; instances 5 "$p" 16 "$ready"; } >"$d/main.tf"
	tf "$d" apply -auto-approve -input=false >"$d/setup.log" 2>&1 || { tail -20 "$d/setup.log"; return 1; }
	{ header; instances 5 "$p" 24 "$ready"; } >"$d/main.tf"
	kill_at_event "$d" "$moment" apply || return 1
	sed 's/^/    event /' "$d/events" | grep -a "^    event .*'$p" | head -20
	left "$d" "$p"
	converge "$d" "$p" apply 5 || return 1
	local x bad=0
	for x in $(v list --all --name | grep "^$p-"); do
		[ "$(v dominfo "$x" | awk '/^Max memory/ { print $3 }')" = $((24 * 1024)) ] || { echo "$x: $(v dominfo "$x" | grep -i memory)"; bad=1; }
		[ "$(v domstate "$x")" = running ] || { echo "$x is $(v domstate "$x")"; bad=1; }
	done
	return "$bad"
}

sc_destroy() {
	local d="$1" p="$2"
	{ header; instances 10 "$p" 16 "$ready"; } >"$d/main.tf"
	tf "$d" apply -auto-approve -input=false >"$d/setup.log" 2>&1 || { tail -20 "$d/setup.log"; return 1; }
	kill_at_event "$d" 'grep -aq "Undefined" "$d/events"' destroy || return 1
	left "$d" "$p"
	converge "$d" "$p" destroy 0 || return 1
	leaks "$p"
}

sc_foreign() {
	local d="$1" p="$2" w="$1/other" rc=0
	mkdir -p "$w"
	# Made outside Terraform.
	cat >"$d/dom.xml" <<XML
<domain type="qemu"><name>$p-out</name><memory unit="MiB">16</memory>
<os><type arch="x86_64" machine="pc">hvm</type><kernel>$kernel</kernel></os></domain>
XML
	v define "$d/dom.xml" >/dev/null
	{ header; instances 1 "$p-out" 16 "$ready"; } | sed "s/\"$p-out-\${count.index}\"/\"$p-out\"/" >"$d/main.tf"
	tf "$d" apply -auto-approve -input=false >"$d/out.log" 2>&1 || rc=$?
	say "  apply of a domain defined with virsh: exit $rc: $(grep -m1 -o "A libvirt domain.*\|Error: .*" "$d/out.log" || true)"
	[ "$rc" -ne 0 ] && grep -q "$p-out" "$d/out.log" || { echo "the apply did not refuse $p-out by name"; tail -20 "$d/out.log"; return 1; }
	[ "$(v domstate "$p-out")" = "shut off" ] || { echo "the outside domain $p-out was changed: $(v domstate "$p-out")"; return 1; }
	[ "$(tf "$d" state list | wc -l)" -eq 0 ] || { echo "the refused domain is in state"; return 1; }
	v undefine "$p-out" >/dev/null
	# Made by another working directory's apply, which completed.
	{ header; instances 1 "$p-ws" 16 "$ready"; } | sed "s/\"$p-ws-\${count.index}\"/\"$p-ws\"/" >"$w/main.tf"
	tf "$w" apply -auto-approve -input=false >"$w/out.log" 2>&1 || { tail -20 "$w/out.log"; return 1; }
	cp "$w/main.tf" "$d/main.tf"
	rc=0
	tf "$d" apply -auto-approve -input=false >"$d/out.log" 2>&1 || rc=$?
	say "  apply of another workspace's domain: exit $rc: $(grep -m1 -o "A libvirt domain.*\|Error: .*" "$d/out.log" || true)"
	[ "$rc" -ne 0 ] && grep -q "$p-ws" "$d/out.log" || { echo "the apply did not refuse $p-ws by name"; tail -20 "$d/out.log"; return 1; }
	[ "$(v domstate "$p-ws")" = running ] || { echo "the other workspace's $p-ws was changed: $(v domstate "$p-ws")"; return 1; }
	rc=0
	tf "$w" plan -input=false -detailed-exitcode >"$w/plan.log" 2>&1 || rc=$?
	[ "$rc" -eq 0 ] || { echo "the other workspace's plan is not empty after the refusal (exit $rc)"; return 1; }
	finish "$w" "$p"
}

# window: the provider's return of a finished create against the moment the
# CLI's state file holds it. One instance is ready at once, the other waits
# at a gate that cannot match, so the apply is still running when the first
# create returns; the CLI is killed a second after the state file holds it
# (or after SIGKILL_WINDOW_WAIT seconds, default 60: OpenTofu 1.12 does not
# write the local state file during an apply), then one apply must converge.
sc_window() {
	local d="$1" p="$2"
	{ header; instances 1 "$p-fast" 16 "$ready"; instances 1 "$p-slow" 16 "$never" | sed 's/"s"/"slow"/'; } >"$d/main.tf"
	export TF_LOG=trace TF_LOG_PATH="$d/trace.log"
	start "$d" apply -auto-approve -input=false
	unset TF_LOG TF_LOG_PATH
	until_ 'grep -q "$p-fast-0" "$d/terraform.tfstate" 2>/dev/null' "${SIGKILL_WINDOW_WAIT:-60}" || true
	say "  the state file held $p-fast-0 after $(secs "$t0") s: $(grep -c "$p-fast-0" "$d/terraform.tfstate" 2>/dev/null || echo no)"
	sleep 1
	sigkill || return 1
	[ -z "${SIGKILL_TRACE:-}" ] || cp "$d/trace.log" "$SIGKILL_TRACE"
	# The fast instance's request id, the provider's last log line of its
	# create (a "marked created" line when the provider logs one, else the
	# framework's "Called provider defined Resource Create"), and the CLI's
	# next write of the state file.
	local t="$d/trace.log" req n mark called written
	req="$(grep "defining domain" "$t" | grep "$p-fast-0" | grep -o 'tf_req_id=[0-9a-f-]*' | head -1)"
	[ -n "$req" ] || { echo "no create of $p-fast-0 in the trace"; return 1; }
	called="$(grep -n "Called provider defined Resource Create" "$t" | grep "$req" | head -1)"
	n="${called%%:*}"
	mark="$(grep -i "marked\|marker" "$t" | grep "$req" | tail -1 | cut -d' ' -f1)"
	written="$(tail -n +"$n" "$t" | grep -m1 "writing snapshot at" | cut -d' ' -f1)"
	called="$(printf '%s' "${called#*:}" | cut -d' ' -f1)"
	tsec() { [ -z "$1" ] && return; printf '%s' "$1" | awk -F'[T:Z]' '{ printf "%.3f", $2 * 3600 + $3 * 60 + $4 }'; }
	say "  create of $p-fast-0: provider marked it created at ${mark:-(no marker line)}, returned at $called, the CLI wrote the state file at $written"
	local what=returned
	[ -z "$mark" ] || what=marked
	if [ -n "$written" ]; then
		say "  window (provider $what -> state file written): $(awk -v a="$(tsec "${mark:-$called}")" -v b="$(tsec "$written")" 'BEGIN { printf "%d ms", (b - a) * 1000 }')"
	else
		say "  window (provider $what -> state file written): not written until the kill, $(secs "$t0") s after the start"
	fi
	left "$d" "$p"
	# One apply must converge whichever side of the window the kill fell on:
	# the finished create in state or taken over, the slow one taken over.
	{ header; instances 1 "$p-fast" 16 "$ready"; instances 1 "$p-slow" 16 "$ready" | sed 's/"s"/"slow"/'; } >"$d/main.tf"
	converge "$d" "$p" apply 2
}

left() { say "  left by the kill:"; inventory "$1" "$2"; }

failed=()
i=0
for s in "${scenarios[@]}"; do
	declare -F "sc_$s" >/dev/null || { echo "fault-sigkill: unknown scenario $s" >&2; exit 2; }
	i=$((i + 1))
	d="$work/$s-$i"
	p="$name-${s:0:3}$i"
	mkdir -p "$d"
	say "$s: objects named $p"
	s0=$(now)
	if "sc_$s" "$d" "$p" 2>&1 | sed 's/^\([^f]\)/    \1/'; then
		say "  left after the repair:"; inventory "$d" "$p"
		if [ "$s" != destroy ] && [ "$s" != foreign ] && ! finish "$d" "$p"; then
			say "$s: FAIL (cleanup) in $(secs "$s0") s"; failed+=("$s"); scrub "$d" "$p"; continue
		fi
		say "$s: pass in $(secs "$s0") s"
	else
		say "  left after the repair attempt:"; inventory "$d" "$p"
		say "$s: FAIL in $(secs "$s0") s"
		failed+=("$s")
		scrub "$d" "$p"
		leaks "$p" >/dev/null 2>&1 || say "  still left after scrubbing: $(cat "$work/leak.log")"
	fi
done
[ ${#failed[@]} -eq 0 ] || { say "failed: ${failed[*]}"; exit 1; }
say "all passed: ${scenarios[*]}"
