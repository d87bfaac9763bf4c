package sqlitestore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/sqlitestore"
)

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "ginsession-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	s, err := sqlitestore.Open(filepath.Join(dir, "sessions.db"), gormstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	ctx := context.Background()
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	err = s.CreateSession(ctx, &store.Session{
		Handle:      "h1",
		UserID:      "alice",
		RefreshHash: []byte("hash of refresh token 1"),
		RotatedAt:   now,
		ExpiresAt:   now.Add(24 * time.Hour),
		CreatedAt:   now,
		Payload:     []byte(`{}`),
		Data:        []byte(`{}`),
	})
	if err != nil {
		log.Fatal(err)
	}

	current := []byte("hash of refresh token 1")
	rotate := store.Rotation{NewRefreshHash: []byte("hash of refresh token 2"), RotatedAt: now.Add(time.Hour), ExpiresAt: now.Add(25 * time.Hour)}
	_, err = s.RotateSession(ctx, "h1", current, rotate)
	fmt.Println("first rotation:", err)
	_, err = s.RotateSession(ctx, "h1", current, rotate)
	fmt.Println("replayed rotation:", err)

	sess, err := s.GetSession(ctx, "h1", now.Add(2*time.Hour))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("generation %d, previous hash %q\n", sess.Generation, sess.PrevRefreshHash)

	_, err = s.GetSession(ctx, "h1", now.Add(26*time.Hour))
	fmt.Println("after expiry:", err)
	// Output:
	// first rotation: <nil>
	// replayed rotation: store: conflict: session changed concurrently
	// generation 1, previous hash "hash of refresh token 1"
	// after expiry: store: not found
}
