#!/usr/bin/env bash
# make bench-cdc: incremental migration (the binlog path) through adbmigrate-runner, under a
# sustained sysbench write load (lag) and over a backlog (catch-up rate, against MariaDB's
# native replication on the same machine and the same binlog), with the runner's peak RSS.
#
# On a clean Debian/Ubuntu machine it installs what is missing (sysbench and mydumper with
# apt-get; MariaDB with scripts/install-mariadb.sh), builds bin/adbmigrate-runner, starts a
# source, a destination and a replica MariaDB (scripts/mariadb.sh; the replica replicates
# natively from the source) in a temporary directory under /tmp and runs the driver
# internal/bench/benchcdc, which loads the data, measures, verifies CHECKSUM TABLE on every
# server and prints the result. Servers and runner are stopped and the directory removed on
# exit, whatever happens.
#
# Environment:
#   TABLES=4 ROWS=100000     sysbench tables and rows per table
#   THREADS=4                sysbench threads (load and backlog); mydumper/myloader threads
#   DURATION=60              seconds of sustained sysbench oltp_write_only load
#   BACKLOG=1000000          row changes in the catch-up backlog (oltp_write_only: 4 per
#                            transaction, so BACKLOG/4 sysbench events)
#   BENCH_OUT=FILE           append the result as a markdown table row to FILE
#   BENCH_TIMEOUT=30m        longest any single wait may take
#   BENCH_KEEP=1             keep the work directory (logs, data) after the run
#
# Quick run: DURATION=20 BACKLOG=200000 make bench-cdc
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="$PATH:/usr/sbin:/sbin:/usr/local/go/bin"

TABLES=${TABLES:-4}
ROWS=${ROWS:-100000}
THREADS=${THREADS:-4}
DURATION=${DURATION:-60}
BACKLOG=${BACKLOG:-1000000}
BENCH_OUT=${BENCH_OUT:-}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-30m}

say() { printf '\n==> %s\n' "$*"; }

# 1. Tools.
missing=()
command -v sysbench >/dev/null 2>&1 || missing+=(sysbench)
{ command -v mydumper >/dev/null 2>&1 && command -v myloader >/dev/null 2>&1; } || missing+=(mydumper)
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
work=$(mktemp -d /tmp/adbm-bench-cdc-XXXXXX)
go build -o "$work/benchcdc" ./internal/bench/benchcdc

# Everything started from here on is stopped by cleanup.
roles=(source destination replica)
cleanup() {
	local status=$?
	trap - EXIT INT TERM
	if [[ -s $work/runner.pid ]]; then
		kill "$(<"$work/runner.pid")" 2>/dev/null || true
	fi
	for role in "${roles[@]}"; do
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
# scripts/mariadb.sh stops the servers once this shell has gone. The replica is started as
# a "destination" (no binary log of its own); its server id is its port, unlike the source's.
export ADBM_OWNER_PID=$$
user=bench
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
declare -A port
for role in "${roles[@]}"; do
	kind=$role
	[[ $role == replica ]] && kind=destination
	for attempt in 1 2 3; do
		port[$role]=$(bash scripts/mariadb.sh free-port)
		say "Starting the $role MariaDB on 127.0.0.1:${port[$role]}"
		status=0
		bash scripts/mariadb.sh start "$work/$role" "${port[$role]}" "$kind" "$user" "$password" || status=$?
		((status == 0)) && break
		((status == 3 && attempt < 3)) || exit "$status"
	done
done

# 4. Load, measure, verify, report.
BENCH_DB_PASSWORD=$password "$work/benchcdc" \
	-source-port "${port[source]}" -destination-port "${port[destination]}" -replica-port "${port[replica]}" \
	-user "$user" -runner "$root/bin/adbmigrate-runner" -work-dir "$work" \
	-tables "$TABLES" -rows "$ROWS" -threads "$THREADS" -duration "${DURATION}s" -backlog "$BACKLOG" \
	-out "$BENCH_OUT" -timeout "$BENCH_TIMEOUT"
