#!/usr/bin/env bash
# Makes sure the etcd server binary used by internal/etcdtest (cluster-mode tests) and
# scripts/demo-cluster.sh is installed: when etcd is missing it installs Debian's etcd-server
# and etcd-client packages (scripts/apt-lib.sh).
#
# The package may enable a system service on port 2379; nothing here uses it: tests and the
# demo start their own members on free loopback ports with their own data directories.
set -euo pipefail
source "$(dirname "$0")/apt-lib.sh"
export PATH="$PATH:/usr/bin"

if have etcd; then
	echo "etcd: found $(etcd --version | head -1)"
	exit 0
fi
apt_install etcd etcd-server etcd-client
have etcd || { echo "etcd: installation finished but etcd is still not found" >&2; exit 1; }
echo "etcd: installed $(etcd --version | head -1)"
