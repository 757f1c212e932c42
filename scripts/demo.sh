#!/usr/bin/env bash
# make demo / demo-plan / demo-down: the main job end to end on local throwaway databases.
#
#   up    install MariaDB if missing, build, start a source (binlog) and a destination
#         MariaDB with sample data, start the runner, terraform apply examples/quickstart
#         (through a CLI config with dev_overrides for the local build), then print the task
#         and the migrated rows read from the destination. Then live replication:
#         examples/live-replication (schema + full + incremental) while orders are written
#         on the source, the rows arriving, the cut-over with desired_status = "stopped"
#         and the drained position; and how to open the web console and status --watch.
#   plan  terraform plan on the demo (no changes expected).
#   restart-runner
#         stop the runner and start it again on the same data dir.
#   down  stop the runner and both servers and remove .demo/.
#
# Everything lives in .demo/ at the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
demo=$root/.demo
export PATH="$PATH:/usr/sbin:/sbin:/usr/local/go/bin"

# Plain output when not on a terminal (CI logs).
[[ -t 1 ]] || export TF_CLI_ARGS="-no-color"

# shellcheck source=scripts/demo-lib.sh
source scripts/demo-lib.sh

say() { printf '\n==> %s\n' "$*"; }

tf() { tf_in quickstart "$@"; }

tf_in() { # tf_in DIR ARGS...: terraform in .demo/DIR with the demo's variables
	local dir=$1
	shift
	TF_CLI_CONFIG_FILE="$demo/terraformrc" \
		TF_VAR_source_port="$(<"$demo/source.port")" \
		TF_VAR_destination_port="$(<"$demo/destination.port")" \
		TF_VAR_password="$(<"$demo/password")" \
		ADBMIGRATE_ENDPOINT="http://$(<"$demo/runner.addr")" \
		ADBMIGRATE_TOKEN="$(<"$demo/runner/token")" \
		terraform -chdir="$demo/$dir" "$@"
}

sql() { # sql ROLE QUERY
	mariadb --no-defaults --default-character-set=utf8mb4 --socket="$demo/$1/s.sock" -uroot --table -e "$2"
}

start_runner() {
	env -u ADBMIGRATE_TOKEN nohup "$root/bin/adbmigrate-runner" --listen "$(<"$demo/runner.addr")" --data-dir "$demo/runner" >>"$demo/runner.log" 2>&1 &
	echo $! >"$demo/runner.pid"
	for _ in $(seq 100); do
		[[ -s $demo/runner/token ]] && curl -fsS -o /dev/null -H "Authorization: Bearer $(<"$demo/runner/token")" "http://$(<"$demo/runner.addr")/v1/health" && return
		sleep 0.1
	done
	echo "demo: the runner did not answer; see .demo/runner.log" >&2
	exit 1
}

stop_runner() {
	local pid
	pid=$(runner_pid) || return 0
	echo "demo: stopping the runner (pid $pid)"
	kill "$pid"
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null || true
}

runner_pid() {
	[[ -s $demo/runner.pid ]] && kill -0 "$(<"$demo/runner.pid")" 2>/dev/null && cat "$demo/runner.pid"
}

up() {
	if [[ -d $demo ]]; then
		echo "demo: $demo exists; run 'make demo-down' first" >&2
		exit 1
	fi
	bash scripts/install-mariadb.sh
	command -v terraform >/dev/null || { echo "demo: terraform (>= 1.11) is not on PATH" >&2; exit 1; }

	say "Building the provider and the runner"
	make --no-print-directory build

	demo_servers

	say "Loading sample data into the source (database shop)"
	mariadb --no-defaults --default-character-set=utf8mb4 --socket="$demo/source/s.sock" -uroot <scripts/demo-data.sql
	sql source "SELECT 'customers' AS tbl, COUNT(*) AS \`rows\` FROM shop.customers UNION ALL SELECT 'orders', COUNT(*) FROM shop.orders UNION ALL SELECT 'order_items', COUNT(*) FROM shop.order_items UNION ALL SELECT 'products', COUNT(*) FROM shop.products"

	addr="127.0.0.1:$(bash scripts/mariadb.sh free-port)"
	echo "$addr" >"$demo/runner.addr"
	say "Starting adbmigrate-runner on $addr (data dir .demo/runner, token generated into .demo/runner/token)"
	start_runner
	curl -fsS -H "Authorization: Bearer $(<"$demo/runner/token")" "http://$addr/v1/health" && echo
	printf 'without the token: HTTP %s\n' "$(curl -s -o /dev/null -w '%{http_code}' "http://$addr/v1/health")"

	demo_terraformrc
	mkdir -p "$demo/quickstart"
	cp examples/quickstart/main.tf "$demo/quickstart/"

	say "terraform apply (examples/quickstart)"
	tf apply -auto-approve -input=false

	say "The task, as the runner reports it"
	tf output
	say "Migrated rows, read from the destination"
	sql destination "SELECT 'customers' AS tbl, COUNT(*) AS \`rows\` FROM shop_copy.customers UNION ALL SELECT 'orders', COUNT(*) FROM shop_copy.orders UNION ALL SELECT 'order_items', COUNT(*) FROM shop_copy.order_items UNION ALL SELECT 'products', COUNT(*) FROM shop_copy.products"
	sql destination "SELECT * FROM shop_copy.products ORDER BY sku; SELECT * FROM shop_copy.customers ORDER BY id LIMIT 4"

	live
	say "Demo is up. Try: make demo-plan (no changes), then make demo-down"
}

# live: schema + full + incremental (examples/live-replication) while an application keeps
# writing orders on the source; the new rows arrive on the destination, then the cut-over
# (desired_status = "stopped") drains to the source's position and stops.
live() {
	mkdir -p "$demo/live"
	cp examples/live-replication/main.tf "$demo/live/"

	say "Live replication: an application writes orders on the source from now on"
	start_writer
	say "terraform apply (examples/live-replication: schema + full + incremental into shop_live)"
	tf_in live apply -auto-approve -input=false
	say "Rows arriving: orders on the source and on the destination, while the writes go on"
	for _ in 1 2 3 4 5; do
		printf '  %s  source %s  destination %s\n' "$(date +%T)" \
			"$(count source shop.orders)" "$(count destination shop_live.orders)"
		sleep 1
	done
	"$root/bin/adbmigrate-runner" status --endpoint "http://$(<"$demo/runner.addr")" --data-dir "$demo/runner"

	say "Cut-over: stop the application's writes, then apply with desired_status = \"stopped\""
	stop_writer
	printf '  the source is at %s\n' "$(mariadb --no-defaults --socket="$demo/source/s.sock" -uroot -N -e "SHOW MASTER STATUS" | awk '{print $1 ":" $2}')"
	tf_in live apply -auto-approve -input=false -var desired_status=stopped
	say "The task drained to the source's position and stopped"
	tf_in live output
	printf '  orders: source %s, destination %s\n' "$(count source shop.orders)" "$(count destination shop_live.orders)"

	local addr token_file
	addr=$(<"$demo/runner.addr")
	token_file=$demo/runner/token
	say "Watch the runner"
	cat <<-EOF
		  Web console:    http://$addr/ui/  (sign in with the token in $token_file)
		  In a terminal:  bin/adbmigrate-runner status --watch --endpoint http://$addr --data-dir .demo/runner
	EOF
}

count() { # count ROLE DB.TABLE
	mariadb --no-defaults --socket="$demo/$1/s.sock" -uroot -N -e "SELECT COUNT(*) FROM $2"
}

# start_writer inserts an order on the source every 0.2 s until stop_writer.
start_writer() {
	touch "$demo/writer.run"
	(
		i=0
		while [[ -e $demo/writer.run ]]; do
			i=$((i + 1))
			mariadb --no-defaults --socket="$demo/source/s.sock" -uroot shop -e \
				"INSERT INTO orders VALUES ($((100000 + i)), 1 + $i % 2000, NOW(3), 'new'); UPDATE orders SET status = 'paid' WHERE id = $((100000 + i - 1))" || break
			sleep 0.2
		done
	) &
	echo $! >"$demo/writer.pid"
}

stop_writer() {
	rm -f "$demo/writer.run"
	[[ -s $demo/writer.pid ]] && wait "$(<"$demo/writer.pid")" 2>/dev/null || true
	rm -f "$demo/writer.pid"
}

plan() {
	[[ -d $demo ]] || { echo "demo: not running; run 'make demo'" >&2; exit 1; }
	tf plan -input=false -detailed-exitcode
}

restart_runner() {
	[[ -d $demo ]] || { echo "demo: not running; run 'make demo'" >&2; exit 1; }
	stop_runner
	start_runner
	echo "demo: runner restarted on $(<"$demo/runner.addr") with data dir .demo/runner"
}

down() {
	rm -f "$demo/writer.run"
	stop_runner
	for role in source destination; do
		[[ -d $demo/$role ]] && bash scripts/mariadb.sh stop "$demo/$role" && echo "demo: stopped the $role MariaDB"
	done
	rm -rf "$demo"
	echo "demo: removed .demo/"
}

case "${1:-}" in
up) up ;;
plan) plan ;;
restart-runner) restart_runner ;;
down) down ;;
*)
	echo "usage: scripts/demo.sh up|plan|restart-runner|down" >&2
	exit 2
	;;
esac
