#!/usr/bin/env bash
# Prints the directory of every Go module in the repository, one a line,
# the root module first: each directory below the root holding a go.mod
# (node_modules left out). Sourced by scripts/test.sh and .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
echo .
find . -mindepth 2 -name node_modules -prune -o -name go.mod -print |
  sed 's#^\./##; s#/go.mod$##' | LC_ALL=C sort
