package ginsession

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/ginsession/ginsession/store"
)

// measuredStore times every store call for the ginsession.store.duration
// histogram. It passes calls through unchanged (errors included), so the
// engine behaves exactly as with the store itself.
type measuredStore struct {
	store.Store
	m *metrics
	// sets holds the attribute set of every operation and outcome, built
	// once so recording allocates nothing.
	sets map[string][]metric.RecordOption
}

// storeOperations are the names recorded in the operation attribute.
var storeOperations = []string{
	"create_session", "create_session_limited", "get_session", "rotate_session", "update_session", "delete_session",
	"delete_user_sessions", "list_user_sessions", "add_signing_key", "signing_keys",
	"ensure_secret", "add_revocations", "revocations_since",
}

func measure(st store.Store, m *metrics) *measuredStore {
	ms := &measuredStore{Store: st, m: m, sets: map[string][]metric.RecordOption{}}
	for _, op := range storeOperations {
		for _, outcome := range []string{"ok", "error"} {
			ms.sets[op+"/"+outcome] = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(
				attribute.String("operation", op), attribute.String("outcome", outcome)))}
		}
	}
	return ms
}

func (s *measuredStore) done(op string, start time.Time, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	s.m.storeDuration.Record(context.Background(), time.Since(start).Seconds(), s.sets[op+"/"+outcome]...)
}

func (s *measuredStore) CreateSession(ctx context.Context, sess *store.Session) error {
	start := time.Now()
	err := s.Store.CreateSession(ctx, sess)
	s.done("create_session", start, err)
	return err
}

func (s *measuredStore) CreateSessionLimited(ctx context.Context, sess *store.Session, now time.Time, l store.SessionLimit) ([]string, error) {
	start := time.Now()
	evicted, err := s.Store.CreateSessionLimited(ctx, sess, now, l)
	s.done("create_session_limited", start, answerIsOK(err, store.ErrLimit))
	return evicted, err
}

func (s *measuredStore) GetSession(ctx context.Context, handle string, now time.Time) (*store.Session, error) {
	start := time.Now()
	row, err := s.Store.GetSession(ctx, handle, now)
	// Not found is an answer, not a failure of the store.
	s.done("get_session", start, answerIsOK(err, store.ErrNotFound))
	return row, err
}

func (s *measuredStore) RotateSession(ctx context.Context, handle string, current []byte, r store.Rotation) (*store.Session, error) {
	start := time.Now()
	row, err := s.Store.RotateSession(ctx, handle, current, r)
	s.done("rotate_session", start, answerIsOK(err, store.ErrConflict))
	return row, err
}

func (s *measuredStore) UpdateSession(ctx context.Context, handle string, now time.Time, fn func(*store.Session) error) error {
	start := time.Now()
	err := s.Store.UpdateSession(ctx, handle, now, fn)
	s.done("update_session", start, answerIsOK(err, store.ErrNotFound))
	return err
}

func (s *measuredStore) DeleteSession(ctx context.Context, handle string) (bool, error) {
	start := time.Now()
	ok, err := s.Store.DeleteSession(ctx, handle)
	s.done("delete_session", start, err)
	return ok, err
}

func (s *measuredStore) DeleteUserSessions(ctx context.Context, userID string) ([]string, error) {
	start := time.Now()
	handles, err := s.Store.DeleteUserSessions(ctx, userID)
	s.done("delete_user_sessions", start, err)
	return handles, err
}

func (s *measuredStore) ListUserSessions(ctx context.Context, userID string, now time.Time) ([]store.Session, error) {
	start := time.Now()
	rows, err := s.Store.ListUserSessions(ctx, userID, now)
	s.done("list_user_sessions", start, err)
	return rows, err
}

func (s *measuredStore) AddSigningKey(ctx context.Context, k *store.SigningKey) error {
	start := time.Now()
	err := s.Store.AddSigningKey(ctx, k)
	s.done("add_signing_key", start, answerIsOK(err, store.ErrConflict))
	return err
}

func (s *measuredStore) SigningKeys(ctx context.Context, now time.Time) ([]store.SigningKey, error) {
	start := time.Now()
	keys, err := s.Store.SigningKeys(ctx, now)
	s.done("signing_keys", start, err)
	return keys, err
}

func (s *measuredStore) EnsureSecret(ctx context.Context, name string, value []byte) ([]byte, error) {
	start := time.Now()
	v, err := s.Store.EnsureSecret(ctx, name, value)
	s.done("ensure_secret", start, err)
	return v, err
}

func (s *measuredStore) AddRevocations(ctx context.Context, revs []store.Revocation) error {
	start := time.Now()
	err := s.Store.AddRevocations(ctx, revs)
	s.done("add_revocations", start, err)
	return err
}

func (s *measuredStore) RevocationsSince(ctx context.Context, since, now time.Time) ([]store.Revocation, error) {
	start := time.Now()
	revs, err := s.Store.RevocationsSince(ctx, since, now)
	s.done("revocations_since", start, err)
	return revs, err
}

// RevocationWatcher implements store.WatcherProvider: the wrapper can push
// revocations exactly when the store it wraps can, so wrapping neither
// loses the capability nor claims one the store lacks. Watching is not
// timed: one call lasts as long as the store.
func (s *measuredStore) RevocationWatcher() store.RevocationWatcher {
	return store.Watcher(s.Store)
}

// answerIsOK keeps the store's ordinary answers (not found, a lost race,
// refused at the cap) out of the error outcome: only failures of the
// database count there.
func answerIsOK(err, answer error) error {
	if errors.Is(err, answer) {
		return nil
	}
	return err
}

// DeviceBindings hands out the wrapped store's store.DeviceBindings (not
// timed), or nil when it has none: the wrapper neither adds nor hides the
// capability.
func (s *measuredStore) DeviceBindings() store.DeviceBindings { return store.Bindings(s.Store) }
