package ginsession

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ginsession/ginsession/internal/accesstoken"
	"github.com/ginsession/ginsession/internal/jose"
	"github.com/ginsession/ginsession/internal/protocol"
	"github.com/ginsession/ginsession/internal/refreshtoken"
	"github.com/ginsession/ginsession/internal/sessionhandle"
	"github.com/ginsession/ginsession/internal/stcore"
	"github.com/ginsession/ginsession/store"
)

// adoption accepts the tokens of a SuperTokens core whose sessions and keys
// were imported into the store (docs/migrating-from-supertokens.md): its
// access tokens until they expire, and each session's refresh token once,
// after which the session goes on as ours. It is read from the store once,
// when the engine starts: import before starting the instances that take
// the traffic over.
type adoption struct {
	keys []stcore.VerifyKey
	// kids holds each imported access-token key's ExpiresAt: after it the
	// key verifies nothing, however long the engine has been running.
	kids map[string]time.Time
	// refreshKey is the core's refresh-token key of its public app: the
	// password its refresh tokens are sealed under.
	refreshKey string
}

// coreApp is the core app whose sessions ginsession takes over.
const coreApp = "public"

// loadAdoption reads the imported keys; nil when nothing was imported
// (or the store cannot import).
func loadAdoption(ctx context.Context, imp store.Importer, now time.Time) (*adoption, error) {
	if imp == nil {
		return nil, nil
	}
	keys, err := imp.ImportedKeys(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("ginsession: reading the imported SuperTokens keys: %w", err)
	}
	a := &adoption{kids: map[string]time.Time{}}
	for _, k := range keys {
		switch {
		case k.Issuer != stcore.KeyIssuer(coreApp):
		case k.Algorithm == stcore.AlgRefreshV2 && k.ID == stcore.RefreshKeyID(coreApp):
			a.refreshKey = string(k.Key)
		case k.Algorithm == "RS256":
			pub, err := stcore.ParsePublicKey(k.Key)
			if err != nil {
				return nil, fmt.Errorf("ginsession: imported SuperTokens key %q: %w", k.ID, err)
			}
			a.keys = append(a.keys, stcore.VerifyKey{ID: k.ID, Public: pub})
			a.kids[k.ID] = k.ExpiresAt
		}
	}
	if len(a.keys) == 0 && a.refreshKey == "" {
		return nil, nil
	}
	return a, nil
}

// verifyAccess is accesstoken.Options.Adopted: a core access token (version
// 3 or later, naming an imported key) verified, its claims in our terms.
func (a *adoption) verifyAccess(tok string, now time.Time) (*accesstoken.Claims, bool, error) {
	kid := jose.HeaderKid(tok)
	retires, ok := a.kids[kid]
	if kid == "" || !ok {
		return nil, false, nil
	}
	if !now.Before(retires) {
		// The core's last tokens have expired: what this key signs now was
		// signed with a copy of it (the core's old database), not by the
		// core.
		return nil, true, errors.New("SuperTokens access token signed with a retired imported key")
	}
	at, err := stcore.VerifyAccessToken(tok, a.keys, now)
	if err != nil {
		if errors.Is(err, stcore.ErrMalformed) && !jose.WellFormed(tok) && !jose.Unsigned(tok) {
			return nil, true, accesstoken.ErrMalformed
		}
		// A JWS whose header is not the core's (another alg, none): a
		// signature that does not verify, "try refresh" as for ours
		// (SECURITY.md A).
		return nil, true, err
	}
	if at.Version < 3 || !sessionhandle.Valid(at.SessionHandle) {
		// Only the public tenant's sessions are imported, whose handles
		// are ours in form.
		return nil, true, errors.New("SuperTokens access token of a session that was not taken over")
	}
	payload := map[string]any{}
	if len(at.Payload) > 0 {
		dec := json.NewDecoder(strings.NewReader(string(at.Payload)))
		dec.UseNumber()
		if err := dec.Decode(&payload); err != nil {
			return nil, true, accesstoken.ErrMalformed
		}
	}
	for k, v := range payload {
		payload[k] = jose.NormaliseNumber(v)
	}
	// The claims the app reads in our tokens, from the core's.
	payload["sub"] = at.UserID
	payload["sessionHandle"] = at.SessionHandle
	payload["iat"] = at.IssuedAt.Unix()
	payload["exp"] = at.Expiry.Unix()
	// Accepted no longer than its key: the cache re-checks Expires.
	expires := at.Expiry
	if retires.Before(expires) {
		expires = retires
	}
	return &accesstoken.Claims{
		UserID: at.UserID, Handle: at.SessionHandle, IssuedAt: at.IssuedAt, Expires: expires,
		Payload: payload, AntiCSRF: at.AntiCSRFToken,
	}, true, nil
}

// openRefresh opens a presented core refresh token (a cookie value the
// core's backend SDK may have percent-encoded) into the protocol's terms:
// the rows it may refresh from and the child of ours that continues it.
func (a *adoption) openRefresh(rk *refreshtoken.Keys, v string) (*protocol.Adopted, *stcore.RefreshToken, bool) {
	if a.refreshKey == "" {
		return nil, nil, false
	}
	if strings.Contains(v, "%") {
		dec, err := url.PathUnescape(v)
		if err != nil {
			return nil, nil, false
		}
		v = dec
	}
	rt, err := stcore.OpenRefreshToken(v, a.refreshKey)
	if err != nil {
		return nil, nil, false
	}
	h, ok := sessionhandle.Bytes(rt.SessionHandle)
	if !ok {
		return nil, nil, false
	}
	var from [][]byte
	for _, h2 := range rt.RowHash2s() {
		from = append(from, CoreRowHash(h2))
	}
	return &protocol.Adopted{Handle: rt.SessionHandle, From: from, Child: rk.Adopt(h, v)}, rt, true
}

// CoreRowHash is what a taken-over session's row holds as its refresh hash:
// the core's refresh_token_hash_2 (hex text) as bytes. A malformed value
// gives a hash no token matches.
func CoreRowHash(hash2 string) []byte {
	b, err := hex.DecodeString(hash2)
	if err != nil || len(b) != sha256.Size {
		return []byte("not a hash: " + hash2)
	}
	return b
}

// adoptedCSRFMatches compares the anti-CSRF token a core token sealed with
// the one the request sent.
func adoptedCSRFMatches(want, got string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}
