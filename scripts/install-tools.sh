#!/usr/bin/env bash
# Makes sure the real tools that make test checks the operator examples with are installed,
# from Debian's packages when missing:
#   systemd-analyze  (systemd)     verifies examples/deploy/systemd/adbmigrate-runner.service
#   promtool         (prometheus)  checks examples/monitoring/prometheus-rules.yml
#   chromium         (chromium)    loads the runner's web console headless
#   tmux             (tmux)        runs `adbmigrate-runner status --watch` on a terminal
# apt-get update runs once, and only when something is missing. Debian's prometheus package
# may try to start its service; nothing here needs or uses it.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin:/usr/local/sbin"

declare -A package=([systemd-analyze]=systemd [promtool]=prometheus [chromium]=chromium [tmux]=tmux)
missing=()
for tool in systemd-analyze promtool chromium tmux; do
	command -v "$tool" >/dev/null 2>&1 || missing+=("${package[$tool]}")
done
if [[ ${#missing[@]} -eq 0 ]]; then
	echo "tools: found systemd-analyze, promtool, chromium, tmux"
	exit 0
fi
echo "tools: installing ${missing[*]} from Debian packages"
if ! command -v apt-get >/dev/null 2>&1; then
	echo "tools: apt-get is not available; install ${missing[*]} by other means" >&2
	exit 1
fi
sudo=()
if [[ $(id -u) -ne 0 ]]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo=(sudo)
	else
		echo "tools: not root and sudo is not available; run as root: apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
fi
"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
for tool in systemd-analyze promtool chromium tmux; do
	command -v "$tool" >/dev/null 2>&1 || { echo "tools: $tool is still missing after the install" >&2; exit 1; }
done
echo "tools: installed ${missing[*]}"
