// Package fleet is the fleet harness (issue 12, item 6): its test TestFleet
// runs N example processes on one database and drives them from outside, as
// a deployment behind a load balancer is driven, and fails when a target is
// missed. The package has no code of its own; everything is in its tests,
// so that it can use internal/pgtest's servers.
//
// One run (one database kind, one N):
//
//   - The example binary (built once with go build) is started N times at
//     once on one empty database, each on its own 127.0.0.1 port, with
//     -access-ttl 2s -test-hooks and one shared -api-domain (the tokens'
//     issuer), and the harness waits for all of them to answer.
//   - 20 × N users (-fleet.users) sign up, then loop: GET /api/me on a
//     random instance; on 401 a refresh on a random instance, as the
//     SuperTokens SDK does. Most use header mode, every third one cookie
//     mode with its own cookie jar (cookies ignore ports, so one jar serves
//     every instance). Every fourth user has two tabs sharing one session,
//     which refresh the same refresh token at the same time on two
//     instances.
//   - Revocation latency is measured from outside: a user signs in, signs
//     out on instance A, and the harness polls GET /api/me with the old
//     access token on instance B every 2 ms until it is refused.
//   - At a quarter of the run one instance is SIGKILLed and started again on
//     its port 2 s later; at a little over half the database is stopped for
//     3 s and started again. The instances are not restarted.
//   - Every 100 ms the database's client connections are counted through a
//     connection of the harness's own; at the end the signing keys are
//     counted in the database and in every instance's JWKS.
//
// It prints a Markdown table row per run (requests, refreshes, two-tab
// races, lost sessions, forks, 5xx, revocation p50/p99, peak connections
// against the budget, keys published against the expected turns, recovery
// after the database restart) and fails the run when lost sessions or
// forks are not 0, when any 5xx is not a 503 with Retry-After while the
// database was down, when the keys are not one per rotation turn, when the
// connections exceed the budget, or when the instances do not recover.
//
// The default is the short run CI makes (N = 2 on Postgres direct and
// through pgbouncer, 20 s of load each). Longer runs by hand:
//
//	go test ./internal/fleet -run TestFleet -v -timeout 60m -args \
//	    -fleet.n=1,2,4,8 -fleet.db=postgres,pgbouncer -fleet.duration=60s
//
// or scripts/fleet.sh, which runs the whole table. See main_test.go for
// the flags.
//
// # Dashboard
//
// With -fleet.dashboard=docs/dashboard.svg (off by default) the harness
// also scrapes every instance's GET /metrics once a second during the load
// (scrape_test.go: a small parser of the Prometheus text format, rates
// between successive scrapes with counter resets, quantiles per 1 s window
// from histogram buckets) and at the end draws one self-contained SVG of
// the run (dashboard_test.go): verifications, refreshes, sessions created
// and revoked per second, store errors, store latency and revocation
// propagation p50/p99, with the SIGKILL and the database outage shaded.
//
// # Databases
//
// Each database kind is a backend (backend_test.go): it starts a server
// the harness may stop and start, gives each run an empty database, the
// flags that point an instance at it, its per-instance connection budget,
// and counts connections and signing keys. postgres is a private pgtest
// server; pgbouncer is Debian's pgbouncer in transaction mode in front of
// one, the instances' queries going through it (simple protocol) and their
// LISTEN straight to the server (-listen-dsn). A backend registers itself
// in the backends map under the name -fleet.db uses.
//
// mariadb is a private MariaDB test server (internal/mysqltest) that the
// harness may stop and start, the instances on -db mysql://…: no
// -listen-dsn and a per-instance budget of MaxOpenConns (MariaDB has no
// LISTEN: the instances poll), connections counted from
// information_schema.PROCESSLIST.
//
// The rest of the harness does not depend on the database kind.
package fleet
