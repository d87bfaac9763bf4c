package ginsession

import (
	"context"
	"errors"
	"time"

	"github.com/ginsession/ginsession/internal/protocol"
	"github.com/ginsession/ginsession/store"
)

// sessionCap is Config.MaxSessionsPerUser with its SessionLimitPolicy: it
// stores new sessions under the cap, revokes what the cap evicts, and
// answers a refusal with the user's sessions so the app can offer to sign
// one out.
type sessionCap struct {
	st      store.Store
	max     int  // 0: no cap
	refuse  bool // SessionLimitRefuseNew; else the oldest session goes
	life    protocol.Lifetimes
	revoked func(cause, handle, userID string) // the engine's announcement
}

// create stores a new session, under the per-user cap when one is
// configured and capped is set (an impersonation session is not counted);
// sessions the cap evicts are revoked everywhere. A refusal is a
// *SessionLimitError listing the sessions that counted.
func (p *sessionCap) create(ctx context.Context, row *store.Session, capped bool) error {
	if p.max == 0 || !capped {
		if err := p.st.CreateSession(ctx, row); err != nil {
			return storageErr("creating a session", err)
		}
		return nil
	}
	limit := store.SessionLimit{Max: p.max, EvictOldest: !p.refuse}
	for attempt := 0; ; attempt++ {
		evicted, err := p.st.CreateSessionLimited(ctx, row, row.CreatedAt, limit)
		if errors.Is(err, store.ErrLimit) {
			refusal, cleared, err := p.refusal(ctx, row.UserID, row.CreatedAt)
			if err != nil {
				return err
			}
			if cleared && attempt == 0 {
				continue // sessions that were over held places: once more without them
			}
			return refusal
		}
		if err != nil {
			return storageErr("creating a session", err)
		}
		for _, h := range evicted {
			p.revoked(revokedLimit, h, row.UserID)
		}
		return nil
	}
}

// refusal reads the sessions of a user the cap refused a session to.
// Sessions past MaxSessionAge still count in the store when their stored
// expiry is later (rows written before MaxSessionAge was set or shortened)
// but are over and not listed: nobody could sign them out to make room, so
// they are deleted here, and cleared reports that a place was freed.
func (p *sessionCap) refusal(ctx context.Context, userID string, now time.Time) (refusal *SessionLimitError, cleared bool, err error) {
	rows, err := p.st.ListUserSessions(ctx, userID, now)
	if err != nil {
		return nil, false, storageErr("listing the sessions of a user at the session limit", err)
	}
	refusal = &SessionLimitError{UserID: userID, Sessions: make([]SessionInfo, 0, len(rows))}
	for i := range rows {
		if !p.life.PastMaxAge(rows[i].CreatedAt, now) {
			refusal.Sessions = append(refusal.Sessions, sessionInfo(&rows[i], p.life))
			continue
		}
		ok, err := p.st.DeleteSession(ctx, rows[i].Handle)
		if err != nil {
			return nil, false, storageErr("deleting a session past its maximum age", err)
		}
		cleared = cleared || ok
	}
	return refusal, cleared, nil
}
