#!/usr/bin/env bash
# Fails when docs/ is not what `make generate` produces from templates/, examples/ and the
# provider schema. Generates into a temporary copy, so the work tree is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
# tfplugindocs takes the output directory relative to the repository.
out=bin/docs-check
rm -rf "$out"
mkdir -p bin
trap 'rm -rf "$out" "$out.log"' EXIT
go tool tfplugindocs generate --provider-name adbmigrate --rendered-website-dir "$out" >"$out.log" 2>&1 || { cat "$out.log"; exit 1; }
# Hand-written pages that tfplugindocs does not generate (and leaves alone).
handwritten=(--exclude=performance.md --exclude=api.md --exclude=cluster.md --exclude=adb.md --exclude=mysql.md)
if ! diff -ru "${handwritten[@]}" docs "$out"; then
	echo "docs-check: docs/ is stale: run 'make generate' and commit docs/" >&2
	exit 1
fi
echo "docs-check: docs/ is current"
