#!/usr/bin/env bash
# The fleet harness (issue 12, item 6) over the whole table: N example
# processes on one database, for every N and database, one run after the
# other (internal/fleet, TestFleet; its doc.go says what a run does and
# checks). Each run starts its instances together on an empty database,
# drives 20 × N users with 2 s access tokens (header and cookie mode, two
# tabs refreshing one token on two instances), measures revocation latency
# from outside, SIGKILLs and restarts one instance, restarts the database,
# and fails when a target is missed. The figures end the output as a
# Markdown table (one row per run) that can be pasted into docs/fleet.md.
#
#   scripts/fleet.sh                              # N = 1,2,4,8 on postgres and pgbouncer, 60 s each
#   NS=4 DBS=mariadb scripts/fleet.sh             # the MariaDB row of docs/fleet.md
#   NS=4 DBS=pgbouncer DURATION=5m scripts/fleet.sh
#
# Environment: NS (1,2,4,8), DBS (postgres,pgbouncer; or mariadb), DURATION (60s of load per
# run, the faults included), KEY_ROTATION (1m: every instance's
# -key-rotation, so that a run of a minute or more publishes a key per
# turn; 0 keeps ginsession's 7 days and one key), USERS (20 per instance),
# FLEET_LOG (the whole output; default a new file under /tmp), DASHBOARD (an
# SVG file to draw each run's metrics to, e.g. docs/dashboard.svg; with
# several runs each gets -<db>-N<n> in its name; default none).
# Needs Postgres (initdb/pg_ctl), pgbouncer and MariaDB, as the tests do.
set -euo pipefail
cd "$(dirname "$0")/.."

NS=${NS:-1,2,4,8}
DBS=${DBS:-postgres,pgbouncer}
DURATION=${DURATION:-60s}
KEY_ROTATION=${KEY_ROTATION:-1m}
USERS=${USERS:-20}
FLEET_LOG=${FLEET_LOG:-$(mktemp /tmp/ginsession-fleet.XXXXXX.log)}
DASHBOARD=${DASHBOARD:-}

echo "fleet: N=$NS on $DBS, $DURATION each; the whole output goes to $FLEET_LOG" >&2
status=0
go test -count=1 -timeout 120m -run '^TestFleet$' -v ./internal/fleet/ -args \
  -fleet.n="$NS" -fleet.db="$DBS" -fleet.duration="$DURATION" \
  -fleet.key-rotation="$KEY_ROTATION" -fleet.users="$USERS" -fleet.dashboard="$DASHBOARD" >"$FLEET_LOG" 2>&1 || status=$?

# The runs' outcomes, then the table TestFleet printed last.
grep -E '^\s*--- (PASS|FAIL|SKIP)' "$FLEET_LOG" | awk '!seen[$0]++' || true
awk '/^fleet figures \(/ { found = 1; print; next } found && /^\|/ { print; next } found { exit }' "$FLEET_LOG"
if [ "$status" -ne 0 ]; then
  echo "fleet: FAILED (exit $status); the failures are in $FLEET_LOG:" >&2
  grep -E '^\s+[a-z_]+_test\.go:[0-9]+: (fleet:|lost session|fork|5xx|no answer|no recovery|keys|peak|refreshes|revocation|instance|only|JWKS|set-up|restarting)' "$FLEET_LOG" | head -40 >&2 || true
fi
exit "$status"
