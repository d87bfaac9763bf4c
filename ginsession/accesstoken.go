package ginsession

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// maxTokenLen caps tokens before any parsing: a legitimate access token is
// well under this even with a generous payload.
const maxTokenLen = 16 << 10

// maxClockSkew is how far in the future an access token's iat may be: the
// clock difference tolerated between instances.
const maxClockSkew = time.Minute

// protectedClaims are set by ginsession; the app cannot set them.
var protectedClaims = map[string]bool{
	"sub": true, "iat": true, "exp": true, "nbf": true, "iss": true, "aud": true, "jti": true,
	"sessionHandle": true, "tId": true, "rsub": true, "antiCsrfToken": true,
	"refreshTokenHash1": true, "parentRefreshTokenHash1": true,
	anonymousClaim: true, actorClaim: true,
}

// accessClaims is a verified access token's content.
type accessClaims struct {
	userID  string
	handle  string
	iat     time.Time
	exp     time.Time
	payload map[string]any // the whole JWT payload
	actor   *Actor         // from the "act" claim; nil unless impersonating
}

// mintAccess signs an access token carrying the app's payload plus the
// protected claims. It returns the token and its whole payload (front-token
// "up"). The token expires after AccessTokenTTL, or at the session's
// absolute end when that comes first (created is the session's creation).
func (e *Sessions) mintAccess(ctx context.Context, userID, handle string, appPayload map[string]any, created time.Time) (string, map[string]any, time.Time, error) {
	key, err := e.keys.signer(ctx)
	if err != nil {
		return "", nil, time.Time{}, err
	}
	now := e.cfg.now()
	exp := e.sessionEnd(created, now.Add(e.cfg.accessTTL))
	claims := make(jwt.MapClaims, len(appPayload)+5)
	for k, v := range appPayload {
		claims[k] = v
	}
	claims["sub"] = userID
	claims["iat"] = now.Unix()
	claims["exp"] = exp.Unix()
	claims["sessionHandle"] = handle
	claims["iss"] = e.cfg.issuer
	tok := jwt.NewWithClaims(key.method, claims)
	tok.Header["kid"] = key.id
	signed, err := tok.SignedString(key.private)
	if err != nil {
		return "", nil, time.Time{}, fmt.Errorf("ginsession: signing an access token: %w", err)
	}
	if len(signed) > maxTokenLen { // verification would refuse it as malformed
		return "", nil, time.Time{}, fmt.Errorf("%w: the access token would be %d bytes, over the %d-byte limit", ErrInvalidInput, len(signed), maxTokenLen)
	}
	return signed, claims, time.Unix(exp.Unix(), 0), nil
}

// errMalformed marks a token that is not a JWT at all.
var errMalformed = errors.New("malformed access token")

// wellFormed checks the shape of a compact JWS before any decoding: three
// non-empty base64url segments.
func wellFormed(tok string) bool {
	if len(tok) == 0 || len(tok) > maxTokenLen {
		return false
	}
	dots := 0
	segLen := 0
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		switch {
		case c == '.':
			if segLen == 0 {
				return false
			}
			dots++
			segLen = 0
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			segLen++
		default:
			return false
		}
	}
	return dots == 2 && segLen > 0
}

// verifyAccess checks an access token. errMalformed means "not a token";
// any other error means "a token, but not valid now" (try refresh).
func (e *Sessions) verifyAccess(ctx context.Context, tok string) (*accessClaims, error) {
	return e.verifyAccessAt(ctx, tok, e.cfg.now())
}

// verifyAccessAt is verifyAccess with the caller's reading of the clock
// (the verify path reads it once per request).
func (e *Sessions) verifyAccessAt(ctx context.Context, tok string, now time.Time) (*accessClaims, error) {
	if len(tok) > maxTokenLen {
		return nil, errMalformed
	}
	if ac := e.cache.get(tok, now); ac != nil {
		return ac, nil
	}
	if !wellFormed(tok) {
		// An unsecured JWS ("alg":"none", empty signature) is a token whose
		// signature is missing: "try refresh", like any bad signature
		// (SECURITY.md A), not "malformed".
		if len(tok) > 1 && tok[len(tok)-1] == '.' && wellFormed(tok+"A") {
			return nil, errors.New("unsigned access token")
		}
		return nil, errMalformed
	}
	var usedKey *liveKey
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(tok, claims, func(t *jwt.Token) (any, error) {
		// crit lists extensions the recipient must understand or refuse
		// the token (RFC 7515 §4.1.11): we understand none.
		if _, ok := t.Header["crit"]; ok {
			return nil, errJOSECrit
		}
		kid, ok := t.Header["kid"].(string)
		if !ok {
			return nil, errors.New("missing kid")
		}
		key := e.keys.lookup(ctx, kid)
		if key == nil {
			return nil, errors.New("unknown kid")
		}
		// A key is handed out only for its own algorithm: this is what
		// stops alg confusion (an HS256 token keyed with our public key).
		if t.Method.Alg() != key.alg {
			return nil, errors.New("algorithm does not match the key")
		}
		usedKey = key
		return key.public, nil
	},
		jwt.WithValidMethods([]string{e.cfg.algorithm}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(e.cfg.issuer),
		jwt.WithTimeFunc(e.cfg.now),
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
	if err := strictSegments(tok); err != nil {
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
	// issue outlives AccessTokenTTL.
	if exp.Time.After(now.Add(e.cfg.accessTTL + maxClockSkew)) {
		return nil, errors.New("exp beyond the access-token lifetime")
	}
	iat, err := claims.GetIssuedAt()
	if err != nil || iat == nil {
		return nil, errors.New("bad iat")
	}
	// golang-jwt checks iat only on request; a token issued in the future
	// is refused beyond a small allowance for clock skew between instances.
	if iat.Time.After(now.Add(maxClockSkew)) {
		return nil, jwt.ErrTokenUsedBeforeIssued
	}
	if err := checkIssuedAt(claims["iat"], claims["exp"]); err != nil {
		return nil, err
	}
	payload := make(map[string]any, len(claims))
	for k, v := range claims {
		payload[k] = normaliseNumber(v)
	}
	ac := &accessClaims{userID: sub, handle: handle, iat: iat.Time, exp: exp.Time, payload: payload, actor: actorOf(payload)}
	e.cache.put(tok, ac, now)
	return ac, nil
}
