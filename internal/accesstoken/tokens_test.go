package accesstoken

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ginsession/ginsession/internal/keyring"
	"github.com/ginsession/ginsession/internal/protocol"
)

// countingKeys counts the lookups of the Keys it wraps.
type countingKeys struct {
	Keys
	lookups atomic.Int32
}

func (c *countingKeys) Lookup(ctx context.Context, kid string) *keyring.Key {
	c.lookups.Add(1)
	return c.Keys.Lookup(ctx, kid)
}

// segment decodes one segment of a compact JWS as a JSON object.
func segment(t *testing.T, tok string, i int) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[i])
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMintClaims: the SuperTokens claims (docs/protocol.md §2) beside the
// app's payload, the key's kid, and exp at TTL or the session's end.
func TestMintClaims(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		maxAge  time.Duration
		created time.Time
		exp     time.Time
	}{
		{"TTL", 0, fuzzNow.Add(-24 * time.Hour), fuzzNow.Add(time.Hour)},
		{"max age far", 48 * time.Hour, fuzzNow.Add(-24 * time.Hour), fuzzNow.Add(time.Hour)},
		{"max age near", 48 * time.Hour, fuzzNow.Add(-47*time.Hour - 30*time.Minute), fuzzNow.Add(30 * time.Minute)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := harnessOptions(t)
			o.SessionEnd = protocol.Lifetimes{MaxAge: tc.maxAge}.End
			tk := New(o)
			tok, payload, exp, err := tk.Mint(ctx, "u1", "h1", map[string]any{"role": "admin"}, tc.created)
			if err != nil {
				t.Fatal(err)
			}
			if !exp.Equal(tc.exp) {
				t.Fatalf("exp %v, want %v", exp, tc.exp)
			}
			if h := segment(t, tok, 0); h["kid"] != fuzzKid || h["alg"] != "ES256" {
				t.Fatalf("header %v", h)
			}
			p := segment(t, tok, 1)
			want := map[string]any{"sub": "u1", "sessionHandle": "h1", "iss": fuzzAPI + "/auth", "role": "admin",
				"iat": float64(fuzzNow.Unix()), "exp": float64(tc.exp.Unix())}
			if len(p) != len(want) || len(payload) != len(want) {
				t.Fatalf("payload %v, want %v", p, want)
			}
			for k, v := range want {
				if p[k] != v {
					t.Fatalf("claim %s = %v, want %v", k, p[k], v)
				}
			}
			ac, err := tk.Verify(ctx, tok, fuzzNow)
			if err != nil || ac.UserID != "u1" || ac.Handle != "h1" || !ac.Expires.Equal(tc.exp) || ac.Payload["role"] != "admin" {
				t.Fatalf("verify: %+v, %v", ac, err)
			}
		})
	}
}

// TestMintCoreShape: with CoreShape the header names version 5 and the
// payload has what supertokens-node requires of such a token (tId, rsub,
// refreshTokenHash1, each a string) beside the usual claims; without it,
// none of them. Either token verifies here.
func TestMintCoreShape(t *testing.T) {
	ctx := context.Background()
	for _, core := range []bool{false, true} {
		o := harnessOptions(t)
		o.CoreShape = core
		tk := New(o)
		tok, payload, _, err := tk.Mint(ctx, "u1", "h1", map[string]any{"role": "admin"}, fuzzNow)
		if err != nil {
			t.Fatal(err)
		}
		h, p := segment(t, tok, 0), segment(t, tok, 1)
		if h["typ"] != "JWT" || h["kid"] != fuzzKid {
			t.Fatalf("core %v: header %v", core, h)
		}
		want := map[string]any{"tId": CoreTenant, "rsub": "u1", "refreshTokenHash1": ""}
		for k, v := range want {
			got, has := p[k]
			if core && got != v || !core && has {
				t.Fatalf("core %v: claim %s = %v (present %v)", core, k, got, has)
			}
			if _, inPayload := payload[k]; inPayload != core {
				t.Fatalf("core %v: returned payload has %s: %v", core, k, inPayload)
			}
		}
		if v, has := h["version"]; core && v != CoreTokenVersion || !core && has {
			t.Fatalf("core %v: header version %v", core, v)
		}
		ac, err := tk.Verify(ctx, tok, fuzzNow)
		if err != nil || ac.UserID != "u1" || ac.Handle != "h1" || ac.Payload["role"] != "admin" {
			t.Fatalf("core %v: verify %+v, %v", core, ac, err)
		}
	}
}

func TestMintTooLong(t *testing.T) {
	tk, _ := fuzzTokens(t)
	_, _, _, err := tk.Mint(context.Background(), "u", "h", map[string]any{"big": strings.Repeat("x", 16<<10)}, fuzzNow)
	var tooLong *TooLongError
	if !errors.As(err, &tooLong) || tooLong.Len <= 16<<10 {
		t.Fatalf("err %v, want a TooLongError", err)
	}
}

// TestVerifyOptions: each option of Tokens is what verification holds a
// token to.
func TestVerifyOptions(t *testing.T) {
	ctx := context.Background()
	tk, _ := fuzzTokens(t)
	tok, _, _, err := tk.Mint(ctx, "u", "h", nil, fuzzNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		mutate func(*Options)
		now    time.Time
		ok     bool
	}{
		{"as minted", func(*Options) {}, fuzzNow, true},
		{"another issuer", func(o *Options) { o.Issuer = "https://other.example.test/auth" }, fuzzNow, false},
		{"another algorithm", func(o *Options) { o.Algorithm = "RS256" }, fuzzNow, false},
		{"exp beyond a shorter TTL", func(o *Options) { o.TTL = time.Minute }, fuzzNow, false},
		{"expired", func(o *Options) { o.Now = func() time.Time { return fuzzNow.Add(time.Hour) } }, fuzzNow.Add(time.Hour), false},
		{"iat past the clock skew", func(o *Options) { o.Now = func() time.Time { return fuzzNow.Add(-2 * keyring.MaxClockSkew) } }, fuzzNow.Add(-2 * keyring.MaxClockSkew), false},
		{"iat within the clock skew", func(o *Options) { o.Now = func() time.Time { return fuzzNow.Add(-keyring.MaxClockSkew / 2) } }, fuzzNow.Add(-keyring.MaxClockSkew / 2), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := harnessOptions(t)
			o.CacheSize = 0
			tc.mutate(&o)
			_, err := New(o).Verify(ctx, tok, tc.now)
			if (err == nil) != tc.ok {
				t.Fatalf("err %v, want ok=%v", err, tc.ok)
			}
			if errors.Is(err, ErrMalformed) {
				t.Fatalf("a token refused as malformed: %v", err)
			}
		})
	}
	for _, bad := range []string{"", "abc", "a.b", strings.Repeat("a", 17<<10)} {
		if _, err := tk.Verify(ctx, bad, fuzzNow); !errors.Is(err, ErrMalformed) {
			t.Errorf("%.20q: %v, want ErrMalformed", bad, err)
		}
	}
	if _, err := tk.Verify(ctx, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", fuzzNow); err == nil || errors.Is(err, ErrMalformed) {
		t.Errorf("an unsigned token: %v, want a refusal other than ErrMalformed", err)
	}
}

// TestVerifyCache: with a cache a token seen before costs no key lookup;
// without one every verification looks its key up; an expired entry is
// not served.
func TestVerifyCache(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		size    int
		lookups int32
	}{{0, 3}, {-1, 3}, {10, 1}} {
		o := harnessOptions(t)
		keys := &countingKeys{Keys: o.Keys}
		now := fuzzNow
		o.Keys, o.CacheSize, o.Now = keys, tc.size, func() time.Time { return now }
		tk := New(o)
		tok, _, _, err := tk.Mint(ctx, "u", "h", nil, fuzzNow)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if _, err := tk.Verify(ctx, tok, fuzzNow); err != nil {
				t.Fatal(err)
			}
		}
		if got := keys.lookups.Load(); got != tc.lookups {
			t.Errorf("cache size %d: %d lookups, want %d", tc.size, got, tc.lookups)
		}
		now = fuzzNow.Add(time.Hour)
		if _, err := tk.Verify(ctx, tok, now); err == nil {
			t.Errorf("cache size %d: an expired token verified", tc.size)
		}
	}
}

// TestRecognises: what a bearer value must be to be taken as our token.
func TestRecognises(t *testing.T) {
	ctx := context.Background()
	tk, _ := fuzzTokens(t)
	ours, _, _, err := tk.Mint(ctx, "u", "h", nil, fuzzNow)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, tc := range []struct {
		name string
		tok  string
		want bool
	}{
		{"ours, never verified", ours, true},
		{"our kid, bad signature", ours[:strings.LastIndexByte(ours, '.')] + ".AAAA", true},
		{"names a session", enc(`{"alg":"ES256"}`) + "." + enc(`{"sessionHandle":1}`) + ".c2ln", true},
		{"unsigned, names a session", enc(`{"alg":"none"}`) + "." + enc(`{"sessionHandle":"h"}`) + ".", true},
		{"another system's JWT", enc(`{"alg":"RS256","kid":"theirs"}`) + "." + enc(`{"sub":"x"}`) + ".c2ln", false},
		{"an API key", "sk_live_0123456789", false},
	} {
		if got := tk.Recognises(tc.tok, fuzzNow); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	if tk.Seen(ours, fuzzNow) {
		t.Error("Seen: a token never verified is seen")
	}
	if _, err := tk.Verify(ctx, ours, fuzzNow); err != nil {
		t.Fatal(err)
	}
	if !tk.Seen(ours, fuzzNow) || tk.Seen(ours, fuzzNow.Add(time.Hour)) {
		t.Error("Seen: a verified token is not seen before its exp, or is after it")
	}
	if h, named := PeekHandle(enc(`{}`) + "." + enc(`{"sessionHandle":"h9"}`) + ".c2ln"); h != "h9" || !named {
		t.Errorf("PeekHandle: %q %v", h, named)
	}
}

func TestReservedAndActor(t *testing.T) {
	for _, name := range []string{"sub", "iat", "exp", "iss", "sessionHandle", "antiCsrfToken", ClaimAnonymous, ClaimActor} {
		if !Reserved(name) {
			t.Errorf("%s not reserved", name)
		}
	}
	if Reserved("role") {
		t.Error("an app's claim is reserved")
	}
	if a := ActorOf(map[string]any{"act": map[string]any{"sub": "op", "sessionHandle": "oh"}}); a == nil || a.UserID != "op" || a.Handle != "oh" {
		t.Errorf("ActorOf: %+v", a)
	}
	if a := ActorOf(map[string]any{"act": map[string]any{"sub": "op"}}); a != nil {
		t.Errorf("ActorOf without a handle: %+v", a)
	}
}
