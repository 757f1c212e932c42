#!/usr/bin/env bash
# Makes sure the MariaDB server and client binaries used by scripts/mariadb.sh
# are installed.
#
# If mariadbd is already available (on PATH or in /usr/sbin) this only prints
# its version. Otherwise it installs Debian's mariadb-server and
# mariadb-client packages with apt-get (through sudo when not root).
#
# Debian's package does not start the system service on these machines (there
# is no init system / policy-rc.d denies it), and we do not want it to: tests
# start their own throwaway servers with scripts/mariadb.sh, each with its own
# data directory, socket and port.
set -euo pipefail

export PATH="$PATH:/usr/sbin:/sbin:/usr/local/sbin"

if command -v mariadbd >/dev/null 2>&1; then
	echo "mariadb: found $(mariadbd --version)"
	exit 0
fi

echo "mariadb: mariadbd not found, installing mariadb-server mariadb-client from Debian packages"

if ! command -v apt-get >/dev/null 2>&1; then
	echo "mariadb: apt-get is not available; install the MariaDB server and client (mariadbd, mariadb-install-db, mariadb, mariadb-admin) by other means" >&2
	exit 1
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo=(sudo)
	else
		echo "mariadb: not root and sudo is not available; run as root: apt-get install -y mariadb-server mariadb-client" >&2
		exit 1
	fi
fi

"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y mariadb-server mariadb-client

if ! command -v mariadbd >/dev/null 2>&1; then
	echo "mariadb: installation finished but mariadbd is still not found" >&2
	exit 1
fi
echo "mariadb: installed $(mariadbd --version)"
