#!/usr/bin/env bash
# Makes sure the MariaDB server and client binaries used by scripts/mariadb.sh (mariadbd,
# mariadb-install-db, mariadb, mariadb-admin) are installed: when mariadbd is missing it installs
# Debian's mariadb-server and mariadb-client packages (scripts/apt-lib.sh).
#
# Debian's package does not start the system service on these machines, and we do not want it
# to: tests start their own throwaway servers with scripts/mariadb.sh, each with its own data
# directory, socket and port.
set -euo pipefail
source "$(dirname "$0")/apt-lib.sh"

present() { have mariadbd && have mariadb-install-db && have mariadb-admin && have mariadb; }
if present; then
	echo "mariadb: found $(mariadbd --version)"
	exit 0
fi
apt_install mariadb mariadb-server mariadb-client
present || { echo "mariadb: installation finished but mariadbd, mariadb-install-db, mariadb-admin or mariadb is still missing" >&2; exit 1; }
echo "mariadb: installed $(mariadbd --version)"
