#!/usr/bin/env bash
# make demo-cluster / demo-cluster-down: the quickstart on a runner cluster.
#
#   up    install MariaDB and etcd if missing, build, start a source and a destination
#         MariaDB with sample data, three etcd members (Debian's etcd binary, on free
#         loopback ports, data under .demo-cluster/etcd; never the packaged service), three
#         runners in cluster mode sharing a token and a --secret-key-file, then terraform
#         apply of examples/quickstart with the provider's endpoints listing all three
#         runners; print the nodes view and the task with its owner.
#   down  stop the runners, the etcd members and both servers (SIGTERM, then SIGKILL) and
#         remove .demo-cluster/.
#
# Everything lives in .demo-cluster/ at the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
demo=$root/.demo-cluster
export PATH="$PATH:/usr/sbin:/sbin:/usr/local/go/bin:/usr/bin"
[[ -t 1 ]] || export TF_CLI_ARGS="-no-color"

say() { printf '\n==> %s\n' "$*"; }

free_port() { bash scripts/mariadb.sh free-port; }

# stop_pid FILE: SIGTERM the process whose pid FILE holds, SIGKILL after 10 s.
stop_pid() {
	local f=$1 pid
	[[ -s $f ]] || return 0
	pid=$(<"$f")
	kill -0 "$pid" 2>/dev/null || return 0
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	echo "demo-cluster: pid $pid did not stop on SIGTERM; killing it"
	kill -9 "$pid" 2>/dev/null || true
}

runner_url() { echo "http://$(<"$demo/runner$1.addr")"; }

status() { "$root/bin/adbmigrate-runner" status --endpoint "$(runner_url 1)" --token-file "$demo/token" "$@"; }

up() {
	if [[ -d $demo ]]; then
		echo "demo-cluster: $demo exists; run 'make demo-cluster-down' first" >&2
		exit 1
	fi
	bash scripts/install-mariadb.sh
	bash scripts/install-etcd.sh
	command -v terraform >/dev/null || { echo "demo-cluster: terraform (>= 1.11) is not on PATH" >&2; exit 1; }

	say "Building the provider and the runner"
	make --no-print-directory build

	mkdir -p "$demo/etcd"
	chmod 700 "$demo"
	(umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$demo/password")
	(umask 077 && head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$demo/token")
	(umask 077 && head -c 32 /dev/urandom >"$demo/secret.key")
	for role in source destination; do
		port=$(free_port)
		echo "$port" >"$demo/$role.port"
		say "Starting the $role MariaDB on 127.0.0.1:$port"
		bash scripts/mariadb.sh start "$demo/$role" "$port" "$role" adbm "$(<"$demo/password")"
	done
	mariadb --no-defaults --default-character-set=utf8mb4 --socket="$demo/source/s.sock" -uroot <scripts/demo-data.sql

	say "Starting three etcd members"
	local initial="" endpoints=""
	for i in 1 2 3; do
		echo "$(free_port) $(free_port)" >"$demo/etcd/e$i.ports"
		read -r c p <"$demo/etcd/e$i.ports"
		initial+="${initial:+,}e$i=http://127.0.0.1:$p"
		endpoints+="${endpoints:+,}127.0.0.1:$c"
	done
	echo "$endpoints" >"$demo/etcd/endpoints"
	for i in 1 2 3; do
		read -r c p <"$demo/etcd/e$i.ports"
		nohup etcd --name "e$i" --data-dir "$demo/etcd/e$i" \
			--listen-client-urls "http://127.0.0.1:$c" --advertise-client-urls "http://127.0.0.1:$c" \
			--listen-peer-urls "http://127.0.0.1:$p" --initial-advertise-peer-urls "http://127.0.0.1:$p" \
			--initial-cluster "$initial" --initial-cluster-state new --initial-cluster-token "demo-$$" \
			--logger zap --log-outputs stderr >>"$demo/etcd/e$i.log" 2>&1 &
		echo $! >"$demo/etcd/e$i.pid"
		echo "etcd e$i: client 127.0.0.1:$c, peer 127.0.0.1:$p"
	done

	say "Starting three runners in cluster mode (TTL 5 s)"
	for i in 1 2 3; do
		echo "127.0.0.1:$(free_port)" >"$demo/runner$i.addr"
		ADBMIGRATE_TOKEN=$(<"$demo/token") nohup "$root/bin/adbmigrate-runner" --listen "$(<"$demo/runner$i.addr")" \
			--etcd-endpoints "$endpoints" --etcd-prefix /adbmigrate-demo --node-id "runner$i" \
			--advertise-url "$(runner_url "$i")" --secret-key-file "$demo/secret.key" --session-ttl 5s \
			>>"$demo/runner$i.log" 2>&1 &
		echo $! >"$demo/runner$i.pid"
	done
	for i in 1 2 3; do
		for _ in $(seq 300); do
			curl -fsS -o /dev/null -H "Authorization: Bearer $(<"$demo/token")" "$(runner_url "$i")/v1/health" && break
			kill -0 "$(<"$demo/runner$i.pid")" 2>/dev/null || { echo "demo-cluster: runner$i exited; see .demo-cluster/runner$i.log" >&2; exit 1; }
			sleep 0.1
		done
		echo "runner$i: $(runner_url "$i")"
	done
	status nodes

	cat >"$demo/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "adbmigrate/adbmigrate" = "$root/bin"
  }
  direct {}
}
RC
	mkdir -p "$demo/quickstart"
	sed "s|^provider \"adbmigrate\" {}|provider \"adbmigrate\" {\n  endpoints = [\"$(runner_url 1)\", \"$(runner_url 2)\", \"$(runner_url 3)\"]\n}|" \
		examples/quickstart/main.tf >"$demo/quickstart/main.tf"
	grep -q endpoints "$demo/quickstart/main.tf" || { echo "demo-cluster: could not set endpoints in the quickstart" >&2; exit 1; }

	say "terraform apply (examples/quickstart, provider endpoints = the three runners)"
	TF_CLI_CONFIG_FILE="$demo/terraformrc" TF_VAR_source_port="$(<"$demo/source.port")" \
		TF_VAR_destination_port="$(<"$demo/destination.port")" TF_VAR_password="$(<"$demo/password")" \
		ADBMIGRATE_TOKEN="$(<"$demo/token")" terraform -chdir="$demo/quickstart" apply -auto-approve -input=false

	say "The tasks, with their owner, and the nodes"
	status
	status nodes
	say "Demo cluster is up. Kill a runner (kill -9 \$(cat .demo-cluster/runner1.pid)) and watch: adbmigrate-runner status nodes --endpoint $(runner_url 2) --token-file .demo-cluster/token. Then make demo-cluster-down"
}

down() {
	[[ -d $demo ]] || { echo "demo-cluster: nothing to stop"; return 0; }
	for i in 1 2 3; do stop_pid "$demo/runner$i.pid"; done
	for i in 1 2 3; do stop_pid "$demo/etcd/e$i.pid"; done
	for role in source destination; do
		[[ -d $demo/$role ]] && bash scripts/mariadb.sh stop "$demo/$role" && echo "demo-cluster: stopped the $role MariaDB"
	done
	rm -rf "$demo"
	echo "demo-cluster: removed .demo-cluster/"
}

case "${1:-}" in
up) up ;;
down) down ;;
*)
	echo "usage: scripts/demo-cluster.sh up|down" >&2
	exit 2
	;;
esac
