#!/usr/bin/env bash
# A private libvirtd (with its own virtlogd) that tests may stop, restart and
# reconfigure freely, beside the shared harness daemon, which they never touch.
#
#   scripts/private-libvirtd.sh up NAME        start (idempotent); prints nothing, waits until it answers
#   scripts/private-libvirtd.sh restart NAME [SECONDS]   stop libvirtd, wait SECONDS (default 2), start it again
#   scripts/private-libvirtd.sh stop-daemon NAME    stop libvirtd only (its guests keep running)
#   scripts/private-libvirtd.sh start-daemon NAME   start libvirtd again after stop-daemon
#   scripts/private-libvirtd.sh down NAME      stop its guests, the daemons and its namespace; remove its state
#   scripts/private-libvirtd.sh uri NAME       print the client URI (unix socket) usable from the root namespace
#   scripts/private-libvirtd.sh netns NAME     print its network namespace
#
# Each instance runs in a network namespace of its own (unikernel-priv-NAME) and
# a private mount namespace in which /run/libvirt, /var/lib/libvirt,
# /var/cache/libvirt, /var/log/libvirt and /etc/libvirt are host directories
# under /run/unikernel-private/NAME. Every start bind-mounts the same
# directories, so a restarted libvirtd finds its running guests again.
#
# With UNIKERNEL_PRIVATE_STOCK=1 at `up`, its qemu.conf is a stock host's:
# no user or group lines, dynamic ownership on (libvirt's default), so QEMU
# runs as the unprivileged libvirt-qemu user, as on Debian and Ubuntu.
#
# With UNIKERNEL_PRIVATE_TLS=1 at `up`, libvirtd also listens with TLS on
# 127.0.0.1:16514 inside its namespace, with a CA, server and client
# certificate generated into /run/unikernel-private/NAME/pki.
set -euo pipefail

BASE=/run/unikernel-private
LOG_DIR=/var/log/unikernel-harness

LOG_PREFIX=private-libvirtd
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_root
cmd="${1:-}"
name="${2:-}"
[[ "$name" =~ ^[a-z0-9-]{1,20}$ ]] || die "usage: $0 up|down|restart|stop-daemon|start-daemon|uri|netns NAME (NAME: 1-20 of a-z, 0-9, -)"
DIR="$BASE/$name"
NS="unikernel-priv-$name"
SOCK="$DIR/run/libvirt-sock"
URI="qemu:///system?socket=$SOCK"
# LIBVIRT_NS_CMD runs its arguments in the instance's network namespace, with the
# instance's directories at libvirt's paths in a private mount namespace.
libvirt_ns_cmd "$NS" "$DIR"

answers() { timeout 5 virsh -q -c "$URI" uri >/dev/null 2>&1; }

prepare() {
	mkdir -p "$DIR"/{run,lib,cache,log,etc,pids} "$LOG_DIR"
	if [ ! -f "$DIR/etc/qemu.conf" ]; then
		if [ "${UNIKERNEL_PRIVATE_STOCK:-0}" = 1 ]; then
			# A stock host's settings: libvirt's defaults, QEMU as libvirt-qemu with dynamic ownership.
			printf '# Stock settings (scripts/private-libvirtd.sh, UNIKERNEL_PRIVATE_STOCK=1): QEMU runs as libvirt-qemu.\n' >"$DIR/etc/qemu.conf"
		else
			# qemu runs as root, as in the shared harness; nothing of the host's own definitions is copied.
			printf 'user = "root"\ngroup = "root"\n' >"$DIR/etc/qemu.conf"
		fi
		: >"$DIR/etc/libvirtd.conf"
		: >"$DIR/etc/virtlogd.conf"
	fi
	if [ "${UNIKERNEL_PRIVATE_TLS:-0}" = 1 ] && [ ! -f "$DIR/pki/servercert.pem" ]; then
		make_pki
		cat >"$DIR/etc/libvirtd.conf" <<EOF
listen_tls = 1
listen_tcp = 0
listen_addr = "127.0.0.1"
tls_port = "16514"
key_file = "$DIR/pki/serverkey.pem"
cert_file = "$DIR/pki/servercert.pem"
ca_file = "$DIR/pki/cacert.pem"
tls_no_verify_certificate = 0
tls_allowed_dn_list = ["CN=unikernel-test-client*"]
EOF
	fi
	if ! ip netns list | grep -qw "$NS"; then
		ip netns add "$NS"
	fi
	ip netns exec "$NS" ip link set lo up
}

# make_pki writes a CA, a server certificate for 127.0.0.1/localhost and a
# client certificate, in the layout libvirt's `pkipath` URI parameter expects.
make_pki() {
	local p="$DIR/pki"
	mkdir -p "$p" && chmod 700 "$p"
	(
		cd "$p"
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=unikernel-test-ca" \
			-keyout cakey.pem -out cacert.pem 2>/dev/null
		openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout serverkey.pem -out server.csr 2>/dev/null
		printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n' >server.ext
		openssl x509 -req -in server.csr -CA cacert.pem -CAkey cakey.pem -CAcreateserial -days 2 \
			-extfile server.ext -out servercert.pem 2>/dev/null
		openssl req -newkey rsa:2048 -nodes -subj "/CN=unikernel-test-client" -keyout clientkey.pem -out client.csr 2>/dev/null
		printf 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n' >client.ext
		openssl x509 -req -in client.csr -CA cacert.pem -CAkey cakey.pem -CAcreateserial -days 2 \
			-extfile client.ext -out clientcert.pem 2>/dev/null
		rm -f ./*.csr ./*.ext
		chmod 600 ./*key.pem
	)
}

in_ns() { "${LIBVIRT_NS_CMD[@]}" "$@"; }

start() { # name, command...
	local n="$1"; shift
	pid_alive "$DIR/pids/$n.pid" && return 0
	# Foreground under tini as a child subreaper, as in the shared harness.
	setsid "${LIBVIRT_NS_CMD[@]}" tini -s -- "$@" >>"$LOG_DIR/private-$name-$n.log" 2>&1 </dev/null &
	echo $! >"$DIR/pids/$n.pid"
}

stop() { stop_pid "$DIR/pids/$1.pid" 100; }

start_daemon() {
	start virtlogd virtlogd -p /run/libvirt/virtlogd.pid
	local flags=()
	[ -f "$DIR/pki/servercert.pem" ] && flags=(--listen)
	local i
	for attempt in 1 2 3; do
		start libvirtd libvirtd "${flags[@]}" -p /run/libvirt/libvirtd.pid
		for i in $(seq 1 150); do
			answers && return 0
			pid_alive "$DIR/pids/libvirtd.pid" || break
			sleep 0.1
		done
		log "libvirtd $name did not answer (attempt $attempt)"
		stop libvirtd
		sleep 1
	done
	tail -n 20 "$LOG_DIR/private-$name-libvirtd.log" >&2 || true
	die "libvirtd $name did not answer on $URI"
}

case "$cmd" in
up) prepare; start_daemon ;;
restart) stop libvirtd; sleep "${3:-2}"; start_daemon ;;
stop-daemon) stop libvirtd ;;
start-daemon) start_daemon ;;
down)
	if pid_alive "$DIR/pids/libvirtd.pid" && answers; then
		destroy_guests "$URI"
	fi
	stop libvirtd
	stop virtlogd
	ip netns pids "$NS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
	ip netns delete "$NS" 2>/dev/null || true
	rm -rf "$DIR"
	;;
uri) echo "$URI" ;;
netns) echo "$NS" ;;
exec) shift 2; in_ns "$@" ;;
*) die "unknown command $cmd" ;;
esac
