#!/usr/bin/env bash
# Throwaway PostgreSQL for the store's contract suite and the app tests on
# PostgreSQL (DEPLOYTRAIL_TEST_DATABASE_URL).
#
#   eval "$(scripts/postgres.sh start DIR)"   # install if needed, start, print the export
#   scripts/postgres.sh stop DIR              # stop the server started in DIR
#   scripts/postgres.sh restart DIR           # start it again on the same port (stopped or not)
#
# start installs Debian's postgresql with apt-get when no initdb is found,
# creates a cluster in DIR/data (0700) whose superuser has a generated
# password (password authentication everywhere, no trust), listens on
# 127.0.0.1 on a free port and on a unix socket in DIR, with fsync on,
# waits until it accepts connections and prints the export line on stdout.
# Everything else goes to stderr; the password appears only in that line.
# PostgreSQL refuses to run as root: as root, the server runs as the
# unprivileged user postgres (created if missing), which then owns DIR.
set -euo pipefail

START_TIMEOUT=60
DB_USER=deploytrail
RUN_AS_ROOT_USER=postgres

log() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# bindir prints the directory of PostgreSQL's server binaries (Debian keeps
# them out of PATH, under /usr/lib/postgresql/VERSION/bin), installing
# Debian's postgresql if there are none.
bindir() {
	local found
	found="$(find_bindir)"
	if [ -z "$found" ]; then
		install_postgresql
		found="$(find_bindir)"
	fi
	[ -n "$found" ] || die "no initdb after installing postgresql"
	echo "$found"
}

find_bindir() {
	if command -v initdb >/dev/null; then dirname "$(command -v initdb)"; return; fi
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		[ -x "$d/initdb" ] && { echo "$d"; return; }
	done
}

install_postgresql() {
	command -v apt-get >/dev/null || die "PostgreSQL is missing and there is no apt-get; install PostgreSQL's server"
	local sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
	log "installing Debian's postgresql"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2 ||
		{ "${sudo[@]}" apt-get update -q >&2 && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2; }
}

# as_server runs a command as the user the server runs as.
as_server() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$RUN_AS_ROOT_USER" -- "$@"
	else
		"$@"
	fi
}

ensure_server_user() {
	[ "$(id -u)" -eq 0 ] || return 0
	id -u "$RUN_AS_ROOT_USER" >/dev/null 2>&1 ||
		useradd --system --no-create-home --shell /usr/sbin/nologin "$RUN_AS_ROOT_USER"
}

free_port() {
	python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

random_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

start() {
	local dir=$1 bin port password t0=$SECONDS
	bin="$(bindir)"
	if [ -f "$dir/data/postmaster.pid" ]; then
		die "PostgreSQL is already running for $dir (stop it first)"
	fi
	ensure_server_user
	mkdir -p "$dir"
	chmod 700 "$dir"
	[ "$(id -u)" -ne 0 ] || chown "$RUN_AS_ROOT_USER" "$dir"
	dir="$(cd "$dir" && pwd)"
	as_server test -w "$dir" || die "$RUN_AS_ROOT_USER cannot reach $dir: give a directory whose parents it may enter (mktemp -d's own, not one inside it)"
	password="$(random_hex 20)"
	# The password reaches initdb through a file only the server's user can
	# read, never the command line (ps shows that), and the file goes at once.
	(umask 077 && printf '%s\n' "$password" >"$dir/pwfile")
	[ "$(id -u)" -ne 0 ] || chown "$RUN_AS_ROOT_USER" "$dir/pwfile"
	as_server "$bin/initdb" -D "$dir/data" -U "$DB_USER" --pwfile="$dir/pwfile" \
		--auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		{ rm -f "$dir/pwfile"; tail -20 "$dir/initdb.log" >&2; die "initdb failed"; }
	rm -f "$dir/pwfile"
	port="$(free_port)"
	# max_connections: each test database's store opens up to 17, and go
	# test runs packages side by side.
	as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t "$START_TIMEOUT" \
		-o "-h 127.0.0.1 -p $port -k $dir -c fsync=on -c max_connections=400" start >&2 ||
		{ tail -20 "$dir/postgres.log" >&2; die "PostgreSQL did not start"; }
	log "PostgreSQL live on 127.0.0.1:$port (socket in $dir) after $((SECONDS - t0))s"
	printf 'export DEPLOYTRAIL_TEST_DATABASE_URL=%q\n' "postgres://$DB_USER:$password@127.0.0.1:$port/postgres?sslmode=disable"
}

stop() {
	local dir=$1 bin
	[ -f "$dir/data/postmaster.pid" ] || return 0
	bin="$(find_bindir)"
	as_server "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >&2 ||
		as_server "$bin/pg_ctl" -D "$dir/data" -m immediate stop >&2
}

# restart starts the server of DIR again with the options it was started
# with (the same port and socket), whether it is running (then it is
# stopped first, fast) or was stopped: a test stops PostgreSQL under load
# and brings it back where the clients expect it.
restart() {
	local dir=$1 bin
	[ -f "$dir/data/postmaster.opts" ] || die "no PostgreSQL was started in $dir"
	bin="$(find_bindir)"
	as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -m fast -w -t "$START_TIMEOUT" restart >&2 ||
		{ tail -20 "$dir/postgres.log" >&2; die "PostgreSQL did not restart"; }
}

case "${1:-}:${2:-}" in
start:?*) start "$2" ;;
stop:?*) stop "$2" ;;
restart:?*) restart "$2" ;;
*) die "usage: $0 start|stop|restart DIR" ;;
esac
