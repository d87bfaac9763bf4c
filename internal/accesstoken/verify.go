package accesstoken

import (
	"context"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ginsession/ginsession/internal/jose"
	"github.com/ginsession/ginsession/internal/keyring"
)

// ErrMalformed marks a token that is not a JWT at all.
var ErrMalformed = errors.New("malformed access token")

// Verify checks an access token at now (the caller's one reading of the
// clock for the request). ErrMalformed means "not a token"; any other error
// means "a token, but not valid now" (try refresh).
func (t *Tokens) Verify(ctx context.Context, tok string, now time.Time) (*Claims, error) {
	if len(tok) > jose.MaxTokenLen {
		return nil, ErrMalformed
	}
	if ac := t.cache.get(tok, now); ac != nil {
		return ac, nil
	}
	if t.opts.Adopted != nil {
		if ac, ok, err := t.opts.Adopted(tok, now); ok {
			if err != nil {
				return nil, err
			}
			t.cache.put(tok, ac, now)
			return ac, nil
		}
	}
	if !jose.WellFormed(tok) {
		// An unsecured JWS ("alg":"none", empty signature) is a token whose
		// signature is missing: "try refresh", like any bad signature
		// (SECURITY.md A), not "malformed".
		if jose.Unsigned(tok) {
			return nil, errors.New("unsigned access token")
		}
		return nil, ErrMalformed
	}
	var usedKey *keyring.Key
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(tok, claims, func(jt *jwt.Token) (any, error) {
		// crit lists extensions the recipient must understand or refuse
		// the token (RFC 7515 §4.1.11): we understand none.
		if _, ok := jt.Header["crit"]; ok {
			return nil, jose.ErrCrit
		}
		kid, ok := jt.Header["kid"].(string)
		if !ok {
			return nil, errors.New("missing kid")
		}
		key := t.opts.Keys.Lookup(ctx, kid)
		if key == nil {
			return nil, errors.New("unknown kid")
		}
		// A key is handed out only for its own algorithm: this is what
		// stops alg confusion (an HS256 token keyed with our public key).
		if jt.Method.Alg() != key.Algorithm {
			return nil, errors.New("algorithm does not match the key")
		}
		usedKey = key
		return key.Public, nil
	},
		jwt.WithValidMethods([]string{t.opts.Algorithm}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(t.opts.Issuer),
		jwt.WithTimeFunc(t.opts.Now),
		jwt.WithStrictDecoding(),
		jwt.WithJSONNumber(),
	)
	if err != nil {
		return nil, err
	}
	if usedKey == nil {
		return nil, errors.New("no key")
	}
	// Only now, on a token signed by one of our keys: duplicate member
	// names and bytes around the JSON objects, which golang-jwt lets by.
	if err := jose.StrictSegments(tok); err != nil {
		return nil, err
	}
	sub, _ := claims["sub"].(string)
	handle, _ := claims["sessionHandle"].(string)
	if sub == "" || handle == "" {
		return nil, errors.New("access token lacks sub or sessionHandle")
	}
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return nil, errors.New("bad exp")
	}
	// Never "no expiry": golang-jwt maps absurd exp values (9e18, 1e300)
	// to far-future times (or, by platform, far-past ones); no token we
	// issue outlives TTL.
	if exp.Time.After(now.Add(t.opts.TTL + keyring.MaxClockSkew)) {
		return nil, errors.New("exp beyond the access-token lifetime")
	}
	iat, err := claims.GetIssuedAt()
	if err != nil || iat == nil {
		return nil, errors.New("bad iat")
	}
	// golang-jwt checks iat only on request; a token issued in the future
	// is refused beyond a small allowance for clock skew between instances.
	if iat.Time.After(now.Add(keyring.MaxClockSkew)) {
		return nil, jwt.ErrTokenUsedBeforeIssued
	}
	if err := jose.CheckIssuedAt(claims["iat"], claims["exp"]); err != nil {
		return nil, err
	}
	payload := make(map[string]any, len(claims))
	for k, v := range claims {
		payload[k] = jose.NormaliseNumber(v)
	}
	ac := &Claims{UserID: sub, Handle: handle, IssuedAt: iat.Time, Expires: exp.Time, Payload: payload, Actor: ActorOf(payload)}
	t.cache.put(tok, ac, now)
	return ac, nil
}
