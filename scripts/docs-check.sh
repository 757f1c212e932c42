#!/usr/bin/env bash
# Fails when docs/ is not what `make generate` produces from templates/, examples/ and the
# provider schema. Generates into a temporary copy, so the work tree is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go tool tfplugindocs generate --provider-name adbmigrate --rendered-website-dir "$tmp/docs" >"$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
if ! diff -ru docs "$tmp/docs"; then
	echo "docs-check: docs/ is stale: run 'make generate' and commit docs/" >&2
	exit 1
fi
echo "docs-check: docs/ is current"
