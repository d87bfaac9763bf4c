package stcore

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// AccessToken is what a core access token says, read by its version.
type AccessToken struct {
	Version int    // 1 to 5, from the header
	KeyID   string // the header's kid; "" for versions 1 and 2, which name no key

	SessionHandle      string
	UserID             string // sub (versions 3+) or userId: the primary user id
	RecipeUserID       string // rsub (version 5); UserID before
	RefreshHash1       string // Hash1 of the refresh token issued with it
	ParentRefreshHash1 string // Hash1 of the refresh token that one replaced; "" when null
	AntiCSRFToken      string // "" when null
	TenantID           string // tId (versions 4+); "public" before
	IssuedAt           time.Time
	Expiry             time.Time

	// Payload is the app's claims as one JSON object: every claim the core
	// does not reserve (versions 3+), or userData (versions 1 and 2).
	Payload json.RawMessage
}

// VerifyKey is a public key of the core, by the kid its tokens name.
type VerifyKey struct {
	ID     string // "d-<created ms>" for dynamic keys, "s-<uuid>" for static ones
	Public *rsa.PublicKey
}

// maxAccessTokenLen bounds the work one presented text can cause.
const maxAccessTokenLen = 16 << 10

// The headers of versions 1 and 2, compared as text the way the core does.
var (
	legacyHeaderV1 = base64.StdEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT","version":"1"}`))
	legacyHeaderV2 = base64.StdEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT","version":"2"}`))
)

// The claims each version reserves; the core refuses a token lacking one
// of them, and never reads them as the app's claims.
var reserved = map[int][]string{
	2: {"userId", "expiryTime", "timeCreated", "sessionHandle", "refreshTokenHash1"},
	3: {"sub", "exp", "iat", "sessionHandle", "refreshTokenHash1", "parentRefreshTokenHash1", "antiCsrfToken"},
	4: {"sub", "exp", "iat", "sessionHandle", "refreshTokenHash1", "parentRefreshTokenHash1", "antiCsrfToken", "tId"},
	5: {"sub", "exp", "iat", "sessionHandle", "refreshTokenHash1", "parentRefreshTokenHash1", "antiCsrfToken", "tId", "rsub"},
}

// LooksLikeAccessToken reports whether s has the header of a core access
// token (versions 1 and 2 by their fixed header; later versions by a
// "version" of "3" to "5" and a kid starting "d-" or "s-"), without checking
// anything else.
func LooksLikeAccessToken(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || len(s) > maxAccessTokenLen {
		return false
	}
	v, kid, err := readHeader(parts[0])
	return err == nil && (v <= 2 || strings.HasPrefix(kid, "d-") || strings.HasPrefix(kid, "s-"))
}

// VerifyAccessToken checks a core access token's RS256 signature against
// keys and reads its claims. Versions 1 and 2 name no key and are tried
// against every key; later versions only against the key whose ID is their
// kid (ErrUnknownKey when there is none). ErrMalformed for text that is not
// a core access token, ErrUnauthentic for a bad signature or missing
// claims, ErrExpired (with the token) when it is authentic but its expiry is
// before now.
func VerifyAccessToken(token string, keys []VerifyKey, now time.Time) (*AccessToken, error) {
	if len(token) > maxAccessTokenLen {
		return nil, fmt.Errorf("%w: access token longer than %d bytes", ErrMalformed, maxAccessTokenLen)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: access token has %d parts, want 3", ErrMalformed, len(parts))
	}
	version, kid, err := readHeader(parts[0])
	if err != nil {
		return nil, err
	}
	enc := base64.RawURLEncoding.Strict()
	if version <= 2 {
		enc = base64.StdEncoding.Strict()
	}
	sig, err := enc.DecodeString(parts[2])
	if err != nil {
		return nil, fmt.Errorf("%w: signature is not Base64: %v", ErrMalformed, err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := checkSignature(version, kid, digest[:], sig, keys); err != nil {
		return nil, err
	}
	body, err := enc.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("%w: payload is not Base64: %v", ErrUnauthentic, err)
	}
	t, err := readClaims(version, body)
	if err != nil {
		return nil, err
	}
	t.KeyID = kid
	if t.Expiry.Before(now) {
		return t, fmt.Errorf("%w: access token expired at %s", ErrExpired, t.Expiry.UTC().Format(time.RFC3339))
	}
	return t, nil
}

func checkSignature(version int, kid string, digest, sig []byte, keys []VerifyKey) error {
	found := false
	for _, k := range keys {
		if k.Public == nil || (version > 2 && k.ID != kid) {
			continue
		}
		found = true
		if rsa.VerifyPKCS1v15(k.Public, crypto.SHA256, digest, sig) == nil {
			return nil
		}
	}
	if !found && version > 2 {
		return fmt.Errorf("%w: kid %.80q", ErrUnknownKey, kid)
	}
	return fmt.Errorf("%w: access token signature does not verify", ErrUnauthentic)
}

// readHeader answers the version and kid, by the core's rules: the fixed
// headers of versions 1 and 2, otherwise a JSON header with typ JWT, alg
// RS256, a string kid and a string version (absent: the newest, 5).
func readHeader(h string) (version int, kid string, err error) {
	switch h {
	case legacyHeaderV1:
		return 1, "", nil
	case legacyHeaderV2:
		return 2, "", nil
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(h)
	if err != nil {
		return 0, "", fmt.Errorf("%w: header is not Base64url: %v", ErrMalformed, err)
	}
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(raw, &hdr); err != nil {
		return 0, "", fmt.Errorf("%w: header is not a JSON object", ErrMalformed)
	}
	if s, ok := jsonString(hdr["typ"]); !ok || s != "JWT" {
		return 0, "", fmt.Errorf("%w: header typ is not JWT", ErrMalformed)
	}
	if s, ok := jsonString(hdr["alg"]); !ok || s != "RS256" {
		return 0, "", fmt.Errorf("%w: header alg is not RS256", ErrMalformed)
	}
	version = 5
	if v, present := hdr["version"]; present {
		s, ok := jsonString(v)
		if !ok || (s != "3" && s != "4" && s != "5") {
			return 0, "", fmt.Errorf("%w: header version %.10s", ErrMalformed, v)
		}
		version = int(s[0] - '0')
	}
	kid, ok := jsonString(hdr["kid"])
	if !ok {
		return 0, "", fmt.Errorf("%w: header has no string kid", ErrMalformed)
	}
	return version, kid, nil
}

func readClaims(version int, body []byte) (*AccessToken, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var c map[string]json.RawMessage
	if err := dec.Decode(&c); err != nil || c == nil {
		return nil, fmt.Errorf("%w: claims are not a JSON object", ErrUnauthentic)
	}
	names := reserved[max(version, 2)]
	for _, n := range names {
		if _, ok := c[n]; !ok {
			return nil, fmt.Errorf("%w: access token lacks claim %s", ErrUnauthentic, n)
		}
	}
	t := &AccessToken{Version: version, TenantID: "public"}
	var bad []string
	str := func(name string, dst *string) {
		if s, ok := jsonString(c[name]); ok {
			*dst = s
		} else {
			bad = append(bad, name)
		}
	}
	nullable := func(name string, dst *string) {
		if v, ok := c[name]; ok && string(v) != "null" {
			str(name, dst)
		}
	}
	millis := func(name string, scale int64, dst *time.Time) {
		n, err := strconv.ParseInt(string(c[name]), 10, 64)
		if err != nil {
			bad = append(bad, name)
			return
		}
		*dst = time.UnixMilli(n * scale)
	}
	str("sessionHandle", &t.SessionHandle)
	str("refreshTokenHash1", &t.RefreshHash1)
	nullable("parentRefreshTokenHash1", &t.ParentRefreshHash1)
	nullable("antiCsrfToken", &t.AntiCSRFToken)
	if version <= 2 {
		str("userId", &t.UserID)
		millis("expiryTime", 1, &t.Expiry)
		millis("timeCreated", 1, &t.IssuedAt)
		t.Payload = c["userData"]
		if len(t.Payload) == 0 || t.Payload[0] != '{' {
			bad = append(bad, "userData")
		}
	} else {
		str("sub", &t.UserID)
		millis("exp", 1000, &t.Expiry)
		millis("iat", 1000, &t.IssuedAt)
		if version >= 4 {
			str("tId", &t.TenantID)
		}
		app := map[string]json.RawMessage{}
		for k, v := range c {
			if !contains(names, k) {
				app[k] = v
			}
		}
		t.Payload, _ = json.Marshal(app)
	}
	t.RecipeUserID = t.UserID
	if version >= 5 {
		str("rsub", &t.RecipeUserID)
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%w: access token claims of the wrong type: %s", ErrUnauthentic, strings.Join(bad, ", "))
	}
	return t, nil
}

func jsonString(v json.RawMessage) (string, bool) {
	if len(v) == 0 || v[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
