package postgresstore_test

import (
	"context"
	"database/sql"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/ginsession/ginsession/internal/pgtest"
	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/postgresstore"
)

// Every WatchRevocations on one store shares the store's one listening
// connection, however many engines use the store: the connection budget
// stays MaxOpenConns + 1. (Before, each engine opened its own: 20 engines
// on one store held 20 LISTEN connections. Found by an outside review.)
func TestOneListenerPerStore(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	a, err := postgresstore.Open(dsn, gormstore.Options{CleanupInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := postgresstore.Open(dsn, gormstore.Options{CleanupInterval: -1, ListenDSN: "off"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	// "off" leaves the store without the capability, and says so: no
	// watcher, rather than one that never tells.
	if w := store.Watcher(b); w != nil {
		t.Fatalf("ListenDSN \"off\": store.Watcher = %T, want nil", w)
	}
	w := store.Watcher(a)
	if w == nil {
		t.Fatal("a Postgres store cannot push: store.Watcher is nil")
	}

	const watchers = 20
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	told := make([]chan struct{}, watchers)
	for i := range watchers {
		told[i] = make(chan struct{}, 8)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = w.WatchRevocations(ctx, func() {
				select {
				case told[i] <- struct{}{}:
				default:
				}
			})
		}()
	}
	waitAll := func(what string) {
		t.Helper()
		for i := range watchers {
			select {
			case <-told[i]:
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: watcher %d not told within 10 s", what, i)
			}
		}
	}
	waitAll("listening")
	var listening int
	if err := admin.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN%'", u.Path[1:]).Scan(&listening); err != nil {
		t.Fatal(err)
	}
	if listening != 1 {
		t.Errorf("%d LISTEN connections for %d watchers of one store, want 1", listening, watchers)
	}
	now := time.Now()
	if err := b.AddRevocations(context.Background(), []store.Revocation{{Handle: "h", RevokedAt: now, ExpiresAt: now.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	waitAll("after AddRevocations on another store")
	cancel()
	wg.Wait()
}
