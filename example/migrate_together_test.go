package main

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ginsession/ginsession/internal/mysqltest"
	"github.com/ginsession/ginsession/internal/pgtest"
)

// TestNewAppTogether: instances of the example started at the same
// moment on one empty database all come up: each creates the store's and
// the example's tables or finds them made. On MariaDB the example's
// AutoMigrate ran in a transaction without a lock, and an instance failed
// with "Error 1412: Table definition has changed, please retry
// transaction" (found by the fleet harness, issue 12).
func TestNewAppTogether(t *testing.T) {
	for _, db := range []struct {
		name  string
		newDB func(testing.TB) string
	}{
		{"Postgres", pgtest.NewDatabase},
		{"MariaDB", mysqltest.NewDatabase},
	} {
		t.Run(db.name, func(t *testing.T) {
			for round := range 3 {
				dsn := db.newDB(t)
				const instances = 6
				errs := make([]error, instances)
				apps := make([]*App, instances)
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i := range instances {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						apps[i], errs[i] = NewApp(Options{DB: dsn, APIDomain: fmt.Sprintf("http://localhost:%d", 9000+i), AccessTTL: time.Hour})
					}()
				}
				close(start)
				wg.Wait()
				for i, app := range apps {
					if app != nil {
						app.Close()
					}
					if errs[i] != nil {
						t.Errorf("round %d: instance %d of %d started together: %v", round, i, instances, errs[i])
					}
				}
			}
		})
	}
}
