# scripts/apt-lib.sh: the one place that installs Debian packages for the project's scripts.
# Sourced (not run) by scripts/install-*.sh and scripts/bench-lib.sh after `set -euo pipefail`.
#
#   apt_install LABEL PACKAGE...
#       installs the packages with apt-get (through sudo when not root, noninteractive),
#       running `apt-get update` first unless the package lists are less than an hour old, and
#       once more if the install fails on stale lists. LABEL prefixes every message. Fails,
#       naming the packages and what to do, when apt-get or root are not available.
#   have COMMAND
#       true when COMMAND is on PATH (PATH includes the sbin directories here).
#
# Debian's packages may try to start a system service (mariadb, etcd, prometheus); nothing in
# the project uses one: tests and the demo start their own servers on free loopback ports.

export PATH="$PATH:/usr/sbin:/sbin:/usr/local/sbin"

have() { command -v "$1" >/dev/null 2>&1; }

apt_install() {
	local label=$1
	shift
	if ! have apt-get; then
		echo "$label: apt-get is not available; install the Debian packages $* (or their equivalents) by other means" >&2
		return 1
	fi
	local sudo=()
	if [[ $(id -u) -ne 0 ]]; then
		if ! have sudo; then
			echo "$label: not root and sudo is not available; run as root: apt-get install -y $*" >&2
			return 1
		fi
		sudo=(sudo)
	fi
	if [[ -z $(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -60 2>/dev/null | head -1) ]]; then
		"${sudo[@]}" apt-get update
	fi
	echo "$label: installing $* from Debian packages"
	if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"; then
		echo "$label: apt-get install failed; running apt-get update and trying again"
		"${sudo[@]}" apt-get update
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
	fi
}
