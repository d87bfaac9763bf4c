package ginsession

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
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
// "up").
func (e *Sessions) mintAccess(ctx context.Context, userID, handle string, appPayload map[string]any) (string, map[string]any, time.Time, error) {
	key, err := e.keys.signer(ctx)
	if err != nil {
		return "", nil, time.Time{}, err
	}
	now := e.cfg.now()
	exp := now.Add(e.cfg.accessTTL)
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

// normaliseNumber turns json.Number (kept for exact parsing) into int64 or
// float64 so payload values look like what the app put in.
func normaliseNumber(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, vv := range x {
			x[k] = normaliseNumber(vv)
		}
	case []any:
		for i, vv := range x {
			x[i] = normaliseNumber(vv)
		}
	}
	return v
}

// Refresh tokens are opaque to the frontend. Layout before base64url:
//
//	version(1) | handle(16) | generation(8) | secret(32) | mac(16)
//
// The MAC (HMAC-SHA256 with a server key) makes a forged or corrupted token
// recognisable as not ours, so it is "unauthorised" and can never make us
// revoke somebody's session. The child of a token is derived from it with
// another server key, so a retry inside the grace window yields exactly the
// same child: the lineage never forks.
const (
	refreshVersion   = 1
	refreshRawLen    = 1 + 16 + 8 + 32 + 16
	refreshTokenLen  = (refreshRawLen*8 + 5) / 6 // base64url, no padding
	refreshMACOffset = refreshRawLen - 16
)

type refreshToken struct {
	raw        [refreshRawLen]byte
	handle     string
	generation int64
}

type refreshKeys struct {
	mac    []byte
	derive []byte
	csrf   []byte
	// accepted are the keys of other secrets (Config.AcceptMasterKeys,
	// AcceptStoredSecret) whose tokens are accepted; nothing is issued or
	// derived under them.
	accepted []refreshKeys
}

// accept adds the keys of secrets whose tokens are accepted besides k's.
func (k *refreshKeys) accept(secrets [][]byte) {
	for _, s := range secrets {
		k.accepted = append(k.accepted, newRefreshKeys(s))
	}
}

func newRefreshKeys(secret []byte) refreshKeys {
	return refreshKeys{
		mac:    deriveKey(secret, "ginsession refresh-token mac"),
		derive: deriveKey(secret, "ginsession refresh-token child"),
		csrf:   deriveKey(secret, "ginsession anti-csrf"),
	}
}

// newRefresh makes the first refresh token of a session.
func (k refreshKeys) newRefresh(handle [16]byte) (*refreshToken, error) {
	var t refreshToken
	t.raw[0] = refreshVersion
	copy(t.raw[1:17], handle[:])
	if _, err := rand.Read(t.raw[25:57]); err != nil {
		return nil, err
	}
	k.seal(&t)
	return &t, nil
}

// child derives the next token of the lineage deterministically.
func (k refreshKeys) child(parent *refreshToken) *refreshToken {
	var t refreshToken
	t.raw[0] = refreshVersion
	copy(t.raw[1:17], parent.raw[1:17])
	binary.BigEndian.PutUint64(t.raw[17:25], uint64(parent.generation+1))
	m := hmac.New(sha256.New, k.derive)
	m.Write(parent.raw[:refreshMACOffset])
	copy(t.raw[25:57], m.Sum(nil))
	k.seal(&t)
	return &t
}

func (k refreshKeys) seal(t *refreshToken) {
	m := hmac.New(sha256.New, k.mac)
	m.Write(t.raw[:refreshMACOffset])
	copy(t.raw[refreshMACOffset:], m.Sum(nil)[:16])
	t.handle = formatHandle(t.raw[1:17])
	t.generation = int64(binary.BigEndian.Uint64(t.raw[17:25]))
}

// parseRefresh decodes and authenticates a refresh token. It does constant
// work for any input: the length is checked before decoding.
func (k refreshKeys) parseRefresh(s string) (*refreshToken, bool) {
	if len(s) != refreshTokenLen {
		return nil, false
	}
	var t refreshToken
	n, err := base64.RawURLEncoding.Strict().Decode(t.raw[:], []byte(s))
	if err != nil || n != refreshRawLen || t.raw[0] != refreshVersion {
		return nil, false
	}
	ok := macMatches(k.mac, &t)
	for i := range k.accepted {
		// Every accepted key is tried, so the work does not tell which
		// one matched.
		ok = macMatches(k.accepted[i].mac, &t) || ok
	}
	if !ok {
		return nil, false
	}
	// The child of a token issued under an accepted key is derived and
	// sealed under k: the session continues under the current secret.
	t.handle = formatHandle(t.raw[1:17])
	t.generation = int64(binary.BigEndian.Uint64(t.raw[17:25]))
	if t.generation < 0 {
		return nil, false
	}
	return &t, true
}

// macMatches reports whether t carries the MAC of key.
func macMatches(key []byte, t *refreshToken) bool {
	m := hmac.New(sha256.New, key)
	m.Write(t.raw[:refreshMACOffset])
	return subtle.ConstantTimeCompare(m.Sum(nil)[:16], t.raw[refreshMACOffset:]) == 1
}

func (t *refreshToken) String() string { return base64.RawURLEncoding.EncodeToString(t.raw[:]) }

// hash is what the store keeps instead of the token.
func (t *refreshToken) hash() []byte {
	h := sha256.Sum256(t.raw[:])
	return h[:]
}

// antiCSRFToken is bound to the session: an HMAC of its handle, so it needs
// no storage and a token from another session never matches.
func (k refreshKeys) antiCSRFToken(handle string) string {
	m := hmac.New(sha256.New, k.csrf)
	m.Write([]byte(handle))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:24])
}

// antiCSRFMatches reports whether got is the session's anti-CSRF token
// under the current secret or an accepted one.
func (k refreshKeys) antiCSRFMatches(handle, got string) bool {
	ok := subtle.ConstantTimeCompare([]byte(got), []byte(k.antiCSRFToken(handle))) == 1
	for i := range k.accepted {
		ok = subtle.ConstantTimeCompare([]byte(got), []byte(k.accepted[i].antiCSRFToken(handle))) == 1 || ok
	}
	return ok
}

// newHandle returns 16 random bytes (a version-4 UUID).
func newHandle() ([16]byte, error) {
	var h [16]byte
	if _, err := rand.Read(h[:]); err != nil {
		return h, err
	}
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return h, nil
}

func formatHandle(b []byte) string {
	const hexdig = "0123456789abcdef"
	out := make([]byte, 36)
	j := 0
	for i := 0; i < 16; i++ {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j] = hexdig[b[i]>>4]
		out[j+1] = hexdig[b[i]&0x0f]
		j += 2
	}
	return string(out)
}
