// Package bench measures ginsession against the physical floor and against
// its peers, through real Gin routes (engine.ServeHTTP with a recorder).
//
// It is its own module so the peers it compares with (gin-jwt,
// gin-contrib/sessions, scs) never enter the main module's dependencies.
// Everything lives in the _test.go files of this package; cmd/report runs
// them and prints the markdown table, and loadtest.sh drives the example app
// with wrk on loopback.
//
//	go test -run '^$' -bench . -benchmem ./...   # the raw numbers
//	go run ./cmd/report                          # median of 5, ratios, targets
//	GINSESSION_BENCH_SCALE=1 go run ./cmd/report # plus 1 000 000 sessions
//	./loadtest.sh                                # wrk against the example app
package bench
