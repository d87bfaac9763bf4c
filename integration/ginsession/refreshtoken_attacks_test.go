package ginsession_test

// Attacks on refresh tokens: forged tokens for a real session, and
// oversized or malformed ones (SECURITY.md section C, refresh rotation and
// theft). User ids and data: userinput_test.go.
//
// Rows covered elsewhere:
//   - normal refresh: TestProtocolRefreshOK, TestRotation.
//   - previous token again inside the grace window: TestRotation/<mode>/previous
//     inside the window works and does not fork; TestRotationProperty.
//   - previous token after the window: TestRotation/<mode>/previous after the
//     window is theft; TestRotationProperty.
//   - a token two or more generations old: TestRotation/<mode>/two generations
//     old is theft even inside the window; TestProtocolRefreshTheft.
//   - 50 goroutines refresh the same token: TestRefreshRaceSameTokenSQLite,
//     TestRefreshRaceSameTokenTwoEngines (refresh_race_test.go).
//   - two tabs sharing a cookie jar, 1 000 rounds: TestRefreshRaceTwoTabs*
//     (refresh_race_test.go).
//   - refresh racing sign-out: TestRefreshRaceVersusSignOut*
//     (refresh_race_test.go).
//   - revoked session's access token on a database-checked route:
//     TestProtocolVerifySessionRevoked (and, without CheckDatabase,
//     TestRevocationIsInstantOnThisInstance).
//   - no raw refresh or anti-CSRF token in any stored column or log:
//     TestNoSecretsInLogsOrStorage; the signing private key:
//     TestMasterKeySigningKeyNotInTheClear below.

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// forgeRefreshToken builds a refresh token in ginsession's layout
// (version | handle | generation | secret | mac) for handle. macKey nil
// gives a random MAC (a guess); otherwise the MAC is computed with macKey,
// as a server holding that key would.
func forgeRefreshToken(t *testing.T, version byte, handle string, gen int64, secret, macKey []byte) string {
	t.Helper()
	h, err := hex.DecodeString(strings.ReplaceAll(handle, "-", ""))
	if err != nil || len(h) != 16 {
		t.Fatalf("handle %q", handle)
	}
	raw := make([]byte, 0, 73)
	raw = append(raw, version)
	raw = append(raw, h...)
	raw = binary.BigEndian.AppendUint64(raw, uint64(gen))
	raw = append(raw, secret...)
	if macKey == nil {
		mac := make([]byte, 16)
		rand.Read(mac)
		raw = append(raw, mac...)
	} else {
		m := hmac.New(sha256.New, macKey)
		m.Write(raw)
		raw = append(raw, m.Sum(nil)[:16]...)
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// SECURITY.md C: a forged, guessed or corrupted refresh token for a real
// session handle → unauthorised, and the session is not revoked (the
// handle is visible to the frontend, so knowing it must not let anyone end
// someone else's session). Flipped characters:
// TestProtocolRefreshUnauthorised; here guesses and tokens a server with
// another key would mint, for every generation around the real one.
func TestRefreshTokenForgedForRealHandle(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, nil)
			c := e.newClient(mode)
			handle, _ := c.signIn("victim").body["handle"].(string)
			for i := 0; i < 2; i++ { // generation 2: older tokens exist, theft is possible
				expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
			}
			other := e.newClient(mode)
			otherHandle, _ := other.signIn("bystander").body["handle"].(string)
			otherKey := deriveKey(randomBytes(32), "ginsession refresh-token mac")
			genuine := c.refreshToken()
			raw, _ := base64.RawURLEncoding.DecodeString(genuine)
			spliced := append([]byte{}, mustDecodeB64URL(t, other.refreshToken())...)
			copy(spliced[1:17], raw[1:17]) // the bystander's token, re-pointed at the victim's handle

			cases := map[string]string{
				"bystander's token re-pointed at the handle": base64.RawURLEncoding.EncodeToString(spliced),
				"genuine secret, MAC zeroed":                 base64.RawURLEncoding.EncodeToString(append(append([]byte{}, raw[:57]...), make([]byte, 16)...)),
				"genuine secret, MAC of another key":         forgeRefreshToken(t, 1, handle, 2, raw[25:57], otherKey),
				"version 2, genuine otherwise":               base64.RawURLEncoding.EncodeToString(append([]byte{2}, raw[1:]...)),
				"negative generation":                        forgeRefreshToken(t, 1, handle, -1, randomBytes(32), otherKey),
			}
			for _, gen := range []int64{0, 1, 2, 3, 100, 1 << 62} {
				cases[fmt.Sprintf("guessed, generation %d", gen)] = forgeRefreshToken(t, 1, handle, gen, randomBytes(32), nil)
				cases[fmt.Sprintf("another server's key, generation %d", gen)] = forgeRefreshToken(t, 1, handle, gen, randomBytes(32), otherKey)
			}
			for name, tok := range cases {
				t.Run(name, func(t *testing.T) {
					r := sendWithToken(t, e.server.URL, mode, "POST", refreshPath, "sRefreshToken", tok)
					expectStatusAndBody(t, r, 401, bodyUnauthorised)
					expectClearedIn(t, r, mode)
					expectSessionAlive(t, e, handle)
					expectSessionAlive(t, e, otherHandle)
				})
			}
			if n := e.events.count(&e.events.theft) + e.events.count(&e.events.revoked); n != 0 {
				t.Fatalf("forged tokens caused %d theft/revocation events", n)
			}
			// The victim's lineage is untouched.
			expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
			expectStatus(t, other.do("POST", "/auth/session/refresh", ""), 200, "")
		})
	}
}

// SECURITY.md C: empty, 1 MB and non-base64 refresh tokens → unauthorised
// with bounded work (the length is checked before decoding). Short, JWT-shaped
// and 100 KB tokens over HTTP: TestProtocolRefreshUnauthorised.
func TestRefreshTokenBounded(t *testing.T) {
	e := newEnv(t, nil)
	c := e.newClient("header")
	c.signIn("victim")
	genuine := c.refresh
	n := len(genuine)
	std := strings.NewReplacer("-", "+", "_", "/").Replace(genuine)
	mb := strings.Repeat("A", 1<<20)
	cases := map[string]string{
		"1 MB":                         mb,
		"1 MB of the genuine token":    strings.Repeat(genuine, (1<<20)/n),
		"right length, not base64":     strings.Repeat("*", n),
		"right length, NUL bytes":      strings.Repeat("\x00", n),
		"right length, spaces":         strings.Repeat(" ", n-2) + "ab",
		"genuine, padded":              genuine + "=",
		"genuine, std alphabet":        std[:n-1] + "+",
		"genuine, one character cut":   genuine[:n-1],
		"genuine plus one character":   genuine + "A",
		"genuine, CR/LF inside":        genuine[:10] + "\r\n" + genuine[12:],
		"an access token":              signedInAccessToken(t, e),
		"genuine, final bits not zero": genuine[:n-1] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", genuine[n-1])|1]),
	}
	if std == genuine {
		delete(cases, "genuine, std alphabet")
	}
	for name, tok := range cases {
		if tok == genuine {
			t.Fatalf("%s: the case is the genuine token", name)
		}
		t.Run(name, func(t *testing.T) {
			for _, hdr := range []http.Header{{"Authorization": {"Bearer " + tok}}, {"Cookie": {"sRefreshToken=" + tok}}} {
				hdr["Rid"] = []string{"session"}
				w := serveInProcess(e.router, "POST", refreshPath, hdr)
				if w.Code != 401 || !strings.Contains(w.Body.String(), `"unauthorised"`) {
					t.Errorf("%d %s", w.Code, w.Body)
				}
				// A bad refresh cookie ends the frontend's session; a bearer
				// value that is not shaped like a refresh token is not a
				// session token at all (an app's own Authorization), so the
				// request carries none and nothing is cleared.
				want := "remove"
				if _, ok := hdr["Authorization"]; ok && name != "genuine, final bits not zero" {
					want = "" // (that one has a refresh token's length and alphabet)
				}
				if got := w.Header().Get("front-token"); got != want {
					t.Errorf("%v: front-token %q, want %q", hdr, got, want)
				}
			}
		})
	}
	t.Run("empty", func(t *testing.T) {
		for _, hdr := range []http.Header{{"Authorization": {"Bearer "}}, {"Cookie": {"sRefreshToken="}}, {"Cookie": {`sRefreshToken=""`}}, {}} {
			hdr["Rid"] = []string{"session"}
			w := serveInProcess(e.router, "POST", refreshPath, hdr)
			if w.Code != 401 || !strings.Contains(w.Body.String(), `"unauthorised"`) {
				t.Errorf("%v: %d %s", hdr, w.Code, w.Body)
			}
		}
	})
	t.Run("memory: 1 MB costs what a short token costs", func(t *testing.T) {
		for _, where := range []string{"Authorization", "Cookie"} {
			mk := func(tok string) *http.Request {
				req := httptest.NewRequest("POST", refreshPath, nil)
				req.Header.Set("rid", "session")
				if where == "Authorization" {
					req.Header.Set("Authorization", "Bearer "+tok)
				} else {
					req.Header.Set("Cookie", "sRefreshToken="+tok)
				}
				return req
			}
			small := heapBytesPerRequest(e.router, mk("short"))
			big := heapBytesPerRequest(e.router, mk(mb))
			t.Logf("%s: %d bytes per refresh with a 1 MB token, %d with a 5-byte one", where, big, small)
			if big > small+16<<10 {
				t.Errorf("%s: %d bytes per refresh with a 1 MB token (short: %d)", where, big, small)
			}
		}
	})
	// The genuine token was never consumed.
	expectStatus(t, c.do("POST", "/auth/session/refresh", ""), 200, "")
}

func signedInAccessToken(t *testing.T, e *env) string {
	t.Helper()
	c := e.newClient("header")
	c.signIn("someone")
	return c.access
}
