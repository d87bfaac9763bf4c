package keyring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ginsession/ginsession/store"
)

// reload reads the keys from the store; with rotate it also creates the next
// key when one is due.
func (k *Keyring) reload(ctx context.Context, rotate bool) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.opts.Now()
	rows, err := k.opts.Store.SigningKeys(ctx, now)
	if err != nil {
		return fmt.Errorf("ginsession: loading signing keys: %w", err)
	}
	if rotate {
		// Only keys this instance can sign with decide the rotation: a key
		// stored in the clear before MasterKey was set (or sealed under
		// another MasterKey) is verify-only here, and waiting for its turn
		// to end would leave the instance with no signing key for days.
		if next, follows, due := k.nextKeyDue(k.signable(rows), now); due {
			row, err := k.generate(next, follows)
			if err != nil {
				return err
			}
			// The store takes one key per Follows: an instance that lost
			// the race for this turn (ErrConflict) uses the winner's key.
			if err := k.opts.Store.AddSigningKey(ctx, row); err != nil && !errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("ginsession: storing a new signing key: %w", err)
			}
			if rows, err = k.opts.Store.SigningKeys(ctx, now); err != nil {
				return fmt.Errorf("ginsession: loading signing keys: %w", err)
			}
		}
	}
	ks := &Set{byID: map[string]*Key{}, loadedAt: now}
	var jwks struct {
		Keys []map[string]string `json:"keys"`
	}
	jwks.Keys = []map[string]string{}
	for _, row := range rows {
		key, err := k.parse(row)
		if err != nil {
			k.opts.Logger.Warn("ginsession: skipping unreadable signing key", "kid", row.ID, "err", err)
			continue
		}
		ks.byID[key.ID] = key
		ks.ordered = append(ks.ordered, key)
		jwk, err := publicJWK(key)
		if err != nil {
			return err
		}
		jwks.Keys = append(jwks.Keys, jwk)
	}
	ks.jwks, err = json.Marshal(jwks)
	if err != nil {
		return err
	}
	k.current.Store(ks)
	return nil
}

// signable returns the rows whose private key this instance can use.
func (k *Keyring) signable(rows []store.SigningKey) []store.SigningKey {
	out := make([]store.SigningKey, 0, len(rows))
	for _, row := range rows {
		if key, err := k.parse(row); err == nil && key.Private != nil {
			out = append(out, row)
		}
	}
	return out
}

// nextKeyDue decides whether a new key must be created, when it signs from,
// and the turn it starts (its Follows: the newest key, or firstTurn when
// there is none). The next key is created publishLead before the newest
// key's turn ends, so every instance and JWKS consumer sees it before it
// signs.
func (k *Keyring) nextKeyDue(rows []store.SigningKey, now time.Time) (time.Time, string, bool) {
	var newest *store.SigningKey
	for i := range rows {
		if rows[i].Algorithm == k.opts.Algorithm && (newest == nil || rows[i].SignFrom.After(newest.SignFrom)) {
			newest = &rows[i]
		}
	}
	if newest == nil {
		return now, k.firstTurn, true // nothing usable: sign at once
	}
	if newest.ExpiresAt.Before(now.Add(k.opts.AccessTTL + time.Minute)) {
		return now, newest.ID, true
	}
	turnEnds := newest.SignFrom.Add(k.opts.Rotation)
	if now.Before(turnEnds.Add(-k.publishLead())) {
		return time.Time{}, "", false
	}
	if turnEnds.Before(now) {
		turnEnds = now
	}
	return turnEnds, newest.ID, true
}
