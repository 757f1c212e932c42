#!/usr/bin/env bash
# make demo-adb / demo-adb-down: MariaDB to the emulated AnalyticDB for MySQL 3.0 on local
# throwaway databases (not AnalyticDB: docs/adb.md says what the emulator is).
#
#   up    install MariaDB if missing, build, start a source MariaDB with sales data of the
#         type kinds AnalyticDB maps, a destination MariaDB with the emulator (adbfront,
#         BEGIN a no-op, locking reads stripped) in front of it, and the runner; then
#         terraform apply examples/adb-emulator: the precheck stops on the values AnalyticDB
#         keeps only in part; accepted, the task copies the tables and follows the binlog;
#         the mapping shows through the front; orders written meanwhile arrive; the cut-over
#         drains and stops.
#   down  stop everything and remove .demo-adb/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
demo=$root/.demo-adb
export PATH="$PATH:/usr/sbin:/sbin:/usr/local/go/bin"
[[ -t 1 ]] || export TF_CLI_ARGS="-no-color"

# shellcheck source=scripts/demo-lib.sh
source scripts/demo-lib.sh

say() { printf '\n==> %s\n' "$*"; }

tf() {
	TF_CLI_CONFIG_FILE="$demo/terraformrc" \
		TF_VAR_source_port="$(<"$demo/source.port")" \
		TF_VAR_destination_port="$(<"$demo/front.port")" \
		TF_VAR_password="$(<"$demo/password")" \
		ADBMIGRATE_ENDPOINT="http://$(<"$demo/runner.addr")" \
		ADBMIGRATE_TOKEN="$(<"$demo/runner/token")" \
		terraform -chdir="$demo/tf" "$@"
}

sql() { # sql ROLE QUERY: directly on a MariaDB
	mariadb --no-defaults --default-character-set=utf8mb4 --socket="$demo/$1/s.sock" -uroot --table -e "$2"
}

front() { # front QUERY: through the emulated AnalyticDB
	mariadb --no-defaults --default-character-set=utf8mb4 --protocol=tcp -h127.0.0.1 -P"$(<"$demo/front.port")" -uadbm -p"$(<"$demo/password")" -e "$1"
}

count() { mariadb --no-defaults --socket="$demo/$1/s.sock" -uroot -N -e "SELECT COUNT(*) FROM $2"; }

wait_port() { # wait_port PORT WHAT LOG
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return
		sleep 0.1
	done
	echo "demo-adb: $2 did not listen on $1; see $3" >&2
	exit 1
}

up() {
	if [[ -d $demo ]]; then
		echo "demo-adb: $demo exists; run 'make demo-adb-down' first" >&2
		exit 1
	fi
	bash scripts/install-mariadb.sh
	command -v terraform >/dev/null || { echo "demo-adb: terraform (>= 1.11) is not on PATH" >&2; exit 1; }
	say "Building the provider, the runner and the emulator"
	make --no-print-directory build
	go build -o bin/adbfront ./internal/adbfront/cmd/adbfront

	demo_servers

	say "Sales data on the source, with types AnalyticDB does not have as they are"
	mariadb --no-defaults --default-character-set=utf8mb4 --socket="$demo/source/s.sock" -uroot <<-'SQL'
		CREATE DATABASE sales;
		CREATE TABLE sales.orders (id BIGINT UNSIGNED NOT NULL, customer_id INT UNSIGNED NOT NULL, ordered_at DATETIME(6) NOT NULL,
		  total DECIMAL(12,2), note TEXT, receipt BLOB, fiscal_year YEAR, PRIMARY KEY (id, customer_id, ordered_at));
		CREATE TABLE sales.regions (id SMALLINT UNSIGNED NOT NULL PRIMARY KEY, name VARCHAR(40), population MEDIUMINT UNSIGNED);
		INSERT INTO sales.orders SELECT seq, 1 + seq % 500, '2024-01-01' + INTERVAL seq MINUTE, seq / 4, CONCAT('order ', seq),
		  UNHEX(SHA1(seq)), 2024 FROM sales.seq_1_to_20000;
		INSERT INTO sales.regions VALUES (1, 'north', 8388607), (2, 'südwest', 120000);
	SQL
	sql source "SHOW CREATE TABLE sales.orders\G" | sed -n '/Create Table/,$p'

	port=$(bash scripts/mariadb.sh free-port)
	echo "$port" >"$demo/front.port"
	say "Starting the emulated AnalyticDB on 127.0.0.1:$port, in front of the destination MariaDB"
	nohup bin/adbfront -listen "127.0.0.1:$port" -upstream "127.0.0.1:$(<"$demo/destination.port")" \
		-admin-dsn "root@unix($demo/destination/s.sock)/" -v >>"$demo/adbfront.log" 2>&1 &
	echo $! >"$demo/adbfront.pid"
	wait_port "$port" "the emulator" .demo-adb/adbfront.log

	addr="127.0.0.1:$(bash scripts/mariadb.sh free-port)"
	echo "$addr" >"$demo/runner.addr"
	say "Starting adbmigrate-runner on $addr"
	env -u ADBMIGRATE_TOKEN nohup bin/adbmigrate-runner --listen "$addr" --data-dir "$demo/runner" >>"$demo/runner.log" 2>&1 &
	echo $! >"$demo/runner.pid"
	for _ in $(seq 100); do [[ -s $demo/runner/token ]] && break; sleep 0.1; done
	wait_port "${addr##*:}" "the runner" .demo-adb/runner.log

	demo_terraformrc
	mkdir -p "$demo/tf"
	cp examples/adb-emulator/main.tf "$demo/tf/"

	say "terraform apply: the precheck names the values AnalyticDB keeps only in part"
	if tf apply -auto-approve -input=false; then
		echo "demo-adb: the apply should have stopped at the precheck" >&2
		exit 1
	fi

	say "terraform apply -var accept_value_range=true (the change accepted)"
	tf apply -auto-approve -input=false -var accept_value_range=true
	tf output

	say "The mapping: the tables through the emulated AnalyticDB"
	front "SHOW CREATE TABLE sales.orders\G" | sed -n '/Create Table/,$p'
	front "SHOW CREATE TABLE sales.regions\G" | sed -n '/Create Table/,$p'

	say "Live: orders written on the source arrive"
	for i in $(seq 1 20); do
		sql source "INSERT INTO sales.orders VALUES ($((100000 + i)), 7, NOW(3), 9.99, 'live', NULL, 2026)" >/dev/null
	done
	sleep 3
	printf '  orders: source %s, destination %s\n' "$(count source sales.orders)" "$(count destination sales.orders)"

	say "Cut-over: apply with desired_status = \"stopped\" (drains to the source's position, then stops)"
	tf apply -auto-approve -input=false -var accept_value_range=true -var desired_status=stopped
	tf output
	printf '  orders: source %s, destination %s\n' "$(count source sales.orders)" "$(count destination sales.orders)"
	say "Demo is up. make demo-adb-down stops it and removes .demo-adb/"
}

down() {
	for p in runner adbfront; do
		if [[ -s $demo/$p.pid ]] && kill -0 "$(<"$demo/$p.pid")" 2>/dev/null; then
			kill "$(<"$demo/$p.pid")" && echo "demo-adb: stopped the $p"
		fi
	done
	for role in source destination; do
		[[ -d $demo/$role ]] && bash scripts/mariadb.sh stop "$demo/$role" && echo "demo-adb: stopped the $role MariaDB"
	done
	rm -rf "$demo"
	echo "demo-adb: removed .demo-adb/"
}

case "${1:-}" in
up) up ;;
down) down ;;
*)
	echo "usage: scripts/demo-adb.sh up|down" >&2
	exit 2
	;;
esac
