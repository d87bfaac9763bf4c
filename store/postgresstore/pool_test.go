package postgresstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ginsession/ginsession/internal/pgtest"
	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/postgresstore"
)

// connectionsTo counts the server connections open to database db.
func connectionsTo(t *testing.T, admin *sql.DB, db string) int {
	t.Helper()
	var n int
	if err := admin.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE datname = $1", db).Scan(&n); err != nil {
		t.Fatalf("pg_stat_activity: %v", err)
	}
	return n
}

// A store never holds more server connections than Options.MaxOpenConns,
// however many requests run at once: that is what makes
// instances × MaxOpenConns a budget.
func TestPoolStaysWithinMaxOpenConns(t *testing.T) {
	for _, budget := range []int{0, 3} {
		t.Run(fmt.Sprintf("MaxOpenConns=%d", budget), func(t *testing.T) {
			want := budget
			if want == 0 {
				want = gormstore.DefaultMaxOpenConns
			}
			dsn := pgtest.NewDatabase(t)
			u, err := url.Parse(dsn)
			if err != nil {
				t.Fatal(err)
			}
			dbName := u.Path[1:]
			admin, err := sql.Open("pgx", dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer admin.Close()
			admin.SetMaxOpenConns(1)

			st, err := postgresstore.Open(dsn, gormstore.Options{MaxOpenConns: budget, CleanupInterval: -1})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			ctx := context.Background()
			now := time.Now()
			for i := range 20 {
				s := &store.Session{Handle: fmt.Sprintf("h%d", i), UserID: "u", RefreshHash: []byte{1}, RotatedAt: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
				if err := st.CreateSession(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
			// 4 × the budget of goroutines hammer the store (each holds a
			// connection for a moment inside UpdateSession) while the
			// server's own count is sampled.
			var stop atomic.Bool
			var wg sync.WaitGroup
			for g := range 4 * want {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; !stop.Load(); i++ {
						h := fmt.Sprintf("h%d", (g+i)%20)
						_ = st.UpdateSession(ctx, h, time.Now(), func(*store.Session) error {
							time.Sleep(time.Millisecond)
							return nil
						})
					}
				}()
			}
			peak := 0
			deadline := time.Now().Add(2 * time.Second)
			for time.Now().Before(deadline) {
				// The admin connection is one of the database's too.
				peak = max(peak, connectionsTo(t, admin, dbName)-1)
				time.Sleep(20 * time.Millisecond)
			}
			stop.Store(true)
			wg.Wait()
			t.Logf("peak server connections of the store: %d (budget %d)", peak, want)
			if peak > want {
				t.Fatalf("the store held %d server connections, budget %d", peak, want)
			}
			if peak < want {
				// 4× oversubscribed for 2 s: the pool should be full; if not,
				// the test measured nothing.
				t.Fatalf("peak %d under the budget %d: the load did not fill the pool", peak, want)
			}
		})
	}
}

func TestNegativeMaxOpenConnsRefused(t *testing.T) {
	if _, err := postgresstore.Open(pgtest.NewDatabase(t), gormstore.Options{MaxOpenConns: -1}); err == nil {
		t.Fatal("MaxOpenConns -1 accepted")
	}
}
