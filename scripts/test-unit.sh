#!/usr/bin/env bash
# make test-unit: the fast tier. Runs `go test -short` on every package: the tests that need
# no server run, and the ones that need MariaDB, etcd, a runner process, or a program that
# takes minutes to build (OPA, goreleaser) are skipped by internal/testtier before anything
# starts; with TF_ACC unset, terraform's acceptance tests skip themselves too. Installs
# nothing and needs no mariadbd.
# The summary says how many tests ran and how many were left to `make test`: a skipped test
# is never counted as passed. The run fails when a test fails, when a test skips for any
# other reason, and when no test passed at all.
# Arguments, if any, go to `go test` instead of the default ./... (for example -run TestX).
set -euo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT

args=("$@")
[[ ${#args[@]} -gt 0 ]] || args=(./...)
unset TF_ACC
set +e
go test -short -count=1 -v -timeout 5m "${args[@]}" >"$log" 2>&1
status=$?
set -e

# Each skip logs its reason once. Two reasons mean "make test runs this": internal/testtier's
# LeftOut, and terraform-plugin-testing's skip of an acceptance test without TF_ACC.
left_out='left out of make test-unit (go test -short); make test runs it'
no_tf_acc="Acceptance tests skipped unless env 'TF_ACC' set"
passed=$(grep -c -E '^\s*--- PASS' "$log" || true)
failed=$(grep -c -E '^\s*--- FAIL' "$log" || true)
skipped=$(grep -c -E '^\s*--- SKIP' "$log" || true)
left=$(grep -c -F -e "$left_out" -e "$no_tf_acc" "$log" || true)

if [[ $status -ne 0 ]]; then
	# The failures in full; passes and the expected skips are noise here.
	grep -v -E '^(=== (RUN|PAUSE|CONT|NAME)|\s*--- (PASS|SKIP))' "$log" | grep -v -F -e "$left_out" -e "$no_tf_acc" >&2 || true
fi
grep -E '^(ok|FAIL)\s' "$log" | sed 's/^/  /' || true
echo
if [[ $skipped -ne $left ]]; then
	echo "test-unit: $((skipped - left)) tests skipped for a reason other than needing servers (a skip is not a pass):" >&2
	# The skips, each after the lines it logged; the reasons not listed above are the culprits.
	grep -B2 -E '^\s*--- SKIP' "$log" | grep -v -E '^(=== (RUN|PAUSE|CONT|NAME)|--$)' | grep -v -F -e "$left_out" -e "$no_tf_acc" >&2 || true
	status=1
fi
if [[ $passed -eq 0 ]]; then
	echo "test-unit: no test ran, so nothing was checked" >&2
	status=1
fi
echo "test-unit: $passed tests ran; $left were left to make test (they need servers or slow programs; skipped, not passed)"
echo "test-unit: $passed passed, $failed failed, $left skipped"
exit "$status"
