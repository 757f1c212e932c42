#!/usr/bin/env bash
# Makes sure the real tools that make test calls are installed, from Debian's packages when
# missing (scripts/apt-lib.sh). The table below is what scripts/check-programs.sh reads: every
# program a test looks up must be a key here, in install-mariadb.sh or in install-etcd.sh.
#   systemd-analyze          (systemd)          verifies examples/deploy/systemd/adbmigrate-runner.service
#   promtool                 (prometheus)       checks examples/monitoring/prometheus-rules.yml
#   chromium                 (chromium)         loads the runner's web console headless
#   tmux                     (tmux)             runs `adbmigrate-runner status --watch` on a terminal
#   pt-online-schema-change  (percona-toolkit)  the online schema change the incremental tests follow
# Debian's prometheus package may try to start its service; nothing here needs or uses it.
set -euo pipefail
source "$(dirname "$0")/apt-lib.sh"

declare -A package=(
	[systemd-analyze]=systemd
	[promtool]=prometheus
	[chromium]=chromium
	[tmux]=tmux
	[pt-online-schema-change]=percona-toolkit
)
missing=()
for tool in "${!package[@]}"; do
	have "$tool" || missing+=("${package[$tool]}")
done
if [[ ${#missing[@]} -eq 0 ]]; then
	echo "tools: found ${!package[*]}"
	exit 0
fi
apt_install tools "${missing[@]}"
for tool in "${!package[@]}"; do
	have "$tool" || { echo "tools: $tool is still missing after installing ${package[$tool]}" >&2; exit 1; }
done
echo "tools: installed ${missing[*]}"
