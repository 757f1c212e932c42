#!/usr/bin/env bash
# Fails when a Go file looks up an external program that no scripts/install-*.sh installs, so
# that a fresh machine, which has only what those scripts install, passes make test. It reads
# every literal program name given to exec.LookPath, exec.Command, exec.CommandContext and the
# tests' lookPath/lookTool helpers (look programs up by a literal name, so that this check sees
# them), and the programs scripts/mariadb.sh runs. The benchmarks (internal/bench) are left out:
# scripts/bench-lib.sh installs what they run. A program counts as installed when an install
# script checks it with `have NAME` or lists it as `[NAME]=package`.
# The prerequisites the README names (go, terraform, bash, git) and the project's own binaries
# are not installed by a script. Runs in well under a second; make test calls it first.
set -euo pipefail
cd "$(dirname "$0")/.."

prerequisites='^(go|terraform|bash|sh|git)$'
found=$(
	{
		git ls-files '*.go' ':!internal/bench/' | xargs grep -hoE '(exec\.(LookPath|Command)|lookPath|lookTool)\((t, )?"[A-Za-z0-9_.+-]+"|exec\.CommandContext\([a-zA-Z]+, "[A-Za-z0-9_.+-]+"' |
			sed -E 's/.*"([^"]+)"$/\1/'
		grep -hoE '\b(mariadb[a-z-]*) --no-defaults|command -v mariadb[a-z-]*' scripts/mariadb.sh | sed -E 's/^command -v //; s/ --no-defaults$//'
	} | sort -u | grep -vE "$prerequisites" || true
)
missing=()
for prog in $found; do
	grep -hvE '^\s*#' scripts/install-*.sh | grep -qE "(have ${prog//./\\.}([ ;&|)]|$)|\[${prog//./\\.}\]=)" || missing+=("$prog")
done
if ((${#missing[@]})); then
	echo "check-programs: tests look up ${missing[*]}, but no scripts/install-*.sh installs it:" >&2
	echo "  add it to the table in scripts/install-tools.sh with its Debian package, or to another install script" >&2
	exit 1
fi
echo "check-programs: every program the tests look up is installed by scripts/install-*.sh: $(echo $found | tr '\n' ' ')"
