# Shell functions for scripts that need an OCI registry with a unikernel package in it
# (scripts/test-examples.sh, scripts/bench-oci.sh). Source it; it needs $root (the checkout).
#   oci_start_registry DIR     starts the CNCF registry on a free loopback port with its storage
#                              and access log (DIR/log) in DIR; sets OCI_REGISTRY (host:port)
#                              and OCI_REGISTRY_PID
#   oci_push_kraftkit REF KERNEL INITRD CMD
#                              pushes a package as kraftkit packs it: each file an uncompressed
#                              one-file tar layer annotated with its path, the command line CMD
#                              (a JSON array) in the image configuration; INITRD may be ""
#   oci_requests METHOD PATH   counts the access log's requests of METHOD (a regular expression)
#                              whose path starts with PATH

oci_start_registry() {
	local dir="$1" reg p
	reg="$("$root/scripts/oci-tools.sh" path registry)"
	OCI_REGISTRY=""
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 20000))
		(echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { OCI_REGISTRY="127.0.0.1:$p"; break; }
	done
	[ -n "$OCI_REGISTRY" ] || { echo "no free loopback port for the registry" >&2; return 1; }
	mkdir -p "$dir"
	OCI_REGISTRY_DIR="$dir"
	cat >"$dir/config.yml" <<YML
version: 0.1
log: {level: error, accesslog: {disabled: false}}
storage: {filesystem: {rootdirectory: $dir/data}}
http: {addr: "$OCI_REGISTRY"}
YML
	# No tracing export: the registry would try to reach a collector.
	env -u OTEL_EXPORTER_OTLP_ENDPOINT OTEL_TRACES_EXPORTER=none OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none \
		"$reg" serve "$dir/config.yml" >"$dir/log" 2>&1 &
	OCI_REGISTRY_PID=$!
	for _ in $(seq 100); do
		(echo >"/dev/tcp/${OCI_REGISTRY%:*}/${OCI_REGISTRY#*:}") 2>/dev/null && return 0
		sleep 0.1
	done
	cat "$dir/log" >&2
	return 1
}

oci_push_kraftkit() {
	local ref="$1" k="$2" i="$3" cmd="$4" d oras layers diff
	oras="$("$root/scripts/oci-tools.sh" path oras)"
	d="$(mktemp -d)"
	tar -cf "$d/kernel.tar" --owner=0 --group=0 --numeric-owner --mtime=@0 \
		--transform 's|.*|unikraft/bin/kernel|' -C "$(dirname "$k")" "$(basename "$k")"
	layers=(kernel.tar:application/vnd.oci.image.layer.v1.tar)
	diff="\"sha256:$(sha256sum "$d/kernel.tar" | cut -d' ' -f1)\""
	local initrd_ann=""
	if [ -n "$i" ]; then
		tar -cf "$d/initrd.tar" --owner=0 --group=0 --numeric-owner --mtime=@0 \
			--transform 's|.*|unikraft/bin/initrd|' -C "$(dirname "$i")" "$(basename "$i")"
		layers+=(initrd.tar:application/vnd.oci.image.layer.v1.tar)
		diff+=", \"sha256:$(sha256sum "$d/initrd.tar" | cut -d' ' -f1)\""
		initrd_ann=', "initrd.tar": {"org.unikraft.kernel.initrd": "/unikraft/bin/initrd"}'
	fi
	cat >"$d/config.json" <<JSON
{"architecture": "x86_64", "os": "qemu", "config": {"Cmd": $cmd}, "rootfs": {"type": "layers", "diff_ids": [$diff]}}
JSON
	cat >"$d/annotations.json" <<JSON
{"\$manifest": {"sh.kraftkit.version": "0.11.6", "org.unikraft.kernel.version": "0.17.0"},
 "kernel.tar": {"org.unikraft.kernel.image": "/unikraft/bin/kernel"}$initrd_ann}
JSON
	(cd "$d" && HOME="$d" "$oras" push --plain-http --registry-config "$d/auth.json" "$ref" \
		--config config.json:application/vnd.oci.image.config.v1+json --annotation-file annotations.json \
		"${layers[@]}" >/dev/null) || { rm -rf "$d"; return 1; }
	rm -rf "$d"
}

oci_requests() {
	grep -cE "\"$1 $2" "$OCI_REGISTRY_DIR/log" || true
}
