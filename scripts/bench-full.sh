#!/usr/bin/env bash
# make bench-full: full migration of sysbench tables through adbmigrate-runner, timed against
# mydumper + myloader on the same two local MariaDB servers, with the runner's peak RSS.
#
# On a clean Debian/Ubuntu machine it installs what is missing (sysbench, mydumper,
# percona-toolkit with apt-get; MariaDB with scripts/install-mariadb.sh), builds
# bin/adbmigrate-runner, starts a source and a destination MariaDB (scripts/mariadb.sh) in a
# temporary directory under /tmp and runs the driver internal/bench/benchfull, which loads the
# data, runs both tools, verifies row counts and CHECKSUM TABLE, and prints the result.
# Servers and runner are stopped and the directory removed on exit, whatever happens.
#
# Environment:
#   TABLES=4 ROWS=1000000 THREADS=4   sysbench tables, rows per table; threads for sysbench,
#                                     mydumper, myloader and the task's copy workers
#   BENCH_OUT=FILE                    append the result as a markdown table row to FILE
#   BENCH_RSS_SIZES="100000 1000000"  afterwards, migrate again with each table size and
#                                     print the runner's peak RSS per size
#   BENCH_TIMEOUT=2h                  longest a single migration may take
#   BENCH_KEEP=1                      keep the work directory (logs, data) after the run
#
# Quick run: ROWS=200000 TABLES=2 make bench-full
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="$PATH:/usr/sbin:/sbin:/usr/local/go/bin"

TABLES=${TABLES:-4}
ROWS=${ROWS:-1000000}
THREADS=${THREADS:-4}
BENCH_OUT=${BENCH_OUT:-}
BENCH_RSS_SIZES=${BENCH_RSS_SIZES:-}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-2h}

say() { printf '\n==> %s\n' "$*"; }

# 1. Tools.
missing=()
command -v sysbench >/dev/null 2>&1 || missing+=(sysbench)
{ command -v mydumper >/dev/null 2>&1 && command -v myloader >/dev/null 2>&1; } || missing+=(mydumper)
command -v pt-table-checksum >/dev/null 2>&1 || missing+=(percona-toolkit)
if ((${#missing[@]})); then
	command -v apt-get >/dev/null 2>&1 || {
		echo "bench: ${missing[*]} missing and apt-get is not available; install them by other means" >&2
		exit 1
	}
	sudo=()
	if [[ $(id -u) -ne 0 ]]; then
		command -v sudo >/dev/null 2>&1 || { echo "bench: not root and no sudo; run as root: apt-get install -y ${missing[*]}" >&2; exit 1; }
		sudo=(sudo)
	fi
	say "Installing ${missing[*]} with apt-get"
	if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"; then
		echo "bench: apt-get install failed; running apt-get update and trying again"
		"${sudo[@]}" apt-get update
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
	fi
fi
bash scripts/install-mariadb.sh
echo "bench: $(sysbench --version), $(mydumper --version 2>&1 | head -1)"

# 2. Build.
say "Building the runner and the benchmark driver"
make --no-print-directory runner
work=$(mktemp -d /tmp/adbm-bench-XXXXXX)
go build -o "$work/benchfull" ./internal/bench/benchfull

# Everything started from here on is stopped by cleanup.
cleanup() {
	local status=$?
	trap - EXIT INT TERM
	if [[ -s $work/runner.pid ]]; then
		kill "$(<"$work/runner.pid")" 2>/dev/null || true
	fi
	for role in source destination; do
		[[ -d $work/$role ]] && bash scripts/mariadb.sh stop "$work/$role" || true
	done
	if [[ ${BENCH_KEEP:-0} == 1 ]]; then
		echo "bench: kept $work"
	else
		rm -rf "$work"
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 3. Servers. Should this script be killed without running cleanup, the watchdog of
# scripts/mariadb.sh stops the servers once this shell has gone.
export ADBM_OWNER_PID=$$
user=bench
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
declare -A port
for role in source destination; do
	for attempt in 1 2 3; do
		port[$role]=$(bash scripts/mariadb.sh free-port)
		say "Starting the $role MariaDB on 127.0.0.1:${port[$role]}"
		status=0
		bash scripts/mariadb.sh start "$work/$role" "${port[$role]}" "$role" "$user" "$password" || status=$?
		((status == 0)) && break
		((status == 3 && attempt < 3)) || exit "$status"
	done
done

# 4-6. Load, migrate, dump and load, verify, report.
BENCH_DB_PASSWORD=$password "$work/benchfull" \
	-source-port "${port[source]}" -destination-port "${port[destination]}" \
	-user "$user" -runner "$root/bin/adbmigrate-runner" -work-dir "$work" \
	-tables "$TABLES" -rows "$ROWS" -threads "$THREADS" \
	-out "$BENCH_OUT" -rss-sizes "$BENCH_RSS_SIZES" -timeout "$BENCH_TIMEOUT"
