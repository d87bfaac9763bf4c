#!/usr/bin/env bash
# Soak test (issue 6, item 6): bounded mixed traffic on loopback against the
# example app (90 % verify, 9 % refresh, 1 % sign-out + sign-in; cookie and
# header mode), with a signing-key rotation in the middle. Reports RSS growth
# after warm-up, threads, open files and goroutines against a fresh instance,
# 5xx and unexpected 401s. Exits non-zero when a check fails.
#
#   scripts/soak.sh                       # 10 minutes
#   DURATION=1m scripts/soak.sh           # a quick run
#
# Environment: DURATION (10m), USERS (200), WORKERS (8), RATE (300 ops/s at
# most), ACCESS_TTL (5s, the example's -access-ttl: short, so tokens expire
# between a user's refreshes), WARMUP (a fifth of DURATION), SOAK_DIR
# (working directory; default a new one under /tmp). The key rotation at
# DURATION/2 happens only once the first key's one-minute turn is over, so
# runs shorter than about two minutes see a single key.
# See scripts/soak/main.go for how the key rotation and the goroutine count
# are done.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10m}
USERS=${USERS:-200}
WORKERS=${WORKERS:-8}
RATE=${RATE:-300}
ACCESS_TTL=${ACCESS_TTL:-5s}
SOAK_DIR=${SOAK_DIR:-$(mktemp -d /tmp/ginsession-soak.XXXXXX)}
mkdir -p "$SOAK_DIR"

(cd example && go build -o "$SOAK_DIR/example" .) # example/ is its own module
go build -o "$SOAK_DIR/soak" ./scripts/soak

args=(-bin "$SOAK_DIR/example" -dir "$SOAK_DIR" -duration "$DURATION" -users "$USERS"
  -workers "$WORKERS" -rate "$RATE" -access-ttl "$ACCESS_TTL")
if [ -n "${WARMUP:-}" ]; then
  args+=(-warmup "$WARMUP")
fi
exec "$SOAK_DIR/soak" "${args[@]}"
