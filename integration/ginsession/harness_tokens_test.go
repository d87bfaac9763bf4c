package ginsession_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/golang-jwt/jwt/v5"
)

// The token half of the test harness: taking JWTs apart, tampering with
// them, forging them with the engine's own signing key (forger), and
// reading keys and refresh tokens the way the engine derives them.

// splitJWT splits a compact JWS.
func splitJWT(t *testing.T, tok string) (header, payload, sig string) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("access token %q is not a compact JWS", tok)
	}
	return parts[0], parts[1], parts[2]
}

// flipChar replaces the character at i with another base64url character.
func flipChar(s string, i int) string {
	b := []byte(s)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// resignWithForeignKey re-signs the claims of tok with a fresh ES256 key that the
// engine has never seen, under the given kid.
func resignWithForeignKey(t *testing.T, tok, kid string) string {
	t.Helper()
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok, claims); err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	j := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	j.Header["kid"] = kid
	s, err := j.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tokenKid reads the kid of a compact JWS's header.
func tokenKid(tok string) (string, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("access token %q is not a compact JWS", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return "", err
	}
	var hdr map[string]any
	if err := json.Unmarshal(b, &hdr); err != nil {
		return "", err
	}
	kid, _ := hdr["kid"].(string)
	return kid, nil
}

// kidOf is the kid of tok, which must be a JWS.
func kidOf(t testing.TB, tok string) string {
	t.Helper()
	kid, err := tokenKid(tok)
	if err != nil {
		t.Fatal(err)
	}
	return kid
}

// kidForLog is the kid of tok, or "?" (for goroutines, which must not
// t.Fatal).
func kidForLog(tok string) string {
	kid, err := tokenKid(tok)
	if err != nil {
		return "?"
	}
	return kid
}

func randomKid() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var b64url = base64.RawURLEncoding.EncodeToString

// forger is an engine with one signed-in user and the engine's current
// signing key.
type forger struct {
	e      *env
	kid    string
	alg    string
	method jwt.SigningMethod
	priv   crypto.Signer
	pubDER []byte // PKIX DER, as stored
	user   string
	handle string
	access string // the genuine access token from sign-in
}

func newForger(t *testing.T, mutate func(*ginsession.Config)) *forger {
	t.Helper()
	return newForgerOn(t, newEnv(t, mutate))
}

func newForgerOn(t *testing.T, e *env) *forger {
	t.Helper()
	c := e.newClient("header")
	handle, _ := c.signIn("victim").body["handle"].(string)
	f := &forger{e: e, user: "victim", handle: handle, access: c.access, kid: kidOf(t, c.access)}
	rows, err := e.store.SigningKeys(t.Context(), e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if row.ID != f.kid {
			continue
		}
		k, err := x509.ParsePKCS8PrivateKey(row.PrivateKey)
		if err != nil {
			t.Fatalf("signing key %s is not readable PKCS#8 (MasterKey set?): %v", row.ID, err)
		}
		f.priv, f.pubDER, f.alg = k.(crypto.Signer), row.PublicKey, row.Algorithm
	}
	if f.priv == nil {
		t.Fatalf("the access token's key %s is not in the store", f.kid)
	}
	f.method = jwt.GetSigningMethod(f.alg)
	// The signer works: a token made here with genuine claims is accepted.
	f.expectOK(t, f.sign(t, f.header(), f.claims()))
	return f
}

func (f *forger) issuer() string { return f.e.server.URL + "/auth" }

// claims are the claims of a genuine access token issued now.
func (f *forger) claims() jwt.MapClaims {
	now := f.e.clock.Now()
	return jwt.MapClaims{"sub": f.user, "sessionHandle": f.handle, "iss": f.issuer(), "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
}

// claimsWith are genuine claims with k set to v (nil v: k removed).
func (f *forger) claimsWith(k string, v any) jwt.MapClaims {
	c := f.claims()
	if v == nil {
		delete(c, k)
	} else {
		c[k] = v
	}
	return c
}

func (f *forger) header() map[string]any {
	return map[string]any{"alg": f.alg, "typ": "JWT", "kid": f.kid}
}

// sign signs claims with our key under exactly this header (whatever its
// "alg" says).
func (f *forger) sign(t *testing.T, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	return signJWT(t, f.method, f.priv, header, claims)
}

func signJWT(t *testing.T, method jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	tok.Header = header
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signRaw signs the exact header and payload JSON texts with our key.
func (f *forger) signRaw(t *testing.T, header, payload string) string {
	t.Helper()
	in := b64url([]byte(header)) + "." + b64url([]byte(payload))
	sig, err := f.method.Sign(in, f.priv)
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + b64url(sig)
}

// expect sends tok as a bearer token and as the sAccessToken cookie on a GET
// (so anti-CSRF is out of the way) and expects a 401 with this message and
// the frontend's session left alone.
func (f *forger) expect(t *testing.T, tok, message string) {
	t.Helper()
	for _, mode := range modes {
		r := sendWithToken(t, f.e.server.URL, mode, "GET", "/api/me", "sAccessToken", tok)
		if r.status != 401 || r.message() != message {
			t.Errorf("%s mode: %d %s, want 401 %q", mode, r.status, r.raw, message)
		}
		expectTokensUntouched(t, r)
	}
}

func (f *forger) expectOK(t *testing.T, tok string) {
	t.Helper()
	for _, mode := range modes {
		r := sendWithToken(t, f.e.server.URL, mode, "GET", "/api/me", "sAccessToken", tok)
		if r.status != 200 || r.body["userId"] != f.user {
			t.Fatalf("%s mode: %d %s, want the victim's session", mode, r.status, r.raw)
		}
	}
}

// msgTryRefresh is what every "a token, but not valid" case must answer.
const msgTryRefresh = "try refresh token"

func jsonString(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func mustDecodeB64URL(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type jwks struct {
	Keys []map[string]string `json:"keys"`
}

func (e *env) jwks(t *testing.T) jwks {
	t.Helper()
	r := e.newClient("header").do("GET", "/auth/jwt/jwks.json", "")
	if r.status != 200 {
		t.Fatalf("jwks: %d", r.status)
	}
	if !strings.HasPrefix(r.header.Get("Cache-Control"), "max-age=") {
		t.Fatalf("jwks Cache-Control %q", r.header.Get("Cache-Control"))
	}
	var out jwks
	if err := json.Unmarshal([]byte(r.raw), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func (j jwks) has(kid string) bool {
	for _, k := range j.Keys {
		if k["kid"] == kid {
			return true
		}
	}
	return false
}

func refreshHash(t *testing.T, tok string) []byte {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		t.Fatalf("bad token %q", tok)
	}
	h := sha256.Sum256(raw)
	return h[:]
}

// tokenExpired reports whether an access token's exp has passed at now.
func tokenExpired(tok string, now time.Time) bool {
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok, claims); err != nil {
		return false
	}
	exp, err := claims.GetExpirationTime()
	return err == nil && exp != nil && !now.Before(exp.Time)
}

// deriveKey is ginsession's key derivation (HMAC-SHA256 of a label), so a
// test can act as another server with its own secret.
func deriveKey(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil)
}
