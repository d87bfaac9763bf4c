#!/usr/bin/env bash
# Load test: the example app on loopback, driven by wrk.
#
#   bench/loadtest.sh                 # 60 s protected route, then 60 s mixed
#   DURATION=20 bench/loadtest.sh     # shorter runs
#
# It builds example/ (its own module), starts it on 127.0.0.1 (a free port)
# with an SQLite file in a temporary directory, signs up a user and opens
# one session per
# wrk thread (header mode: tokens from st-access-token / st-refresh-token),
# then runs wrk twice:
#   1. protected: GET /api/me with "Authorization: Bearer <access>";
#   2. mixed: the same, with every REFRESH_EVERY-th request of a thread a
#      POST /auth/session/refresh that rotates the thread's tokens (see
#      loadtest.lua for why refreshes never race into theft).
# Each run prints requests/s, p50/p99 latency, and the counts of 2xx,
# expected 401s (an expired access token: "try refresh token", only with a
# short ACCESS_TTL) and failures (anything else, socket errors included).
# The script exits non-zero on any failure. The server is stopped by its PID
# on exit. Traffic goes to 127.0.0.1 only; every run is bounded in time.
#
# Environment (defaults):
#   DURATION=60        seconds per wrk run
#   THREADS=2          wrk threads (one session each)
#   CONNECTIONS=16     wrk connections, spread over the threads
#   REFRESH_EVERY=20   mixed run: one request in N per thread is a refresh
#   ACCESS_TTL=1h      the example's -access-ttl
#   WRK_TIMEOUT=5s     wrk's per-request timeout
set -euo pipefail

DURATION=${DURATION:-60}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
REFRESH_EVERY=${REFRESH_EVERY:-20}
ACCESS_TTL=${ACCESS_TTL:-1h}
WRK_TIMEOUT=${WRK_TIMEOUT:-5s}

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

log() { printf '\n=== %s\n' "$*" >&2; }

if ! command -v wrk >/dev/null 2>&1; then
  log "installing wrk"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq wrk >/dev/null
fi
command -v curl >/dev/null 2>&1 || { echo "loadtest: curl is required" >&2; exit 1; }

work=$(mktemp -d -t ginsession-loadtest-XXXXXX)
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building the example app"
(cd "$root/example" && go build -o "$work/example" .) # example/ is a module of its own

# Port 0 lets the kernel pick a free port; the app logs the one it got. The
# API domain is only the token issuer here (header mode, no cookies).
"$work/example" -addr 127.0.0.1:0 -api-domain http://127.0.0.1 -db "$work/sessions.db" \
  -access-ttl "$ACCESS_TTL" 2>"$work/server.log" &
server_pid=$!
port=
for _ in $(seq 1 100); do
  port=$(grep -o 'listening on http://localhost:[0-9]*' "$work/server.log" 2>/dev/null | grep -o '[0-9]*$' || true)
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "loadtest: the example app did not start:" >&2
  cat "$work/server.log" >&2
  exit 1
fi
base="http://127.0.0.1:$port"
log "example app (pid $server_pid) on $base, SQLite $work/sessions.db, access TTL $ACCESS_TTL"

# post PATH JSON: header-mode POST; prints "access refresh" from the answer.
post() {
  local headers="$work/headers.txt"
  local code
  code=$(curl -sS --max-time 10 -o "$work/body.txt" -D "$headers" -w '%{http_code}' \
    -H 'Content-Type: application/json' -H 'st-auth-mode: header' --data "$2" "$base$1")
  if [ "$code" != 200 ]; then
    echo "loadtest: POST $1 answered $code: $(cat "$work/body.txt")" >&2
    return 1
  fi
  local access refresh
  access=$(grep -i '^st-access-token:' "$headers" | cut -d' ' -f2 | tr -d '\r\n')
  refresh=$(grep -i '^st-refresh-token:' "$headers" | cut -d' ' -f2 | tr -d '\r\n')
  [ -n "$access" ] && [ -n "$refresh" ] || { echo "loadtest: POST $1 gave no tokens" >&2; return 1; }
  echo "$access $refresh"
}

creds='{"email":"load@example.test","password":"loadtest-password"}'
post /signup "$creds" >/dev/null

# sessions: signs in once per wrk thread into a fresh tokens file. Every run
# gets new sessions: a run that refreshed has rotated its tokens inside wrk,
# and presenting the old ones again would be (rightly) theft.
sessions() {
  : >"$work/tokens.txt"
  for _ in $(seq 1 "$THREADS"); do
    post /signin "$creds" >>"$work/tokens.txt"
  done
  local access check
  read -r access _ <"$work/tokens.txt"
  check=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $access" "$base/api/me")
  [ "$check" = 200 ] || { echo "loadtest: GET /api/me answered $check before the run" >&2; exit 1; }
}

export LOADTEST_TOKENS="$work/tokens.txt"
status=0
summary=()

# run NAME REFRESH_EVERY: one bounded wrk run on new sessions.
run() {
  local name=$1
  sessions
  log "$name: $THREADS sessions; wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s (refresh every ${2} requests per thread; 0 = only after a 401)"
  local out
  out=$(LOADTEST_REFRESH_EVERY=$2 timeout $((DURATION + 60)) \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout "$WRK_TIMEOUT" --latency \
    -s "$here/loadtest.lua" "$base") || { echo "loadtest: wrk failed" >&2; status=1; return; }
  echo "$out" >&2
  local result
  result=$(grep '^RESULT ' <<<"$out" | sed 's/^RESULT //')
  summary+=("$name $result")
  local failed socket
  failed=$(grep -o 'failed=[0-9]*' <<<"$result" | cut -d= -f2)
  socket=$(grep -o 'socket_errors=[0-9]*' <<<"$result" | cut -d= -f2)
  if [ "${failed:-1}" != 0 ] || [ "${socket:-1}" != 0 ]; then
    echo "loadtest: $name: $failed failed responses, $socket socket errors" >&2
    status=1
  fi
}

run protected 0
run mixed "$REFRESH_EVERY"

if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "loadtest: the example app died during the run:" >&2
  tail -20 "$work/server.log" >&2
  status=1
fi

log "summary (machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
printf '| run | requests/s | p50 ms | p99 ms | 2xx | expected 401 | failed | refreshes | non-2xx (wrk) | socket errors |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for line in "${summary[@]}"; do
  name=${line%% *}
  field() { grep -o "$1=[0-9.]*" <<<"$line" | cut -d= -f2; }
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$(field rps)" "$(field p50_ms)" \
    "$(field p99_ms)" "$(field ok)" "$(field expected401)" "$(field failed)" "$(field refreshes)" \
    "$(field non2xx)" "$(field socket_errors)"
done
exit "$status"
