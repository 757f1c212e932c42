#!/usr/bin/env bash
# make bench-failover: repeated kills of a task's owner in a cluster of three runners, under a
# sustained sysbench oltp_write_only load; prints the failover time p50/p99/max over the
# kills and compares source and destination (row counts and CHECKSUM TABLE of every table).
#
# On a clean Debian/Ubuntu machine it installs what is missing (sysbench with apt-get, MariaDB
# with scripts/install-mariadb.sh, etcd with scripts/install-etcd.sh), builds
# bin/adbmigrate-runner, starts a source and a destination MariaDB in a temporary directory
# under /tmp and runs the driver internal/bench/benchfailover, which starts three etcd
# members and three runners there. Everything is stopped and the directory removed on exit.
#
# Environment:
#   KILLS=10                 owner kills measured
#   TTL=5s                   the runners' --session-ttl
#   TABLES=4 ROWS=20000      sysbench tables and rows per table
#   THREADS=2                sysbench threads
#   BENCH_OUT=FILE           append the result as a markdown table row to FILE
#   BENCH_KEEP=1             keep the work directory (logs, data) after the run
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# shellcheck source=scripts/bench-lib.sh
source scripts/bench-lib.sh

bench_tools
bash scripts/install-etcd.sh
bench_build benchfailover adbm-bench-failover
roles=(source destination)
bench_trap
bench_start_servers

BENCH_DB_PASSWORD=$password "$work/benchfailover" \
	-source-port "${port[source]}" -destination-port "${port[destination]}" -user "$user" \
	-runner "$root/bin/adbmigrate-runner" -work-dir "$work" -etcd "$(command -v etcd || echo /usr/bin/etcd)" \
	-kills "${KILLS:-10}" -ttl "${TTL:-5s}" -tables "${TABLES:-4}" -rows "${ROWS:-20000}" -threads "${THREADS:-2}" \
	-out "${BENCH_OUT:-}"
