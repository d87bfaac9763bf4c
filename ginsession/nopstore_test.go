package ginsession

import (
	"context"
	"time"

	"github.com/ginsession/ginsession/store"
)

// nopStore satisfies store.Store for tests of pure configuration logic that
// never touch storage; every call fails loudly.
type nopStore struct{}

func (nopStore) CreateSession(context.Context, *store.Session) error { panic("nopStore") }
func (nopStore) CreateSessionLimited(context.Context, *store.Session, time.Time, store.SessionLimit) ([]string, error) {
	panic("nopStore")
}
func (nopStore) GetSession(context.Context, string, time.Time) (*store.Session, error) {
	panic("nopStore")
}
func (nopStore) RotateSession(context.Context, string, []byte, store.Rotation) (*store.Session, error) {
	panic("nopStore")
}
func (nopStore) UpdateSession(context.Context, string, time.Time, func(*store.Session) error) error {
	panic("nopStore")
}
func (nopStore) DeleteSession(context.Context, string) (bool, error)          { panic("nopStore") }
func (nopStore) DeleteUserSessions(context.Context, string) ([]string, error) { panic("nopStore") }
func (nopStore) ListUserSessions(context.Context, string, time.Time) ([]store.Session, error) {
	panic("nopStore")
}
func (nopStore) AddSigningKey(context.Context, *store.SigningKey) error { panic("nopStore") }
func (nopStore) SigningKeys(context.Context, time.Time) ([]store.SigningKey, error) {
	panic("nopStore")
}
func (nopStore) EnsureSecret(context.Context, string, []byte) ([]byte, error) { panic("nopStore") }
func (nopStore) AddRevocations(context.Context, []store.Revocation) error     { panic("nopStore") }
func (nopStore) RevocationsSince(context.Context, time.Time, time.Time) ([]store.Revocation, error) {
	panic("nopStore")
}
func (nopStore) DeleteExpired(context.Context, time.Time) (int64, error) { panic("nopStore") }
func (nopStore) Close() error                                            { return nil }
