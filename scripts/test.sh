#!/usr/bin/env bash
# The repository's test command: go test in every Go module of it (the
# library at the root, and example/, bench/, interop/ ... each with a go.mod
# of its own; see scripts/modules.sh), each against its own go.mod.
#
#   scripts/test.sh                  # go test -race -count=1 -p 1 ./... in each module
#   scripts/test.sh -count=1 -run X  # these flags instead of the default ones
#
# A plain `go test ./...` at the root tests the root module alone: a nested
# module's packages are not in it (with or without a go.work). Every module
# is run even when one fails; the exit status is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- -race -count=1 -p 1
failed=()
for m in $(scripts/modules.sh); do
  printf '\n=== module %s: go test %s ./...\n' "$m" "$*"
  (cd "$m" && go test "$@" ./...) || failed+=("$m")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAIL: go test failed in module(s): ${failed[*]}" >&2
  exit 1
fi
