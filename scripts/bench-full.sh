#!/usr/bin/env bash
# make bench-full: full migration of sysbench tables through adbmigrate-runner, timed against
# mydumper + myloader on the same two local MariaDB servers, with the runner's peak RSS, and
# again into the emulated AnalyticDB with BEGIN a no-op (writes without transactions).
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
#   ETL=0                             skip the second migration with an etl block (a filter
#                                     and one computed column), timed against the plain one,
#                                     migration and data verification both
#   ADB=0                             skip the migration into the emulated AnalyticDB
#                                     (internal/adbfront in front of the destination, BEGIN
#                                     a no-op: the task writes without transactions), timed
#                                     against the transactional run before it, with the
#                                     emulator's CPU-seconds; checked on the destination
#                                     MariaDB directly (counts and sums of row CRC32s)
#   MANY_TABLES=2000 MANY_ROWS=20     the many-small-tables case: that many sysbench tables of
#                                     MANY_ROWS rows (one secondary index each), schema + full
#                                     through the runner against mydumper + myloader, with the
#                                     runner's peak RSS; MANY_TABLES=0 skips it
#
# Quick run: ROWS=200000 TABLES=2 make bench-full
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# shellcheck source=scripts/bench-lib.sh
source scripts/bench-lib.sh

TABLES=${TABLES:-4}
ROWS=${ROWS:-1000000}
THREADS=${THREADS:-4}
BENCH_OUT=${BENCH_OUT:-}
BENCH_RSS_SIZES=${BENCH_RSS_SIZES:-}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-2h}

# 1. Tools.
bench_tools pt-table-checksum:percona-toolkit

# 2. Build.
bench_build benchfull adbm-bench
bench_build_front

# Everything started from here on is stopped by bench_cleanup.
roles=(source destination)
bench_trap

# 3. Servers.
bench_start_servers

# 4-6. Load, migrate, dump and load, verify, report.
BENCH_DB_PASSWORD=$password "$work/benchfull" \
	-source-port "${port[source]}" -destination-port "${port[destination]}" \
	-user "$user" -runner "$root/bin/adbmigrate-runner" -work-dir "$work" \
	-tables "$TABLES" -rows "$ROWS" -threads "$THREADS" \
	-out "$BENCH_OUT" -rss-sizes "$BENCH_RSS_SIZES" -timeout "$BENCH_TIMEOUT" \
	-etl="$([[ ${ETL:-1} == 1 ]] && echo true || echo false)" "${adb_flags[@]}" \
	-many-tables "${MANY_TABLES:-2000}" -many-rows "${MANY_ROWS:-20}"
