#!/usr/bin/env bash
# make test: unit, integration and acceptance tests against real MariaDB servers (started by
# the tests themselves) and the real terraform CLI (and systemd-analyze, promtool, chromium,
# tmux, pt-online-schema-change, goreleaser and OPA for the release and the operator examples), then the examples checks (terraform fmt,
# terraform validate in every example directory) and the docs check.
# Arguments, if any, go to `go test` instead of the default ./... (for example -run TestAcc).
# A skipped test fails the run: a skip is not a pass.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/sbin:/sbin:/usr/local/go/bin"

# terraform only warns about a missing CLI config; give it an empty one to keep logs clean.
cfg=$(mktemp)
log=$(mktemp)
trap 'rm -f "$cfg" "$log"' EXIT
export TF_CLI_CONFIG_FILE=$cfg

# A program a test looks up that no install script installs fails here, in seconds, not after
# the installs and a build on a machine where someone had installed it by hand.
bash scripts/check-programs.sh
bash scripts/install-mariadb.sh
bash scripts/install-tools.sh
bash scripts/install-etcd.sh
if ! command -v terraform >/dev/null 2>&1; then
	echo "test: terraform is not on PATH; install terraform >= 1.11 (acceptance tests run the real CLI)" >&2
	exit 1
fi
echo "test: $(terraform version | head -1), $(go version)"

# The acceptance tests must run, never skip.
export TF_ACC=1

args=("$@")
[[ ${#args[@]} -gt 0 ]] || args=(./...)
set +e
# Artifacts (the web console's screenshot) go to test-artifacts/_artifacts/.
mkdir -p test-artifacts
go test -count=1 -v -timeout 25m -artifacts -outputdir "$PWD/test-artifacts" "${args[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

passed=$(grep -c -E '^\s*--- PASS' "$log" || true)
failed=$(grep -c -E '^\s*--- FAIL' "$log" || true)
skipped=$(grep -c -E '^\s*--- SKIP' "$log" || true)
acc=$(grep -c -E '^--- PASS: TestAcc' "$log" || true)
echo
echo "test: acceptance tests passed: $acc"
grep -E '^--- PASS: TestAcc' "$log" | sed 's/^/  /' || true
if [[ $skipped -gt 0 ]]; then
	echo "test: skipped tests count as failures:" >&2
	grep -E '^\s*--- SKIP' "$log" >&2
	status=1
fi
# terraform validate on every directory of examples/ that holds .tf files. validate needs the
# provider's schema, which `terraform init` would download; instead a CLI config with
# dev_overrides points adbmigrate/adbmigrate at a provider built from this tree. With the
# override, validate runs without init (terraform warns that overrides are in effect); that
# holds as long as an example uses no other provider and no module.
validate_examples() {
	local dir bin=$1
	go build -o "$bin/terraform-provider-adbmigrate" . || return 1
	cat >"$bin/cli.tfrc" <<-EOF
		provider_installation {
		  dev_overrides {
		    "adbmigrate/adbmigrate" = "$bin"
		  }
		  direct {}
		}
	EOF
	local failed=0 n=0
	while IFS= read -r dir; do
		if TF_CLI_CONFIG_FILE=$bin/cli.tfrc terraform -chdir="$dir" validate -no-color >"$bin/validate.log" 2>&1; then
			echo "  valid: $dir"
			n=$((n + 1))
		else
			echo "test: terraform validate failed in $dir:" >&2
			cat "$bin/validate.log" >&2
			failed=1
		fi
	done < <(find examples -name '*.tf' -printf '%h\n' | sort -u)
	echo "test: terraform validate passed in $n example directories"
	return "$failed"
}

if [[ $status -eq 0 && $# -eq 0 ]]; then
	terraform fmt -check -recursive examples || { echo "test: examples need 'terraform fmt'" >&2; status=1; }
	bin=$(mktemp -d)
	validate_examples "$bin" || status=1
	rm -rf "$bin"
	bash scripts/docs-check.sh || status=1
fi
# Each package's duration, slowest first: where the time of a run goes.
echo "test: package durations, slowest first:"
grep -E '^(ok|FAIL)\s+\S+\s+[0-9.]+s' "$log" | awk '{sub(/s$/, "", $3); printf "  %8.1fs  %s\n", $3, $2}' | sort -rn | head -40 || true
echo "test: $passed passed, $failed failed"
exit "$status"
