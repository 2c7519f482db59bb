#!/usr/bin/env bash
# Throwaway MinIO for the s3 backend's tests (internal/objstore/s3).
#
#   eval "$(scripts/minio.sh start DIR)"   # build if needed, start, print exports
#   scripts/minio.sh stop DIR              # stop the server started in DIR
#
# start listens on loopback only, on free ports, with generated root
# credentials and a built-in KMS key (so SSE-S3 and SSE-KMS work), keeps its
# data, log and pid file in DIR, waits until it is live and prints the
# DEPLOYTRAIL_TEST_S3_* export lines on stdout. Everything else goes to
# stderr; the credentials appear only in those export lines.
set -euo pipefail

# KMS_KEY_NAME must match objstoretest.KMSKeyID.
KMS_KEY_NAME=deploytrail-test-key
START_TIMEOUT=60

log() { printf 'minio.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# find_minio prints the path of a minio binary, building one if there is none.
find_minio() {
	local gobin
	gobin="$(go env GOBIN)"; gobin="${gobin:-$(go env GOPATH)/bin}"
	if command -v minio >/dev/null; then command -v minio; return; fi
	if [ -x "$gobin/minio" ]; then echo "$gobin/minio"; return; fi
	log "building MinIO: go install github.com/minio/minio@latest (takes several minutes the first time)"
	local t0=$SECONDS
	go install github.com/minio/minio@latest >&2 || die "could not build MinIO"
	log "built MinIO in $((SECONDS - t0))s"
	echo "$gobin/minio"
}

# free_ports prints two free loopback TCP ports.
free_ports() {
	if command -v python3 >/dev/null; then
		python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))'
		return
	fi
	local p found=()
	for ((p = 19000; p < 20000 && ${#found[@]} < 2; p++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || found+=("$p")
	done
	[ ${#found[@]} -eq 2 ] || die "no free ports in 19000-19999"
	echo "${found[@]}"
}

# is_ours: the pid from our pid file still is a minio (not a reused pid), so
# stop only ever signals the process start started.
is_ours() { [[ "$(ps -o comm= -p "$1" 2>/dev/null)" == minio* ]]; }

random_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

is_live() { curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$1/minio/health/live" 2>/dev/null; }

start() {
	local dir=$1 minio port cport user password pid t0=$SECONDS
	if [ -f "$dir/minio.pid" ] && is_ours "$(cat "$dir/minio.pid")"; then
		die "MinIO is already running for $dir (stop it first)"
	fi
	minio="$(find_minio)"
	mkdir -p "$dir/data"
	chmod 700 "$dir"
	read -r port cport < <(free_ports) || true
	[ -n "${cport:-}" ] || die "could not find free ports"
	user="deploytrail-$(random_hex 4)"
	password="$(random_hex 20)"
	# Secrets go through the environment, never the command line (ps shows that).
	MINIO_ROOT_USER="$user" MINIO_ROOT_PASSWORD="$password" \
		MINIO_KMS_SECRET_KEY="$KMS_KEY_NAME:$(head -c32 /dev/urandom | base64)" \
		MINIO_BROWSER=off MINIO_UPDATE=off \
		"$minio" server --quiet --address "127.0.0.1:$port" \
		--console-address "127.0.0.1:$cport" "$dir/data" \
		</dev/null >"$dir/minio.log" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/minio.pid"
	until is_live "$port"; do
		kill -0 "$pid" 2>/dev/null || { tail -20 "$dir/minio.log" >&2; die "MinIO exited during startup"; }
		((SECONDS - t0 < START_TIMEOUT)) || { stop "$dir"; die "MinIO not live after ${START_TIMEOUT}s"; }
		sleep 0.2
	done
	log "MinIO (pid $pid) live on 127.0.0.1:$port after $((SECONDS - t0))s"
	printf 'export DEPLOYTRAIL_TEST_S3_ENDPOINT=%q\n' "http://127.0.0.1:$port"
	printf 'export DEPLOYTRAIL_TEST_S3_ACCESS_KEY_ID=%q\n' "$user"
	printf 'export DEPLOYTRAIL_TEST_S3_SECRET_ACCESS_KEY=%q\n' "$password"
}

stop() {
	local dir=$1 pid i
	[ -f "$dir/minio.pid" ] || return 0
	pid="$(cat "$dir/minio.pid")"
	if is_ours "$pid"; then
		kill "$pid"
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
	fi
	rm -f "$dir/minio.pid"
}

case "${1:-}:${2:-}" in
start:?*) start "$2" ;;
stop:?*) stop "$2" ;;
*) die "usage: $0 start|stop DIR" ;;
esac
