package stcoretest

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"
)

// SessionOptions shape one generated session.
type SessionOptions struct {
	TenantID     string // "public" when empty
	Rotations    int    // how many refreshes the core has answered (see Session)
	AntiCSRF     bool   // tokens carry an anti-CSRF token (the SDK's VIA_TOKEN)
	UseStaticKey bool
	Expired      bool // expires_at is before Now
	UserID       string
}

// Session is one core session: its session_info row and the tokens around
// it.
type Session struct {
	AppID, TenantID, Handle, UserID string
	SessionData, JWTPayload         string // JSON objects as text
	CreatedAt, ExpiresAt            time.Time
	UseStaticKey                    bool
	Hash2                           string // refresh_token_hash_2

	// Refresh is the refresh token the browser holds. After r rotations
	// (tokens T0 … Tr) the core has promoted T(r-1), so the row holds its
	// hash and Refresh (Tr) is its unpromoted child; with r = 0 Refresh is
	// T0 and current.
	Refresh string
	// Parent is T(r-1), still current in the row ("" when r = 0).
	Parent string
	// Stale are T0 … T(r-2): rotated away, theft when presented.
	Stale []string
	// AntiCSRF is the anti-CSRF token of the latest refresh ("" without).
	AntiCSRF string
}

// Session makes a session whose tokens are sealed with refreshKey.
func (g *Gen) Session(refreshKey string, o SessionOptions) *Session {
	tenant := o.TenantID
	if tenant == "" {
		tenant = "public"
	}
	s := &Session{AppID: g.AppID, TenantID: tenant, Handle: g.UUID(), UserID: o.UserID, UseStaticKey: o.UseStaticKey}
	if tenant != "public" {
		s.Handle += "_" + tenant
	}
	if s.UserID == "" {
		s.UserID = g.UUID()
	}
	n := g.r.IntN(1000)
	s.SessionData = fmt.Sprintf(`{"visits":%d,"note":"<&> ünïcode"}`, n)
	s.JWTPayload = fmt.Sprintf(`{"role":"user%d","perms":["read","write"],"nested":{"n":%d}}`, n%7, n)
	s.CreatedAt = time.UnixMilli(g.Now.Add(-time.Duration(1+g.r.IntN(1000)) * time.Hour).UnixMilli())
	s.ExpiresAt = time.UnixMilli(g.Now.Add(time.Duration(1+g.r.IntN(2000)) * time.Hour).UnixMilli())
	if o.Expired {
		s.ExpiresAt = time.UnixMilli(g.Now.Add(-time.Minute).UnixMilli())
	}
	var chain []string
	parent := ""
	for i := 0; i <= o.Rotations; i++ {
		if o.AntiCSRF {
			s.AntiCSRF = g.UUID()
		}
		t := g.refreshToken(refreshKey, s, parent, s.AntiCSRF)
		chain = append(chain, t)
		parent = t
	}
	s.Refresh = chain[len(chain)-1]
	rowToken := s.Refresh
	if o.Rotations > 0 {
		s.Parent = chain[len(chain)-2]
		rowToken = s.Parent
		s.Stale = chain[:len(chain)-2]
	}
	s.Hash2 = hexSHA256(hexSHA256(rowToken))
	return s
}

// AccessToken signs an access token of the given version (1 to 5) for s,
// issued with s.Refresh, at iat, expiring at exp. Versions 1 and 2 have the
// core's fixed headers and standard Base64; later ones name k.ID as kid.
func (g *Gen) AccessToken(version int, k *Key, s *Session, iat, exp time.Time) string {
	var parent any
	if s.Parent != "" {
		parent = hexSHA256(s.Parent)
	}
	var anti any
	if s.AntiCSRF != "" {
		anti = s.AntiCSRF
	}
	var app map[string]any
	if err := json.Unmarshal([]byte(s.JWTPayload), &app); err != nil {
		panic(err)
	}
	claims := map[string]any{"sessionHandle": s.Handle, "refreshTokenHash1": hexSHA256(s.Refresh)}
	var header string
	enc := base64.RawURLEncoding
	if version <= 2 {
		enc = base64.StdEncoding
		header = enc.EncodeToString(fmt.Appendf(nil, `{"alg":"RS256","typ":"JWT","version":"%d"}`, version))
		claims["userId"], claims["expiryTime"], claims["timeCreated"] = s.UserID, exp.UnixMilli(), iat.UnixMilli()
		claims["userData"] = app
		if parent != nil {
			claims["parentRefreshTokenHash1"] = parent
		}
		if anti != nil {
			claims["antiCsrfToken"] = anti
		}
	} else {
		h, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": k.ID, "version": fmt.Sprint(version)})
		header = enc.EncodeToString(h)
		for name, v := range app {
			claims[name] = v
		}
		claims["sub"], claims["exp"], claims["iat"] = s.UserID, exp.Unix(), iat.Unix()
		claims["parentRefreshTokenHash1"], claims["antiCsrfToken"] = parent, anti
		if version >= 4 {
			claims["tId"] = s.TenantID
		}
		if version >= 5 {
			claims["rsub"] = s.UserID
		}
	}
	body, _ := json.Marshal(claims)
	signing := header + "." + enc.EncodeToString(body)
	digest := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(nil, k.Private, crypto.SHA256, digest[:])
	if err != nil {
		panic(err)
	}
	return signing + "." + enc.EncodeToString(sig)
}

// SignRS256 signs text (header.payload) with k and returns the token, the
// signature in Base64url without padding.
func SignRS256(k *rsa.PrivateKey, text string) string {
	digest := sha256.Sum256([]byte(text))
	sig, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, digest[:])
	if err != nil {
		panic(err)
	}
	return text + "." + base64.RawURLEncoding.EncodeToString(sig)
}
