#!/usr/bin/env bash
# CI policy for adbmigrate tasks, run on every pull request before anyone applies:
#
#   check-plan.sh [DIR]                  plan DIR (default .), already initialised, and check it
#   check-plan.sh --plan-json FILE       check the output of `terraform show -json PLANFILE`
#
# It fails (exit 1), naming each task and the reason, when the plan would
#   - replace an adbmigrate_migration_task (a new task migrates everything again, and a live
#     task's replication restarts from a new full copy) or destroy one; the plan's
#     replace_paths say which argument forces the replacement;
#   - leave any task with a non-empty ignore_precheck_alerts (accepted alerts may cause data
#     inconsistency: they need a human review, not a green pipeline).
# The same rules, and one more (incremental tasks must have monitoring), are in Rego under
# policy/ for Open Policy Agent or conftest.
# Exit 2 means the plan itself could not be made or read. Needs terraform and jq; the
# provider's endpoint and token come from ADBMIGRATE_ENDPOINT and ADBMIGRATE_TOKEN as usual.
set -euo pipefail

if [[ ${1:-} == --plan-json ]]; then
	json=${2:?usage: check-plan.sh --plan-json FILE}
else
	dir=${1:-.}
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	# -lock=false: a policy check must not block a concurrent apply. -detailed-exitcode is not
	# used: a plan with changes is fine, only some changes are not.
	terraform -chdir="$dir" plan -input=false -lock=false -no-color -out="$work/plan" >"$work/plan.log" 2>&1 || {
		cat "$work/plan.log" >&2
		echo "check-plan: terraform plan failed" >&2
		exit 2
	}
	terraform -chdir="$dir" show -json "$work/plan" >"$work/plan.json" || {
		echo "check-plan: terraform show -json failed" >&2
		exit 2
	}
	json=$work/plan.json
fi

# One line per violation. resource_changes lists every resource in the plan, no-ops
# included, so a task that already ignores alerts is caught even when it does not change.
violations=$(jq -r '
	.resource_changes[]?
	| select(.type == "adbmigrate_migration_task")
	| . as $rc
	| ($rc.change.actions) as $a
	| (
		if ($a | index("delete")) and ($a | index("create")) then
			"\($rc.address): would be replaced (forced by \([$rc.change.replace_paths[]? | map(tostring) | join(".")] | join(", ") | if . == "" then "unknown" else . end)): a new task migrates everything again"
		elif ($a | index("delete")) then
			"\($rc.address): would be destroyed"
		else empty end
	),
	(
		($rc.change.after.ignore_precheck_alerts // []) as $ignored
		| if ($ignored | length) > 0 then
			"\($rc.address): ignore_precheck_alerts accepts \($ignored | join(", ")): precheck alerts need a review"
		else empty end
	)
' "$json") || {
	echo "check-plan: $json is not the JSON of a terraform plan" >&2
	exit 2
}

if [[ -n $violations ]]; then
	echo "check-plan: the plan breaks the adbmigrate policy:" >&2
	sed 's/^/  /' <<<"$violations" >&2
	exit 1
fi
echo "check-plan: no migration task is replaced or destroyed, and none ignores precheck alerts"
