#!/usr/bin/env bash
# Makes sure the etcd server binary used by internal/etcdtest (cluster-mode tests) and
# scripts/demo-cluster.sh is installed.
#
# If etcd is already available (on PATH or in /usr/bin) this only prints its version.
# Otherwise it installs Debian's etcd-server and etcd-client packages with apt-get (through
# sudo when not root).
#
# The package may enable a system service on port 2379; nothing here uses it: tests and the
# demo start their own members on free loopback ports with their own data directories.
set -euo pipefail

if command -v etcd >/dev/null 2>&1 || [[ -x /usr/bin/etcd ]]; then
	echo "etcd: found $(PATH=$PATH:/usr/bin etcd --version | head -1)"
	exit 0
fi

echo "etcd: etcd not found, installing etcd-server etcd-client from Debian packages"

if ! command -v apt-get >/dev/null 2>&1; then
	echo "etcd: apt-get is not available; install an etcd server (3.4 or newer) by other means and put etcd on PATH, or set ETCD_BIN" >&2
	exit 1
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo=(sudo)
	else
		echo "etcd: not root and sudo is not available; run as root: apt-get install -y etcd-server etcd-client" >&2
		exit 1
	fi
fi

"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y etcd-server etcd-client

if ! command -v etcd >/dev/null 2>&1; then
	echo "etcd: installation finished but etcd is still not found" >&2
	exit 1
fi
echo "etcd: installed $(etcd --version | head -1)"
