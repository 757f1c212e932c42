#!/usr/bin/env bash
# Throwaway MariaDB servers for tests and local development.
#
# This is the single implementation of server start/stop: the Makefile calls it
# directly and the Go test helper package internal/mariadbtest runs it through
# exec.Command.
#
# Usage:
#   scripts/mariadb.sh start DIR PORT ROLE USER PASSWORD
#       ROLE is "source" (binary log: ROW format, FULL row image, GTID strict
#       mode) or "destination" (no binary log). Initialises DIR/data on first
#       use, starts mariadbd detached on 127.0.0.1:PORT with socket DIR/s.sock,
#       pid file DIR/s.pid and log DIR/err.log, waits until it answers (up to
#       30 s) and then creates, or updates, USER@'%' and USER@'localhost' with
#       PASSWORD and ALL PRIVILEGES ON *.* WITH GRANT OPTION.
#       If a server from DIR is already running it is reused (the port must
#       match); the user is (re)created all the same.
#       If the environment variable ADBM_OWNER_PID is set, a detached watchdog
#       stops the server once that process has gone, so that a test binary that
#       is killed (for example by `go test -timeout`) leaves no server behind;
#       with ADBM_OWNER_REMOVE_DIR=1 it then also removes DIR.
#   scripts/mariadb.sh stop DIR
#       Stops the server whose pid is in DIR/s.pid: TERM, up to 20 s of
#       waiting, then KILL. Not an error if it is not running.
#   scripts/mariadb.sh free-port
#       Prints a TCP port that is free on 127.0.0.1 right now.
#
# Exit status: 0 on success, 1 on failure, 2 on a usage error, 3 if start failed
# because the port is already in use (callers may retry with another port).
#
# Server id: the server id is the TCP port. Ports are unique among the servers
# running on one machine, so any number of throwaway servers can coexist and
# replicate from or to each other without clashing ids; GTIDs therefore look
# like 0-PORT-N instead of 0-1-N.
#
# The servers are throwaway test servers: durability is traded for speed
# (--innodb-flush-log-at-trx-commit=2, --sync-binlog=0). Never point this
# script at data you care about.
set -euo pipefail

# mariadbd and mariadb-install-db live in /usr/sbin on Debian, which is not
# on every user's PATH.
export PATH="$PATH:/usr/sbin:/sbin:/usr/local/sbin"

readonly PING_TIMEOUT_SECONDS=30
readonly STOP_TIMEOUT_SECONDS=20

die() {
	echo "mariadb.sh: $*" >&2
	exit 1
}

usage() {
	cat >&2 <<'EOF'
usage: scripts/mariadb.sh start DIR PORT ROLE USER PASSWORD
       scripts/mariadb.sh stop DIR
       scripts/mariadb.sh free-port
EOF
	exit 2
}

# sql_quote prints $1 as a single-quoted SQL string literal.
sql_quote() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\'/\\\'}
	printf "'%s'" "$s"
}

# alive PID succeeds if the process exists and is not a zombie. A server we
# started detached is reparented to PID 1, which in containers may reap its
# children only every few seconds; a zombie has released its port, socket and
# files, so it counts as stopped.
alive() {
	local stat
	kill -0 "$1" 2>/dev/null || return 1
	# Without procfs, trust kill -0.
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	# The state is the field after "(comm) ".
	stat=${stat##*) }
	[[ ${stat%% *} != Z ]]
}

# pid_of DIR prints the pid from DIR/s.pid if that process is alive.
pid_of() {
	local pidfile="$1/s.pid" pid
	[[ -s $pidfile ]] || return 1
	pid=$(<"$pidfile")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	alive "$pid" || return 1
	echo "$pid"
}

ping_server() {
	mariadb-admin --no-defaults --socket="$1/s.sock" -uroot --connect-timeout=2 ping >/dev/null 2>&1
}

root_sql() {
	mariadb --no-defaults --socket="$1/s.sock" -uroot --batch --skip-column-names -e "$2"
}

# port_in_use PORT succeeds if something accepts connections on 127.0.0.1:PORT.
port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

cmd_free_port() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
		return
	fi
	local i port
	for ((i = 0; i < 200; i++)); do
		port=$((20000 + RANDOM % 20001))
		if ! port_in_use "$port"; then
			echo "$port"
			return
		fi
	done
	die "free-port: no free port found in 20000-40000"
}

cmd_stop() {
	[[ $# -eq 1 ]] || usage
	local dir=$1 pid i
	# Stop the watchdog first so it does not race with us, unless we are it.
	if [[ -s $dir/watchdog.pid ]]; then
		pid=$(<"$dir/watchdog.pid")
		if [[ $pid =~ ^[0-9]+$ && $pid != "${ADBM_WATCHDOG_SELF:-}" ]]; then
			kill "$pid" 2>/dev/null || true
		fi
		rm -f "$dir/watchdog.pid"
	fi
	if ! pid=$(pid_of "$dir"); then
		rm -f "$dir/s.pid"
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < STOP_TIMEOUT_SECONDS * 20; i++)); do
		alive "$pid" || break
		sleep 0.05
	done
	if alive "$pid"; then
		echo "mariadb.sh: mariadbd $pid did not stop within ${STOP_TIMEOUT_SECONDS}s, sending KILL" >&2
		kill -KILL "$pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			alive "$pid" || break
			sleep 0.05
		done
		if alive "$pid"; then
			die "mariadbd $pid survived KILL"
		fi
	fi
	rm -f "$dir/s.pid"
}

start_watchdog() {
	local dir=$1 owner=$2 self
	[[ $owner =~ ^[0-9]+$ ]] || die "ADBM_OWNER_PID must be a pid, got '$owner'"
	self=$(readlink -f "${BASH_SOURCE[0]}")
	# Detached from our stdout/stderr so callers capturing our output (Go's
	# exec.Cmd.CombinedOutput) do not wait for it.
	# shellcheck disable=SC2016
	setsid bash -c '
		echo $$ >"$1/watchdog.pid"
		while kill -0 "$2" 2>/dev/null; do sleep 1; done
		if ADBM_WATCHDOG_SELF=$$ bash "$3" stop "$1" && [[ $4 == 1 ]]; then
			rm -rf -- "$1"
		fi
	' adbm-watchdog "$dir" "$owner" "$self" "${ADBM_OWNER_REMOVE_DIR:-0}" </dev/null >>"$dir/err.log" 2>&1 &
}

cmd_start() {
	[[ $# -eq 5 ]] || usage
	local dir=$1 port=$2 role=$3 user=$4 password=$5
	[[ $port =~ ^[1-9][0-9]{0,4}$ ]] && ((port < 65536)) || die "invalid port '$port'"
	case $role in
	source | destination) ;;
	*) die "invalid role '$role' (want source or destination)" ;;
	esac
	[[ -n $user ]] || die "empty user name"
	# The root account is reached over the socket without a password; giving
	# it one would lock this script out.
	[[ $user != root ]] || die "USER must not be root"
	command -v mariadbd >/dev/null 2>&1 || die "mariadbd not found; run scripts/install-mariadb.sh"
	command -v mariadb-install-db >/dev/null 2>&1 || die "mariadb-install-db not found; run scripts/install-mariadb.sh"

	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	# The socket path must fit in sun_path (108 bytes including the NUL).
	((${#dir} + 8 <= 107)) || die "socket path $dir/s.sock is too long for a Unix socket; use a shorter DIR"

	local run_as=()
	if [[ $(id -u) -eq 0 ]]; then
		run_as=(--user=root)
	fi

	local pid running_port
	if pid=$(pid_of "$dir") && ping_server "$dir"; then
		running_port=$(root_sql "$dir" 'SELECT @@port')
		[[ $running_port == "$port" ]] ||
			die "a server from $dir is already running on port $running_port, not $port"
		echo "mariadb.sh: server from $dir already running (pid $pid), reusing it" >&2
	else
		# Each server gets its own tmpdir: at startup mariadbd deletes every
		# #sql* file in its tmpdir, which breaks other servers (and concurrent
		# mariadb-install-db runs) sharing /tmp.
		mkdir -p "$dir/tmp"
		if [[ ! -d $dir/data/mysql ]]; then
			rm -rf "$dir/data"
			if ! mariadb-install-db --no-defaults --datadir="$dir/data" --tmpdir="$dir/tmp" "${run_as[@]}" \
				--auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1; then
				# The cause is near the top; the rest is boilerplate advice.
				head -n 12 "$dir/install.log" >&2
				die "mariadb-install-db failed for $dir/data"
			fi
		fi
		rm -f "$dir/s.pid" "$dir/s.sock"

		local args=(
			--no-defaults "${run_as[@]}"
			--datadir="$dir/data"
			--tmpdir="$dir/tmp"
			--socket="$dir/s.sock"
			--pid-file="$dir/s.pid"
			--log-error="$dir/err.log"
			--port="$port"
			--bind-address=127.0.0.1
			--server-id="$port" # see "Server id" above
			--skip-name-resolve
			--local-infile=1
			--character-set-server=utf8mb4
			--collation-server=utf8mb4_general_ci
			--max-connections=500
			--innodb-buffer-pool-size=256M
			# Throwaway test servers: trade durability for speed.
			--innodb-flush-log-at-trx-commit=2
			--sync-binlog=0
		)
		if [[ $role == source ]]; then
			args+=(
				--log-bin="$dir/data/mysql-bin"
				--binlog-format=ROW
				--binlog-row-image=FULL
				--gtid-strict-mode=1
				--log-slave-updates
				--binlog-expire-logs-seconds=86400
			)
		fi

		touch "$dir/err.log"
		local log_offset
		log_offset=$(stat -c %s "$dir/err.log")
		setsid nohup mariadbd "${args[@]}" </dev/null >>"$dir/err.log" 2>&1 &
		pid=$!

		local i up=0
		for ((i = 0; i < PING_TIMEOUT_SECONDS * 10; i++)); do
			if ping_server "$dir"; then
				up=1
				break
			fi
			alive "$pid" || break # exited: no point waiting
			sleep 0.1
		done
		if ((!up)); then
			local new_log
			new_log=$(tail -c +"$((log_offset + 1))" "$dir/err.log")
			echo "mariadb.sh: mariadb $role on 127.0.0.1:$port did not come up; tail of $dir/err.log:" >&2
			tail -n 30 "$dir/err.log" >&2
			kill -KILL "$pid" 2>/dev/null || true
			rm -f "$dir/s.pid"
			if grep -qiE 'address already in use|bind on tcp/ip port' <<<"$new_log"; then
				echo "mariadb.sh: port $port is already in use" >&2
				exit 3
			fi
			exit 1
		fi
		if [[ -n ${ADBM_OWNER_PID:-} ]]; then
			start_watchdog "$dir" "$ADBM_OWNER_PID"
		fi
	fi

	local u p sql=""
	u=$(sql_quote "$user")
	p=$(sql_quote "$password")
	local host
	for host in "'%'" "'localhost'"; do
		sql+="CREATE USER IF NOT EXISTS $u@$host IDENTIFIED BY $p;"
		sql+="ALTER USER $u@$host IDENTIFIED BY $p;"
		sql+="GRANT ALL PRIVILEGES ON *.* TO $u@$host WITH GRANT OPTION;"
	done
	# Keep account management out of the binary log: a migration reading it
	# should see only the test's own changes.
	root_sql "$dir" "SET SESSION sql_log_bin=0; $sql" || die "creating user $user failed"

	echo "mariadb $role ready on 127.0.0.1:$port (socket $dir/s.sock)"
}

[[ $# -ge 1 ]] || usage
cmd=$1
shift
case $cmd in
start) cmd_start "$@" ;;
stop) cmd_stop "$@" ;;
free-port) [[ $# -eq 0 ]] || usage; cmd_free_port ;;
*) usage ;;
esac
