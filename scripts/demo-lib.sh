# Shared by the demos (scripts/demo.sh, scripts/demo-adb.sh): source it after setting
# $demo (the demo's directory) and $root (the repository root), and defining say.

# demo_servers makes $demo with a generated password and starts a source and a destination
# MariaDB in it, recording their ports in $demo/ROLE.port.
demo_servers() {
	mkdir -p "$demo"
	chmod 700 "$demo"
	(umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$demo/password")
	local role port
	for role in source destination; do
		port=$(bash scripts/mariadb.sh free-port)
		echo "$port" >"$demo/$role.port"
		say "Starting the $role MariaDB on 127.0.0.1:$port"
		bash scripts/mariadb.sh start "$demo/$role" "$port" "$role" adbm "$(<"$demo/password")"
	done
}

# demo_terraformrc writes $demo/terraformrc: a CLI config whose dev_overrides point the
# provider at the local build in $root/bin.
demo_terraformrc() {
	cat >"$demo/terraformrc" <<-RC
		provider_installation {
		  dev_overrides {
		    "adbmigrate/adbmigrate" = "$root/bin"
		  }
		  direct {}
		}
	RC
}
