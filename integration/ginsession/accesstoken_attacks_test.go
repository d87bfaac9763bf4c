package ginsession_test

// Attacks on access tokens: SECURITY.md section A, one test per row.
// Most forged tokens here carry a genuine signature: the tests read the
// engine's private signing key from its store (as anyone holding the
// database could without a MasterKey) and sign tokens that are right in
// every respect except the one under test, so a refusal proves the check
// for that respect and not a signature failure.
//
// Rows covered elsewhere:
//   - "expired": TestProtocolVerifyTryRefresh/<mode>/expired.
//   - "flipped payload byte": TestProtocolVerifyTryRefresh/<mode>/bad signature.
//   - "truncated a.b, a.b.c.d, non-base64": TestProtocolVerifyMalformedToken
//     (status and body); TestAccessTokenMalformedBoundedMemory adds the rest of
//     the row and the memory bound.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"

	"github.com/ginsession/ginsession/ginsession"
	"github.com/ginsession/ginsession/store"
	"github.com/ginsession/ginsession/store/gormstore"
	"github.com/ginsession/ginsession/store/sqlitestore"
)

// SECURITY.md A: `alg: none` / `None` / empty alg, with or without a
// signature → try-refresh; only the configured algorithm is accepted.
func TestAccessTokenAlgNone(t *testing.T) {
	f := newForger(t, nil)
	_, p, s := splitJWT(t, f.access)
	for _, alg := range []any{"none", "None", "NONE", "nOnE", "", nil, 0, "ES384", "ES512", "PS256", "RS256", "EdDSA", "HS256", "ES256 ", "es256"} {
		hdr := map[string]any{"typ": "JWT", "kid": f.kid}
		name := "alg absent"
		if alg != nil {
			hdr["alg"] = alg
			b, _ := json.Marshal(alg)
			name = "alg " + string(b)
		}
		hj, _ := json.Marshal(hdr)
		t.Run(name, func(t *testing.T) {
			head := b64url(hj)
			for sigName, sig := range map[string]string{"no signature": "", "our signature": s, "junk signature": "c2ln"} {
				t.Run(sigName, func(t *testing.T) { f.expect(t, head+"."+p+"."+sig, msgTryRefresh) })
			}
			// Our key's real signature over this very header: still
			// refused, the header's algorithm is not ours.
			t.Run("signed by our key", func(t *testing.T) { f.expect(t, f.sign(t, hdr, f.claims()), msgTryRefresh) })
		})
	}
}

// SECURITY.md A: an HS256 token keyed with our public key bytes (key
// confusion) is rejected: a key is handed out only for its own algorithm.
func TestAccessTokenKeyConfusion(t *testing.T) {
	for _, alg := range []string{"ES256", "RS256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			f := newForger(t, func(cfg *ginsession.Config) { cfg.SigningAlgorithm = alg })
			jwks := sendRaw(t, f.e.server.URL, "GET", "/auth/jwt/jwks.json", "")
			var doc struct {
				Keys []map[string]string `json:"keys"`
			}
			if err := json.Unmarshal([]byte(jwks.raw), &doc); err != nil {
				t.Fatal(err)
			}
			var jwk []byte
			for _, k := range doc.Keys {
				if k["kid"] == f.kid {
					jwk, _ = json.Marshal(k)
				}
			}
			pub, err := x509.ParsePKIXPublicKey(f.pubDER)
			if err != nil {
				t.Fatal(err)
			}
			secrets := map[string][]byte{
				"PKIX DER":      f.pubDER,
				"PKIX PEM":      pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: f.pubDER}),
				"JWKS document": []byte(jwks.raw),
				"JWK":           jwk,
			}
			switch k := pub.(type) {
			case *ecdsa.PublicKey:
				ecdh, _ := k.ECDH()
				secrets["raw point"] = ecdh.Bytes()
			case *rsa.PublicKey:
				der := x509.MarshalPKCS1PublicKey(k)
				secrets["PKCS#1 DER"] = der
				secrets["PKCS#1 PEM"] = pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: der})
				secrets["modulus"] = k.N.Bytes()
			case ed25519.PublicKey:
				secrets["raw key"] = []byte(k)
			}
			for name, secret := range secrets {
				for _, m := range []jwt.SigningMethod{jwt.SigningMethodHS256, jwt.SigningMethodHS384, jwt.SigningMethodHS512} {
					t.Run(m.Alg()+" keyed with "+name, func(t *testing.T) {
						hdr := map[string]any{"alg": m.Alg(), "typ": "JWT", "kid": f.kid}
						f.expect(t, signJWT(t, m, secret, hdr, f.claims()), msgTryRefresh)
					})
				}
			}
		})
	}
}

// keyReadCountingStore counts signing-key reads: kid lookups must stay in
// memory.
type keyReadCountingStore struct {
	*gormstore.GORMStore
	keyReads atomic.Int64
}

func (s *keyReadCountingStore) SigningKeys(ctx context.Context, now time.Time) ([]store.SigningKey, error) {
	s.keyReads.Add(1)
	return s.GORMStore.SigningKeys(ctx, now)
}

// SECURITY.md A: unknown, missing, non-string, 10 KB, path, SQL and CR/LF
// kids → try-refresh; the lookup is an in-memory map (a stream of bogus
// kids costs no database read); nothing of the kid reaches the log raw or
// untruncated (ginsession does not log kids at all, which the test pins).
func TestAccessTokenKid(t *testing.T) {
	logs := &lockedBuffer{}
	gs, err := sqlitestore.Open(t.TempDir()+"/kid.db", gormstore.Options{CleanupInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gs.Close() })
	st := &keyReadCountingStore{GORMStore: gs}
	e := newEnvOn(t, st, newClock(), func(cfg *ginsession.Config) {
		cfg.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	f := newForgerOn(t, e)
	const marker = "KIDMARKER"
	kids := map[string]any{
		"unknown 32-hex":   randomKid(),
		"empty":            "",
		"number":           12345,
		"float":            1.5,
		"object":           map[string]any{"kid": f.kid},
		"array":            []any{f.kid},
		"null":             nil,
		"bool":             true,
		"10 KB":            marker + strings.Repeat("k", 10<<10),
		"10 KB hex":        strings.Repeat(f.kid, 320),
		"path":             "../x",
		"deep path":        "../../../../../../etc/passwd",
		"SQL":              "' OR 1=1 --",
		"SQL on our kid":   f.kid + "' OR '1'='1",
		"CR/LF":            "a\r\nX-Injected: " + marker + "\r\n",
		"NUL":              f.kid + "\x00",
		"our kid, upper":   strings.ToUpper(f.kid),
		"our kid + space":  f.kid + " ",
		"our kid, escaped": `\u00` + f.kid,
		"unicode":          "ключ🔑",
	}
	readsBefore := st.keyReads.Load()
	for name, kid := range kids {
		t.Run(name, func(t *testing.T) {
			hdr := map[string]any{"alg": f.alg, "typ": "JWT", "kid": kid}
			if kid == nil {
				delete(hdr, "kid")
			}
			f.expect(t, f.sign(t, hdr, f.claims()), msgTryRefresh)
		})
	}
	t.Run("missing", func(t *testing.T) {
		f.expect(t, f.sign(t, map[string]any{"alg": f.alg, "typ": "JWT"}, f.claims()), msgTryRefresh)
	})
	// A flood of well-shaped unknown kids: at most one reload per
	// unknown-kid interval (5 s on the engine's clock).
	for i := 0; i < 50; i++ {
		hdr := map[string]any{"alg": f.alg, "typ": "JWT", "kid": randomKid()}
		r := sendWithToken(t, e.server.URL, "header", "GET", "/api/me", "", f.sign(t, hdr, f.claims()))
		expectStatus(t, r, 401, msgTryRefresh)
	}
	if n := st.keyReads.Load() - readsBefore; n > 1 {
		t.Errorf("bogus kids caused %d signing-key reads from the store, want at most 1", n)
	}
	// The genuine token still works (nothing was poisoned).
	f.expectOK(t, f.access)
	logText := logs.String()
	if strings.Contains(logText, marker) || strings.Contains(logText, "X-Injected") {
		t.Error("a kid from a request reached the log")
	}
	for _, line := range strings.Split(logText, "\n") {
		if len(line) > 2048 {
			t.Errorf("a %d-byte log line", len(line))
		}
	}
}

// SECURITY.md A: `jku`, `x5u`, `jwk`, `x5c` headers are ignored: no network
// or file access, ever. A server that counts every hit stands behind the
// URLs; it must see none.
func TestAccessTokenRemoteKeyHeaders(t *testing.T) {
	f := newForger(t, nil)
	attacker, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecdh, _ := attacker.PublicKey.ECDH()
	raw := ecdh.Bytes()
	attackerJWK := map[string]any{"kty": "EC", "crv": "P-256", "x": b64url(raw[1:33]), "y": b64url(raw[33:65]), "kid": "attacker", "alg": "ES256"}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "attacker"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	certDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &attacker.PublicKey, attacker)
	if err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int64
	keyServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/jwks.json":
			json.NewEncoder(w).Encode(map[string]any{"keys": []any{attackerJWK}})
		default:
			w.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER}))
		}
	}))
	defer keyServer.Close()

	remote := map[string]func(h map[string]any){
		"jku":      func(h map[string]any) { h["jku"] = keyServer.URL + "/jwks.json" },
		"x5u":      func(h map[string]any) { h["x5u"] = keyServer.URL + "/cert.pem" },
		"jwk":      func(h map[string]any) { h["jwk"] = attackerJWK },
		"x5c":      func(h map[string]any) { h["x5c"] = []string{base64.StdEncoding.EncodeToString(certDER)} },
		"jku file": func(h map[string]any) { h["jku"] = "file:///etc/passwd" },
		"x5u file": func(h map[string]any) { h["x5u"] = "file:///etc/ssl/certs/ca-certificates.crt" },
		"all four": func(h map[string]any) {
			h["jku"], h["x5u"], h["jwk"] = keyServer.URL+"/jwks.json", keyServer.URL+"/c", attackerJWK
		},
		"jku, crit":      func(h map[string]any) { h["jku"], h["crit"] = keyServer.URL+"/jwks.json", []string{"jku"} },
		"jku, no kid":    func(h map[string]any) { h["jku"] = keyServer.URL + "/jwks.json"; delete(h, "kid") },
		"jku, their kid": func(h map[string]any) { h["jku"], h["kid"] = keyServer.URL+"/jwks.json", "attacker" },
	}
	for name, set := range remote {
		t.Run(name+"/signed by the attacker's key", func(t *testing.T) {
			hdr := f.header()
			set(hdr)
			f.expect(t, signJWT(t, jwt.SigningMethodES256, attacker, hdr, f.claims()), msgTryRefresh)
		})
		t.Run(name+"/signed by our key: the header changes nothing", func(t *testing.T) {
			hdr := f.header()
			set(hdr)
			tok := f.sign(t, hdr, f.claims())
			if _, ok := hdr["kid"]; !ok || hdr["kid"] == "attacker" {
				f.expect(t, tok, msgTryRefresh) // the kid picks the key, nothing else does
				return
			}
			if _, ok := hdr["crit"]; ok {
				f.expect(t, tok, msgTryRefresh) // crit names extensions we do not understand (RFC 7515 §4.1.11)
				return
			}
			f.expectOK(t, tok)
		})
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the key server was contacted %d times", n)
	}
}

// SECURITY.md A: expired, `nbf` in the future, `iat` far in the future,
// `exp` missing, `exp` as string/float/array → try-refresh or unauthorised;
// never "no expiry". Every token carries our genuine signature.
func TestAccessTokenTimeClaims(t *testing.T) {
	f := newForger(t, nil)
	now := f.e.clock.Now().Unix()
	cases := []struct {
		name   string
		claims jwt.MapClaims
	}{
		{"exp missing", f.claimsWith("exp", nil)},
		{"exp now", f.claimsWith("exp", now)},
		{"exp one second ago", f.claimsWith("exp", now-1)},
		{"exp 0", f.claimsWith("exp", 0)},
		{"exp negative", f.claimsWith("exp", -1)},
		{"exp string", f.claimsWith("exp", "99999999999")},
		{"exp numeric string of now+1h", f.claimsWith("exp", jsonString(now+3600))},
		{"exp float in the past", f.claimsWith("exp", float64(now)-0.5)},
		{"exp array", f.claimsWith("exp", []any{now + 3600})},
		{"exp object", f.claimsWith("exp", map[string]any{"v": now + 3600})},
		{"exp bool", f.claimsWith("exp", true)},
		{"exp 1e300", f.claimsWith("exp", 1e300)},
		{"exp max int64", f.claimsWith("exp", int64(1<<63-1))},
		{"nbf in the future", f.claimsWith("nbf", now+3600)},
		{"nbf string", f.claimsWith("nbf", "0")},
		{"iat far in the future", f.claimsWith("iat", now+3600)},
		{"iat a day in the future", f.claimsWith("iat", now+86400)},
		{"iat missing", f.claimsWith("iat", nil)},
		{"iat string", f.claimsWith("iat", jsonString(now))},
		{"iat array", f.claimsWith("iat", []any{now})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { f.expect(t, f.sign(t, f.header(), tc.claims), msgTryRefresh) })
	}
	// Numbers beyond float64 and exotic JSON number forms.
	for name, exp := range map[string]string{"exp 1e400": "1e400", "exp -1e400": "-1e400", "exp 9e18": "9e18", "exp 1e19": "1e19"} {
		t.Run(name, func(t *testing.T) {
			payload := `{"sub":"` + f.user + `","sessionHandle":"` + f.handle + `","iss":"` + f.issuer() + `","iat":` + jsonString(now) + `,"exp":` + exp + `}`
			tok := f.signRaw(t, `{"alg":"`+f.alg+`","typ":"JWT","kid":"`+f.kid+`"}`, payload)
			f.expect(t, tok, msgTryRefresh)
		})
	}
	// A float exp in the future is a valid NumericDate, and it expires.
	t.Run("exp float in the future still expires", func(t *testing.T) {
		tok := f.sign(t, f.header(), f.claimsWith("exp", float64(now)+10.5))
		f.expectOK(t, tok)
		f.e.clock.Advance(11 * time.Second)
		f.expect(t, tok, msgTryRefresh)
	})
}

// SECURITY.md A: wrong `iss`, and a JWT of another kind signed by the same
// app, are rejected.
func TestAccessTokenIssuerAndKind(t *testing.T) {
	f := newForger(t, nil)
	for _, tc := range []struct {
		name   string
		claims jwt.MapClaims
	}{
		{"iss of another site", f.claimsWith("iss", "https://evil.test/auth")},
		{"iss of another base path", f.claimsWith("iss", f.e.server.URL+"/api/auth")},
		{"iss with a trailing slash", f.claimsWith("iss", f.issuer()+"/")},
		{"iss upper-cased", f.claimsWith("iss", strings.ToUpper(f.issuer()))},
		{"iss missing", f.claimsWith("iss", nil)},
		{"iss empty", f.claimsWith("iss", "")},
		{"iss array", f.claimsWith("iss", []any{f.issuer()})},
		{"no sessionHandle (an ID token)", f.claimsWith("sessionHandle", nil)},
		{"sessionHandle number", f.claimsWith("sessionHandle", 7)},
		{"sessionHandle empty", f.claimsWith("sessionHandle", "")},
		{"no sub", f.claimsWith("sub", nil)},
		{"sub number", f.claimsWith("sub", 42)},
		{"sub object", f.claimsWith("sub", map[string]any{"id": f.user})},
	} {
		t.Run(tc.name, func(t *testing.T) { f.expect(t, f.sign(t, f.header(), tc.claims), msgTryRefresh) })
	}
	// Two apps sharing one database (so sharing signing keys) under two
	// API domains: one's access tokens are of another kind for the other.
	t.Run("a token of another app on the same keys", func(t *testing.T) {
		other := newEnvOn(t, f.e.store, f.e.clock, func(cfg *ginsession.Config) { cfg.APIDomain = "http://admin.example.test" })
		c := other.newClient("header")
		c.signIn("victim")
		if kidOf(t, c.access) != f.kid {
			t.Fatalf("the two apps do not share the key: the test proves nothing")
		}
		f.expect(t, c.access, msgTryRefresh)
	})
	// The other tokens ginsession hands out are not access tokens either.
	t.Run("a refresh token", func(t *testing.T) {
		c := f.e.newClient("header")
		c.signIn("victim")
		f.expect(t, c.refresh, "unauthorised")
	})
	t.Run("a front-token", func(t *testing.T) {
		_, r := rawSignIn(t, f.e.server.URL, "header", "victim", "")
		f.expect(t, r.header.Get("front-token"), "unauthorised")
	})
}

// SECURITY.md A: re-encoded header, cut signature, non-canonical base64 →
// try-refresh (strict decoding). (A flipped payload byte:
// TestProtocolVerifyTryRefresh/<mode>/bad signature.)
func TestAccessTokenEncoding(t *testing.T) {
	f := newForger(t, nil)
	h, p, s := splitJWT(t, f.access)
	hb, _ := base64.RawURLEncoding.DecodeString(h)
	pb, _ := base64.RawURLEncoding.DecodeString(p)
	var hm, pm map[string]any
	json.Unmarshal(hb, &hm)
	json.Unmarshal(pb, &pm)
	spaced, _ := json.MarshalIndent(hm, "", " ")
	reordered := `{"kid":"` + f.kid + `","typ":"JWT","alg":"` + f.alg + `"}`
	payloadSpaced, _ := json.MarshalIndent(pm, "", "  ")
	cases := map[string]string{
		"header re-encoded with whitespace":  b64url(spaced) + "." + p + "." + s,
		"header re-encoded, keys reordered":  b64url([]byte(reordered)) + "." + p + "." + s,
		"header with a duplicate alg":        b64url([]byte(`{"alg":"none","alg":"`+f.alg+`","typ":"JWT","kid":"`+f.kid+`"}`)) + "." + p + "." + s,
		"payload re-encoded with whitespace": h + "." + b64url(payloadSpaced) + "." + s,
		"signature cut by one character":     h + "." + p + "." + s[:len(s)-1],
		"signature cut by two characters":    h + "." + p + "." + s[:len(s)-2],
		"signature cut in half":              h + "." + p + "." + s[:len(s)/2],
		"signature removed":                  h + "." + p + ".",
		"signature doubled":                  h + "." + p + "." + s + s,
		"one-character signature":            h + "." + p + ".A",
	}
	// Non-canonical base64: a segment whose final character carries unused
	// bits. A lenient decoder yields the same bytes (and, for the
	// signature, a valid signature); strict decoding refuses it.
	for name, seg := range map[string]int{"header": 0, "payload": 1, "signature": 2} {
		parts := []string{h, p, s}
		v := parts[seg]
		if len(v)%4 == 0 {
			continue // no unused bits in this segment
		}
		const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		i := strings.IndexByte(alpha, v[len(v)-1])
		unused := 2 // bits left over by the final character
		if len(v)%4 == 2 {
			unused = 4
		}
		alt := alpha[i|(1<<unused-1)] // canonical encoders leave those bits zero
		lenient, err := base64.RawURLEncoding.DecodeString(v[:len(v)-1] + string(alt))
		if err != nil || !bytes.Equal(lenient, mustDecodeB64URL(t, v)) {
			t.Fatalf("%s: the variant does not decode leniently to the same bytes", name)
		}
		parts[seg] = v[:len(v)-1] + string(alt)
		cases["non-canonical "+name] = strings.Join(parts, ".")
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) { f.expect(t, tok, msgTryRefresh) })
	}
	f.expectOK(t, f.access)
}

// SECURITY.md A: truncated `a.b`, `a.b.c.d`, empty, 10 000 dots, 1 MB,
// non-base64, NUL bytes → rejected with bounded memory: the length is capped
// before parsing. A 1 MB token costs no more memory than a 10-byte one.
func TestAccessTokenMalformedBoundedMemory(t *testing.T) {
	f := newForger(t, nil)
	h, p, s := splitJWT(t, f.access)
	mb := strings.Repeat("A", 1<<20)
	third := strings.Repeat("A", 1<<20/3)
	cases := []struct{ name, tok, msg string }{
		{"a.b", "a.b", "unauthorised"},
		{"a.b.c.d", "a.b.c.d", "unauthorised"},
		{"genuine plus a fourth segment", f.access + ".e30", "unauthorised"},
		{"10 000 dots", strings.Repeat(".", 10000), "unauthorised"},
		{"1 MB", mb, "unauthorised"},
		{"1 MB in three segments", third + "." + third + "." + third, "unauthorised"},
		{"1 MB after a genuine token", f.access + mb, "unauthorised"},
		{"non-base64 (std alphabet)", "a+b/.c+d/.e+f/", "unauthorised"},
		{"our signature in the std alphabet", h + "." + p + "." + base64.RawStdEncoding.EncodeToString(mustDecodeB64URL(t, s)) + "+/", "unauthorised"},
		{"padded segments", h + "==." + p + "." + s, "unauthorised"},
		{"NUL in a segment", h + "\x00." + p + "." + s, "unauthorised"},
		{"NUL only", "\x00\x00\x00", "unauthorised"},
		{"CR/LF in a segment", h + "\r\n." + p + "." + s, "unauthorised"},
		{"spaces inside", h + ". " + p + "." + s, "unauthorised"},
		{"unicode", "é.é.é", "unauthorised"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, hdr := range []http.Header{
				{"Authorization": {"Bearer " + tc.tok}},
				{"Cookie": {"sAccessToken=" + tc.tok}},
			} {
				w := serveInProcess(f.e.router, "GET", "/api/me", hdr)
				if w.Code != 401 || !strings.Contains(w.Body.String(), `"`+tc.msg+`"`) {
					t.Errorf("%d %s, want 401 %s", w.Code, w.Body, tc.msg)
				}
				if w.Header().Get("front-token") != "" || len(w.Header().Values("Set-Cookie")) != 0 {
					t.Error("a refused token touched the frontend's session")
				}
			}
		})
	}
	t.Run("empty", func(t *testing.T) {
		for _, hdr := range []http.Header{{"Authorization": {"Bearer "}}, {"Authorization": {"Bearer"}}, {"Cookie": {"sAccessToken="}}, {"Cookie": {`sAccessToken=""`}}} {
			w := serveInProcess(f.e.router, "GET", "/api/me", hdr)
			if w.Code != 401 || !strings.Contains(w.Body.String(), `"unauthorised"`) {
				t.Errorf("%v: %d %s", hdr, w.Code, w.Body)
			}
		}
	})
	t.Run("memory: 1 MB costs what 10 bytes cost", func(t *testing.T) {
		for _, where := range []string{"Authorization", "Cookie"} {
			mk := func(tok string) *http.Request {
				req := httptest.NewRequest("GET", "/api/me", nil)
				if where == "Authorization" {
					req.Header.Set("Authorization", "Bearer "+tok)
				} else {
					req.Header.Set("Cookie", "sAccessToken="+tok)
				}
				return req
			}
			small := heapBytesPerRequest(f.e.router, mk("abc.def.gh"))
			for _, big := range []string{mb, third + "." + third + "." + third, strings.Repeat(".", 1<<20)} {
				got := heapBytesPerRequest(f.e.router, mk(big))
				t.Logf("%s: %d bytes per request for a %d-byte token, %d for a 10-byte one", where, got, len(big), small)
				if got > small+16<<10 {
					t.Errorf("%s: %d bytes allocated per request for a %d-byte token (a 10-byte token: %d)", where, got, len(big), small)
				}
			}
		}
	})
	t.Run("1 MB over the network", func(t *testing.T) {
		r := sendRaw(t, f.e.server.URL, "GET", "/api/me", "", "Authorization", "Bearer "+mb)
		if r.status != 401 && r.status != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
}

// SECURITY.md A: an app payload that tries to set `sub`, `exp`,
// `sessionHandle`, `iss` (or any other name ginsession sets): creation
// fails, and so does every way of changing the payload later. (Some names:
// TestCreateRejectsBadInput, TestMergePayloadRefusesProtectedClaims,
// TestClaimConfigRejected; here every protected name on every path.)
func TestAccessTokenProtectedPayload(t *testing.T) {
	e := newEnv(t, nil)
	c := e.newClient("header")
	handle, _ := c.signIn("victim").body["handle"].(string)
	protected := []string{"sub", "iat", "exp", "nbf", "iss", "aud", "jti", "sessionHandle", "tId", "rsub",
		"antiCsrfToken", "refreshTokenHash1", "parentRefreshTokenHash1", "anon", "act"}
	for _, key := range protected {
		t.Run(key, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"user": "mallory", "payload": map[string]any{key: "victim"}})
			r := sendRaw(t, e.server.URL, "POST", "/signin", string(body), "st-auth-mode", "header")
			if r.status != 400 || r.header.Get("front-token") != "" || r.header.Get("st-access-token") != "" {
				t.Errorf("Create with %q: %d %s", key, r.status, r.raw)
			}
			r = c.do("POST", "/api/merge", string(mustJSON(map[string]any{key: "x"})))
			if r.status != 400 || r.header.Get("front-token") != "" {
				t.Errorf("MergePayload with %q: %d %s", key, r.status, r.raw)
			}
			if err := e.sessions.MergeIntoPayload(t.Context(), handle, map[string]any{key: "x"}); !errors.Is(err, ginsession.ErrInvalidInput) {
				t.Errorf("MergeIntoPayload with %q: %v", key, err)
			}
			claim := ginsession.NewBooleanClaim(key, nil)
			if _, err := ginsession.New(ginsession.Config{Store: e.store, APIDomain: "http://localhost", Claims: []ginsession.Claim{claim}}); err == nil {
				t.Errorf("a claim keyed %q was accepted", key)
			}
		})
	}
	if list, _ := e.sessions.ListSessions(t.Context(), "mallory"); len(list) != 0 {
		t.Fatalf("refused payloads created %d sessions", len(list))
	}
	// The library's values are the ones in the token after all that.
	expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
	claims := jwt.MapClaims{}
	jwt.NewParser().ParseUnverified(c.access, claims)
	if claims["sub"] != "victim" || claims["sessionHandle"] != handle || claims["iss"] != e.server.URL+"/auth" {
		t.Fatalf("claims %v", claims)
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// SECURITY.md A: a token that is expired **and** has a bad signature is
// treated as a bad signature: "expired" is never decided before the
// signature is proven. The cause ginsession reports to a custom
// TryRefreshToken handler says which check failed.
func TestAccessTokenExpiredAndBadSignature(t *testing.T) {
	var mu sync.Mutex
	var causes []error
	var eng *ginsession.Sessions
	e := newEnv(t, func(cfg *ginsession.Config) {
		cfg.ErrorHandlers.TryRefreshToken = func(c *gin.Context, err error) {
			mu.Lock()
			causes = append(causes, err)
			mu.Unlock()
			eng.WriteDefaultError(c, err)
		}
	})
	eng = e.sessions
	f := newForgerOn(t, e)
	h, p, s := splitJWT(t, f.access)
	f.e.clock.Advance(time.Hour + time.Second)
	attacker, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	expiredClaims := f.claims()
	expiredClaims["exp"] = f.e.clock.Now().Add(-time.Minute).Unix()
	cases := []struct {
		name          string
		tok           string
		wantSignature bool
	}{
		{"expired, genuine (control)", f.access, false},
		{"expired, flipped signature", h + "." + p + "." + flipChar(s, len(s)/2), true},
		{"expired, flipped payload", h + "." + flipChar(p, len(p)/2) + "." + s, true},
		{"expired, signed by another key under our kid", signJWT(t, jwt.SigningMethodES256, attacker, f.header(), expiredClaims), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			causes = nil
			mu.Unlock()
			r := sendWithToken(t, e.server.URL, "header", "GET", "/api/me", "", tc.tok)
			expectStatusAndBody(t, r, 401, bodyTryRefresh)
			mu.Lock()
			defer mu.Unlock()
			if len(causes) != 1 {
				t.Fatalf("%d causes reported", len(causes))
			}
			// A flipped payload byte may break the JSON before the
			// signature is checked (malformed); either way not "expired".
			sig := errors.Is(causes[0], jwt.ErrTokenSignatureInvalid) || errors.Is(causes[0], jwt.ErrTokenMalformed)
			expired := errors.Is(causes[0], jwt.ErrTokenExpired)
			if tc.wantSignature && (!sig || expired) {
				t.Errorf("cause %v: signature invalid or malformed %v, expired %v; want only a bad signature", causes[0], sig, expired)
			}
			if !tc.wantSignature && (!expired || sig) {
				t.Errorf("cause %v: want expired", causes[0])
			}
		})
	}
}
