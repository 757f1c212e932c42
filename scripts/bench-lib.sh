# scripts/bench-lib.sh: the parts that scripts/bench-full.sh and scripts/bench-cdc.sh share.
# Sourced (not run) from the repository root, after `set -euo pipefail`. The caller sets
# roles (the MariaDB servers to start, in order) before bench_start_servers; bench_build sets
# work, and bench_start_servers sets user, password and port[ROLE].

source scripts/apt-lib.sh
export PATH="$PATH:/usr/local/go/bin"

say() { printf '\n==> %s\n' "$*"; }

# bench_tools [COMMAND:PACKAGE]...: installs sysbench, mydumper and any PACKAGE whose COMMAND
# is missing (scripts/apt-lib.sh), then MariaDB with scripts/install-mariadb.sh.
bench_tools() {
	local missing=() spec
	command -v sysbench >/dev/null 2>&1 || missing+=(sysbench)
	{ command -v mydumper >/dev/null 2>&1 && command -v myloader >/dev/null 2>&1; } || missing+=(mydumper)
	for spec in "$@"; do
		command -v "${spec%%:*}" >/dev/null 2>&1 || missing+=("${spec#*:}")
	done
	((${#missing[@]} == 0)) || apt_install bench "${missing[@]}"
	bash scripts/install-mariadb.sh
	echo "bench: $(sysbench --version), $(mydumper --version 2>&1 | head -1)"
}

# bench_build DRIVER PREFIX: builds bin/adbmigrate-runner, makes the work directory
# /tmp/PREFIX-XXXXXX (in work) and builds internal/bench/DRIVER into it.
bench_build() {
	say "Building the runner and the benchmark driver"
	make --no-print-directory runner
	work=$(mktemp -d "/tmp/$2-XXXXXX")
	go build -o "$work/$1" "./internal/bench/$1"
}

# bench_build_front: with ADB=1 (the default), builds the AnalyticDB emulator
# internal/adbfront/cmd/adbfront into $work/adbfront and sets adb_flags to the driver's
# flags for it; with ADB=0 sets adb_flags to skip the emulator run.
bench_build_front() {
	if [[ ${ADB:-1} == 1 ]]; then
		go build -o "$work/adbfront" ./internal/adbfront/cmd/adbfront
		adb_flags=(-adb=true -adbfront "$work/adbfront")
	else
		adb_flags=(-adb=false)
	fi
}

# bench_cleanup stops the runner, the emulator and the servers of roles, and removes the work directory
# unless BENCH_KEEP=1; bench_trap installs it on exit. Everything started after bench_trap is
# stopped by it.
bench_cleanup() {
	local status=$? pidfile
	trap - EXIT INT TERM
	for pidfile in "$work/runner.pid" "$work/adbfront.pid"; do
		if [[ -s $pidfile ]]; then
			kill "$(<"$pidfile")" 2>/dev/null || true
		fi
	done
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
bench_trap() {
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

# bench_start_servers starts one MariaDB per role in roles (scripts/mariadb.sh) on a free
# port, retrying a port taken meanwhile, with a random password for user bench. Should the
# calling script be killed without running cleanup, the watchdog of scripts/mariadb.sh stops
# the servers once it has gone. A replica is started as a "destination" (no binary log of
# its own); its server id is its port, unlike the source's.
bench_start_servers() {
	export ADBM_OWNER_PID=$$
	user=bench
	password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
	declare -gA port
	local role kind attempt status
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
}
