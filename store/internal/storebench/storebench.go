// Package storebench holds the store-level benchmarks every SQL backend
// runs (store/sqlitestore, store/postgresstore): one sub-benchmark per
// ordinary read or write of store.Store, so a change in how gormstore builds
// its statements shows per statement, without the HTTP engine around it.
package storebench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ginsession/ginsession/store"
)

// Run benchmarks st, which must be empty and whose cleanup loop is off.
// Sessions created by the benchmarks belong to users the listing does not
// read, so what ListUserSessions returns does not depend on b.N.
func Run(b *testing.B, st store.Store) {
	ctx := context.Background()
	now := time.Now()
	exp := now.Add(24 * time.Hour)
	const users = 64
	mk := func(h, user string) *store.Session {
		return &store.Session{
			Handle: h, UserID: user, RefreshHash: []byte("hash-" + h),
			RotatedAt: now, ExpiresAt: exp, CreatedAt: now,
			Payload: []byte(`{"role":"editor"}`), Data: []byte(`{}`),
			DeviceLabel: "laptop", CreatedUserAgent: "Mozilla/5.0", CreatedIP: "192.0.2.1",
		}
	}
	const seeded = 256
	for i := range seeded {
		if err := st.CreateSession(ctx, mk(fmt.Sprintf("seed-%d", i), fmt.Sprintf("user-%d", i%users))); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := st.EnsureSecret(ctx, "bench", []byte("value")); err != nil {
		b.Fatal(err)
	}
	for i := range 3 {
		err := st.AddSigningKey(ctx, &store.SigningKey{ID: fmt.Sprintf("k%d", i), Algorithm: "ES256",
			PrivateKey: []byte("priv"), PublicKey: []byte("pub"), CreatedAt: now, SignFrom: now.Add(time.Duration(i) * time.Hour),
			ExpiresAt: exp, Follows: fmt.Sprintf("f%d", i)})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := st.AddRevocations(ctx, []store.Revocation{{Handle: "r0", RevokedAt: now, ExpiresAt: exp}}); err != nil {
		b.Fatal(err)
	}

	b.Run("CreateSession", func(b *testing.B) {
		for i := range b.N {
			if err := st.CreateSession(ctx, mk(fmt.Sprintf("create-%d-%d", b.N, i), "creator")); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("GetSession", func(b *testing.B) {
		for i := range b.N {
			if _, err := st.GetSession(ctx, fmt.Sprintf("seed-%d", i%seeded), now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("RotateSession", func(b *testing.B) {
		h := fmt.Sprintf("rotate-%d", b.N)
		if err := st.CreateSession(ctx, mk(h, "rotator")); err != nil {
			b.Fatal(err)
		}
		cur := []byte("hash-" + h)
		for i := range b.N {
			next := []byte(fmt.Sprintf("hash-%s-%d", h, i))
			if _, err := st.RotateSession(ctx, h, cur, store.Rotation{NewRefreshHash: next, RotatedAt: now, ExpiresAt: exp, UserAgent: "ua", IP: "ip"}); err != nil {
				b.Fatal(err)
			}
			cur = next
		}
	})
	b.Run("UpdateSession", func(b *testing.B) {
		for i := range b.N {
			err := st.UpdateSession(ctx, fmt.Sprintf("seed-%d", i%seeded), now, func(s *store.Session) error {
				s.Data = []byte(`{"n":1}`)
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ListUserSessions", func(b *testing.B) {
		for i := range b.N {
			if _, err := st.ListUserSessions(ctx, fmt.Sprintf("user-%d", i%users), now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("CreateDeleteSession", func(b *testing.B) {
		for i := range b.N {
			h := fmt.Sprintf("del-%d-%d", b.N, i)
			if err := st.CreateSession(ctx, mk(h, "deleter")); err != nil {
				b.Fatal(err)
			}
			if ok, err := st.DeleteSession(ctx, h); err != nil || !ok {
				b.Fatal(ok, err)
			}
		}
	})
	b.Run("SigningKeys", func(b *testing.B) {
		for range b.N {
			if _, err := st.SigningKeys(ctx, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("EnsureSecret", func(b *testing.B) {
		for range b.N {
			if _, err := st.EnsureSecret(ctx, "bench", []byte("other")); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("AddRevocations", func(b *testing.B) {
		for i := range b.N {
			if err := st.AddRevocations(ctx, []store.Revocation{{Handle: fmt.Sprintf("r%d", i%100), RevokedAt: now, ExpiresAt: exp}}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("RevocationsSince", func(b *testing.B) {
		for range b.N {
			if _, err := st.RevocationsSince(ctx, now.Add(-time.Minute), now); err != nil {
				b.Fatal(err)
			}
		}
	})
}
