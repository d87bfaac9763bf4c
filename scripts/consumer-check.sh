#!/usr/bin/env bash
# A consumer downloads only what it builds (issue 22, item 6). Builds a
# throwaway SQLite-only app (ginsession, store/gormstore, store/sqlitestore)
# in a temporary directory against this checkout (a replace directive) and
# runs its `go mod tidy` and `go build` with an empty module cache: fails if
# any Postgres, MySQL/MariaDB, Prometheus or OpenTelemetry SDK/exporter
# module is downloaded, a module zip or only its go.mod. Prints how many
# module zips were downloaded and their total size.
#
#   scripts/consumer-check.sh            # needs the Go module proxy (GOPROXY)
#   KEEP=1 scripts/consumer-check.sh     # keep the temporary directory
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/ginsession-consumer.XXXXXX)
if [ -z "${KEEP:-}" ]; then
  trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
fi
mkdir -p "$tmp/app" "$tmp/modcache"
gin=$(awk '$1 == "github.com/gin-gonic/gin" { print $2; exit }' "$root/go.mod")
goversion=$(awk '$1 == "go" { print $2; exit }' "$root/go.mod")

cat >"$tmp/app/main.go" <<'GO'
package main

import (
	"log"

	"github.com/gin-gonic/gin"
	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/sqlitestore"
)

func main() {
	st, err := sqlitestore.Open("sessions.db", gormstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New()
	if _, err := ginsession.Register(r, ginsession.Config{Store: st, APIDomain: "http://localhost:8080"}); err != nil {
		log.Fatal(err)
	}
	_ = r.Run(":8080")
}
GO
cat >"$tmp/app/go.mod" <<GOMOD
module example.com/consumer

go $goversion

require (
	github.com/gin-gonic/gin $gin
	github.com/ginsession/ginsession v0.0.0
)

replace github.com/ginsession/ginsession => $root
GOMOD

cd "$tmp/app"
export GOMODCACHE="$tmp/modcache" GOFLAGS=-modcacherw GOWORK=off
dl="$tmp/modcache/cache/download"
measure() {
  local zips bytes
  zips=$(find "$dl" -name '*.zip' | wc -l)
  bytes=$(find "$dl" -name '*.zip' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
  echo "consumer, after $1: $zips module zips downloaded, $((bytes / 1000000)) MB ($bytes bytes); module cache $(du -sh "$tmp/modcache" | cut -f1)"
}
go mod tidy
measure "go mod tidy"
go build -o /dev/null .
measure "go build"

# Every module of which anything (zip, go.mod, info) was fetched.
fetched=$(find "$dl" -path '*/@v/*' \( -name '*.zip' -o -name '*.mod' \) |
  sed "s#^$dl/##; s#/@v/.*##" | LC_ALL=C sort -u)
forbidden='^(github\.com/jackc/|github\.com/go-sql-driver/|gorm\.io/driver/(postgres|mysql)$|github\.com/prometheus/|go\.opentelemetry\.io/otel/(sdk|exporters)(/|$))'
bad=$(printf '%s\n' "$fetched" | grep -E "$forbidden" || true)
if [ -n "$bad" ]; then
  echo "FAIL: a SQLite-only consumer downloaded these modules (zip or go.mod):"
  printf '  %s\n' $bad
  echo "why (go mod why -m):"
  for m in $bad; do go mod why -m "$m" | sed 's/^/  /'; done
  exit 1
fi
echo "ok: no Postgres, MySQL, Prometheus or OpenTelemetry SDK module downloaded"
