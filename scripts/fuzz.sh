#!/usr/bin/env bash
# Runs every native fuzz target of the root module (go test -fuzz) for
# FUZZTIME each, at most JOBS targets at a time, and prints one summary line per
# target: executions, new interesting inputs, and PASS or FAIL.
#
#   scripts/fuzz.sh                          # every target, 10 minutes each, 2 at a time
#   FUZZTIME=5s scripts/fuzz.sh              # what CI runs: a few seconds each
#   TARGETS="FuzzVerifyAccess FuzzAntiCSRF" FUZZTIME=1m scripts/fuzz.sh
#
# Environment:
#   FUZZTIME          -fuzztime per target (default 10m; "5s", "100000x", ...)
#   JOBS              targets fuzzed at once (default 2; each uses one worker, -parallel 1)
#   FUZZMINIMIZETIME  -fuzzminimizetime (default 10s: minimising a new input must not eat the run)
#   TARGETS           space-separated target names (default: every Fuzz* of the root module)
#   FUZZ_OUT          directory for the per-target logs (default: a new directory under /tmp)
#
# Seed corpora are <package>/testdata/fuzz/<Target>/ beside the file declaring
# the target (plus the f.Add seeds in the code). A failing input is written
# there by go test; keep it: it becomes a regression test that plain
# `go test` of that package runs.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-10m}
JOBS=${JOBS:-2}
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-10s}
OUT=${FUZZ_OUT:-$(mktemp -d /tmp/ginsession-fuzz.XXXXXX)}
mkdir -p "$OUT"

# Every target, with the package that declares it. The targets sit beside the
# code they fuzz, in several packages; a grep of the module's package
# directories (go list, which compiles nothing) finds them without building
# every test binary.
declare -A pkgOf
while IFS=: read -r file decl; do
  name=${decl#func }
  name=${name%%(*}
  pkgOf[$name]=./$(realpath --relative-to=. "$(dirname "$file")")
done < <(go list -f '{{.Dir}}' ./... | while read -r dir; do
  grep -H -E '^func Fuzz[A-Za-z0-9_]*\(' "$dir"/*_test.go 2>/dev/null || true
done)

if [ -n "${TARGETS:-}" ]; then
  read -r -a targets <<<"$TARGETS"
else
  mapfile -t targets < <(printf '%s\n' "${!pkgOf[@]}" | LC_ALL=C sort)
fi
[ "${#targets[@]}" -gt 0 ] || { echo "fuzz.sh: no fuzz targets found" >&2; exit 1; }
for t in "${targets[@]}"; do
  [ -n "${pkgOf[$t]:-}" ] || { echo "fuzz.sh: no fuzz target $t in the root module" >&2; exit 1; }
done

echo "fuzz.sh: ${#targets[@]} targets, $FUZZTIME each, $JOBS at a time; logs in $OUT"

# corpus lists the failing inputs go test has written for a target.
corpus() { ls "${pkgOf[$1]}/testdata/fuzz/$1" 2>/dev/null || true; }

# fuzz_one fuzzes one target. Go 1.26's fuzz coordinator can fail a target
# with a bare "context deadline exceeded" when -fuzztime ends while a worker
# is mid-input (go.dev/issue/75804, fixed in Go 1.27), having found nothing.
# Such a run is retried once, and only when it wrote no failing input: a
# real finding is always written to testdata/fuzz/<Target>/ and fails at once.
fuzz_one() {
  local t=$1 rc attempt before
  for attempt in 1 2; do
    rc=0
    before=$(corpus "$t")
    go test -run '^$' -fuzz "^${t}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZETIME" \
      -parallel 1 "${pkgOf[$t]}" >"$OUT/$t.log" 2>&1 || rc=$?
    if [ "$rc" = 0 ] || [ "$(corpus "$t")" != "$before" ] ||
      ! grep -qx '    context deadline exceeded' "$OUT/$t.log"; then
      break
    fi
    cp "$OUT/$t.log" "$OUT/$t.deadline-race.log"
    echo "fuzz.sh: $t ended with the coordinator's deadline race and no failing input; once more"
  done
  echo "$rc" >"$OUT/$t.rc"
}

running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$JOBS" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  echo "fuzz.sh: start $t in ${pkgOf[$t]} ($(date +%H:%M:%S))"
  fuzz_one "$t" &
  running=$((running + 1))
done
wait || true

failed=0
printf '\n%-20s %-8s %14s %12s  %s\n' target result execs interesting "last progress line"
for t in "${targets[@]}"; do
  rc=$(cat "$OUT/$t.rc" 2>/dev/null || echo 1)
  last=$(grep -E '^fuzz: elapsed: .*execs: ' "$OUT/$t.log" | tail -n 1 || true)
  if [ -z "$last" ]; then # a short run may end while still replaying the cached corpus
    last=$(grep -E '^fuzz: elapsed: ' "$OUT/$t.log" | tail -n 1 || true)
  fi
  execs=$(sed -nE 's/.*execs: ([0-9]+).*/\1/p' <<<"$last")
  interesting=$(sed -nE 's/.*\(total: ([0-9]+)\).*/\1/p' <<<"$last")
  result=PASS
  if [ "$rc" != 0 ]; then
    result=FAIL
    failed=1
  fi
  printf '%-20s %-8s %14s %12s  %s\n' "$t" "$result" "${execs:-?}" "${interesting:-?}" "$last"
done
if [ "$failed" != 0 ]; then
  echo
  for t in "${targets[@]}"; do
    if [ "$(cat "$OUT/$t.rc" 2>/dev/null || echo 1)" != 0 ]; then
      echo "=== $t"
      grep -vE '^fuzz: elapsed' "$OUT/$t.log" | tail -n 30
    fi
  done
  echo "fuzz.sh: failures above; failing inputs are in <package>/testdata/fuzz/<Target>/" >&2
  exit 1
fi
