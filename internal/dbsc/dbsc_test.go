package dbsc

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRegistrationHeaderIsAStructuredList(t *testing.T) {
	got := RegistrationHeader("/auth/session/dbsc/register", "abc_-1", "h1")
	want := `(ES256 RS256);path="/auth/session/dbsc/register";challenge="abc_-1";authorization="h1"`
	if got != want {
		t.Fatalf("RegistrationHeader = %s\nwant %s", got, want)
	}
	if got := RegistrationHeader("/r", "c", ""); got != `(ES256 RS256);path="/r";challenge="c"` {
		t.Fatalf("without authorization: %s", got)
	}
	if got := quoteString(`a"b\c` + "\x01é"); got != `"a\"b\\c"` {
		t.Fatalf("quoteString escapes and drops: %s", got)
	}
}

func TestChallengeHeaderNamesTheSession(t *testing.T) {
	if got := ChallengeHeader("c1", "s1"); got != `"c1";id="s1"` {
		t.Fatalf("ChallengeHeader = %s", got)
	}
}

func TestParseStringAcceptsQuotedAndBareValues(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{`"abc"`, "abc", true},
		{`abc`, "abc", true},
		{` "a.b-c_d" `, "a.b-c_d", true},
		{`"with \"escape\" and \\"`, `with "escape" and \`, true},
		{`"abc";foo="bar";x=1`, "abc", true},
		{`abc;foo=bar`, "abc", true},
		{`eyJh.eyJi.c2ln`, "eyJh.eyJi.c2ln", true},
		{``, "", false},
		{`""`, "", false},
		{`"unterminated`, "", false},
		{`"bad \x escape"`, "", false},
		{`"a", "b"`, "", false},
		{`a, b`, "", false},
		{`a b`, "", false},
		{`"a"b`, "", false},
		{"\"tab\there\"", "", false},
		{`"é"`, "", false},
		{`"ok";p="unterminated`, "", false},
		{strings.Repeat("a", maxHeaderLen+1), "", false},
	}
	for _, c := range cases {
		got, ok := ParseString(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("ParseString(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestRegisterRecordsTheKeyOfEachAlgorithm(t *testing.T) {
	for _, alg := range Algorithms {
		t.Run(alg, func(t *testing.T) {
			h := newHarness(t)
			br := newBrowser(t, alg)
			handle := h.bound(t, "h-"+alg, br)
			k, err := h.b.Key(context.Background(), handle)
			if err != nil || k.Alg() != alg {
				t.Fatalf("Key = %v, %v; want an %s key", k, err, alg)
			}
			if strings.Contains(string(k.JWK()), `"d"`) {
				t.Fatalf("stored JWK holds a private member: %s", k.JWK())
			}
			if bound, err := h.b.Bound(context.Background(), handle); !bound || err != nil {
				t.Fatalf("Bound = %v, %v", bound, err)
			}
		})
	}
}

// TestRegisterRefusesBadProofs: each proof that must not bind a session,
// and the error that says why. None of them binds the session, and (but
// for the challenge's own refusals) the challenge survives a forged proof.
func TestRegisterRefusesBadProofs(t *testing.T) {
	cases := []struct {
		name  string
		proof func(t *testing.T, h *harness, br *browser, challenge string) string
		want  error
	}{
		{"WrongType", func(t *testing.T, h *harness, br *browser, c string) string {
			return br.sign(t, map[string]any{"typ": "JWT", "alg": "ES256", "jwk": br.jwk()}, map[string]any{"jti": c, "authorization": "h"})
		}, ErrType},
		{"NoType", func(t *testing.T, h *harness, br *browser, c string) string {
			return br.sign(t, map[string]any{"alg": "ES256", "jwk": br.jwk()}, map[string]any{"jti": c, "authorization": "h"})
		}, ErrType},
		{"AlgNone", func(t *testing.T, h *harness, br *browser, c string) string {
			good := br.registration(t, c, "h")
			hdr := base64.RawURLEncoding.EncodeToString([]byte(`{"typ":"dbsc+jwt","alg":"none"}`))
			parts := strings.Split(good, ".")
			return hdr + "." + parts[1] + "."
		}, ErrMalformed},
		{"AlgNoneWithSignature", func(t *testing.T, h *harness, br *browser, c string) string {
			return br.sign(t, map[string]any{"typ": ProofType, "alg": "none", "jwk": br.jwk()}, map[string]any{"jti": c, "authorization": "h"})
		}, ErrAlgorithm},
		{"AlgNotOffered", func(t *testing.T, h *harness, br *browser, c string) string {
			return br.sign(t, map[string]any{"typ": ProofType, "alg": "HS256", "jwk": br.jwk()}, map[string]any{"jti": c, "authorization": "h"})
		}, ErrAlgorithm},
		{"NoKey", func(t *testing.T, h *harness, br *browser, c string) string {
			return br.refresh(t, c)
		}, ErrKey},
		{"WrongKey", func(t *testing.T, h *harness, br *browser, c string) string {
			// Signed by one key while announcing another.
			other := newBrowser(t, "ES256")
			return br.sign(t, map[string]any{"typ": ProofType, "alg": "ES256", "jwk": other.jwk()}, map[string]any{"jti": c, "authorization": "h"})
		}, ErrSignature},
		{"AlgDoesNotFitKey", func(t *testing.T, h *harness, br *browser, c string) string {
			return br.sign(t, map[string]any{"typ": ProofType, "alg": "RS256", "jwk": br.jwk()}, map[string]any{"jti": c, "authorization": "h"})
		}, ErrSignature},
		{"PrivateKeyInJWK", func(t *testing.T, h *harness, br *browser, c string) string {
			jwk := br.jwk()
			jwk["d"] = "AAAA"
			return br.sign(t, map[string]any{"typ": ProofType, "alg": "ES256", "jwk": jwk}, map[string]any{"jti": c, "authorization": "h"})
		}, ErrKey},
		{"WrongAuthorization", func(t *testing.T, h *harness, br *browser, c string) string {
			return br.registration(t, c, "another-session")
		}, ErrAuthorization},
		{"NoAuthorization", func(t *testing.T, h *harness, br *browser, c string) string {
			return br.sign(t, map[string]any{"typ": ProofType, "alg": "ES256", "jwk": br.jwk()}, map[string]any{"jti": c})
		}, ErrAuthorization},
		{"UnknownChallenge", func(t *testing.T, h *harness, br *browser, c string) string {
			return br.registration(t, "not-a-challenge-we-issued", "h")
		}, ErrChallenge},
		{"ExpiredChallenge", func(t *testing.T, h *harness, br *browser, c string) string {
			h.now = h.now.Add(5 * time.Minute)
			return br.registration(t, c, "h")
		}, ErrChallenge},
		{"RefreshChallenge", func(t *testing.T, h *harness, br *browser, c string) string {
			// A refresh challenge of a bound session cannot bind another.
			other := h.bound(t, "h-other", newBrowser(t, "ES256"))
			return br.registration(t, h.challenge(t, other), "h-other")
		}, ErrChallenge},
		{"Garbage", func(t *testing.T, h *harness, br *browser, c string) string { return "not a jwt" }, ErrMalformed},
		{"DuplicateClaim", func(t *testing.T, h *harness, br *browser, c string) string {
			good := br.registration(t, c, "h")
			parts := strings.Split(good, ".")
			payload := base64.RawURLEncoding.EncodeToString([]byte(`{"jti":"x","jti":"` + c + `","authorization":"h"}`))
			return parts[0] + "." + payload + "." + parts[2]
		}, ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			h.session(t, "h")
			br := newBrowser(t, "ES256")
			challenge := h.offer(t, "h")
			_, err := h.b.Register(context.Background(), c.proof(t, h, br, challenge))
			if !errors.Is(err, c.want) {
				t.Fatalf("Register: %v, want %v", err, c.want)
			}
			if bound, _ := h.b.Bound(context.Background(), "h"); bound {
				t.Fatal("a refused proof bound the session")
			}
		})
	}
}

// TestRegisterForgedProofLeavesTheChallenge: the signature is checked
// before the challenge is taken, so a forger cannot use up the browser's.
func TestRegisterForgedProofLeavesTheChallenge(t *testing.T) {
	h := newHarness(t)
	h.session(t, "h")
	br, thief := newBrowser(t, "ES256"), newBrowser(t, "ES256")
	c := h.offer(t, "h")
	forged := br.sign(t, map[string]any{"typ": ProofType, "alg": "ES256", "jwk": thief.jwk()}, map[string]any{"jti": c, "authorization": "h"})
	if _, err := h.b.Register(context.Background(), forged); !errors.Is(err, ErrSignature) {
		t.Fatalf("forged: %v", err)
	}
	if _, err := h.b.Register(context.Background(), br.registration(t, c, "h")); err != nil {
		t.Fatalf("the browser's own proof after a forgery: %v", err)
	}
}

func TestRegisterChallengeIsSingleUse(t *testing.T) {
	h := newHarness(t)
	h.session(t, "h")
	br := newBrowser(t, "ES256")
	proof := br.registration(t, h.offer(t, "h"), "h")
	if _, err := h.b.Register(context.Background(), proof); err != nil {
		t.Fatal(err)
	}
	if _, err := h.b.Register(context.Background(), proof); !errors.Is(err, ErrChallenge) {
		t.Fatalf("replayed registration: %v, want ErrChallenge", err)
	}
}

// TestRegisterNeverReplacesAKey: a second offer's challenge (say a thief
// who got hold of one) cannot rebind a bound session to its own key.
func TestRegisterNeverReplacesAKey(t *testing.T) {
	h := newHarness(t)
	br, thief := newBrowser(t, "ES256"), newBrowser(t, "ES256")
	h.bound(t, "h", br)
	_, err := h.b.Register(context.Background(), thief.registration(t, h.offer(t, "h"), "h"))
	if !errors.Is(err, ErrAlreadyBound) {
		t.Fatalf("second registration: %v, want ErrAlreadyBound", err)
	}
	k, _ := h.b.Key(context.Background(), "h")
	c := h.challenge(t, "h")
	if err := h.b.Refresh(context.Background(), "h", thief.refresh(t, c)); !errors.Is(err, ErrSignature) {
		t.Fatalf("the thief's key refreshes: %v (key %s)", err, k.JWK())
	}
}

func TestRegisterNeedsALiveSession(t *testing.T) {
	h := newHarness(t)
	h.session(t, "h")
	c := h.offer(t, "h")
	if _, err := h.st.DeleteSession(context.Background(), "h"); err != nil {
		t.Fatal(err)
	}
	_, err := h.b.Register(context.Background(), newBrowser(t, "ES256").registration(t, c, "h"))
	if !errors.Is(err, ErrNoSession) {
		t.Fatalf("registration of a signed-out session: %v, want ErrNoSession", err)
	}
}

func TestRefreshAcceptsAProofOfTheRegisteredKey(t *testing.T) {
	for _, alg := range Algorithms {
		t.Run(alg, func(t *testing.T) {
			h := newHarness(t)
			br := newBrowser(t, alg)
			h.bound(t, "h", br)
			if err := h.b.Refresh(context.Background(), "h", br.refresh(t, h.challenge(t, "h"))); err != nil {
				t.Fatalf("Refresh: %v", err)
			}
			// An older challenge still answers after a newer one was
			// issued (the spec's race between a 403 and a retry).
			older, newer := h.challenge(t, "h"), h.challenge(t, "h")
			for _, c := range []string{older, newer} {
				if err := h.b.Refresh(context.Background(), "h", br.refresh(t, c)); err != nil {
					t.Fatalf("Refresh with %s: %v", c, err)
				}
			}
		})
	}
}

func TestRefreshRefusesBadProofs(t *testing.T) {
	cases := []struct {
		name  string
		proof func(t *testing.T, h *harness, br *browser) string
		want  error
	}{
		{"KeySwapped", func(t *testing.T, h *harness, br *browser) string {
			// The thief signs with its own key and puts it in the header.
			thief := newBrowser(t, "ES256")
			return thief.sign(t, map[string]any{"typ": ProofType, "alg": "ES256", "jwk": thief.jwk()}, map[string]any{"jti": h.challenge(t, "h")})
		}, ErrKeyInRefresh},
		{"RegisteredKeyInHeader", func(t *testing.T, h *harness, br *browser) string {
			return br.sign(t, map[string]any{"typ": ProofType, "alg": "ES256", "jwk": br.jwk()}, map[string]any{"jti": h.challenge(t, "h")})
		}, ErrKeyInRefresh},
		{"WrongKey", func(t *testing.T, h *harness, br *browser) string {
			return newBrowser(t, "ES256").refresh(t, h.challenge(t, "h"))
		}, ErrSignature},
		{"OtherAlgorithm", func(t *testing.T, h *harness, br *browser) string {
			return newBrowser(t, "RS256").refresh(t, h.challenge(t, "h"))
		}, ErrSignature},
		{"WrongType", func(t *testing.T, h *harness, br *browser) string {
			return br.sign(t, map[string]any{"typ": "JWT", "alg": "ES256"}, map[string]any{"jti": h.challenge(t, "h")})
		}, ErrType},
		{"AlgNone", func(t *testing.T, h *harness, br *browser) string {
			hdr := base64.RawURLEncoding.EncodeToString([]byte(`{"typ":"dbsc+jwt","alg":"none"}`))
			claims := base64.RawURLEncoding.EncodeToString([]byte(`{"jti":"` + h.challenge(t, "h") + `"}`))
			return hdr + "." + claims + "."
		}, ErrMalformed},
		{"NoChallenge", func(t *testing.T, h *harness, br *browser) string {
			return br.refresh(t, "made-up")
		}, ErrChallenge},
		{"ExpiredChallenge", func(t *testing.T, h *harness, br *browser) string {
			c := h.challenge(t, "h")
			h.now = h.now.Add(time.Minute)
			return br.refresh(t, c)
		}, ErrChallenge},
		{"RegistrationChallenge", func(t *testing.T, h *harness, br *browser) string {
			return br.refresh(t, h.offer(t, "h"))
		}, ErrChallenge},
		{"ChallengeOfAnotherSession", func(t *testing.T, h *harness, br *browser) string {
			other := newBrowser(t, "ES256")
			h.bound(t, "h2", other)
			return br.refresh(t, h.challenge(t, "h2"))
		}, ErrChallenge},
		{"Garbage", func(t *testing.T, h *harness, br *browser) string { return "a.b.c" }, ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			br := newBrowser(t, "ES256")
			h.bound(t, "h", br)
			err := h.b.Refresh(context.Background(), "h", c.proof(t, h, br))
			if !errors.Is(err, c.want) {
				t.Fatalf("Refresh: %s, want %v", describe(err), c.want)
			}
		})
	}
}

func TestRefreshChallengeIsSingleUse(t *testing.T) {
	h := newHarness(t)
	br := newBrowser(t, "ES256")
	h.bound(t, "h", br)
	proof := br.refresh(t, h.challenge(t, "h"))
	if err := h.b.Refresh(context.Background(), "h", proof); err != nil {
		t.Fatal(err)
	}
	if err := h.b.Refresh(context.Background(), "h", proof); !errors.Is(err, ErrChallenge) {
		t.Fatalf("replayed refresh proof: %v, want ErrChallenge", err)
	}
}

// TestSignOutEndsTheBinding: once the session row is gone, there is no
// key to challenge and no proof is accepted.
func TestSignOutEndsTheBinding(t *testing.T) {
	h := newHarness(t)
	br := newBrowser(t, "ES256")
	h.bound(t, "h", br)
	c := h.challenge(t, "h")
	if _, err := h.st.DeleteSession(context.Background(), "h"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.b.Challenge(context.Background(), "h"); !errors.Is(err, ErrNoSession) {
		t.Fatalf("Challenge after sign-out: %v", err)
	}
	if err := h.b.Refresh(context.Background(), "h", br.refresh(t, c)); !errors.Is(err, ErrNoSession) {
		t.Fatalf("Refresh after sign-out: %v", err)
	}
	if bound, err := h.b.Bound(context.Background(), "h"); bound || err != nil {
		t.Fatalf("Bound after sign-out = %v, %v", bound, err)
	}
}

func TestChallengeRefusesAnUnboundSession(t *testing.T) {
	h := newHarness(t)
	h.session(t, "h")
	if _, err := h.b.Challenge(context.Background(), "h"); !errors.Is(err, ErrNoSession) {
		t.Fatalf("Challenge of an unbound session: %v", err)
	}
}

func TestBoundCookieIsValidForItsSessionUntilItExpires(t *testing.T) {
	h := newHarness(t)
	v, exp := h.b.Cookie("h")
	if !exp.Equal(t0.Add(90*time.Second + CookieSlack)) {
		t.Fatalf("expiry %v", exp)
	}
	if !h.b.CookieValid(v, "h") {
		t.Fatal("a fresh cookie is not valid")
	}
	if h.b.CookieValid(v, "h2") {
		t.Fatal("a cookie of one session is valid for another")
	}
	raw, _ := base64.RawURLEncoding.DecodeString(v)
	raw[7]++ // a later expiry, same MAC
	if h.b.CookieValid(base64.RawURLEncoding.EncodeToString(raw), "h") {
		t.Fatal("an extended cookie is valid")
	}
	for _, bad := range []string{"", "x", v + "A", strings.ToUpper(v)} {
		if h.b.CookieValid(bad, "h") {
			t.Fatalf("CookieValid(%q)", bad)
		}
	}
	h.now = h.now.Add(89*time.Second + CookieSlack)
	if !h.b.CookieValid(v, "h") {
		t.Fatal("invalid before its expiry")
	}
	h.now = h.now.Add(time.Second)
	if h.b.CookieValid(v, "h") {
		t.Fatal("valid at its expiry")
	}
	other := New(Options{Store: h.st, Secret: []byte("another secret of at least 32 b."), Now: func() time.Time { return t0 }, CookieTTL: time.Minute})
	if other.CookieValid(v, "h") {
		t.Fatal("valid under another secret")
	}
}
