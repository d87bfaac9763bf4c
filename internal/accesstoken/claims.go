package accesstoken

import "time"

// Claim names ginsession sets for special sessions.
const (
	// ClaimAnonymous marks a session created by CreateAnonymous.
	ClaimAnonymous = "anon"
	// ClaimActor holds who is acting in an impersonation session, in the
	// shape of RFC 8693's "act": {"sub": operator, "sessionHandle": ...}.
	ClaimActor = "act"
)

// reserved are the claims ginsession sets (or SuperTokens reserves): an
// app's payload, and its Claims, cannot set them.
var reserved = map[string]bool{
	"sub": true, "iat": true, "exp": true, "nbf": true, "iss": true, "aud": true, "jti": true,
	"sessionHandle": true, "tId": true, "rsub": true, "antiCsrfToken": true,
	"refreshTokenHash1": true, "parentRefreshTokenHash1": true,
	ClaimAnonymous: true, ClaimActor: true,
}

// Reserved reports whether name is a claim ginsession sets, which an app's
// payload may not hold.
func Reserved(name string) bool { return reserved[name] }

// Claims is a verified access token's content. A Claims may be shared with
// the verify cache: never modify it, nor its Payload.
type Claims struct {
	UserID   string
	Handle   string
	IssuedAt time.Time
	Expires  time.Time
	Payload  map[string]any // the whole JWT payload
	Actor    *Actor         // from the "act" claim; nil unless impersonating
	// AntiCSRF is the anti-CSRF token an adopted token carries (the
	// SuperTokens core put one in when its VIA_TOKEN was on); "" for ours,
	// whose anti-CSRF token is derived from the handle.
	AntiCSRF string
}

// Actor identifies who acts in an impersonation session.
type Actor struct {
	UserID string // the operator
	Handle string // the operator's session
}

// ActorOf reads the "act" claim of a payload; nil when it is missing or
// lacks the operator's user id or session handle.
func ActorOf(p map[string]any) *Actor {
	act, ok := p[ClaimActor].(map[string]any)
	if !ok {
		return nil
	}
	sub, _ := act["sub"].(string)
	h, _ := act["sessionHandle"].(string)
	if sub == "" || h == "" {
		return nil
	}
	return &Actor{UserID: sub, Handle: h}
}
