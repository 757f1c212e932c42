#!/usr/bin/env bash
# make bench-cdc: incremental migration (the binlog path) through adbmigrate-runner, under a
# sustained sysbench write load (lag) and over backlogs (catch-up time, against MariaDB's
# native replication on the same machine and the same binlog: a default replica, one SQL
# thread and durable commits, and a tuned one, 4 optimistic parallel SQL threads and
# innodb_flush_log_at_trx_commit=2, our destination set alike in each round; and against a
# second task whose tables have a where filter that keeps every row; and a third task into
# the emulated AnalyticDB with BEGIN a no-op, which writes without transactions), with the
# CPU-seconds of the whole machine per timed run and the runner's peak RSS.
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
#   BACKLOG=600000           row changes in each catch-up backlog (oltp_write_only: 4 per
#                            transaction, so BACKLOG/4 sysbench events); one backlog per
#                            replica setup (default, tuned)
#   BENCH_OUT=FILE           append the result as a markdown table row to FILE
#   BENCH_TIMEOUT=30m        longest any single wait may take
#   BENCH_KEEP=1             keep the work directory (logs, data) after the run
#   ADB=0                    skip the third task, into the emulated AnalyticDB
#                            (internal/adbfront in front of the destination, BEGIN a
#                            no-op: the task writes without transactions), timed over
#                            every backlog against the plain task, with the emulator's
#                            CPU-seconds; checked on the destination MariaDB directly
#                            (counts and sums of row CRC32s)
#   VERIFY=1                 run continuous data verification during the sustained load and
#                            count the sweeps that reported a mismatch (false alarms); it
#                            loads both servers, so the other figures are not comparable
#
# Quick run: DURATION=10 BACKLOG=100000 make bench-cdc
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# shellcheck source=scripts/bench-lib.sh
source scripts/bench-lib.sh

TABLES=${TABLES:-4}
ROWS=${ROWS:-100000}
THREADS=${THREADS:-4}
DURATION=${DURATION:-60}
BACKLOG=${BACKLOG:-600000}
BENCH_OUT=${BENCH_OUT:-}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-30m}
VERIFY=${VERIFY:-0}

# 1. Tools.
bench_tools

# 2. Build.
bench_build benchcdc adbm-bench-cdc
bench_build_front

# Everything started from here on is stopped by bench_cleanup.
roles=(source destination replica)
bench_trap

# 3. Servers.
bench_start_servers

# 4. Load, measure, verify, report.
BENCH_DB_PASSWORD=$password "$work/benchcdc" \
	-source-port "${port[source]}" -destination-port "${port[destination]}" -replica-port "${port[replica]}" \
	-user "$user" -runner "$root/bin/adbmigrate-runner" -work-dir "$work" \
	-tables "$TABLES" -rows "$ROWS" -threads "$THREADS" -duration "${DURATION}s" -backlog "$BACKLOG" \
	-out "$BENCH_OUT" -timeout "$BENCH_TIMEOUT" -verify="$([[ $VERIFY == 1 ]] && echo true || echo false)" "${adb_flags[@]}"
