package accesstoken

import (
	"context"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ginsession/ginsession/internal/jose"
)

// The core's access-token version and tenant a CoreShape token names.
const (
	CoreTokenVersion = "5"
	CoreTenant       = "public"
)

// TooLongError: the token minted would be over jose.MaxTokenLen, so
// verification would refuse it as malformed.
type TooLongError struct{ Len int }

func (e *TooLongError) Error() string {
	return fmt.Sprintf("the access token would be %d bytes, over the %d-byte limit", e.Len, jose.MaxTokenLen)
}

// Mint signs an access token carrying the app's payload plus the
// protected claims. It returns the token and its whole payload (front-token
// "up"). The token expires after TTL, or at the session's absolute end when
// that comes first (created is the session's creation).
func (t *Tokens) Mint(ctx context.Context, userID, handle string, appPayload map[string]any, created time.Time) (string, map[string]any, time.Time, error) {
	key, err := t.opts.Keys.Signer(ctx)
	if err != nil {
		return "", nil, time.Time{}, err
	}
	now := t.opts.Now()
	exp := t.sessionEnd(created, now.Add(t.opts.TTL))
	claims := make(jwt.MapClaims, len(appPayload)+8)
	for k, v := range appPayload {
		claims[k] = v
	}
	claims["sub"] = userID
	claims["iat"] = now.Unix()
	claims["exp"] = exp.Unix()
	claims["sessionHandle"] = handle
	claims["iss"] = t.opts.Issuer
	if t.opts.CoreShape {
		// What supertokens-node requires of a version 5 token besides the
		// claims above: the tenant (ginsession has one, the core's
		// "public"), the recipe user (the user itself: ginsession does not
		// link accounts) and refreshTokenHash1, which the SDK only requires
		// to be a string. The core puts a hash of the refresh token there
		// for its own verify call; nothing reads it here, so it is empty
		// rather than a value that looks meaningful and is not.
		claims["tId"] = CoreTenant
		claims["rsub"] = userID
		claims["refreshTokenHash1"] = ""
	}
	tok := jwt.NewWithClaims(key.Method, claims)
	tok.Header["kid"] = key.ID
	if t.opts.CoreShape {
		tok.Header["version"] = CoreTokenVersion
	}
	signed, err := tok.SignedString(key.Private)
	if err != nil {
		return "", nil, time.Time{}, fmt.Errorf("ginsession: signing an access token: %w", err)
	}
	if len(signed) > jose.MaxTokenLen {
		return "", nil, time.Time{}, &TooLongError{Len: len(signed)}
	}
	return signed, claims, time.Unix(exp.Unix(), 0), nil
}

// sessionEnd caps expires at the session's absolute end.
func (t *Tokens) sessionEnd(created, expires time.Time) time.Time {
	if t.opts.SessionEnd == nil {
		return expires
	}
	return t.opts.SessionEnd(created, expires)
}
